/**
 * tfjs-wasm's own kernels (C++ and XNNPACK compiled to WebAssembly, shipped by @tensorflow/tfjs-backend-wasm) as
 * building blocks of our TypeScript kernels, and as the kernels our TypeScript overrides hand their other cases to.
 * Not to be confused with our C addon (./addon.ts), whose kernels stand in front of both.
 * Each TypeScript override captures tfjs-wasm's kernel here before it replaces it in the registry (./registry.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './kernel-args';

const captured = new Map<string, tf.KernelFunc>();

/** Remembers tfjs-wasm's kernel `kernelName` before one of our TypeScript overrides replaces it. */
export function captureTfjsWasmKernel(kernelName: string, kernel: tf.KernelFunc): void {
  captured.set(kernelName, kernel);
}

/**
 * The kernel function for `kernelName` below our TypeScript layer: tfjs-wasm's own if we overrode it in TypeScript,
 * else whatever is registered now (tfjs-wasm's, or our C addon's in front of it). `who` names the caller in errors.
 */
export function tfjsWasmKernel(kernelName: string, who: string): tf.KernelFunc {
  const own = captured.get(kernelName);
  if (own !== undefined) return own;
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`${who}: the wasm backend has no ${kernelName} kernel to build on`);
  return kernel.kernelFunc;
}

/** Transpose of `x` by `perm` (see tfjsWasmKernel); the caller owns (and disposes) the result. */
export function tfjsWasmTranspose(backend: BackendWasm, x: tf.TensorInfo, perm: number[], who: string): tf.TensorInfo {
  return tfjsWasmKernel(tf.Transpose, who)({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/**
 * tfjs-wasm's untransposed product a [batch, M, K] · b [batch, K, N] → [batch, M, N] (the XNNPACK fast path; the
 * transposeA/transposeB variants are 5–25× slower there). The caller owns the result.
 */
export function tfjsWasmMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, who: string): tf.TensorInfo {
  return tfjsWasmKernel(tf.BatchMatMul, who)({
    inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

/** Hands a kernel call on to tfjsWasmKernel(kernelName): the path for the cases a TypeScript override declines. */
export function delegateToTfjsWasm(kernelName: string, args: KernelArgs): tf.TensorInfo {
  return tfjsWasmKernel(kernelName, kernelName)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
