/**
 * Mean and Sum over LEADING axes for the wasm backend in TypeScript. tfjs-wasm's kernels can only reduce innermost axes, so a
 * per-channel reduction of an NHWC tensor over [0, 1, 2] (batch-norm moments, bias gradients) first transposes the
 * whole tensor to [C, N·H·W] (profiled: Mean ≈ 5 % of a MobileNet V1 training step). Here it is one pass over
 * contiguous rows; every other case goes to tfjs-wasm's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';
import { delegateToTfjsWasm } from '../core/tfjs-wasm-kernels';

let leadingCalls = 0;

/** How many Mean/Sum calls took the leading-axes path so far (lets tests check which path ran). */
export function leadingReductionCalls(): number {
  return leadingCalls;
}

/** Number of leading axes if `axis` is exactly 0..k−1 with 0 < k < rank (negative axes allowed), else null. */
export function leadingAxisCount(axis: number | number[], rank: number): number | null {
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

/** The kernel function for Mean (`average`) or Sum, delegating non-leading or non-float32 cases to tfjs-wasm's. */
function leadingReduction(kernelName: string, average: boolean): (args: KernelArgs) => tf.TensorInfo {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = asWasmBackend(args.backend, kernelName);
    const x = kernelInput(args.inputs, 'x', kernelName);
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const count = leadingAxisCount(axis, x.shape.length);
    const size = tf.util.sizeFromShape(x.shape);
    if (count === null || x.dtype !== 'float32' || size === 0) {
      return delegateToTfjsWasm(kernelName, args);
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
  };
}

/** Registration record for Mean (an override: tfjs-wasm's kernel is captured first and runs the other cases). */
export const meanConfig = wasmKernelConfig(tf.Mean, leadingReduction(tf.Mean, true));

/** Registration record for Sum (an override: tfjs-wasm's kernel is captured first and runs the other cases). */
export const sumConfig = wasmKernelConfig(tf.Sum, leadingReduction(tf.Sum, false));
