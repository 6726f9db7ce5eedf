/**
 * Sparse Shift Layer (SSL; Chen, Xie, Zhang, Pu, "All You Need is a Few Shifts", CVPR 2019 — FE-Net;
 * docs/sources.md §4.8, §5.16 and "SSL").
 *
 * Learnable real offsets `offsets` [C, 2] (column 0 = a = x, column 1 = b = y, pixels; 2·C params while training).
 * Forward: channel m is shifted by the INTEGER offset (round(b_m), round(a_m)) with zero fill — output(h, w) =
 * input(h·s + round(b), w·s + round(a)) — so inference is a zero-FLOP shift. Backward (quantization-aware,
 * straight-through style, SSL-REPO `ssl_cuda_kernels.cu`): the input gradient goes back through the same integer
 * shift, while ∂L/∂a, ∂L/∂b are the bilinear-interpolation (ASL) derivative evaluated at the REAL-valued offsets.
 * Rounding is half away from zero (C's `round()`, as in the CUDA kernel), so ±0.5 moves.
 *
 * Sparsity: `penalty` adds λ·Σ|offsets| as the weight's L1 regularizer (the paper's "shift operation penalty"),
 * which `model.fit` adds to the loss; channels whose rounded offset is (0, 0) need no memory movement.
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import { checkOffsetsShape } from './active-shift';
import { checkOffsetValues } from './offsets-init';
import {
  BILINEAR_CORNERS,
  bilinearOffsetGradFromDots,
  cornerDots,
  offsetFloors,
  fractions,
  INTEGER_CORNER,
  shiftGeometry,
  shiftOutputLength,
  shiftWeighted,
  shiftWeightedAdjoint,
} from './shift-gather';
import { shiftOffsets } from './shift';
import { BaseLayerArgs, nhwcDims, requireNonNegativeNumber, requirePositiveInt, singleShape } from './validate';

/** Options of {@link sparseShiftTensor}. */
export interface SparseShiftOptions {
  /** Output stride (pixels); output side ⌊(L − 1)/s⌋ + 1. Default 1. */
  stride?: number;
}

/** Rounds half away from zero (C `round()`): 0.5 → 1, −0.5 → −1, 1.49 → 1. */
export function roundHalfAwayFromZero(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** Per-channel rounded integer offsets (baseX from column 0, baseY from column 1). */
function roundedOffsets(values: ArrayLike<number>, channels: number): { baseX: Int32Array; baseY: Int32Array } {
  const baseX = new Int32Array(channels);
  const baseY = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    baseX[c] = roundHalfAwayFromZero(values[2 * c]);
    baseY[c] = roundHalfAwayFromZero(values[2 * c + 1]);
  }
  return { baseX, baseY };
}

/**
 * Quantized per-channel shift. x: [N, H, W, C], offsets: [C, 2] (a = x, b = y, real, pixels) → [N, H′, W′, C],
 * H′ = ⌊(H − 1)/s⌋ + 1. Forward uses round(offsets); gradients as described in the module doc.
 */
export function sparseShiftTensor(x: tf.Tensor4D, offsets: tf.Tensor2D, opts: SparseShiftOptions = {}): tf.Tensor4D {
  const stride = requirePositiveInt(opts.stride ?? 1, 'sparseShiftTensor: stride');
  if (x.rank !== 4) throw new Error(`sparseShiftTensor: x must be [N, H, W, C], got shape [${x.shape.join(', ')}].`);
  const g = shiftGeometry(x.shape, stride, 0);
  checkOffsetsShape(offsets, g.channels, 'sparseShiftTensor');
  const op = tf.customGrad((xIn: tf.Tensor | tf.GradSaveFunc, offIn: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const xt = xIn as tf.Tensor4D;
    const off = offIn as tf.Tensor2D;
    const values = off.dataSync();
    const rounded = roundedOffsets(values, g.channels);
    const value = tf.tidy(() => shiftWeighted(xt, g, rounded.baseY, rounded.baseX, INTEGER_CORNER, tf.ones([1, g.channels]) as tf.Tensor2D));
    (save as tf.GradSaveFunc)([xt, off]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [xs, offs] = saved as [tf.Tensor4D, tf.Tensor2D];
        // Input gradient: the adjoint of the integer shift actually applied in the forward pass.
        const ones = tf.ones([1, g.channels]) as tf.Tensor2D;
        const dx = shiftWeightedAdjoint(dy as tf.Tensor4D, g, rounded.baseY, rounded.baseX, INTEGER_CORNER, ones);
        // Offset gradient: the bilinear derivative at the real-valued offsets (quantization-aware).
        const floors = offsetFloors(values as Float32Array, g.channels);
        const dots = cornerDots(xs, dy as tf.Tensor4D, g, floors.baseY, floors.baseX, BILINEAR_CORNERS);
        const { fx, fy } = fractions(offs);
        const dOffsets = bilinearOffsetGradFromDots(dots, fx, fy, false);
        return [dx, dOffsets];
      });
    return { value, gradFunc };
  });
  return op(x, offsets) as tf.Tensor4D;
}

/** How the offsets start: 'grid' = ShiftNet's 3×3 directions (shiftOffsets(C, 3)), 'zero', or 'uniform' in [−1, 1]. */
export type SparseShiftInitialisation = 'grid' | 'zero' | 'uniform';

const INITIALISATIONS: SparseShiftInitialisation[] = ['grid', 'zero', 'uniform'];

/** Arguments of {@link SparseShift}. */
export interface SparseShiftArgs extends BaseLayerArgs {
  /** Output stride (pixels). Default 1. */
  stride?: number;
  /** λ of the L1 sparsity penalty λ·Σ|offsets| (the weight's regularizer). Default 0 (none). */
  penalty?: number;
  /**
   * Default 'grid': SSL-REPO `SSL2d` intends 9 equal groups with offsets {−1,0,1}² (remainder at 0); its Python-3
   * float division actually spreads them over [−1, 2) — the intended grid is used here.
   */
  initialisation?: SparseShiftInitialisation;
  /** Explicit initial offsets, one [a, b] = [x, y] pair per channel (overrides `initialisation`); checked at build. */
  offsetInitializer?: number[][];
  /** Layer name. */
  name?: string;
}

/** SSL layer, NHWC: 2·C params while training, 0 MACs (integer shift). */
export class SparseShift extends tf.layers.Layer implements CostAware {
  /** @nocollapse */
  static className = 'SparseShift';
  readonly stride: number;
  readonly penalty: number;
  readonly initialisation: SparseShiftInitialisation;
  readonly offsetInitializer: number[][] | undefined;
  private offsets: tf.LayerVariable | null = null;

  constructor(args: SparseShiftArgs = {}) {
    super(args);
    const who = `SparseShift '${args.name ?? this.name}'`;
    this.stride = requirePositiveInt(args.stride ?? 1, `${who}: stride`);
    this.penalty = requireNonNegativeNumber(args.penalty ?? 0, `${who}: penalty`);
    const init = args.initialisation ?? 'grid';
    if (!INITIALISATIONS.includes(init)) {
      throw new Error(`${who}: initialisation must be one of ${INITIALISATIONS.join(', ')}, got '${String(init)}'.`);
    }
    this.initialisation = init;
    this.offsetInitializer = args.offsetInitializer;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const who = `SparseShift '${this.name}'`;
    const [, , c] = nhwcDims(singleShape(inputShape), who);
    let values: Float32Array | null = null;
    if (this.offsetInitializer !== undefined) {
      values = checkOffsetValues(this.offsetInitializer, c, who);
    } else if (this.initialisation === 'grid') {
      values = new Float32Array(2 * c);
      shiftOffsets(c, 3).forEach(([dy, dx], ch) => {
        values![2 * ch] = dx;
        values![2 * ch + 1] = dy;
      });
    }
    const init = this.initialisation === 'uniform' && values === null
      ? tf.initializers.randomUniform({ minval: -1, maxval: 1 })
      : tf.initializers.zeros();
    const regularizer = this.penalty > 0 ? tf.regularizers.l1({ l1: this.penalty }) : undefined;
    this.offsets = this.addWeight('offsets', [c, 2], 'float32', init, regularizer);
    if (values !== null) this.offsets.write(tf.tensor2d(values, [c, 2]));
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    const [h, w, c] = nhwcDims(shape, `SparseShift '${this.name}'`);
    return [shape[0], shiftOutputLength(h, this.stride, 0), shiftOutputLength(w, this.stride, 0), c];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return sparseShiftTensor(x, (this.offsets as tf.LayerVariable).read() as tf.Tensor2D, { stride: this.stride });
  }

  /** Integer shift: 0 multiply-accumulates. */
  macs(_inputShapes: number[][]): number {
    return 0;
  }

  /** Current offsets [C, 2] as JS numbers (a = x, b = y); throws before build. */
  offsetValues(): Float32Array {
    if (this.offsets === null) throw new Error(`SparseShift '${this.name}' is not built yet; apply it to an input first.`);
    return this.offsets.read().dataSync() as Float32Array;
  }

  getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      stride: this.stride,
      penalty: this.penalty,
      initialisation: this.initialisation,
    };
    if (this.offsetInitializer !== undefined) config.offsetInitializer = this.offsetInitializer;
    return config;
  }
}
tf.serialization.registerClass(SparseShift);

/** Factory for {@link SparseShift}. */
export function sparseShift(args: SparseShiftArgs = {}): SparseShift {
  return new SparseShift(args);
}

/** Sparsity of the learned shifts: `still` channels have rounded offset (0, 0) and need no memory movement. */
export interface SparseShiftStats {
  channels: number;
  still: number;
  fractionStill: number;
}

function collectSparseShifts(layer: tf.layers.Layer, into: SparseShift[]): void {
  if (layer instanceof SparseShift) {
    into.push(layer);
    return;
  }
  const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
  if (Array.isArray(nested)) nested.forEach((l) => collectSparseShifts(l, into));
}

/** Counts SSL channels and still (rounded (0, 0)) channels in one SparseShift layer or over every one in a model. */
export function sparseShiftStats(layerOrModel: tf.layers.Layer | tf.LayersModel): SparseShiftStats {
  const layers: SparseShift[] = [];
  collectSparseShifts(layerOrModel as tf.layers.Layer, layers);
  if (layers.length === 0) {
    throw new Error(`sparseShiftStats: '${layerOrModel.name}' contains no SparseShift layer; pass a SparseShift or a model that has one.`);
  }
  let channels = 0;
  let still = 0;
  for (const layer of layers) {
    const v = layer.offsetValues();
    for (let c = 0; c < v.length / 2; c++) {
      channels++;
      if (roundHalfAwayFromZero(v[2 * c]) === 0 && roundHalfAwayFromZero(v[2 * c + 1]) === 0) still++;
    }
  }
  return { channels, still, fractionStill: still / channels };
}
