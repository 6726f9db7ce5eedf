/**
 * Learning curves: per-epoch training loss (left) and accuracy (right: training accuracy dashed, test top-1 solid
 * where it was evaluated) of one or more configurations, each the mean across its seeds with a ± 1 sd band. Also
 * the plot of a learning-rate range test.
 */
import type { ChartOptions } from './plot-options';
import { plotly, PlotlyFigure } from './plotly';

/** The per-epoch figures a curve needs (a subset of the training loop's EpochRecord). */
export interface CurvePoint {
  epoch: number;
  /** Mean training loss of the epoch (nats). */
  loss: number;
  /** Training accuracy of the epoch, fraction. */
  accuracy: number;
  /** Test top-1 after the epoch, fraction, when evaluated. */
  valTop1?: number;
}

/** One configuration: its name and the history of each seed's run. */
export interface CurveGroup {
  name: string;
  histories: CurvePoint[][];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** rgba() of a #rrggbb colour. */
function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Mean and sample sd per epoch over the runs that reached that epoch and have the value. */
export function meanBand(histories: CurvePoint[][], value: (p: CurvePoint) => number | undefined): { epochs: number[]; mean: number[]; sd: number[]; n: number[] } {
  const byEpoch = new Map<number, number[]>();
  for (const h of histories) {
    for (const p of h) {
      const v = value(p);
      if (v === undefined || !Number.isFinite(v)) continue;
      if (!byEpoch.has(p.epoch)) byEpoch.set(p.epoch, []);
      byEpoch.get(p.epoch)!.push(v);
    }
  }
  const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  const stats = epochs.map((e) => {
    const vs = byEpoch.get(e)!;
    const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
    const sd = vs.length > 1 ? Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / (vs.length - 1)) : 0;
    return { mean, sd, n: vs.length };
  });
  return { epochs, mean: stats.map((s) => s.mean), sd: stats.map((s) => s.sd), n: stats.map((s) => s.n) };
}

/** A mean line plus, when any sd > 0, a filled ± 1 sd band behind it. */
function bandTraces(name: string, color: string, band: ReturnType<typeof meanBand>, axes: { x: string; y: string }, scale: number, dash: string, showLegend: boolean) {
  const traces: Array<Record<string, unknown>> = [];
  if (band.sd.some((s) => s > 0)) {
    traces.push({
      type: 'scatter', mode: 'lines', xaxis: axes.x, yaxis: axes.y, name: `${name} ± 1 sd`, showlegend: false, hoverinfo: 'skip',
      x: [...band.epochs, ...band.epochs.slice().reverse()],
      y: [...band.mean.map((m, i) => scale * (m + band.sd[i])), ...band.mean.map((m, i) => scale * (m - band.sd[i])).reverse()],
      fill: 'toself', fillcolor: withAlpha(color, 0.18), line: { width: 0 },
    });
  }
  traces.push({
    type: 'scatter', mode: 'lines+markers', xaxis: axes.x, yaxis: axes.y, name, showlegend: showLegend, legendgroup: name,
    x: band.epochs, y: band.mean.map((m) => scale * m), line: { color, dash }, marker: { size: 5 },
    customdata: band.n, hovertemplate: `${name}<br>epoch %{x}: %{y:.3f} (n = %{customdata})<extra></extra>`,
  });
  return traces;
}

/** Builds the two-panel learning-curve figure; throws on an empty group list or a group without runs. */
export function learningCurvesFigure(groups: CurveGroup[]): PlotlyFigure {
  if (!Array.isArray(groups) || groups.length === 0) throw new Error('learningCurves: need at least one group, e.g. [{name: "α = 0.5", histories: [run.history]}]');
  const data: Array<Record<string, unknown>> = [];
  groups.forEach((g, i) => {
    if (!g.histories || g.histories.length === 0) throw new Error(`learningCurves: group "${g.name}" has no runs`);
    const color = PALETTE[i % PALETTE.length];
    const seeds = g.histories.length;
    const label = `${g.name} (${seeds} run${seeds > 1 ? 's' : ''})`;
    data.push(...bandTraces(label, color, meanBand(g.histories, (p) => p.loss), { x: 'x', y: 'y' }, 1, 'solid', true));
    data.push(...bandTraces(`${label}, train acc.`, color, meanBand(g.histories, (p) => p.accuracy), { x: 'x2', y: 'y2' }, 100, 'dash', false));
    const test = meanBand(g.histories, (p) => p.valTop1);
    if (test.epochs.length > 0) data.push(...bandTraces(`${label}, test top-1`, color, test, { x: 'x2', y: 'y2' }, 100, 'solid', false));
  });
  return {
    data,
    layout: {
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: { title: { text: 'epoch' }, dtick: 1 },
      yaxis: { title: { text: 'training loss (cross-entropy, nats)' } },
      xaxis2: { title: { text: 'epoch' }, dtick: 1 },
      yaxis2: { title: { text: 'accuracy (%): test solid, train dashed' } },
      showlegend: true,
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}

/** Shows per-epoch loss and accuracy of each group, mean ± 1 sd across its runs (seeds). */
export function learningCurves(groups: CurveGroup[], opts: ChartOptions = {}): void {
  plotly(learningCurvesFigure(groups), { height: 420, ...opts });
}

/** What the range-test plot needs (see train/lr-finder.ts). */
export interface LrFinderCurve {
  learningRates: number[];
  losses: number[];
  smoothed: number[];
  suggestion: number;
}

/** Loss against learning rate (log axis), raw and smoothed, with the suggested rate marked. */
export function lrFinderFigure(r: LrFinderCurve): PlotlyFigure {
  if (r.learningRates.length === 0) throw new Error('lrFinderChart: the range test recorded no step');
  const top = Math.max(...r.smoothed);
  const bottom = Math.min(...r.smoothed);
  return {
    data: [
      { type: 'scatter', mode: 'markers', name: 'loss per step', x: r.learningRates, y: r.losses, marker: { size: 3, color: '#bbbbbb' } },
      { type: 'scatter', mode: 'lines', name: 'smoothed loss', x: r.learningRates, y: r.smoothed, line: { color: '#1f77b4' } },
      { type: 'scatter', mode: 'lines', name: `suggested peak rate ${r.suggestion.toPrecision(2)}`, x: [r.suggestion, r.suggestion], y: [bottom, top], line: { color: '#d62728', dash: 'dot' } },
    ],
    layout: { xaxis: { type: 'log', title: { text: 'learning rate (log scale)' } }, yaxis: { title: { text: 'training loss (nats)' } }, showlegend: true },
  };
}

/** Shows a learning-rate range test. */
export function lrFinderChart(r: LrFinderCurve, opts: ChartOptions = {}): void {
  plotly(lrFinderFigure(r), opts);
}
