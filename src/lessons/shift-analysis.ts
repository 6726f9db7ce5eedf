/**
 * Analysis helpers for the shift-family lessons (notebooks 06–08): the ShiftNet CSC-vs-conv cost comparison, a
 * picture of the K² shift directions on a real image, a training run that records the learned shift offsets
 * (active shift, sparse shift) every few steps, and the statistics the notebooks plot from those recordings
 * (trajectories, displacement, histograms, sparsity, FE-Net's two down-sampling accountings).
 *
 * Offsets are read as [C, 2] arrays flattened channel-major, (x, y) per channel: column 0 = α (ASL) or a (SSL),
 * column 1 = β or b, in pixels — the layout both layers store.
 *
 * Introduced in notebooks/06-shiftnet.ipynb (CSC cost, shift mosaic); the offset recordings in
 * notebooks/07-active-shift.ipynb and notebooks/08-sparse-shift-fenet.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { cscModule } from '../lib/blocks/shift-blocks';
import { convBnAct } from '../lib/blocks/conv';
import { costOf } from '../lib/cost';
import type { Dataset } from '../lib/data/dataset';
import { LoadDataOptions, loadData } from '../lib/data/load';
import { ActiveShift, shiftOffsets, shiftTensor, SparseShift, sparseShiftStats, SparseShiftStats } from '../lib/ops';
import { createProgress, ProgressReporter, ProgressState } from '../lib/progress';
import { evaluate, train, EpochRecord } from '../lib/train';
import { buildSeeded, ExperimentSpec, experimentConfig } from '../experiments';
import { buildModel } from '../models';

// ---------------------------------------------------------------------------------------------------------------
// Cost: CSC module vs a 3×3 convolution

/** One row of {@link cscVersusConv}: measured (built layers) and formula costs for one expansion ε. */
export interface CscCostRow {
  expansion: number;
  /** Shifted channels ⌊ε·N⌋. */
  midChannels: number;
  /** Conv weights of the CSC module (two 1×1 convs; the shift has none), measured with costOf. */
  cscParams: number;
  /** Formula M·⌊εN⌋ + ⌊εN⌋·N. */
  cscParamsFormula: number;
  /** CSC multiply-accumulates for one image (measured). */
  cscMacs: number;
  /** Weights of a K×K conv M→N (measured). */
  convParams: number;
  convMacs: number;
  /** cscParams / convParams: below 1 the CSC module is the cheaper one. */
  ratio: number;
}

/** Options of {@link cscVersusConv}. */
export interface CscComparisonOptions {
  /** Input channels M. */
  inChannels: number;
  /** Output channels N. */
  outChannels: number;
  /** Feature-map side in pixels (H = W). */
  size: number;
  /** Expansions ε to compare. */
  expansions: number[];
  /** Size of the convolution the CSC module replaces (also the shift kernel); default 3. */
  kernelSize?: number;
}

function requirePositiveInteger(value: unknown, what: string, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer (${hint}), got ${String(value)}`);
  }
  return value;
}

/** Weights only (BN excluded) and MACs of a one-block model built by `body` on an [size, size, M] input. */
function blockCost(size: number, inChannels: number, body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): { weights: number; macs: number } {
  const input = tf.input({ shape: [size, size, inChannels] });
  const model = tf.model({ inputs: input, outputs: body(input) });
  try {
    const report = costOf(model);
    return { weights: report.params.weights, macs: report.macs };
  } finally {
    model.dispose();
  }
}

/**
 * Parameters and MACs of a CSC module (1×1 → shift(K) → 1×1, ε·N shifted channels) against a K×K conv M→N on a
 * size×size map, both measured from built layers (BN parameters excluded). With M = N the CSC module is cheaper
 * while ε < K²/2 (4.5 for K = 3); in general while ε < K²·M/(M + N).
 */
export function cscVersusConv(o: CscComparisonOptions): CscCostRow[] {
  const m = requirePositiveInteger(o.inChannels, 'cscVersusConv: inChannels', 'channels M of the input');
  const n = requirePositiveInteger(o.outChannels, 'cscVersusConv: outChannels', 'channels N of the output');
  const size = requirePositiveInteger(o.size, 'cscVersusConv: size', 'feature-map side in pixels');
  const k = requirePositiveInteger(o.kernelSize ?? 3, 'cscVersusConv: kernelSize', 'odd, e.g. 3 or 5');
  if (k % 2 === 0) throw new Error(`cscVersusConv: kernelSize must be odd (a shift kernel needs a centre), got ${k}`);
  if (!Array.isArray(o.expansions) || o.expansions.length === 0) throw new Error('cscVersusConv: expansions must be a non-empty array of ε > 0');
  const conv = blockCost(size, m, (x) => convBnAct(x, { outChannels: n, kernelSize: k, padding: (k - 1) / 2, name: 'conv' }));
  return o.expansions.map((eps) => {
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) throw new Error(`cscVersusConv: every expansion ε must be a number > 0, got ${String(eps)}`);
    const mid = Math.floor(eps * n);
    if (mid < 1) throw new Error(`cscVersusConv: ε = ${eps} leaves ⌊ε·N⌋ = 0 shifted channels for N = ${n}; use ε ≥ ${1 / n}`);
    const csc = blockCost(size, m, (x) => cscModule(x, { outChannels: n, expansion: eps, kernelSize: k, name: 'csc' }));
    return {
      expansion: eps, midChannels: mid, cscParams: csc.weights, cscParamsFormula: m * mid + mid * n, cscMacs: csc.macs,
      convParams: conv.weights, convMacs: conv.macs, ratio: csc.weights / conv.weights,
    };
  });
}

/** ε at which a CSC module (M→N, K×K shift) costs as many weights as the K×K conv it replaces: K²·M/(M + N). */
export function cscBreakEvenExpansion(inChannels: number, outChannels: number, kernelSize = 3): number {
  const m = requirePositiveInteger(inChannels, 'cscBreakEvenExpansion: inChannels', 'channels M');
  const n = requirePositiveInteger(outChannels, 'cscBreakEvenExpansion: outChannels', 'channels N');
  const k = requirePositiveInteger(kernelSize, 'cscBreakEvenExpansion: kernelSize', 'odd, e.g. 3');
  return (k * k * m) / (m + n);
}

// ---------------------------------------------------------------------------------------------------------------
// Picture of the shift directions

/** An RGB picture as rows of [r, g, b] pixels (0…255), the layout of a plotly `image` trace's `z`. */
export type RgbRows = number[][][];

/** Image `index` of a uint8 data set as an [H, W, C] float tensor (0…255). */
function datasetImage(ds: Dataset, index: number): tf.Tensor3D {
  if (!Number.isInteger(index) || index < 0 || index >= ds.count) {
    throw new Error(`image index must be an integer in [0, ${ds.count - 1}] for ${ds.name} ${ds.split}, got ${index}`);
  }
  const size = ds.height * ds.width * ds.channels;
  const pixels = ds.images.subarray(index * size, (index + 1) * size);
  return tf.tensor3d(Float32Array.from(pixels), [ds.height, ds.width, ds.channels]);
}

/**
 * The K² shift directions of ShiftNet applied to one image: a K×K mosaic whose tile (i, j) is the image shifted by
 * (dy, dx) = (i − ⌊K/2⌋, j − ⌊K/2⌋)·step with zero fill (computed with {@link shiftTensor}), tiles separated by
 * `gap` white pixels. `step` (pixels, default 1) exaggerates the move so that it is visible. Returns rows of RGB.
 */
export function shiftMosaic(ds: Dataset, index: number, kernelSize = 3, step = 1, gap = 2): RgbRows {
  const k = requirePositiveInteger(kernelSize, 'shiftMosaic: kernelSize', 'odd, e.g. 3 or 5');
  if (k % 2 === 0) throw new Error(`shiftMosaic: kernelSize must be odd, got ${k}`);
  requirePositiveInteger(step, 'shiftMosaic: step', 'pixels per unit of offset');
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`shiftMosaic: gap must be an integer ≥ 0 (pixels between tiles), got ${gap}`);
  if (ds.channels !== 3) throw new Error(`shiftMosaic: needs an RGB data set (3 channels), ${ds.name} has ${ds.channels}`);
  const { height: h, width: w } = ds;
  const side = (len: number) => k * len + (k - 1) * gap;
  const rows: RgbRows = Array.from({ length: side(h) }, () => Array.from({ length: side(w) }, () => [255, 255, 255]));
  // Every colour channel of a tile gets the same offset, so that the whole picture visibly moves.
  const directions = shiftOffsets(k * k, k).map(([dy, dx]) => [dy * step, dx * step] as [number, number]);
  const image = datasetImage(ds, index);
  try {
    directions.forEach(([dy, dx], tile) => {
      const shifted = tf.tidy(() => shiftTensor(image.expandDims(0) as tf.Tensor4D, [[dy, dx], [dy, dx], [dy, dx]]));
      const values = shifted.dataSync();
      shifted.dispose();
      const top = Math.floor(tile / k) * (h + gap);
      const left = (tile % k) * (w + gap);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const p = (y * w + x) * 3;
          rows[top + y][left + x] = [values[p], values[p + 1], values[p + 2]];
        }
      }
    });
  } finally {
    image.dispose();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading and recording learned offsets

/** A layer with learned shift offsets (active or sparse shift). */
export type OffsetLayer = ActiveShift | SparseShift;

/** Every ActiveShift / SparseShift layer of `model`, in model order. */
export function offsetLayers(model: tf.LayersModel): OffsetLayer[] {
  return model.layers.filter((l): l is OffsetLayer => l instanceof ActiveShift || l instanceof SparseShift);
}

/** Current offsets of one shift layer: Float32Array of 2·C values, (x, y) per channel, in pixels. */
export function layerOffsets(layer: OffsetLayer): Float32Array {
  const weights = layer.getWeights();
  if (weights.length !== 1) throw new Error(`layerOffsets: '${layer.name}' is not built yet (no offsets weight); apply it to an input first`);
  return Float32Array.from(weights[0].dataSync());
}

/**
 * Names of `count` shift layers spread over the depth (first, …, last) — the layers worth following in a plot.
 * Throws when the model has none.
 */
export function spreadLayerNames(model: tf.LayersModel, count: number): string[] {
  const layers = offsetLayers(model);
  if (layers.length === 0) throw new Error(`spreadLayerNames: model '${model.name}' has no ActiveShift or SparseShift layer`);
  requirePositiveInteger(count, 'spreadLayerNames: count', 'how many layers to pick');
  const n = Math.min(count, layers.length);
  const picks = n === 1 ? [0] : Array.from({ length: n }, (_, i) => Math.round((i * (layers.length - 1)) / (n - 1)));
  return [...new Set(picks)].map((i) => layers[i].name);
}

/** Offsets of the named layers (all shift layers when `names` is omitted), keyed by layer name. */
export function readOffsets(model: tf.LayersModel, names?: string[]): Record<string, Float32Array> {
  const layers = offsetLayers(model);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const wanted = names ?? layers.map((l) => l.name);
  const out: Record<string, Float32Array> = {};
  for (const name of wanted) {
    const layer = byName.get(name);
    if (!layer) {
      throw new Error(`readOffsets: '${name}' is not a shift layer of '${model.name}'; shift layers: ${layers.map((l) => l.name).join(', ') || 'none'}`);
    }
    out[name] = layerOffsets(layer);
  }
  return out;
}

/** Offsets of the recorded layers after `step` optimizer steps. */
export interface OffsetSnapshot {
  step: number;
  /** Fractional epoch (step / steps per epoch). */
  epoch: number;
  offsets: Record<string, Float32Array>;
}

/**
 * A progress reporter that snapshots the offsets of `layers` every `everySteps` optimizer steps (and at step 0 when
 * created), then forwards the state to `inner`. Pass it as `train(…, {progress})`: the training loop reports after
 * every step, so no change to the loop is needed.
 */
export function offsetRecorder(
  model: tf.LayersModel,
  layers: string[],
  everySteps: number,
  inner?: ProgressReporter,
): { reporter: ProgressReporter; snapshots: OffsetSnapshot[] } {
  requirePositiveInteger(everySteps, 'offsetRecorder: everySteps', 'record every N optimizer steps');
  const snapshots: OffsetSnapshot[] = [{ step: 0, epoch: 0, offsets: readOffsets(model, layers) }];
  let last: ProgressState | undefined;
  const record = (state: ProgressState) => {
    if (snapshots[snapshots.length - 1].step === state.step) return;
    const stepsPerEpoch = state.total !== undefined && state.epochs ? state.total / state.epochs : undefined;
    snapshots.push({ step: state.step, epoch: stepsPerEpoch ? state.step / stepsPerEpoch : state.epoch ?? 0, offsets: readOffsets(model, layers) });
  };
  const reporter: ProgressReporter = {
    update(state: ProgressState) {
      last = state;
      if (state.step % everySteps === 0) record(state);
      inner?.update(state);
    },
    done(summary?: string) {
      if (last) record(last); // the final offsets, whatever the step count
      inner?.done(summary);
    },
  };
  return { reporter, snapshots };
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics of offsets

/** Summary of one offsets array (2·C values, (x, y) per channel). */
export interface OffsetSummary {
  channels: number;
  /** Mean over channels of the offset length √(x² + y²), pixels. */
  meanLength: number;
  /** Largest |x| or |y|, pixels. */
  maxAbs: number;
  /** Channels whose rounded offset is (0, 0) (half away from zero, as the sparse shift rounds): no data movement. */
  still: number;
  fractionStill: number;
  /** Fraction of the 2·C coordinates within 0.1 px of an integer. */
  fractionNearInteger: number;
}

function checkPairs(offsets: ArrayLike<number>, who: string): number {
  if (offsets.length === 0 || offsets.length % 2 !== 0) throw new Error(`${who}: offsets must hold 2·C values (x, y per channel), got ${offsets.length}`);
  return offsets.length / 2;
}

/** Rounds half away from zero (C `round()`, the sparse shift's rounding). */
function roundAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** Summary statistics of one layer's offsets. */
export function summarizeOffsets(offsets: ArrayLike<number>): OffsetSummary {
  const channels = checkPairs(offsets, 'summarizeOffsets');
  let lengthSum = 0;
  let maxAbs = 0;
  let still = 0;
  let nearInteger = 0;
  for (let c = 0; c < channels; c++) {
    const x = offsets[2 * c];
    const y = offsets[2 * c + 1];
    lengthSum += Math.hypot(x, y);
    maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
    if (roundAway(x) === 0 && roundAway(y) === 0) still++;
    for (const v of [x, y]) if (Math.abs(v - Math.round(v)) <= 0.1) nearInteger++;
  }
  return { channels, meanLength: lengthSum / channels, maxAbs, still, fractionStill: still / channels, fractionNearInteger: nearInteger / (2 * channels) };
}

/** Mean distance (pixels) each channel's offset has moved from `from` to `to` (same layer, same channels). */
export function meanDisplacement(from: ArrayLike<number>, to: ArrayLike<number>): number {
  const channels = checkPairs(from, 'meanDisplacement');
  if (to.length !== from.length) throw new Error(`meanDisplacement: both offset arrays must have the same length, got ${from.length} and ${to.length}`);
  let sum = 0;
  for (let c = 0; c < channels; c++) sum += Math.hypot(to[2 * c] - from[2 * c], to[2 * c + 1] - from[2 * c + 1]);
  return sum / channels;
}

/** A line for plotly: `name`, x and y values (the shape `lineChart` takes). */
export interface Series {
  name: string;
  x: number[];
  y: number[];
}

function snapshotLayer(snapshots: OffsetSnapshot[], layer: string, who: string): Float32Array[] {
  if (snapshots.length === 0) throw new Error(`${who}: no snapshots recorded`);
  return snapshots.map((s) => {
    const o = s.offsets[layer];
    if (!o) throw new Error(`${who}: layer '${layer}' was not recorded; recorded: ${Object.keys(s.offsets).join(', ')}`);
    return o;
  });
}

/** Per recorded layer: mean displacement from the first snapshot (pixels) against the optimizer step. */
export function displacementSeries(snapshots: OffsetSnapshot[]): Series[] {
  if (snapshots.length === 0) throw new Error('displacementSeries: no snapshots recorded');
  return Object.keys(snapshots[0].offsets).map((layer) => {
    const values = snapshotLayer(snapshots, layer, 'displacementSeries');
    return { name: layer, x: snapshots.map((s) => s.step), y: values.map((v) => meanDisplacement(values[0], v)) };
  });
}

/** Paths of the chosen channels of one layer in the offset plane: x = α (pixels), y = β (pixels), one point per snapshot. */
export function offsetPaths(snapshots: OffsetSnapshot[], layer: string, channels: number[]): Series[] {
  const values = snapshotLayer(snapshots, layer, 'offsetPaths');
  const c = values[0].length / 2;
  return channels.map((ch) => {
    if (!Number.isInteger(ch) || ch < 0 || ch >= c) throw new Error(`offsetPaths: channel must be an integer in [0, ${c - 1}] for '${layer}', got ${ch}`);
    return { name: `${layer} ch ${ch}`, x: values.map((v) => v[2 * ch]), y: values.map((v) => v[2 * ch + 1]) };
  });
}

/** The `count` channels of a layer that moved farthest between the first and last snapshot (most interesting paths). */
export function mostMovedChannels(snapshots: OffsetSnapshot[], layer: string, count: number): number[] {
  const values = snapshotLayer(snapshots, layer, 'mostMovedChannels');
  requirePositiveInteger(count, 'mostMovedChannels: count', 'channels to return');
  const first = values[0];
  const lastV = values[values.length - 1];
  const moved = Array.from({ length: first.length / 2 }, (_, c) => ({ c, d: Math.hypot(lastV[2 * c] - first[2 * c], lastV[2 * c + 1] - first[2 * c + 1]) }));
  moved.sort((a, b) => b.d - a.d || a.c - b.c);
  return moved.slice(0, count).map((m) => m.c);
}

/** Histogram with equal bins of `binWidth` starting at ⌊min/binWidth⌋·binWidth; counts sum to values.length. */
export interface Histogram {
  /** Left edge of each bin. */
  binStarts: number[];
  binWidth: number;
  counts: number[];
}

/** Bins `values` into equal bins of width `binWidth` (a value on an edge goes to the bin on its right). */
export function histogram(values: ArrayLike<number>, binWidth: number): Histogram {
  if (!(typeof binWidth === 'number' && Number.isFinite(binWidth) && binWidth > 0)) throw new Error(`histogram: binWidth must be a number > 0, got ${String(binWidth)}`);
  if (values.length === 0) throw new Error('histogram: values must not be empty');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`histogram: value ${i} is not finite (${v})`);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const first = Math.floor(lo / binWidth);
  const bins = Math.floor(hi / binWidth) - first + 1;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.floor(values[i] / binWidth) - first]++;
  return { binStarts: counts.map((_, i) => (first + i) * binWidth), binWidth, counts };
}

/** All offset coordinates of the given layers as one array (for a histogram of every learned offset). */
export function allOffsetValues(offsets: Record<string, Float32Array>): number[] {
  const out: number[] = [];
  for (const v of Object.values(offsets)) out.push(...Array.from(v));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// A training run that keeps the offsets

/**
 * What {@link trainShiftModel} trains: a registered model (e.g. 'as_resnet', 'fe_net') on a data set, described as
 * for `runExperiment`, plus which offsets to record.
 */
export interface ShiftTrainingSpec
  extends Pick<ExperimentSpec, keyof LoadDataOptions | 'model' | 'modelConfig' | 'dataset' | 'epochs' | 'batchSize' | 'learningRate' | 'optimizer' | 'weightDecay' | 'warmupEpochs' | 'labelSmoothing' | 'label' | 'progress'> {
  /** Shift layers whose offsets are recorded during training (default: 3 spread over the depth). */
  recordLayers?: string[];
  /** Record every N optimizer steps (default 5). */
  everySteps?: number;
}

/** Result of {@link trainShiftModel}. */
export interface ShiftTrainingResult {
  label: string;
  top1: number;
  top5: number;
  /** All weights (tfjs countParams). */
  params: number;
  /** MACs for one image (conv/FC only). */
  macs: number;
  history: EpochRecord[];
  wallSeconds: number;
  imagesPerSec: number;
  trainImages: number;
  testImages: number;
  /** Offsets of `recordLayers` over training (first = before the first step, last = after the last). */
  snapshots: OffsetSnapshot[];
  /** Final offsets of every shift layer. */
  finalOffsets: Record<string, Float32Array>;
  /** Sparse-shift statistics over every SparseShift layer (absent when the model has none). */
  sparse?: SparseShiftStats;
}

/**
 * Trains a registered shift-family model with the same data loading, recipe and seeding as `runExperiment`,
 * recording offsets while it trains, and evaluates it.
 * Not cached: offset trajectories only exist while the model trains.
 */
export async function trainShiftModel(spec: ShiftTrainingSpec): Promise<ShiftTrainingResult> {
  const data = loadData(spec.dataset, spec);
  const config = experimentConfig({ ...spec, model: spec.model }, data);
  const model = buildSeeded(spec, data, config.modelConfig);
  try {
    const layers = spec.recordLayers ?? spreadLayerNames(model, 3);
    const label = spec.label ?? spec.model;
    const inner = typeof spec.progress === 'object' ? spec.progress : createProgress({ title: `train ${label} on ${data.train.name}`, mode: spec.progress ?? 'auto' });
    const { reporter, snapshots } = offsetRecorder(model, layers, spec.everySteps ?? 5, inner);
    const result = await train(model, data.train, { ...config.training, normalization: data.normalization, progress: reporter });
    const evaluation = evaluate(model, data.test, { normalization: data.normalization });
    const hasSparse = model.layers.some((l) => l instanceof SparseShift);
    return {
      label, top1: evaluation.top1, top5: evaluation.top5, params: model.countParams(), macs: costOf(model).macs,
      history: result.history, wallSeconds: result.wallSeconds, imagesPerSec: result.imagesPerSec,
      trainImages: data.train.count, testImages: data.test.count,
      snapshots, finalOffsets: readOffsets(model), sparse: hasSparse ? sparseShiftStats(model) : undefined,
    };
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// FE-Net: the two down-sampling accountings

/** One row of {@link feNetAccountings}. */
export interface FeNetAccountingRow {
  width: number;
  downsampling: 'code' | 'paper';
  /** Conv/FC weights + SSL offsets (W convention), one 224² image. */
  params: number;
  macs: number;
  /** Published MAdds for this width (301 M at 1.0×, 563 M at 1.375×). */
  publishedMacs: number;
  /** (ours − published) / published. */
  macsRelDiff: number;
}

/** Published FE-Net MAdds (P-SSL / SSL-REPO README) by width. */
export const FE_NET_PUBLISHED_MACS: Record<string, number> = { '1': 301e6, '1.375': 563e6 };

/** ImageNet-scale cost of FE-Net at each published width in both IBPool orders ('code' and 'paper'). */
export function feNetAccountings(widths: number[] = [1, 1.375]): FeNetAccountingRow[] {
  const rows: FeNetAccountingRow[] = [];
  for (const width of widths) {
    const publishedMacs = FE_NET_PUBLISHED_MACS[String(width)];
    if (publishedMacs === undefined) throw new Error(`feNetAccountings: no published MAdds for width ${width}; published widths: ${Object.keys(FE_NET_PUBLISHED_MACS).join(', ')}`);
    for (const downsampling of ['code', 'paper'] as const) {
      const model = buildModel('fe_net', { width, downsampling, dataset: 'imagenet' });
      try {
        const report = costOf(model);
        rows.push({ width, downsampling, params: report.params.weights, macs: report.macs, publishedMacs, macsRelDiff: (report.macs - publishedMacs) / publishedMacs });
      } finally {
        model.dispose();
      }
    }
  }
  return rows;
}
