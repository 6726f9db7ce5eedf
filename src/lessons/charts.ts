/**
 * Trade-off charts of the lessons: accuracy against a cost (MACs, parameters, latency) with the Pareto
 * front drawn, built as plotly figures from plain points so notebooks only pass data. Points may carry error bars
 * (1 sd over seeds on y, a min–max spread on x or y) and be kept off the front (a reader's run at a smaller budget);
 * labels can be limited to the front so that they do not pile up (every label stays in the hover text).
 *
 * Introduced in notebooks/01-compression-vs-compact.ipynb (tradeoffChart); the Pareto front with error bars in
 * notebooks/09-imagenet-table.ipynb and notebooks/10-trade-offs-and-design-tricks.ipynb.
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
  /** Half-length of a symmetric y error bar in y's unit (e.g. 1 sd over seeds); the front uses `y` (the mean). */
  yError?: number;
  /** [low, high] extent on x drawn as an asymmetric error bar (e.g. a latency's min–max); must contain `x`. */
  xInterval?: [number, number];
  /** [low, high] extent on y drawn as an asymmetric error bar; must contain `y`. Not together with `yError`. */
  yInterval?: [number, number];
  /** Keep this point off the Pareto front (e.g. a reader's run at a smaller budget than the points it sits among). */
  offFront?: boolean;
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
  /** Logarithmic y axis (parameters or latency against MACs); default false. */
  logY?: boolean;
  /** Draw the Pareto front; default true. */
  pareto?: boolean;
  /**
   * Which points carry a visible label: 'all' (default), 'front' (only the Pareto front's, alternately above and
   * below, so that crowded charts stay readable) or 'none'. Every point keeps its label in the hover text.
   */
  labels?: 'all' | 'front' | 'none';
  /** Marker symbol per group (plotly names, e.g. 'circle-open' for a reader's runs); default filled circles. */
  groupSymbols?: Record<string, string>;
}

/** Rejects what a chart cannot draw, naming the point, the value and the constraint. */
function checkPoint(p: TradeoffPoint, options: TradeoffOptions): void {
  if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
    throw new Error(`tradeoff chart: point "${p.label}" has a non-finite coordinate (x=${p.x}, y=${p.y})`);
  }
  if (options.logX && p.x <= 0) throw new Error(`tradeoff chart: point "${p.label}" has x=${p.x}, which a log axis cannot show`);
  if (options.logY && p.y <= 0) throw new Error(`tradeoff chart: point "${p.label}" has y=${p.y}, which a log axis cannot show`);
  if (p.yError !== undefined && !(Number.isFinite(p.yError) && p.yError >= 0)) {
    throw new Error(`tradeoff chart: point "${p.label}" has yError=${p.yError}; an error bar must be a finite number ≥ 0`);
  }
  if (p.yError !== undefined && p.yInterval !== undefined) {
    throw new Error(`tradeoff chart: point "${p.label}" has both yError and yInterval; give one of them`);
  }
  for (const [axis, v, iv] of [['x', p.x, p.xInterval], ['y', p.y, p.yInterval]] as const) {
    if (iv !== undefined && !(Number.isFinite(iv[0]) && Number.isFinite(iv[1]) && iv[0] <= v && v <= iv[1])) {
      throw new Error(`tradeoff chart: point "${p.label}" has ${axis}Interval [${iv[0]}, ${iv[1]}], which must be finite and contain ${axis}=${v}`);
    }
  }
}

/** Plotly error bar of one trace: symmetric from `yError`, asymmetric from intervals; undefined when none is given. */
function errorBar(pts: TradeoffPoint[], value: (p: TradeoffPoint) => number, interval: (p: TradeoffPoint) => [number, number] | undefined, symmetric?: (p: TradeoffPoint) => number | undefined): Record<string, unknown> | undefined {
  const any = pts.some((p) => interval(p) !== undefined || symmetric?.(p) !== undefined);
  if (!any) return undefined;
  const plus = pts.map((p) => symmetric?.(p) ?? (interval(p) ? interval(p)![1] - value(p) : 0));
  const minus = pts.map((p) => symmetric?.(p) ?? (interval(p) ? value(p) - interval(p)![0] : 0));
  return { type: 'data', symmetric: false, array: plus, arrayminus: minus, visible: true, thickness: 1.5, width: 4 };
}

/**
 * x-axis range with 12 % of the span added on each side (in decades on a log axis; plotly takes a log range as log10),
 * so that the centred labels of the end points fit inside the plot instead of being clipped at its edge.
 */
export function paddedXRange(xs: number[], logX: boolean): [number, number] {
  const t = xs.map((x) => (logX ? Math.log10(x) : x));
  const lo = Math.min(...t);
  const hi = Math.max(...t);
  const pad = hi > lo ? 0.12 * (hi - lo) : logX ? 0.5 : Math.max(Math.abs(lo) * 0.1, 1);
  return [lo - pad, hi + pad];
}

/** Hover text of a point: its label, coordinates (named by the axis titles, units included) and spread. */
function hoverText(p: TradeoffPoint, names: { x: string; y: string }): string {
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const y = p.yError !== undefined ? `${fmt(p.y)} ± ${fmt(p.yError)}` : p.yInterval ? `${fmt(p.y)} [${fmt(p.yInterval[0])}–${fmt(p.yInterval[1])}]` : fmt(p.y);
  const x = p.xInterval ? `${fmt(p.x)} [${fmt(p.xInterval[0])}–${fmt(p.xInterval[1])}]` : fmt(p.x);
  return `${p.label}<br>${names.x} = ${x}<br>${names.y} = ${y}${p.offFront ? '<br>(not on the front)' : ''}`;
}

/**
 * Builds the plotly figure: one marker trace per group (with error bars where points carry them) and a dashed
 * Pareto-front line through the points not marked `offFront`, computed on `y` (the mean where `yError` is an sd); pure.
 */
export function tradeoffFigure(points: TradeoffPoint[], options: TradeoffOptions = {}): PlotlyFigure {
  if (!Array.isArray(points) || points.length === 0) throw new Error('tradeoff chart: points must be a non-empty array');
  for (const p of points) checkPoint(p, options);
  const labels = options.labels ?? 'all';
  if (!['all', 'front', 'none'].includes(labels)) throw new Error(`tradeoff chart: labels must be 'all', 'front' or 'none', got ${JSON.stringify(labels)}`);
  const candidates = points.filter((p) => !p.offFront);
  const front = (options.pareto ?? true) || labels === 'front' ? paretoFront(candidates).map((i) => candidates[i]) : [];
  const frontRank = new Map(front.map((p, i) => [p, i]));
  // The hover names each value by its axis title (which carries the unit), without the "log scale" note.
  const axisName = (title: string | undefined, fallback: string) => (title ?? fallback).replace(/[,;]?\s*log scale/, '').replace(/\(\s*\)/, '').trim() || fallback;
  const hoverNames = { x: axisName(options.xTitle, 'x'), y: axisName(options.yTitle, 'y') };
  const groups = [...new Set(points.map((p) => p.group ?? 'runs'))];
  const data: Array<Record<string, unknown>> = groups.map((g) => {
    const pts = points.filter((p) => (p.group ?? 'runs') === g);
    const shown = (p: TradeoffPoint) => labels === 'all' || (labels === 'front' && frontRank.has(p));
    const trace: Record<string, unknown> = {
      type: 'scatter', mode: labels === 'none' ? 'markers' : 'markers+text', name: g, x: pts.map((p) => p.x), y: pts.map((p) => p.y),
      text: pts.map((p) => (shown(p) ? p.label : '')),
      // Labels on the front alternate above and below, so neighbours along the front do not overwrite each other.
      textposition: labels === 'front' ? pts.map((p) => ((frontRank.get(p) ?? 0) % 2 === 0 ? 'top center' : 'bottom center')) : 'top center',
      customdata: pts.map((p) => hoverText(p, hoverNames)),
      marker: { size: 10, ...(options.groupSymbols?.[g] ? { symbol: options.groupSymbols[g], line: { width: 2 } } : {}) },
      hovertemplate: '%{customdata}<extra></extra>',
    };
    const ey = errorBar(pts, (p) => p.y, (p) => p.yInterval, (p) => p.yError);
    const ex = errorBar(pts, (p) => p.x, (p) => p.xInterval);
    if (ey) trace.error_y = ey;
    if (ex) trace.error_x = ex;
    return trace;
  });
  if ((options.pareto ?? true) && front.length > 0) {
    data.push({ type: 'scatter', mode: 'lines', name: 'Pareto front', x: front.map((p) => p.x), y: front.map((p) => p.y), line: { dash: 'dash', color: 'gray' }, hoverinfo: 'skip' });
  }
  // With labels drawn, the x axis gets room at both ends (error bars included) so the end points' labels are not clipped.
  const xaxis: Record<string, unknown> = { type: options.logX ? 'log' : 'linear' };
  if (labels !== 'none') xaxis.range = paddedXRange(points.flatMap((p) => (p.xInterval ? [p.x, ...p.xInterval] : [p.x])), options.logX ?? false);
  return { data, layout: { xaxis, yaxis: { type: options.logY ? 'log' : 'linear' }, showlegend: true } };
}

/** Shows an accuracy-vs-cost chart with its Pareto front in the notebook (text fallback elsewhere). */
export function tradeoffChart(points: TradeoffPoint[], options: TradeoffOptions = {}): void {
  plotly(tradeoffFigure(points, options), options);
}
