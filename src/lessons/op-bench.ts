/**
 * One operation, three numbers: parameters and MACs counted on a one-op model by the cost counter,
 * the closed-form formula of docs/sources.md §5 beside them, and the MEASURED forward time of that
 * model on the active backend (median of N runs after warm-up). FLOPs are not time: memory-bound
 * ops (depthwise, shuffle, shift) take time without MACs. The same one-op models also run exported to ONNX in
 * onnxruntime-node beside our runtime (benchOpsOnRuntimes), since which op is expensive depends on the runtime.
 *
 * Introduced in notebooks/02-operations.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { fire } from '../lib/blocks/fire';
import { invertedResidual } from '../lib/blocks/inverted-residual';
import { costOf } from '../lib/cost';
import {
  depthwiseConvCost, fireCost, groupConvCost, invertedResidualCost, OpCost, pointwiseConvCost, separableConvCost, standardConvCost, zeroCost,
} from '../lib/formulas';
import type { PlotlyFigure } from '../lib/display/plotly';
import { measureLatency } from '../lib/latency';
import { channelShuffle, channelSplitHalves, groupConv2d, shift } from '../lib/ops';
import { exportOnnx, OnnxExportError, RuntimeLatency } from '../lib/onnx';
import { checkRuntimeStudy, compareLatency, formatMs, latencyBarFigure, RuntimeStudyOptions, RuntimeTiming, threadsText, timeBothRuntimes } from './runtime-compare';

/** The operations of the lesson, in the order the survey introduces them. */
export const OP_KINDS = ['standard', 'group', 'depthwise', 'pointwise', 'separable', 'shuffle', 'split', 'fire', 'inverted-residual', 'shift'] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** Input and knobs of a one-op model. Every op maps C channels to C channels (fire: e1 = e3 = C/2, s = C/8). */
export interface OpSettings {
  /** Channels C (input = output), ≥ 2; divisible by `groups` and by 16 for the fire module's squeeze. */
  channels: number;
  /** Spatial size H = W in pixels. */
  size: number;
  /** Kernel size K of the spatial convs (odd), and the shift's neighbourhood. */
  kernelSize: number;
  /** Groups g of group conv and channel shuffle. */
  groups: number;
  /** Expansion t of the inverted residual. */
  expansion: number;
}

/** Validates the settings; throws naming the knob, its value and the constraint. */
export function checkOpSettings(s: OpSettings): void {
  const int = (name: keyof OpSettings, min: number) => {
    const v = s[name];
    if (!Number.isInteger(v) || v < min) throw new Error(`op settings: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('channels', 2);
  int('size', 1);
  int('kernelSize', 1);
  int('groups', 1);
  if (s.kernelSize % 2 !== 1) throw new Error(`op settings: kernelSize must be odd (the shift needs a centre), got ${s.kernelSize}`);
  if (s.channels % s.groups !== 0) throw new Error(`op settings: groups ${s.groups} must divide channels ${s.channels}`);
  if (s.channels % 16 !== 0) throw new Error(`op settings: channels must be a multiple of 16 (fire squeeze = C/8 and expands C/2 each), got ${s.channels}`);
  if (!(typeof s.expansion === 'number' && s.expansion >= 1 && s.expansion <= 16)) throw new Error(`op settings: expansion must be in [1, 16], got ${s.expansion}`);
}

/** Builds the one-op model of `kind`: input [size, size, channels], no bias, no BatchNorm except inside the inverted residual. */
export function buildOpModel(kind: OpKind, s: OpSettings): tf.LayersModel {
  checkOpSettings(s);
  const c = s.channels;
  const k = s.kernelSize;
  const x = tf.input({ shape: [s.size, s.size, c], name: 'x' });
  let y: tf.SymbolicTensor | tf.SymbolicTensor[];
  switch (kind) {
    case 'standard':
      y = tf.layers.conv2d({ filters: c, kernelSize: k, padding: 'same', useBias: false, name: 'conv' }).apply(x) as tf.SymbolicTensor;
      break;
    case 'group':
      y = groupConv2d({ filters: c, kernelSize: k, groups: s.groups, name: 'gconv' }).apply(x) as tf.SymbolicTensor;
      break;
    case 'depthwise':
      y = tf.layers.depthwiseConv2d({ kernelSize: k, padding: 'same', useBias: false, name: 'dw' }).apply(x) as tf.SymbolicTensor;
      break;
    case 'pointwise':
      y = tf.layers.conv2d({ filters: c, kernelSize: 1, useBias: false, name: 'pw' }).apply(x) as tf.SymbolicTensor;
      break;
    case 'separable': {
      const dw = tf.layers.depthwiseConv2d({ kernelSize: k, padding: 'same', useBias: false, name: 'dw' }).apply(x) as tf.SymbolicTensor;
      y = tf.layers.conv2d({ filters: c, kernelSize: 1, useBias: false, name: 'pw' }).apply(dw) as tf.SymbolicTensor;
      break;
    }
    case 'shuffle':
      y = channelShuffle({ groups: s.groups, name: 'shuffle' }).apply(x) as tf.SymbolicTensor;
      break;
    case 'split':
      y = channelSplitHalves(x, 'split');
      break;
    case 'fire':
      y = fire(x, { squeeze: c / 8, expand1x1: c / 2, expand3x3: c / 2, name: 'fire' });
      break;
    case 'inverted-residual':
      y = invertedResidual(x, { outChannels: c, stride: 1, expansion: s.expansion, kernelSize: k, name: 'ir' });
      break;
    case 'shift':
      y = shift({ kernelSize: k, name: 'shift' }).apply(x) as tf.SymbolicTensor;
      break;
    default:
      throw new Error(`buildOpModel: unknown op "${kind as string}"; accepted: ${OP_KINDS.join(', ')}`);
  }
  return tf.model({ inputs: x, outputs: y, name: `op_${kind.replace('-', '_')}` });
}

/** The §5 closed-form cost of `kind` under `s` (fire counts its biases: SqueezeNet's convs have them). */
export function opFormula(kind: OpKind, s: OpSettings): OpCost {
  checkOpSettings(s);
  const shape = { inChannels: s.channels, outChannels: s.channels, height: s.size, width: s.size, kernelSize: s.kernelSize };
  switch (kind) {
    case 'standard': return standardConvCost(shape);
    case 'group': return groupConvCost({ ...shape, groups: s.groups });
    case 'depthwise': return depthwiseConvCost(shape);
    case 'pointwise': return pointwiseConvCost(shape);
    case 'separable': return separableConvCost(shape);
    case 'shuffle':
    case 'split':
    case 'shift': return zeroCost();
    case 'fire': return fireCost({ inChannels: s.channels, squeeze: s.channels / 8, expand1x1: s.channels / 2, expand3x3: s.channels / 2, height: s.size, width: s.size, bias: true });
    case 'inverted-residual': return invertedResidualCost({ ...shape, expansion: s.expansion });
    default: throw new Error(`opFormula: unknown op "${kind as string}"; accepted: ${OP_KINDS.join(', ')}`);
  }
}

/** One row of the operations table. */
export interface OpBenchRow {
  op: OpKind;
  /** Weights without BatchNorm (the papers' "Params") counted on the built model. */
  params: number;
  macs: number;
  formulaParams: number;
  formulaMacs: number;
  /** Median forward time of the batch in milliseconds (undefined when timing was skipped). */
  medianMs?: number;
  /** Images per timed forward pass. */
  batch?: number;
  minMs?: number;
  repetitions?: number;
}

/** Timing settings: batch size, warm-up runs, timed runs (median taken). */
export interface OpBenchTiming {
  batch: number;
  warmup: number;
  repetitions: number;
}

/** Counts (and, with `timing`, times) each op of `kinds` under `s`; models are disposed afterwards. */
export async function benchOps(kinds: readonly OpKind[], s: OpSettings, timing?: OpBenchTiming): Promise<OpBenchRow[]> {
  checkOpSettings(s);
  for (const k of kinds) if (!(OP_KINDS as readonly string[]).includes(k)) throw new Error(`benchOps: unknown op "${k}"; accepted: ${OP_KINDS.join(', ')}`);
  const rows: OpBenchRow[] = [];
  for (const kind of kinds) {
    const model = buildOpModel(kind, s);
    try {
      const cost = costOf(model);
      const formula = opFormula(kind, s);
      const row: OpBenchRow = { op: kind, params: cost.params.weights, macs: cost.macs, formulaParams: formula.params, formulaMacs: formula.macs };
      if (timing) {
        const t = await measureLatency(model, { batch: timing.batch, warmup: timing.warmup, repetitions: timing.repetitions });
        row.medianMs = t.medianMs;
        row.batch = timing.batch;
        row.minMs = t.minMs;
        row.repetitions = t.repetitions;
      }
      rows.push(row);
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** Markdown summary computed from timed rows: fastest / slowest per MAC, and the zero-MAC ops' time. */
export function describeOpBench(rows: OpBenchRow[]): string {
  const timed = rows.filter((r) => r.medianMs !== undefined);
  if (timed.length === 0) throw new Error('describeOpBench: no timed rows (pass timing to benchOps)');
  const agree = rows.filter((r) => r.params === r.formulaParams && r.macs === r.formulaMacs).length;
  const withMacs = timed.filter((r) => r.macs > 0).map((r) => ({ ...r, perMac: r.medianMs! / ((r.batch ?? 1) * r.macs) }));
  withMacs.sort((a, b) => a.perMac - b.perMac);
  const lines = [`- The cost counter agrees with the §5 formula for **${agree} of ${rows.length}** operations.`];
  if (withMacs.length >= 2) {
    const best = withMacs[0];
    const worst = withMacs[withMacs.length - 1];
    const nsPerMac = (r: { perMac: number }) => (r.perMac * 1e6).toFixed(3); // ms → ns
    lines.push(`- Time per MAC differs **${(worst.perMac / best.perMac).toFixed(1)}×** between ops: ${best.op} ${nsPerMac(best)} ns/MAC vs ${worst.op} ${nsPerMac(worst)} ns/MAC.`);
  }
  const free = timed.filter((r) => r.macs === 0);
  if (free.length) {
    const std = timed.find((r) => r.op === 'standard');
    const rel = (r: OpBenchRow) => (std ? ` (${((100 * r.medianMs!) / std.medianMs!).toFixed(0)} % of the standard conv)` : '');
    lines.push(`- Zero-MAC ops still take time: ${free.map((r) => `${r.op} ${r.medianMs!.toFixed(2)} ms${rel(r)}`).join(', ')}.`);
  }
  return lines.join('\n');
}

/** Plotly figure of measured time against MACs, one marker trace per op (so the legend names them); pure. */
export function opBenchFigure(rows: OpBenchRow[]): PlotlyFigure {
  const timed = rows.filter((r) => r.medianMs !== undefined);
  if (timed.length === 0) throw new Error('opBenchFigure: no timed rows (pass timing to benchOps)');
  return {
    data: timed.map((r) => ({
      type: 'scatter', mode: 'markers+text', name: r.op, x: [r.macs / 1e6], y: [r.medianMs], text: [r.op], textposition: 'top center',
      marker: { size: 11 }, hovertemplate: `${r.op}<br>%{x:.3f} M MACs<br>%{y:.3f} ms<extra></extra>`,
    })),
    layout: { showlegend: true },
  };
}

/** One op on our runtime and on onnxruntime-node (or why it was not exported). */
export interface OpRuntimeRow {
  op: OpKind;
  macs: number;
  batch: number;
  /** Both runtimes, interleaved rounds pooled (ms per pass of the batch); absent when the op was not exported. */
  timing?: RuntimeTiming;
  /** ONNX nodes of the exported one-op graph (operator → count), layout Transposes included. */
  onnxNodes?: Record<string, number>;
  /** Why the op has no ONNX timing (the exporter's message). */
  skipped?: string;
}

/**
 * Times each op of `kinds` under `s` on tfjs and, exported to ONNX, on onnxruntime (interleaved rounds, batch
 * `timing.batch`); an op the exporter refuses (e.g. split: two outputs) is kept with the reason.
 */
export async function benchOpsOnRuntimes(kinds: readonly OpKind[], s: OpSettings, timing: RuntimeStudyOptions): Promise<OpRuntimeRow[]> {
  checkOpSettings(s);
  const o = checkRuntimeStudy('benchOpsOnRuntimes', timing);
  for (const k of kinds) if (!(OP_KINDS as readonly string[]).includes(k)) throw new Error(`benchOpsOnRuntimes: unknown op "${k}"; accepted: ${OP_KINDS.join(', ')}`);
  const rows: OpRuntimeRow[] = [];
  for (const kind of kinds) {
    const model = buildOpModel(kind, s);
    try {
      const row: OpRuntimeRow = { op: kind, macs: costOf(model).macs, batch: o.batch ?? 1 };
      let exported: { bytes: Uint8Array; opCounts: Record<string, number> } | undefined;
      try {
        exported = exportOnnx(model);
      } catch (err) {
        if (!(err instanceof OnnxExportError)) throw err;
        row.skipped = err.message;
      }
      if (exported !== undefined) {
        row.onnxNodes = exported.opCounts;
        row.timing = await timeBothRuntimes(model, o, exported.bytes);
      }
      rows.push(row);
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** Table rows: per op, median and IQR on each runtime (ms per batch), their ratio and the ONNX nodes. */
export function opRuntimeRows(rows: readonly OpRuntimeRow[]): Array<Record<string, string | number>> {
  return rows.map((r): Record<string, string | number> => {
    if (r.timing === undefined) return { op: r.op, 'MACs (M)': r.macs / 1e6, 'not on ONNX Runtime': r.skipped ?? 'not timed' };
    const t = r.timing;
    return {
      op: r.op, 'MACs (M)': r.macs / 1e6,
      'tfjs median (ms)': Number(formatMs(t.tfjs.medianMs)), 'tfjs IQR (ms)': `${formatMs(t.tfjs.q1Ms)}–${formatMs(t.tfjs.q3Ms)}`,
      'ORT median (ms)': Number(formatMs(t.onnx.medianMs)), 'ORT IQR (ms)': `${formatMs(t.onnx.q1Ms)}–${formatMs(t.onnx.q3Ms)}`,
      'tfjs / ORT': Number((t.tfjs.medianMs / t.onnx.medianMs).toFixed(2)),
      'ONNX nodes': Object.entries(r.onnxNodes ?? {}).map(([op, n]) => `${op} ×${n}`).join(', '),
      'passes a side': t.tfjs.repetitions, threads: threadsText(t),
    };
  });
}

/** Grouped bars: per op, median time on each runtime with interquartile error bars (ms per batch); pure. */
export function opRuntimeFigure(rows: readonly OpRuntimeRow[]): PlotlyFigure {
  const timed = rows.filter((r): r is OpRuntimeRow & { timing: RuntimeTiming } => r.timing !== undefined);
  if (timed.length === 0) throw new Error('opRuntimeFigure: no op was timed on both runtimes');
  return latencyBarFigure([
    { name: timed[0].timing.tfjs.runtime, points: timed.map((r) => ({ category: r.op, latency: r.timing.tfjs })) },
    { name: timed[0].timing.onnx.runtime, points: timed.map((r) => ({ category: r.op, latency: r.timing.onnx })) },
  ]);
}

/**
 * Markdown from the measurements: per runtime which ops are faster beyond the IQRs, the span of the tfjs/ORT ratio,
 * and the pairs of ops whose order (both sides beyond their IQRs) flips between the runtimes.
 */
export function describeOpRuntimes(rows: readonly OpRuntimeRow[]): string {
  const timed = rows.filter((r): r is OpRuntimeRow & { timing: RuntimeTiming } => r.timing !== undefined);
  if (timed.length === 0) throw new Error('describeOpRuntimes: no op was timed on both runtimes');
  const verdicts = timed.map((r) => ({ r, k: compareLatency('ONNX Runtime', r.timing.onnx, 'tfjs', r.timing.tfjs) }));
  const names = (f: string | null): string => verdicts.filter((v) => v.k.faster === f).map((v) => v.r.op).join(', ') || 'none';
  const ratios = timed.map((r) => ({ op: r.op, x: r.timing.tfjs.medianMs / r.timing.onnx.medianMs })).sort((a, b) => a.x - b.x);
  const t0 = timed[0].timing;
  const lines = [
    `- Batch ${timed[0].batch}, ${threadsText(t0)}, ${t0.tfjs.repetitions} passes a side: ONNX Runtime faster beyond the interquartile ranges for ${names('ONNX Runtime')}; ` +
      `tfjs faster for ${names('tfjs')}; within noise for ${names(null)}.`,
    `- The tfjs / ONNX Runtime ratio of medians runs from ${ratios[0].x.toFixed(2)}× (${ratios[0].op}) to ${ratios[ratios.length - 1].x.toFixed(2)}× (${ratios[ratios.length - 1].op}).`,
  ];
  // A pair "flips" when op a is faster than op b beyond both IQRs on one runtime and slower beyond them on the other.
  const order = (a: RuntimeLatency, b: RuntimeLatency): number => (a.q3Ms < b.q1Ms ? -1 : b.q3Ms < a.q1Ms ? 1 : 0);
  const flips: string[] = [];
  let pairs = 0;
  for (let i = 0; i < timed.length; i++) {
    for (let j = i + 1; j < timed.length; j++) {
      pairs++;
      const [a, b] = [timed[i], timed[j]];
      const ot = order(a.timing.tfjs, b.timing.tfjs);
      const oo = order(a.timing.onnx, b.timing.onnx);
      if (ot !== 0 && oo !== 0 && ot !== oo) {
        const [fast, slow] = ot < 0 ? [a, b] : [b, a];
        flips.push(`${fast.op} < ${slow.op} on tfjs (${formatMs(fast.timing.tfjs.medianMs)} vs ${formatMs(slow.timing.tfjs.medianMs)} ms) but > on ONNX Runtime ` +
          `(${formatMs(fast.timing.onnx.medianMs)} vs ${formatMs(slow.timing.onnx.medianMs)} ms)`);
      }
    }
  }
  lines.push(flips.length > 0
    ? `- Which op costs more is runtime-dependent: ${flips.length} of ${pairs} pairs of ops swap order beyond the interquartile ranges, e.g. ${flips.slice(0, 3).join('; ')}.`
    : `- No pair of ops swaps order beyond the interquartile ranges between the runtimes (${pairs} pairs compared): here the ranking of op costs held on both.`);
  const skipped = rows.filter((r) => r.timing === undefined);
  if (skipped.length > 0) lines.push(`- Not on ONNX Runtime: ${skipped.map((r) => `${r.op} (${r.skipped ?? 'not timed'})`).join('; ')}.`);
  return lines.join('\n');
}
