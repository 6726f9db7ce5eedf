/**
 * The wasm backend's own (native, C++/XNNPACK) kernels as building blocks of our fast paths, including those our
 * overrides replace in the registry: each override's native kernel is captured here before it is unregistered.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const captured = new Map<string, tf.KernelFunc>();

/** Remembers the native wasm kernel `kernelName` before an override replaces it (see registerWasmTrainingKernels). */
export function captureNativeKernel(kernelName: string, kernel: tf.KernelFunc): void {
  captured.set(kernelName, kernel);
}

/** The native wasm kernel function for `kernelName`: the captured one if we overrode it, else the registered one. */
export function nativeKernel(kernelName: string, who: string): tf.KernelFunc {
  const own = captured.get(kernelName);
  if (own !== undefined) return own;
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`${who}: the wasm backend has no ${kernelName} kernel to build on`);
  return kernel.kernelFunc;
}

/** Native Transpose of `x` by `perm`; the caller owns (and disposes) the result. */
export function nativeTranspose(backend: BackendWasm, x: tf.TensorInfo, perm: number[], who: string): tf.TensorInfo {
  return nativeKernel(tf.Transpose, who)({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/**
 * Native untransposed product a [batch, M, K] · b [batch, K, N] → [batch, M, N] (the XNNPACK fast path; the
 * transposeA/transposeB variants are 5–25× slower there). The caller owns the result.
 */
export function nativeMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, who: string): tf.TensorInfo {
  return nativeKernel(tf.BatchMatMul, who)({
    inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

/** A view of `info`'s memory under another shape of the same size (no kernel, no copy). */
export function reshapedView(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
