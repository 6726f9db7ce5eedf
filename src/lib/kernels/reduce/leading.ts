/**
 * Mean and Sum over LEADING axes for the wasm backend. The native kernels can only reduce innermost axes, so a
 * per-channel reduction of an NHWC tensor over [0, 1, 2] (batch-norm moments, bias gradients) first transposes the
 * whole tensor to [C, N·H·W] (profiled: Mean ≈ 5 % of a MobileNet V1 training step). Here it is one pass over
 * contiguous rows; every other case goes to the native kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, kernelInput } from './heap';
import { nativeKernel } from './native';

let leadingCalls = 0;

/** How many Mean/Sum calls took the leading-axes path so far (lets tests check which path ran). */
export function leadingReductionCalls(): number {
  return leadingCalls;
}

/** Sorted, non-negative axes if they are exactly 0..k−1 with k < rank (a true leading reduction), else null. */
function leadingAxes(axis: number | number[], rank: number): number | null {
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  if (list.length === 0 || list.length >= rank) return null;
  for (let i = 0; i < list.length; i++) if (list[i] !== i) return null;
  return list.length;
}

/** out[j] = Σ_r x[r·inner + j] (× scale) over `rows` rows; float64 sums (rows can reach N·H·W ≈ 10⁵). */
function sumRows(xs: Float32Array, out: Float32Array, rows: number, inner: number, scale: number): void {
  const acc = new Float64Array(inner);
  for (let r = 0, off = 0; r < rows; r++, off += inner) {
    for (let j = 0; j < inner; j++) acc[j] += xs[off + j];
  }
  for (let j = 0; j < inner; j++) out[j] = acc[j] * scale;
}

/** Builds the kernel function for Mean (`average`) or Sum, delegating non-leading or non-float32 cases to native. */
function leadingReduction(kernelName: string, average: boolean): tf.KernelFunc {
  return ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo => {
    const backend = asWasmBackend(args.backend, kernelName);
    const x = kernelInput(args.inputs, 'x', kernelName);
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const count = leadingAxes(axis, x.shape.length);
    const size = tf.util.sizeFromShape(x.shape);
    if (count === null || x.dtype !== 'float32' || size === 0) {
      return nativeKernel(kernelName, kernelName)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    leadingCalls++;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, count));
    const kept = x.shape.slice(count);
    const outShape = keepDims ? [...x.shape.slice(0, count).map(() => 1), ...kept] : kept;
    const out = backend.makeOutput(outShape, 'float32');
    // Views after makeOutput: a heap growth invalidates earlier ones.
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    const os = backend.typedArrayFromHeap(out) as Float32Array;
    sumRows(xs, os, rows, size / rows, average ? 1 / rows : 1);
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Registration record for Mean (an override: the native kernel is captured first). */
export const meanConfig: tf.KernelConfig = { kernelName: tf.Mean, backendName: 'wasm', kernelFunc: leadingReduction(tf.Mean, true) };

/** Registration record for Sum (an override: the native kernel is captured first). */
export const sumConfig: tf.KernelConfig = { kernelName: tf.Sum, backendName: 'wasm', kernelFunc: leadingReduction(tf.Sum, false) };
