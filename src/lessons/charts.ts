/**
 * Trade-off charts of the lessons: accuracy against a cost (MACs, parameters, latency) with the Pareto
 * front drawn, built as plotly figures from plain points so notebooks only pass data.
 *
 * Introduced in notebooks/01-compression-vs-compact.ipynb (tradeoffChart); the Pareto front in
 * notebooks/10-trade-offs-and-design-tricks.ipynb.
 */
import { plotly, PlotlyFigure } from '../lib/display/plotly';
import type { ChartOptions } from '../lib/display/plot-options';

/** One point of a trade-off chart. */
export interface TradeoffPoint {
  /** Legend and hover label, e.g. "mobilenet_v2 0.5×". */
  label: string;
  /** Cost (lower is better), e.g. MACs in millions. */
  x: number;
  /** Benefit (higher is better), e.g. top-1 in %. */
  y: number;
  /** Series the point belongs to (one colour per group), e.g. the family. */
  group?: string;
}

/**
 * Indices of the Pareto-optimal points (no other point has x ≤ and y ≥ with one strict), sorted by x.
 * Points with a non-finite coordinate are ignored.
 */
export function paretoFront(points: Array<{ x: number; y: number }>): number[] {
  const idx = points.map((_, i) => i).filter((i) => Number.isFinite(points[i].x) && Number.isFinite(points[i].y));
  idx.sort((a, b) => points[a].x - points[b].x || points[b].y - points[a].y);
  const front: number[] = [];
  let bestY = -Infinity;
  for (const i of idx) {
    if (points[i].y > bestY) {
      front.push(i);
      bestY = points[i].y;
    }
  }
  return front;
}

export interface TradeoffOptions extends ChartOptions {
  /** Logarithmic cost axis (MACs and parameters span decades); default false. */
  logX?: boolean;
  /** Draw the Pareto front; default true. */
  pareto?: boolean;
}

/** Builds the plotly figure: one marker trace per group and a dashed Pareto-front line; pure. */
export function tradeoffFigure(points: TradeoffPoint[], options: TradeoffOptions = {}): PlotlyFigure {
  if (!Array.isArray(points) || points.length === 0) throw new Error('tradeoff chart: points must be a non-empty array');
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new Error(`tradeoff chart: point "${p.label}" has a non-finite coordinate (x=${p.x}, y=${p.y})`);
    }
    if (options.logX && p.x <= 0) throw new Error(`tradeoff chart: point "${p.label}" has x=${p.x}, which a log axis cannot show`);
  }
  const groups = [...new Set(points.map((p) => p.group ?? 'runs'))];
  const data: Array<Record<string, unknown>> = groups.map((g) => {
    const pts = points.filter((p) => (p.group ?? 'runs') === g);
    return {
      type: 'scatter', mode: 'markers+text', name: g, x: pts.map((p) => p.x), y: pts.map((p) => p.y),
      text: pts.map((p) => p.label), textposition: 'top center', marker: { size: 10 },
      hovertemplate: '%{text}<br>x=%{x}<br>y=%{y}<extra></extra>',
    };
  });
  if (options.pareto ?? true) {
    const front = paretoFront(points).map((i) => points[i]);
    data.push({ type: 'scatter', mode: 'lines', name: 'Pareto front', x: front.map((p) => p.x), y: front.map((p) => p.y), line: { dash: 'dash', color: 'gray' }, hoverinfo: 'skip' });
  }
  return { data, layout: { xaxis: { type: options.logX ? 'log' : 'linear' }, showlegend: true } };
}

/** Shows an accuracy-vs-cost chart with its Pareto front in the notebook (text fallback elsewhere). */
export function tradeoffChart(points: TradeoffPoint[], options: TradeoffOptions = {}): void {
  plotly(tradeoffFigure(points, options), options);
}
