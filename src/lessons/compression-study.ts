/**
 * The compression side of the survey's two routes, measured on one trained model: each method is applied
 * to the trained weights in place, the model is evaluated, and the weights are restored for the next; and the
 * plain and separable nets the lesson trains as teacher, student and compact design.
 *
 * Introduced in notebooks/01-compression-vs-compact.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { distill, DistillEpoch } from '../lib/compression/distill';
import { restoreWeights, snapshotWeights } from '../lib/compression/kernels';
import { factorizeLayer, largestKernel } from '../lib/compression/low-rank';
import { checkSparsity, magnitudePrune } from '../lib/compression/prune';
import { checkBits, QuantGranularity, quantizeModel } from '../lib/compression/quantize';
import { Dataset, Normalization } from '../lib/data/dataset';
import type { DatasetName, LoadedData } from '../lib/data/load';
import type { ProgressMode, ProgressReporter } from '../lib/progress';
import { evaluate } from '../lib/train';
import { ExperimentSpec, experimentConfig } from '../experiments';
import { checkPlainNetOptions, plainConvNet, PlainNetOptions } from '../models/plain-cnn';

/** One compressed (or reference) variant: accuracy against size. */
export interface CompressionRow {
  /** "baseline", "pruning", "quantization", "low-rank", "distillation", "compact design". */
  method: string;
  /** e.g. "sparsity 0.7", "8-bit per-channel", "rank 16". */
  setting: string;
  /** Top-1 on the test set, fraction. */
  top1: number;
  /** Parameters that must be stored: non-zero ones after pruning, r·(rows+cols) for a factorised layer. */
  params: number;
  /**
   * Bytes to store the model: 4 per stored float32 parameter; quantised kernels at `bits` per weight plus
   * scales. Pruning counts non-zeros only (index overhead of a sparse format ignored: a lower bound).
   */
  bytes: number;
}

/** Settings of {@link compressionSweep}. */
export interface CompressionSweepOptions {
  sparsities: number[];
  /** Bit widths of weight quantisation (2 … 8). */
  bits: number[];
  granularity: QuantGranularity;
  /** Ranks for the factorised layer (each in 1 … min(rows, cols)). */
  ranks: number[];
  /** Layer to factorise; default the largest conv/dense kernel. */
  lowRankLayer?: string;
  normalization?: Normalization;
}

/** Validates sweep settings before any training (ranks are checked against the layer later). */
export function checkSweepOptions(o: CompressionSweepOptions): void {
  const list = (name: string, v: unknown) => {
    if (!Array.isArray(v)) throw new Error(`compression sweep: ${name} must be a list, got ${JSON.stringify(v)}`);
  };
  list('sparsities', o.sparsities);
  list('bits', o.bits);
  list('ranks', o.ranks);
  o.sparsities.forEach(checkSparsity);
  o.bits.forEach(checkBits);
  if (o.granularity !== 'tensor' && o.granularity !== 'channel') throw new Error(`compression sweep: granularity must be "tensor" or "channel", got "${o.granularity}"`);
  for (const r of o.ranks) if (!Number.isInteger(r) || r < 1) throw new Error(`compression sweep: every rank must be a positive integer, got ${r}`);
}

/** Evaluates `model` after `apply` changed its weights, then restores the original weights. */
export function evaluateModified<T>(model: tf.LayersModel, test: Dataset, normalization: Normalization | undefined, apply: () => T): { top1: number; report: T } {
  const snapshot = snapshotWeights(model);
  try {
    const report = apply();
    return { top1: evaluate(model, test, { normalization }).top1, report };
  } finally {
    restoreWeights(model, snapshot);
  }
}

/** Baseline, pruning, quantisation and low-rank rows for a trained `model` on `test`. */
export function compressionSweep(model: tf.LayersModel, test: Dataset, o: CompressionSweepOptions): CompressionRow[] {
  checkSweepOptions(o);
  const total = model.countParams();
  const rows: CompressionRow[] = [];
  const base = evaluate(model, test, { normalization: o.normalization }).top1;
  rows.push({ method: 'baseline', setting: 'float32', top1: base, params: total, bytes: 4 * total });
  for (const s of o.sparsities) {
    const { top1, report } = evaluateModified(model, test, o.normalization, () => magnitudePrune(model, s));
    const stored = total - (report.kernelParams - report.kernelNonZero);
    rows.push({ method: 'pruning', setting: `sparsity ${s}`, top1, params: stored, bytes: 4 * stored });
  }
  for (const b of o.bits) {
    const { top1, report } = evaluateModified(model, test, o.normalization, () => quantizeModel(model, b, o.granularity));
    rows.push({ method: 'quantization', setting: `${b}-bit per-${o.granularity}`, top1, params: total, bytes: report.bytes });
  }
  const layer = o.lowRankLayer ?? largestKernel(model).layerName;
  for (const r of o.ranks) {
    const { top1, report } = evaluateModified(model, test, o.normalization, () => factorizeLayer(model, layer, r));
    const stored = total - report.paramsBefore + report.paramsAfter;
    rows.push({ method: 'low-rank', setting: `${layer} rank ${r}`, top1, params: stored, bytes: 4 * stored });
  }
  return rows;
}

/** A markdown summary computed from the rows (best of each method, relative to the baseline); `chance` = 1/classes adds a caution when the baseline is near it. */
export function describeCompression(rows: CompressionRow[], chance?: number): string {
  const base = rows.find((r) => r.method === 'baseline');
  if (!base) throw new Error('describeCompression: the rows have no "baseline" entry');
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const lines = [`The trained baseline reaches **${pct(base.top1)}** top-1 at ${kb(base.bytes)} (float32).`];
  if (chance !== undefined && base.top1 < 2 * chance) {
    lines.push(`*Caution: that is less than twice chance (${pct(chance)}): the model has barely learnt, so the comparisons below say little; train longer or on more images.*`);
  }
  const methods = [...new Set(rows.map((r) => r.method))].filter((m) => m !== 'baseline');
  for (const m of methods) {
    const mine = rows.filter((r) => r.method === m);
    // The smallest variant that keeps within 2 points of the baseline, else the most accurate one.
    const good = mine.filter((r) => r.top1 >= base.top1 - 0.02).sort((a, b) => a.bytes - b.bytes)[0];
    const best = good ?? [...mine].sort((a, b) => b.top1 - a.top1)[0];
    const verdict = good ? 'stays within 2 points of the baseline' : 'loses more than 2 points in every setting tried; its best';
    lines.push(`- **${m}**: ${verdict} at *${best.setting}*: ${pct(best.top1)} at ${kb(best.bytes)} (${(base.bytes / best.bytes).toFixed(1)}× smaller).`);
  }
  return lines.join('\n');
}

/** What {@link distillStudent} returns. */
export interface DistilledStudent {
  top1: number;
  params: number;
  history: DistillEpoch[];
  wallSeconds: number;
}

/**
 * Trains a fresh student from `buildStudent` by distillation from `teacher`, with exactly the training
 * hyper-parameters `runExperiment` uses for `spec` (so the student-alone run of the same spec is the fair
 * comparison), and evaluates it on the test split.
 */
export async function distillStudent(
  teacher: tf.LayersModel, spec: ExperimentSpec, data: LoadedData, distillation: { temperature: number; alpha: number }, progress?: ProgressReporter | ProgressMode,
): Promise<DistilledStudent> {
  if (!spec.build) throw new Error('distillStudent: spec.build is required (it builds the student)');
  const training = experimentConfig(spec, data).training;
  const student = spec.build(data.profile, data.train.classNames.length);
  try {
    const run = await distill(student, teacher, data.train, {
      epochs: training.epochs, batchSize: training.batchSize, learningRate: training.learningRate,
      optimizer: training.optimizer, weightDecay: training.weightDecay, schedule: training.schedule,
      normalization: data.normalization, augmentation: training.augmentation, seed: training.seed,
      temperature: distillation.temperature, alpha: distillation.alpha, progress, title: `distill ${spec.label ?? spec.model}`,
    });
    const top1 = evaluate(student, data.test, { normalization: data.normalization }).top1;
    return { top1, params: student.countParams(), history: run.history, wallSeconds: run.wallSeconds };
  } finally {
    student.dispose();
  }
}

/** Training settings shared by the lesson's runs (see `ExperimentSpec`). */
export interface PlainNetTraining {
  dataset: DatasetName;
  perClass?: number;
  testPerClass?: number;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  progress?: ProgressReporter | ProgressMode;
}

/**
 * An experiment spec for a plain (or separable) net: `model` + `modelConfig` describe the builder fully,
 * so the results store keys the run correctly. Options are validated here, before any data is loaded.
 */
export function plainNetExperiment(label: string, o: PlainNetOptions, training: PlainNetTraining): ExperimentSpec {
  checkPlainNetOptions(o);
  const options: PlainNetOptions = { widths: [...o.widths], hidden: o.hidden, seed: o.seed, separable: o.separable ?? false };
  return {
    ...training,
    model: options.separable ? 'separable-cnn' : 'plain-cnn',
    modelConfig: { widths: options.widths, hidden: options.hidden, initSeed: options.seed, separable: options.separable },
    build: (profile, classes) => plainConvNet(profile, classes, options),
    label,
  };
}
