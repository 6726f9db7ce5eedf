/**
 * Our runtime (tfjs + native kernels) against onnxruntime-node on the same network, timed alike: interleaved rounds
 * whose order rotates, every timed pass pooled into a median with quartiles, and verdicts that call a side faster
 * only when the interquartile ranges do not overlap. Shared by the lessons that time both runtimes.
 *
 * Introduced in notebooks/11-deploying-compact-nets.ipynb; also used by notebooks/02-operations.ipynb (op timings)
 * and notebooks/05-shufflenet.ipynb (G1–G4).
 */
import * as tf from '@tensorflow/tfjs';
import { exportOnnx, GraphOptimizationLevel, onnxLatency, RuntimeLatency, summarizeSamples, tfjsLatency } from '../lib/onnx';
import type { PlotlyFigure } from '../lib/display/plotly';

/** Timing of a two-runtime study. */
export interface RuntimeStudyOptions {
  /** Compute threads of both runtimes (tfjs: the native kernels' threads; onnxruntime: intra-op threads). */
  threads: number;
  /** Rounds; within a round every side runs once, and the order rotates from round to round. */
  rounds: number;
  /** Timed passes per side per round. */
  repetitions: number;
  /** Untimed passes per side per round first. */
  warmup: number;
  /** Images per pass; default 1. */
  batch?: number;
}

function checkPositiveInteger(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Returns `o` when threads, rounds, repetitions (and batch) are positive integers and warmup an integer ≥ 0; else throws naming the value. */
export function checkRuntimeStudy<T extends RuntimeStudyOptions>(who: string, o: T): T {
  if (o === null || typeof o !== 'object') throw new Error(`${who}: pass timing options {threads, rounds, repetitions, warmup}, got ${String(o)}`);
  checkPositiveInteger(who, 'threads', o.threads);
  checkPositiveInteger(who, 'rounds', o.rounds);
  checkPositiveInteger(who, 'repetitions', o.repetitions);
  if (o.batch !== undefined) checkPositiveInteger(who, 'batch', o.batch);
  if (typeof o.warmup !== 'number' || !Number.isInteger(o.warmup) || o.warmup < 0) throw new Error(`${who}: warmup must be an integer ≥ 0, got ${String(o.warmup)}`);
  return o;
}

/** The rounds of one side pooled: every timed pass, median and quartiles over all of them (ms). */
export function poolLatencies(rounds: readonly RuntimeLatency[]): RuntimeLatency {
  if (rounds.length === 0) throw new Error('poolLatencies: no rounds');
  const samplesMs = rounds.flatMap((r) => r.samplesMs);
  return { ...rounds[0], repetitions: samplesMs.length, ...summarizeSamples(samplesMs), samplesMs };
}

/**
 * Runs `sides` (functions timing one side once) for `rounds` rounds, rotating their order each round (round r starts
 * with side r mod k), so that a machine whose speed drifts slows every side alike; returns each side's rounds.
 */
export async function interleavedRounds(sides: ReadonlyArray<() => Promise<RuntimeLatency>>, rounds: number): Promise<RuntimeLatency[][]> {
  checkPositiveInteger('interleavedRounds', 'rounds', rounds);
  const out: RuntimeLatency[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < sides.length; j++) {
      const i = (r + j) % sides.length;
      out[i].push(await sides[i]());
    }
  }
  return out;
}

/** One network on both runtimes, every round pooled (ms per pass). */
export interface RuntimeTiming {
  tfjs: RuntimeLatency;
  onnx: RuntimeLatency;
  /** Per round: tfjs median / onnxruntime median (> 1: onnxruntime faster in that round). */
  roundRatios: number[];
}

/**
 * Times `model` on tfjs and its ONNX export (`onnx`, exported here when omitted) on onnxruntime at optimiser level
 * `graphOptimization` (default 'all'), interleaved; input [batch, …model input] random in [0, 1).
 */
export async function timeBothRuntimes(
  model: tf.LayersModel, options: RuntimeStudyOptions, onnx?: Uint8Array, graphOptimization: GraphOptimizationLevel = 'all',
): Promise<RuntimeTiming> {
  const o = checkRuntimeStudy('timeBothRuntimes', options);
  const bytes = onnx ?? exportOnnx(model).bytes;
  const timing = { threads: o.threads, repetitions: o.repetitions, warmup: o.warmup, batch: o.batch ?? 1 };
  const [tfjsRounds, onnxRounds] = await interleavedRounds([
    () => tfjsLatency(model, timing),
    () => onnxLatency(bytes, { ...timing, graphOptimization }),
  ], o.rounds);
  return {
    tfjs: poolLatencies(tfjsRounds), onnx: poolLatencies(onnxRounds),
    roundRatios: tfjsRounds.map((t, i) => t.medianMs / onnxRounds[i].medianMs),
  };
}

/** Median and quartiles of one side (ms). */
export type Spread = Pick<RuntimeLatency, 'medianMs' | 'q1Ms' | 'q3Ms'>;

/** Verdict of two latencies: which is faster, by the ratio of the medians, or within noise. */
export interface SpeedComparison {
  /** Slower median / faster median (≥ 1). */
  ratio: number;
  /** The faster side's name, or null when the interquartile ranges overlap ("within noise"). */
  faster: string | null;
  text: string;
}

/** Milliseconds with three significant digits (two decimals below 10 ms). */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** "4.10 ms (IQR 3.90–4.40)". */
export function spreadText(s: Spread): string {
  return `${formatMs(s.medianMs)} ms (IQR ${formatMs(s.q1Ms)}–${formatMs(s.q3Ms)})`;
}

/**
 * Compares two latencies: a side is called faster only when the interquartile ranges are disjoint (its third quartile
 * below the other's first); otherwise the difference is within noise. The ratio is always of the medians.
 */
export function compareLatency(aName: string, a: Spread, bName: string, b: Spread): SpeedComparison {
  for (const [name, s] of [[aName, a], [bName, b]] as const) {
    if (!(s.q1Ms > 0 && s.q1Ms <= s.medianMs && s.medianMs <= s.q3Ms && Number.isFinite(s.q3Ms))) {
      throw new Error(`compareLatency: ${name} needs 0 < q1 ≤ median ≤ q3 in ms, got ${JSON.stringify(s)}`);
    }
  }
  const aFaster = a.medianMs <= b.medianMs;
  const [fastName, fast, slowName, slow] = aFaster ? [aName, a, bName, b] : [bName, b, aName, a];
  const ratio = slow.medianMs / fast.medianMs;
  const both = `${fastName} ${spreadText(fast)} vs ${slowName} ${spreadText(slow)}`;
  if (fast.q3Ms < slow.q1Ms) return { ratio, faster: fastName, text: `${fastName} faster, ${ratio.toFixed(2)}× (${both})` };
  return { ratio, faster: null, text: `within noise: the interquartile ranges overlap (${both})` };
}

/** One bar series of a latency chart: a name and, per category, a latency. */
export interface LatencyBarSeries {
  name: string;
  points: Array<{ category: string; latency: RuntimeLatency }>;
}

/** Grouped bars of median latency (ms) with interquartile error bars; log y when the medians span more than a decade; pure. */
export function latencyBarFigure(series: readonly LatencyBarSeries[]): PlotlyFigure {
  const medians = series.flatMap((s) => s.points.map((p) => p.latency.medianMs));
  if (medians.length === 0) throw new Error('latencyBarFigure: nothing measured');
  const log = Math.max(...medians) / Math.min(...medians) > 10;
  return {
    data: series.map((s) => ({
      type: 'bar', name: s.name,
      x: s.points.map((p) => p.category),
      y: s.points.map((p) => p.latency.medianMs),
      error_y: {
        type: 'data', symmetric: false, visible: true,
        array: s.points.map((p) => p.latency.q3Ms - p.latency.medianMs),
        arrayminus: s.points.map((p) => p.latency.medianMs - p.latency.q1Ms),
      },
      customdata: s.points.map((p) => [p.latency.q1Ms, p.latency.q3Ms, p.latency.minMs, p.latency.maxMs, p.latency.repetitions]),
      hovertemplate: `${s.name}<br>%{x}<br>median %{y:.3f} ms<br>IQR %{customdata[0]:.3f}–%{customdata[1]:.3f} ms<br>min–max %{customdata[2]:.3f}–%{customdata[3]:.3f} ms<br>%{customdata[4]} passes<extra></extra>`,
    })),
    layout: { barmode: 'group', yaxis: { type: log ? 'log' : 'linear' }, showlegend: true },
  };
}

/** "1 thread" / "2 threads" for one runtime, or both when they differ. */
export function threadsText(t: RuntimeTiming): string {
  const n = (k: number): string => `${k} thread${k === 1 ? '' : 's'}`;
  return t.tfjs.threads === t.onnx.threads ? n(t.tfjs.threads) : `${n(t.tfjs.threads)} on tfjs, ${n(t.onnx.threads)} on onnxruntime`;
}
