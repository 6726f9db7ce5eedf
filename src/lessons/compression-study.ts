/**
 * The compression side of the survey's two routes, measured on one trained model: each method is applied
 * to the trained weights in place, the model is evaluated (and, in the fine-tuned sweep, fine-tuned with its compression
 * kept and evaluated again), and the weights are restored for the next; the plain and separable nets the lesson trains
 * as teacher, student and compact design; and the generated texts: per-method summary, comparison at matched size,
 * distillation verdict over seeds (Welch, via `compare`).
 *
 * Introduced in notebooks/01-compression-vs-compact.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { distill, DistillEpoch } from '../lib/compression/distill';
import { checkFineTuneOptions, fineTune, FineTuneOptions } from '../lib/compression/fine-tune';
import { restoreWeights, snapshotWeights } from '../lib/compression/kernels';
import { factorizeLayer, largestKernel } from '../lib/compression/low-rank';
import { checkSparsity, magnitudePrune } from '../lib/compression/prune';
import { checkBits, QuantGranularity, quantizeModel } from '../lib/compression/quantize';
import { Dataset, Normalization } from '../lib/data/dataset';
import { compare, summarize } from '../lib/stats';
import { OPTIMIZER_NAMES } from '../lib/train/optimizers';
import { seedList } from '../experiments/sweep';
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
  /** Top-1 after fine-tuning with the compression kept (absent: not fine-tuned, e.g. quantisation and the baseline). */
  top1FineTuned?: number;
}

/** The accuracy a row stands for: after fine-tuning when it was fine-tuned, else as compressed. */
export function finalTop1(row: CompressionRow): number {
  return row.top1FineTuned ?? row.top1;
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

/** One compression setting of a sweep: applies itself to the model in place and says what it stores. */
interface SweepSetting {
  method: string;
  setting: string;
  /** Compresses the model in place; returns the stored parameters and bytes. */
  apply(): { params: number; bytes: number };
  /** What fine-tuning must keep: the zero pattern (pruning) or a layer's rank (low-rank); null: not fine-tuned. */
  keep: null | { zeros: true } | { lowRank: { layerName: string; rank: number } };
}

function sweepSettings(model: tf.LayersModel, o: CompressionSweepOptions): SweepSetting[] {
  const total = model.countParams();
  const out: SweepSetting[] = [];
  for (const s of o.sparsities) {
    out.push({
      method: 'pruning', setting: `sparsity ${s}`, keep: { zeros: true },
      apply: () => {
        const report = magnitudePrune(model, s);
        const stored = total - (report.kernelParams - report.kernelNonZero);
        return { params: stored, bytes: 4 * stored };
      },
    });
  }
  for (const b of o.bits) {
    out.push({
      method: 'quantization', setting: `${b}-bit per-${o.granularity}`, keep: null,
      apply: () => ({ params: total, bytes: quantizeModel(model, b, o.granularity).bytes }),
    });
  }
  const layer = o.lowRankLayer ?? largestKernel(model).layerName;
  for (const r of o.ranks) {
    out.push({
      method: 'low-rank', setting: `${layer} rank ${r}`, keep: { lowRank: { layerName: layer, rank: r } },
      apply: () => {
        const report = factorizeLayer(model, layer, r);
        const stored = total - report.paramsBefore + report.paramsAfter;
        return { params: stored, bytes: 4 * stored };
      },
    });
  }
  return out;
}

/** The uncompressed model's row: its top-1 on `test`, every parameter stored as float32. */
function baselineRow(model: tf.LayersModel, test: Dataset, normalization: Normalization | undefined): CompressionRow {
  const total = model.countParams();
  return { method: 'baseline', setting: 'float32', top1: evaluate(model, test, { normalization }).top1, params: total, bytes: 4 * total };
}

/** Baseline, pruning, quantisation and low-rank rows for a trained `model` on `test` (no fine-tuning). */
export function compressionSweep(model: tf.LayersModel, test: Dataset, o: CompressionSweepOptions): CompressionRow[] {
  checkSweepOptions(o);
  const rows: CompressionRow[] = [baselineRow(model, test, o.normalization)];
  for (const s of sweepSettings(model, o)) {
    const { top1, report } = evaluateModified(model, test, o.normalization, () => s.apply());
    rows.push({ method: s.method, setting: s.setting, top1, params: report.params, bytes: report.bytes });
  }
  return rows;
}

/** How {@link compressionSweepFineTuned} fine-tunes each pruned or factorised model: `fineTune`'s own options. */
export type SweepFineTuning = Pick<FineTuneOptions, 'epochs' | 'learningRate' | 'batchSize' | 'optimizer' | 'weightDecay' | 'augmentation' | 'seed'>;

/**
 * {@link compressionSweep} plus fine-tuning: each pruned or low-rank model is evaluated as compressed (`top1`), then
 * fine-tuned on `train` with its compression kept and evaluated again (`top1FineTuned`); the trained weights are
 * restored before the next setting, so every setting starts from the same model. Quantised rows are not fine-tuned.
 */
export async function compressionSweepFineTuned(
  model: tf.LayersModel, train: Dataset, test: Dataset, o: CompressionSweepOptions & { fineTune: SweepFineTuning; progress?: ProgressMode },
): Promise<CompressionRow[]> {
  checkSweepOptions(o);
  checkFineTuneOptions(o.fineTune);
  const rows: CompressionRow[] = [baselineRow(model, test, o.normalization)];
  const snapshot = snapshotWeights(model);
  for (const s of sweepSettings(model, o)) {
    try {
      const report = s.apply();
      const row: CompressionRow = { method: s.method, setting: s.setting, top1: evaluate(model, test, { normalization: o.normalization }).top1, params: report.params, bytes: report.bytes };
      if (s.keep) {
        await fineTune(model, train, {
          ...o.fineTune, normalization: o.normalization,
          keepZeros: 'zeros' in s.keep, lowRank: 'lowRank' in s.keep ? [s.keep.lowRank] : [],
          progress: o.progress ?? 'silent', title: `fine-tune ${s.method} ${s.setting}`,
        });
        row.top1FineTuned = evaluate(model, test, { normalization: o.normalization }).top1;
      }
      rows.push(row);
    } finally {
      restoreWeights(model, snapshot);
    }
  }
  return rows;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
const points = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(1)} points`;

/**
 * A markdown summary computed from the rows (best of each method, relative to the baseline); `chance` = 1/classes adds a
 * caution when the baseline is near it. Rows with `top1FineTuned` are judged after fine-tuning, and the accuracy
 * without it is given beside.
 */
export function describeCompression(rows: CompressionRow[], chance?: number): string {
  const base = rows.find((r) => r.method === 'baseline');
  if (!base) throw new Error('describeCompression: the rows have no "baseline" entry');
  const lines = [`The trained baseline reaches **${pct(base.top1)}** top-1 at ${kb(base.bytes)} (float32).`];
  if (chance !== undefined && base.top1 < 2 * chance) {
    lines.push(`*Caution: that is less than twice chance (${pct(chance)}): the model has barely learnt, so the comparisons below say little; train longer or on more images.*`);
  }
  const methods = [...new Set(rows.map((r) => r.method))].filter((m) => m !== 'baseline');
  for (const m of methods) {
    const mine = rows.filter((r) => r.method === m);
    // The smallest variant that keeps within 2 points of the baseline, else the most accurate one.
    const good = mine.filter((r) => finalTop1(r) >= base.top1 - 0.02).sort((a, b) => a.bytes - b.bytes)[0];
    const best = good ?? [...mine].sort((a, b) => finalTop1(b) - finalTop1(a))[0];
    const tuned = best.top1FineTuned !== undefined;
    const verdict = good
      ? `stays within 2 points of the baseline${tuned ? ' after fine-tuning' : ''}`
      : `loses more than 2 points in every setting tried${tuned ? ', even after fine-tuning' : ''}; its best`;
    const before = tuned ? ` (${pct(best.top1)} before fine-tuning)` : '';
    lines.push(`- **${m}**: ${verdict} at *${best.setting}*: ${pct(finalTop1(best))}${before} at ${kb(best.bytes)} (${(base.bytes / best.bytes).toFixed(1)}× smaller).`);
  }
  return lines.join('\n');
}

/**
 * Compares the compressed methods with `reference` (e.g. the compact design) at matched size only: for each method in
 * `methods`, its row whose size is closest to the reference's (ratio of bytes nearest 1); a row more than `maxRatio`×
 * larger or smaller is reported as unmatched. One run per row: the text gives the gaps and says they carry no verdict.
 */
export function describeMatchedSize(rows: CompressionRow[], reference: CompressionRow, methods: string[], maxRatio = 2): string {
  if (!(maxRatio > 1)) throw new Error(`describeMatchedSize: maxRatio must be > 1, got ${maxRatio}`);
  const lines = [`At matched size: against **${reference.method}** (${reference.setting}; ${pct(finalTop1(reference))} at ${kb(reference.bytes)}), each method at its setting closest in size:`];
  for (const m of methods) {
    const mine = rows.filter((r) => r.method === m);
    if (mine.length === 0) throw new Error(`describeMatchedSize: no row of method "${m}"; methods present: ${[...new Set(rows.map((r) => r.method))].join(', ')}`);
    const closest = [...mine].sort((a, b) => Math.abs(Math.log(a.bytes / reference.bytes)) - Math.abs(Math.log(b.bytes / reference.bytes)))[0];
    const ratio = closest.bytes / reference.bytes;
    const tuned = closest.top1FineTuned !== undefined ? ' after fine-tuning' : '';
    if (ratio > maxRatio || ratio < 1 / maxRatio) {
      lines.push(`- **${m}**: no setting within ${maxRatio}× of that size (closest: *${closest.setting}* at ${kb(closest.bytes)}, ${ratio.toFixed(1)}×): not compared.`);
      continue;
    }
    lines.push(`- **${m}** at *${closest.setting}* (${kb(closest.bytes)}, ${ratio.toFixed(2)}× the size): ${pct(finalTop1(closest))}${tuned}, ${points(finalTop1(closest) - finalTop1(reference))} against ${reference.method}.`);
  }
  lines.push('', `${reference.method} and the compressed models are one training run each (one seed: no verdict): at this scale gaps of a couple of points are within seed-to-seed noise, so the gaps above are reported, not ranked.`);
  return lines.join('\n');
}

/** What {@link describeDistillation} needs: test top-1 of the teacher and, per seed, of the student alone and distilled. */
export interface DistillationOutcome {
  teacherTop1: number;
  alone: number[];
  distilled: number[];
  temperature: number;
  alpha: number;
  /** Training images and epochs of the students (for the account of why distillation may not help). */
  trainImages: number;
  epochs: number;
}

/**
 * The distillation paragraph, generated: teacher–student gap, distilled vs alone (mean over seeds), and the verdict of
 * Welch's test (`compare`) when there are ≥ 2 seeds; with one seed it says "one seed: no verdict". When distillation
 * does not come out ahead it gives the likely reasons instead of a claim.
 */
export function describeDistillation(o: DistillationOutcome): string {
  if (o.alone.length === 0 || o.alone.length !== o.distilled.length) {
    throw new Error(`describeDistillation: alone and distilled need one value per seed each, got ${o.alone.length} and ${o.distilled.length}`);
  }
  const mean = (v: number[]) => summarize(v).mean;
  const n = o.alone.length;
  const alone = mean(o.alone);
  const distilled = mean(o.distilled);
  const gap = o.teacherTop1 - alone;
  const over = n === 1 ? '' : ` (mean of ${n} seeds)`;
  const lines: string[] = [];
  lines.push(`Distillation (T = ${o.temperature}, α = ${o.alpha}): the teacher reaches ${pct(o.teacherTop1)}, the student alone ${pct(alone)}${over}: ` +
    (gap >= 0.03 ? `the teacher is ${points(gap).slice(1)} better, so its soft targets have something to teach.` : `a gap of only ${points(gap)}, and a teacher hardly better than its student has little to pass on.`));
  let verdict: string;
  let ahead: boolean;
  if (n === 1) {
    verdict = 'one seed: no verdict (at this scale single-seed differences of a couple of points are within noise)';
    ahead = false;
  } else {
    const c = compare(o.distilled, o.alone);
    verdict = `Welch's test over ${n} seeds: **${c.verdict === 'A better' ? 'distilled better' : c.verdict === 'B better' ? 'student alone better' : 'within noise'}** ` +
      `(difference ${points(c.difference)}, 95 % interval ${points(c.interval[0])} … ${points(c.interval[1])})`;
    ahead = c.verdict === 'A better';
  }
  lines.push(`The distilled student reaches ${pct(distilled)}${over} vs ${pct(alone)} alone (${points(distilled - alone)}); ${verdict}.`);
  if (!ahead) {
    lines.push(`Distillation is not shown to help here. Likely reasons: the students see only ${o.trainImages.toLocaleString('en-US')} images for ${o.epochs} epoch(s), ` +
      'far from the regime where soft targets are known to help (Hinton et al. trained for many epochs on full data sets); the teacher is itself small and briefly trained, ' +
      'so its soft targets are noisy; and ' + (n === 1 ? 'one seed cannot separate a real effect from run-to-run noise.' : `${n} seeds resolve only differences larger than the interval above.`));
  }
  return lines.join(' ');
}

/** The lesson's training knobs, validated before anything trains. */
export interface CompressionStudyParameters {
  learningRate: number;
  optimizer: string;
  seeds: number[];
  perClass: number;
  testPerClass: number;
  epochs: number;
  teacherEpochs: number;
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
}

/** Throws naming the value and the accepted range for the first bad knob of {@link CompressionStudyParameters}. */
export function checkStudyParameters(p: CompressionStudyParameters): void {
  const whole = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be a whole number in 1..${max}, got ${v}`);
  };
  if (!(typeof p.learningRate === 'number' && p.learningRate > 0 && p.learningRate <= 1)) throw new Error(`learningRate must be in (0, 1], got ${p.learningRate}`);
  if (!(OPTIMIZER_NAMES as string[]).includes(p.optimizer)) throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${p.optimizer}"`);
  seedList(p.seeds);
  whole('perClass', p.perClass, 5000);
  whole('testPerClass', p.testPerClass, 1000);
  whole('epochs', p.epochs, 200);
  whole('teacherEpochs', p.teacherEpochs, 200);
  checkFineTuneOptions({ epochs: p.fineTuneEpochs, learningRate: p.fineTuneLearningRate });
  if (p.fineTuneLearningRate > p.learningRate) {
    throw new Error(`fineTuneLearningRate must not exceed the training learningRate (${p.learningRate}): fine-tuning uses a small rate, got ${p.fineTuneLearningRate}`);
  }
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
