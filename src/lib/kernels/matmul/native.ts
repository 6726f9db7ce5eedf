/**
 * Glue of the C addon's batched matrix products (native/src/matmul.c on the GEMM of native/src/gemm.c: the built-in
 * packed kernel, or OpenBLAS where it measured faster) for BatchMatMul and _FusedMatMul, float32, in place on the
 * wasm heap. Other broadcasts, dtypes and fused activations are handed back to the previously registered kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import { fusedEpilogue, KernelArgs, NO_EPILOGUE } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';

/** The addon entry point of native/src/matmul.c. */
export interface MatMulAddon {
  /** c [batch,M,N] = act(op(a) · op(b) + bias [N]); a [batchA,M,K] (or [.,K,M]), b [batchB,K,N] (or [.,N,K]); batch 1 broadcasts. */
  batchMatMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array, batchA: number, batchB: number,
    M: number, N: number, K: number, transA: number, transB: number, act: number, alpha: number): void;
}

function matMulAddon(addon: NativeAddon): MatMulAddon {
  return addon as unknown as MatMulAddon;
}

/**
 * BatchMatMul / _FusedMatMul: a [..., M, K] (or [..., K, M]), b [..., K, N] (or [..., N, K]) → [..., M, N], outer
 * dims equal or one side's all 1 (other broadcasts decline); fused: bias [N] and linear/relu/relu6/leakyrelu.
 */
function matMulImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, fused: boolean): tf.TensorInfo | null {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined || !allFloat32(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf._FusedMatMulAttrs;
  const transA = attrs.transposeA === true;
  const transB = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb || M <= 0 || N <= 0 || K <= 0) return null;
  const outerA = a.shape.slice(0, ra - 2);
  const outerB = b.shape.slice(0, rb - 2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // Equal products mean equal (padded) outer shapes; a product of 1 broadcasts whole matrices; anything else declines.
  if (batch <= 0 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  const epilogue = fused ? fusedEpilogue(args, N) : NO_EPILOGUE;
  if (epilogue === null) return null;
  const { act, alpha, bias } = epilogue;
  const out = backend.makeOutput([...outer, M, N], 'float32');
  matMulAddon(addon).batchMatMul(heapF32(backend, a), heapF32(backend, b), bias === null ? null : heapF32(backend, bias),
    heapF32(backend, out), batchA, batchB, M, N, K, transA ? 1 : 0, transB ? 1 : 0, act, alpha);
  return out;
}

/** The matrix products served by the addon. */
export const MATMUL_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.BatchMatMul, impl: (args, addon, backend) => matMulImpl(args, addon, backend, false) },
  { kernelName: tf._FusedMatMul, impl: (args, addon, backend) => matMulImpl(args, addon, backend, true) },
];
