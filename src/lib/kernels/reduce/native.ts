/**
 * Glue of the C addon's reductions (reduceLeading in native/src/reduce.c) for Mean and Sum over leading axes, in place
 * on the wasm heap; other axis patterns and dtypes are declined (null) and run on the kernel registered before it (our
 * TypeScript override, which hands them on to tfjs-wasm's).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import { leadingAxisCount } from './leading';

/** The addon function of native/src/reduce.c (sizes in floats; output written in place). */
export interface ReduceAddon {
  /** x [rows, inner] → out [inner] = scale · Σ over rows. */
  reduceLeading(x: Float32Array, rows: number, inner: number, scale: number, out: Float32Array): void;
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
    (addon as unknown as ReduceAddon).reduceLeading(heapF32(backend, x), rows, size / rows, average ? 1 / rows : 1, heapF32(backend, out));
    return out;
  };
}

/** Mean over leading axes (NHWC [0,1,2]: batch-norm moments); other axis patterns and dtypes decline. */
const meanLeadingNative = leadingReduction(true);

/** Sum over leading axes (bias gradients); other axis patterns and dtypes decline. */
const sumLeadingNative = leadingReduction(false);

/** The reductions served by the addon. */
export const REDUCE_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.Mean, impl: meanLeadingNative },
  { kernelName: tf.Sum, impl: sumLeadingNative },
];
