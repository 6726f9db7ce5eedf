/**
 * Native element-wise, reduction and normalisation kernels (native/src/elementwise.c), in place on the wasm heap:
 * our range-mask and batch-norm gradients, Mean/Sum over leading axes, FusedBatchNorm, and the channel shifts of
 * ActiveShift/SparseShift (src/lib/wasm-kernels/channel-shift.ts). Each declines (null) every case it does not
 * implement, which then runs on the kernel registered before it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../addon';
import { RANGE_MASK_GRAD, RangeMaskAttrs } from '../../wasm-kernels/range-mask-grad';
import { BATCH_NORM_GRAD } from '../../wasm-kernels/batch-norm-grad';
import {
  CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, ChannelShiftAttrs,
} from '../../wasm-kernels/channel-shift';
import { allFloat32, heapF32, KernelArgs, NativeOverride } from './override';

/** The addon functions of native/src/elementwise.c (sizes in floats; outputs written in place). */
export interface ElementwiseAddon {
  /** dy, x, dx [n]: dx = dy where lower <(=) x ≤ upper; NaN x → NaN if nanPropagates (1) else 0; else 0. */
  rangeMaskGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, n: number, lower: number, lowerInclusive: number,
    upper: number, nanPropagates: number): void;
  /** x, dy, dx [rows, C]; mean, variance, scale, dMean, dVariance, dScale, dOffset [C]. */
  batchNormGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array,
    eps: number, rows: number, C: number, dx: Float32Array, dMean: Float32Array, dVariance: Float32Array,
    dScale: Float32Array, dOffset: Float32Array): void;
  /** x [rows, inner] → out [inner] = scale · Σ over rows. */
  reduceLeading(x: Float32Array, rows: number, inner: number, scale: number, out: Float32Array): void;
  /** x, out [rows, C]; mean, variance, offset, scale: C values or 1 (offset/scale may be null). */
  batchNormInference(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, eps: number, rows: number, C: number, out: Float32Array): void;
  /** x [n,h,w,c], weights/offY/offX [k,c] → out [n,oh,ow,c] (see src/lib/wasm-kernels/channel-shift.ts). */
  channelShift(x: Float32Array, weights: Float32Array, offY: Int32Array, offX: Int32Array, n: number, h: number,
    w: number, c: number, oh: number, ow: number, stride: number, k: number, out: Float32Array): void;
  /** dy [n,oh,ow,c], weights/offY/offX [k,c] → dx [n,h,w,c] (the adjoint of channelShift). */
  channelShiftAdjoint(dy: Float32Array, weights: Float32Array, offY: Int32Array, offX: Int32Array, n: number,
    h: number, w: number, c: number, oh: number, ow: number, stride: number, k: number, dx: Float32Array): void;
  /** x [n,h,w,c], dy [n,oh,ow,c], offY/offX [k,c] → out [k,c] = Σ dy · shifted x per tap. */
  channelShiftCornerDots(x: Float32Array, dy: Float32Array, offY: Int32Array, offX: Int32Array, n: number, h: number,
    w: number, c: number, oh: number, ow: number, stride: number, k: number, out: Float32Array): void;
}

function ew(addon: NativeAddon): ElementwiseAddon {
  return addon as unknown as ElementwiseAddon;
}

/** RANGE_MASK_GRAD: dy, x (same shape, float32) → dx; declines other dtypes, mismatched or empty shapes. */
export function rangeMaskGradNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { dy, x } = args.inputs;
  if (dy === undefined || x === undefined || !allFloat32(dy, x) || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
  const n = tf.util.sizeFromShape(x.shape);
  if (n === 0) return null;
  const { lower, lowerInclusive, upper, nanPropagates } = args.attrs as unknown as RangeMaskAttrs;
  const out = backend.makeOutput(x.shape, 'float32');
  ew(addon).rangeMaskGrad(heapF32(backend, dy), heapF32(backend, x), heapF32(backend, out), n, lower,
    lowerInclusive ? 1 : 0, upper, nanPropagates ? 1 : 0);
  return out;
}

/**
 * BATCH_NORM_GRAD: x, dy [..., C]; mean, variance, scale [C] → [dx, dMean, dVariance, dScale, dOffset]; declines
 * other dtypes, empty x, or statistics whose size is not C.
 */
export function batchNormGradNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo[] | null {
  const { x, dy, mean, variance, scale } = args.inputs;
  if (x === undefined || dy === undefined || mean === undefined || variance === undefined || scale === undefined) return null;
  if (!allFloat32(x, dy, mean, variance, scale) || x.shape.length === 0 || !tf.util.arraysEqual(x.shape, dy.shape)) return null;
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (c === 0 || size === 0) return null;
  for (const t of [mean, variance, scale]) if (tf.util.sizeFromShape(t.shape) !== c) return null;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const outs = [
    backend.makeOutput(x.shape, 'float32'),
    backend.makeOutput([c], 'float32'),
    backend.makeOutput([c], 'float32'),
    backend.makeOutput([c], 'float32'),
    backend.makeOutput([c], 'float32'),
  ];
  // Views only after every makeOutput: a heap growth detaches earlier ones.
  const [dx, dMean, dVar, dScale, dOffset] = outs.map((o) => heapF32(backend, o));
  ew(addon).batchNormGrad(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, mean), heapF32(backend, variance),
    heapF32(backend, scale), eps, size / c, c, dx, dMean, dVar, dScale, dOffset);
  return outs;
}

/** Number of leading axes if `axis` is exactly 0..k−1 with 0 < k < rank (negative axes allowed), else null. */
export function leadingAxisCount(axis: number | number[], rank: number): number | null {
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  if (list.length === 0 || list.length >= rank) return null;
  for (let i = 0; i < list.length; i++) if (list[i] !== i) return null;
  return list.length;
}

/** Mean (average) or Sum over leading axes: x [d0..dk−1, rest] → [rest] (keepDims: [1…1, rest]); declines others. */
function leadingReduction(average: boolean) {
  return (args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null => {
    const { x } = args.inputs;
    if (x === undefined || x.dtype !== 'float32') return null;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const count = leadingAxisCount(axis, x.shape.length);
    const size = tf.util.sizeFromShape(x.shape);
    if (count === null || size === 0) return null;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, count));
    const kept = x.shape.slice(count);
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, count).map(() => 1), ...kept] : kept, 'float32');
    ew(addon).reduceLeading(heapF32(backend, x), rows, size / rows, average ? 1 / rows : 1, heapF32(backend, out));
    return out;
  };
}

/** Mean over leading axes (NHWC [0,1,2]: batch-norm moments); other axis patterns and dtypes decline. */
export const meanLeadingNative = leadingReduction(true);

/** Sum over leading axes (bias gradients); other axis patterns and dtypes decline. */
export const sumLeadingNative = leadingReduction(false);

/**
 * FusedBatchNorm: x [..., C]; mean, variance, offset?, scale? each of size C or 1 → (x − mean)·scale/√(var+ε) + offset.
 * Declines other dtypes, empty x, and parameter sizes other than C or 1 (the wasm kernel broadcasts those cyclically).
 */
export function fusedBatchNormNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x, mean, variance, offset, scale } = args.inputs;
  if (x === undefined || mean === undefined || variance === undefined || x.shape.length === 0) return null;
  const params = [mean, variance, ...(offset != null ? [offset] : []), ...(scale != null ? [scale] : [])];
  if (!allFloat32(x, ...params)) return null;
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (c === 0 || size === 0) return null;
  for (const t of params) {
    const n = tf.util.sizeFromShape(t.shape);
    if (n !== c && n !== 1) return null;
  }
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const out = backend.makeOutput(x.shape, 'float32');
  ew(addon).batchNormInference(heapF32(backend, x), heapF32(backend, mean), heapF32(backend, variance),
    offset != null ? heapF32(backend, offset) : null, scale != null ? heapF32(backend, scale) : null, eps, size / c, c,
    heapF32(backend, out));
  return out;
}

/**
 * Per (tap, channel) offsets as in channel-shift.ts (input row = ho·s + offY[k·C + c]); null when the attributes do
 * not fit the tensors (then the TypeScript kernel runs and reports the problem).
 */
function shiftOffsets(a: ChannelShiftAttrs, channels: number): { offY: Int32Array; offX: Int32Array } | null {
  const k = a.cornerY.length;
  if (k === 0 || a.cornerX.length !== k || a.baseY.length !== channels || a.baseX.length !== channels) return null;
  if (!Number.isInteger(a.stride) || a.stride < 1 || !Number.isInteger(a.pad)) return null;
  const offY = new Int32Array(k * channels);
  const offX = new Int32Array(k * channels);
  for (let t = 0; t < k; t++) {
    for (let c = 0; c < channels; c++) {
      const y = a.baseY[c] + a.cornerY[t] - a.pad;
      const x = a.baseX[c] + a.cornerX[t] - a.pad;
      if (!Number.isInteger(y) || !Number.isInteger(x) || Math.abs(y) > 2 ** 30 || Math.abs(x) > 2 ** 30) return null;
      offY[t * channels + c] = y;
      offX[t * channels + c] = x;
    }
  }
  return { offY, offX };
}

/** Which channel-shift kernel: inputs (a, b), output shape and addon function. */
type ShiftMode = 'forward' | 'adjoint' | 'dots';

function channelShiftNative(mode: ShiftMode) {
  return (args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null => {
    const a = args.attrs as unknown as ChannelShiftAttrs;
    const [first, second] = mode === 'forward' ? [args.inputs.x, args.inputs.weights]
      : mode === 'adjoint' ? [args.inputs.dy, args.inputs.weights] : [args.inputs.x, args.inputs.dy];
    if (first === undefined || second === undefined || !allFloat32(first, second) || first.shape.length !== 4) return null;
    const [n, h0, w0, c] = first.shape;
    const k = a.cornerY.length;
    const { height: h, width: w, outHeight: oh, outWidth: ow } = a;
    // The image side of the shift must match the tensors: x is [n, h, w, c], dy is [n, oh, ow, c].
    if (mode === 'adjoint' ? h0 !== oh || w0 !== ow : h0 !== h || w0 !== w) return null;
    if (mode === 'dots') {
      if (!tf.util.arraysEqual(second.shape, [n, oh, ow, c])) return null;
    } else if (tf.util.sizeFromShape(second.shape) !== k * c) return null;
    if (n * c * Math.max(h * w, oh * ow) === 0) return null;
    const offsets = shiftOffsets(a, c);
    if (offsets === null) return null;
    const out = backend.makeOutput(mode === 'forward' ? [n, oh, ow, c] : mode === 'adjoint' ? [n, h, w, c] : [k, c], 'float32');
    const fn = mode === 'forward' ? ew(addon).channelShift : mode === 'adjoint' ? ew(addon).channelShiftAdjoint
      : ew(addon).channelShiftCornerDots;
    fn(heapF32(backend, first), heapF32(backend, second), offsets.offY, offsets.offX, n, h, w, c, oh, ow, a.stride, k,
      heapF32(backend, out));
    return out;
  };
}

/** CHANNEL_SHIFT: x [N,H,W,C], weights [K,C] → [N,outHeight,outWidth,C]; declines attrs that do not fit the tensors. */
export const channelShiftForwardNative = channelShiftNative('forward');

/** CHANNEL_SHIFT_ADJOINT: dy [N,outHeight,outWidth,C], weights [K,C] → dx [N,H,W,C]. */
export const channelShiftAdjointNative = channelShiftNative('adjoint');

/** CHANNEL_SHIFT_CORNER_DOTS: x [N,H,W,C], dy [N,outHeight,outWidth,C] → [K,C]. */
export const channelShiftCornerDotsNative = channelShiftNative('dots');

/** The overrides of this module, for NATIVE_OVERRIDES. */
export const ELEMENTWISE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: RANGE_MASK_GRAD, impl: rangeMaskGradNative },
  { kernelName: BATCH_NORM_GRAD, impl: batchNormGradNative },
  { kernelName: tf.Mean, impl: meanLeadingNative },
  { kernelName: tf.Sum, impl: sumLeadingNative },
  { kernelName: tf.FusedBatchNorm, impl: fusedBatchNormNative },
  { kernelName: CHANNEL_SHIFT, impl: channelShiftForwardNative },
  { kernelName: CHANNEL_SHIFT_ADJOINT, impl: channelShiftAdjointNative },
  { kernelName: CHANNEL_SHIFT_CORNER_DOTS, impl: channelShiftCornerDotsNative },
];
