/**
 * Active Shift Layer (ASL; Jeon & Kim, "Constructing Fast Network through Deconstruction of Convolution",
 * NeurIPS 2018; docs/sources.md §4.7, §5.15 and "ASL forward/backward").
 *
 * Each channel m has learnable real offsets α_m (x) and β_m (y), stored as ONE weight `offsets` [C, 2] (column 0 = α,
 * column 1 = β; 2·C params). The output samples the input at (h·s − pad + β, w·s − pad + α) by bilinear
 * interpolation with zeros outside the image: with x₁ = ⌊α⌋, fx = α − x₁, y₁ = ⌊β⌋, fy = β − y₁, it is the weighted sum
 * (1−fx)(1−fy)·S00 + fx(1−fy)·S01 + (1−fx)fy·S10 + fx·fy·S11 of four integer-shifted copies S_ij = I(·+y₁+i, ·+x₁+j).
 * Forward and backward are written explicitly with `tf.customGrad` (single-pass kernels on wasm, gathers elsewhere); the offset
 * gradient is ASL-REPO's ∂out/∂α = (1−fy)(S01−S00) + fy(S11−S10), ∂out/∂β = (1−fx)(S10−S00) + fx(S11−S01)
 * (one-sided at lattice points, where the function is not differentiable).
 *
 * Offsets of any magnitude work in the op (a channel whose sample window leaves the image yields zeros); the integer
 * parts are read to the CPU once per call to build the gather indices. The layer carries the authors' training
 * stabilisers (ASL-REPO prototxts): the offsets train at 0.01× the base learning rate (`lr_mult: 0.01`; the training
 * loop reads {@link ActiveShift.learningRateMultiplier}), without weight decay (`decay_mult: 0`), with per-channel
 * unit-length gradients (`normalize: true`), and — our addition — bounded to the feature map ({@link OffsetBound}).
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import type { LearningRateScaled } from '../train/parameter-groups';
import { checkOffsetValues } from './offsets-init';
import { defaultOffsetBound, OffsetBound } from './offset-bound';
import {
  BILINEAR_CORNERS,
  bilinearOffsetGradFromDots,
  bilinearWeightMatrix,
  cornerDots,
  offsetFloors,
  fractions,
  shiftGeometry,
  shiftOutputLength,
  shiftWeighted,
  shiftWeightedAdjoint,
} from './shift-gather';
import { BaseLayerArgs, nhwcDims, requireNonNegativeInt, requireNonNegativeNumber, requirePositiveInt, singleShape } from './validate';

/** Options of {@link activeShiftTensor}. */
export interface ActiveShiftOptions {
  /** Output stride s (pixels). Default 1. */
  stride?: number;
  /** Zero padding on each side (pixels). Default 0. */
  padding?: number;
  /** Scale each channel's (∂α, ∂β) to unit length in the backward pass (Caffe ASL `normalize: true`). Default false. */
  normalizeGrad?: boolean;
}

/** Throws unless offsets is [C, 2] for an input with C channels. */
export function checkOffsetsShape(offsets: tf.Tensor, channels: number, who: string): void {
  if (offsets.rank !== 2 || offsets.shape[0] !== channels || offsets.shape[1] !== 2) {
    throw new Error(`${who}: offsets must have shape [C, 2] = [${channels}, 2] (α = x, β = y per channel), got [${offsets.shape.join(', ')}].`);
  }
}

/**
 * Bilinear per-channel shift. x: [N, H, W, C], offsets: [C, 2] (α = x, β = y, pixels) → [N, H′, W′, C] with
 * H′ = ⌊(H + 2·pad − 1)/s⌋ + 1. Differentiable w.r.t. x and offsets (explicit backward).
 */
export function activeShiftTensor(x: tf.Tensor4D, offsets: tf.Tensor2D, opts: ActiveShiftOptions = {}): tf.Tensor4D {
  const stride = requirePositiveInt(opts.stride ?? 1, 'activeShiftTensor: stride');
  const pad = requireNonNegativeInt(opts.padding ?? 0, 'activeShiftTensor: padding');
  const normalize = opts.normalizeGrad ?? false;
  if (x.rank !== 4) throw new Error(`activeShiftTensor: x must be [N, H, W, C], got shape [${x.shape.join(', ')}].`);
  const g = shiftGeometry(x.shape, stride, pad);
  checkOffsetsShape(offsets, g.channels, 'activeShiftTensor');
  const op = tf.customGrad((xIn: tf.Tensor | tf.GradSaveFunc, offIn: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const xt = xIn as tf.Tensor4D;
    const off = offIn as tf.Tensor2D;
    const { baseX, baseY } = offsetFloors(off.dataSync() as Float32Array, g.channels);
    const value = tf.tidy(() => {
      const { fx, fy } = fractions(off);
      return shiftWeighted(xt, g, baseY, baseX, BILINEAR_CORNERS, bilinearWeightMatrix(fx, fy));
    });
    (save as tf.GradSaveFunc)([xt, off]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [xs, offs] = saved as [tf.Tensor4D, tf.Tensor2D];
        const { fx, fy } = fractions(offs);
        // Input gradient: the adjoint of the weighted four-corner shift.
        const dx = shiftWeightedAdjoint(dy as tf.Tensor4D, g, baseY, baseX, BILINEAR_CORNERS, bilinearWeightMatrix(fx, fy));
        const dots = cornerDots(xs, dy as tf.Tensor4D, g, baseY, baseX, BILINEAR_CORNERS);
        const dOffsets = bilinearOffsetGradFromDots(dots, fx, fy, normalize);
        return [dx, dOffsets];
      });
    return { value, gradFunc };
  });
  return op(x, offsets) as tf.Tensor4D;
}

/** Arguments of {@link ActiveShift}. */
export interface ActiveShiftArgs extends BaseLayerArgs {
  /** Output stride (pixels). Default 1. */
  stride?: number;
  /** Zero padding on each side (pixels). Default 0. */
  padding?: number;
  /** Per-channel unit-length normalisation of the offset gradient (Caffe `normalize: true`). Default false. */
  normalizeGrad?: boolean;
  /** Offsets start uniform in [−initRadius, +initRadius] (ASL-REPO `base_radius`, default 1). 0 → all zero. */
  initRadius?: number;
  /** Learning rate of the offsets as a multiple of the base rate (Caffe `lr_mult`; > 0). Default 0.01 (ASL-REPO). */
  offsetLearningRate?: number;
  /**
   * Largest |offset| in pixels, enforced after every optimizer step; 'auto' (default) = {@link defaultOffsetBound} of
   * the input map (4×4 → 1.5 px), `null` = unbounded.
   */
  maxOffset?: number | 'auto' | null;
  /** Explicit initial offsets, one [α, β] pair per channel (overrides initRadius); checked against C at build. */
  offsetInitializer?: number[][];
  /** Layer name. */
  name?: string;
}

/**
 * ASL layer, NHWC: 2·C params (`offsets` [C, 2]). Reports 0 MACs by the project convention (conv/FC only); the
 * bilinear interpolation actually costs ≈ 4·C·H′W′ multiplies (4 weights per output value), small next to the
 * surrounding 1×1 convs.
 */
export class ActiveShift extends tf.layers.Layer implements CostAware, LearningRateScaled {
  /** @nocollapse */
  static className = 'ActiveShift';
  readonly stride: number;
  readonly padding: number;
  readonly normalizeGrad: boolean;
  readonly initRadius: number;
  readonly offsetInitializer: number[][] | undefined;
  readonly offsetLearningRate: number;
  readonly maxOffset: number | 'auto' | null;
  private offsets: tf.LayerVariable | null = null;

  constructor(args: ActiveShiftArgs = {}) {
    super(args);
    const who = `ActiveShift '${args.name ?? this.name}'`;
    this.stride = requirePositiveInt(args.stride ?? 1, `${who}: stride`);
    this.padding = requireNonNegativeInt(args.padding ?? 0, `${who}: padding`);
    this.normalizeGrad = args.normalizeGrad ?? false;
    this.initRadius = requireNonNegativeNumber(args.initRadius ?? 1, `${who}: initRadius`);
    this.offsetInitializer = args.offsetInitializer;
    this.offsetLearningRate = args.offsetLearningRate ?? 0.01;
    if (!(this.offsetLearningRate > 0) || !Number.isFinite(this.offsetLearningRate)) {
      throw new Error(`${who}: offsetLearningRate must be a positive multiple of the base learning rate (ASL-REPO: 0.01), got ${args.offsetLearningRate}`);
    }
    const m = args.maxOffset === undefined ? 'auto' : args.maxOffset;
    if (!(m === 'auto' || m === null || (typeof m === 'number' && m > 0 && Number.isFinite(m)))) {
      throw new Error(`${who}: maxOffset must be 'auto', null (unbounded) or a positive number of pixels, got ${JSON.stringify(args.maxOffset)}`);
    }
    this.maxOffset = m;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const who = `ActiveShift '${this.name}'`;
    const [h, w, c] = nhwcDims(singleShape(inputShape), who);
    const explicit = this.offsetInitializer === undefined ? null : checkOffsetValues(this.offsetInitializer, c, who);
    const r = this.initRadius;
    const init = r === 0 || explicit !== null ? tf.initializers.zeros() : tf.initializers.randomUniform({ minval: -r, maxval: r });
    const bound = this.maxOffset === 'auto' ? defaultOffsetBound(h, w) : this.maxOffset;
    const constraint = bound === null ? undefined : (new OffsetBound({ bound }) as unknown as Parameters<tf.layers.Layer['addWeight']>[6]);
    this.offsets = this.addWeight('offsets', [c, 2], 'float32', init, undefined, true, constraint);
    if (explicit !== null) this.offsets.write(tf.tensor2d(explicit, [c, 2]));
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    const [h, w, c] = nhwcDims(shape, `ActiveShift '${this.name}'`);
    return [shape[0], shiftOutputLength(h, this.stride, this.padding), shiftOutputLength(w, this.stride, this.padding), c];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const offsets = (this.offsets as tf.LayerVariable).read() as tf.Tensor2D;
    return activeShiftTensor(x, offsets, { stride: this.stride, padding: this.padding, normalizeGrad: this.normalizeGrad });
  }

  /** The offsets train at `offsetLearningRate` × the base rate; read by the training loop (train/parameter-groups.ts). */
  learningRateMultiplier(weight: tf.LayerVariable): number {
    return weight === this.offsets ? this.offsetLearningRate : 1;
  }

  /** 0 by convention: interpolation multiplies (≈ 4·C·H′W′) are not counted as MACs; only conv/FC are. */
  macs(_inputShapes: number[][]): number {
    return 0;
  }

  getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      stride: this.stride,
      padding: this.padding,
      normalizeGrad: this.normalizeGrad,
      initRadius: this.initRadius,
      offsetLearningRate: this.offsetLearningRate,
      maxOffset: this.maxOffset,
    };
    if (this.offsetInitializer !== undefined) config.offsetInitializer = this.offsetInitializer;
    return config;
  }
}
tf.serialization.registerClass(ActiveShift);

/** Factory for {@link ActiveShift}. */
export function activeShift(args: ActiveShiftArgs = {}): ActiveShift {
  return new ActiveShift(args);
}
