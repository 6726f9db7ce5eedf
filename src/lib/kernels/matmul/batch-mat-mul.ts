/**
 * BatchMatMul for the wasm backend in TypeScript, with an explicit transpose of A: tfjs-wasm's kernel runs transposeA
 * through a slow generic loop (profiled: the dense-layer weight gradient, a transposeA product of [B, 4096]ᵀ·[B, 4096], took 1.2 s
 * against 48 ms untransposed), while its Transpose plus the untransposed XNNPACK product is fast.
 * transposeB stays with tfjs-wasm: making it explicit measured 2× SLOWER end to end (ShuffleNet V2 train32: 2.9 against
 * 6.0 images/s), presumably because XNNPACK caches its packed B per tensor and a fresh transposed B defeats the cache.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';
import { delegateToTfjsWasm, tfjsWasmKernel, tfjsWasmTranspose } from '../core/tfjs-wasm-kernels';

const NAME = tf.BatchMatMul;

let transposedCalls = 0;

/** How many calls transposed A explicitly so far (lets tests check that the fast path ran). */
export function explicitTransposeMatMulCalls(): number {
  return transposedCalls;
}

/** Swaps the last two axes of `info` with tfjs-wasm's Transpose; the caller disposes the result. */
function swapLastTwo(backend: ReturnType<typeof asWasmBackend>, info: tf.TensorInfo): tf.TensorInfo {
  const rank = info.shape.length;
  const perm = info.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tfjsWasmTranspose(backend, info, perm, NAME);
}

/** a [..., M, K] (or [..., K, M] with transposeA) · b [..., K, N] (or [..., N, K]) → [..., M, N], float32. */
function batchMatMulWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, NAME);
  const a = kernelInput(args.inputs, 'a', NAME);
  const b = kernelInput(args.inputs, 'b', NAME);
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const fast = transposeA && a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length >= 2 && b.shape.length >= 2;
  if (!fast) return delegateToTfjsWasm(NAME, args);
  transposedCalls++;
  const aPlain = swapLastTwo(backend, a);
  const out = tfjsWasmKernel(NAME, NAME)({ inputs: { a: aPlain, b }, backend, attrs: { transposeA: false, transposeB } }) as tf.TensorInfo;
  backend.disposeData(aPlain.dataId);
  return out;
}

/** Registration record (an override: tfjs-wasm's kernel is captured first and runs the other cases). */
export const batchMatMulConfig = wasmKernelConfig(NAME, batchMatMulWasm);
