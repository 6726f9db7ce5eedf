/**
 * One-pass gradients of the clipping activations: dx = dy where x lies in the pass range, else 0.
 *   Relu:        0 < x          (tfjs-core: Step, Cast, Multiply)
 *   Relu6:       0 < x ≤ 6      (tfjs-core: LessEqual, Step, Multiply, Cast, Multiply)
 *   ClipByValue: lo ≤ x ≤ hi    (tfjs-core: GreaterEqual, LessEqual, LogicalAnd, ZerosLike, Select)
 * tf.layers.reLU({ maxValue: 6 }) is Relu followed by ClipByValue, so MobileNet's ReLU6 costs two such chains
 * (profiled ≈ 1 s of a 13.5 s MobileNet V1 training step on wasm). The wasm backend runs one kernel; other backends
 * run tfjs-core's composites unchanged. NaN handling follows tfjs-core: Relu/Relu6 propagate NaN (step(NaN) = NaN),
 * ClipByValue gives 0 (its comparisons are false).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, float32View } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';

/** Name of our custom kernel (not a tfjs kernel name). */
export const RANGE_MASK_GRAD = 'CompactNetsRangeMaskGrad';

/** Attributes of {@link RANGE_MASK_GRAD}: the pass range and whether NaN in x propagates. */
export interface RangeMaskAttrs {
  lower: number;
  lowerInclusive: boolean;
  upper: number;
  nanPropagates: boolean;
}

/** Kernel: dy, x (same shape, float32) → dx = dy where lower <(=) x ≤ upper, else 0. */
function rangeMaskGradWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, RANGE_MASK_GRAD);
  const dy = kernelInput(args.inputs, 'dy', RANGE_MASK_GRAD);
  const x = kernelInput(args.inputs, 'x', RANGE_MASK_GRAD);
  const { lower, lowerInclusive, upper, nanPropagates } = args.attrs as unknown as RangeMaskAttrs;
  const out = backend.makeOutput(x.shape, 'float32');
  const dys = float32View(backend, dy, RANGE_MASK_GRAD);
  const xs = float32View(backend, x, RANGE_MASK_GRAD);
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const nanValue = nanPropagates ? NaN : 0;
  // Two loop bodies rather than a per-element branch on lowerInclusive.
  if (lowerInclusive) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      dx[i] = v >= lower && v <= upper ? dys[i] : v !== v ? nanValue : 0;
    }
  } else {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      dx[i] = v > lower && v <= upper ? dys[i] : v !== v ? nanValue : 0;
    }
  }
  return out;
}

/** Whether the one-pass kernel can run for this dy and x. */
function kernelApplies(dy: tf.Tensor, x: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(RANGE_MASK_GRAD, 'wasm') !== undefined &&
    x.dtype === 'float32' && dy.dtype === 'float32' && tf.util.arraysEqual(x.shape, dy.shape);
}

/** A gradient record whose wasm path runs the kernel with `attrsOf(forward attrs)` and otherwise `composite`. */
function maskGradConfig(
  kernelName: string,
  attrsOf: (attrs: tf.NamedAttrMap) => RangeMaskAttrs,
  composite: (dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap) => tf.Tensor,
): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      return {
        x: () => (kernelApplies(g, x)
          ? tf.engine().runKernel(RANGE_MASK_GRAD, { dy: g, x } as unknown as tf.NamedTensorMap,
            attrsOf(attrs) as unknown as tf.NamedAttrMap) as tf.Tensor
          : tf.tidy(() => composite(g, x, attrs))),
      };
    },
  };
}

/** Relu gradient record for `tf.registerGradient` (composite = tfjs-core's). */
export const reluGradConfig = maskGradConfig(
  tf.Relu,
  () => ({ lower: 0, lowerInclusive: false, upper: Infinity, nanPropagates: true }),
  (dy, x) => tf.mul(dy, tf.cast(tf.step(x), 'float32')),
);

/** Relu6 gradient record for `tf.registerGradient` (composite = tfjs-core's). */
export const relu6GradConfig = maskGradConfig(
  tf.Relu6,
  () => ({ lower: 0, lowerInclusive: false, upper: 6, nanPropagates: true }),
  (dy, x) => tf.mul(dy, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')),
);

/** ClipByValue gradient record for `tf.registerGradient` (composite = tfjs-core's). */
export const clipByValueGradConfig = maskGradConfig(
  tf.ClipByValue,
  (attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    return { lower: clipValueMin, lowerInclusive: true, upper: clipValueMax, nanPropagates: false };
  },
  (dy, x, attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    return tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), dy, tf.zerosLike(dy));
  },
);

/** Registration record of the kernel for `tf.registerKernel`. */
export const rangeMaskGradKernelConfig = wasmKernelConfig(RANGE_MASK_GRAD, rangeMaskGradWasm);
