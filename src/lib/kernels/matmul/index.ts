/**
 * Matrix products: BatchMatMul and _FusedMatMul (dense layers, and the building block of several TypeScript kernels).
 * On wasm, first to last (each hands the calls it declines to the next):
 *   BatchMatMul    C addon (native/src/matmul.c on gemm.c: built-in GEMM, OpenBLAS where faster)
 *                  → TypeScript explicit transpose of A (batch-mat-mul.ts) → tfjs-wasm (XNNPACK)
 *   _FusedMatMul   C addon → tfjs-wasm
 * Other backends run tfjs's own kernels.
 */
import type { KernelFamily } from '../core/registry';
import { batchMatMulConfig } from './batch-mat-mul';
import { MATMUL_NATIVE_OVERRIDES } from './native';

export const MATMUL_FAMILY: KernelFamily = {
  wasmOverrides: [batchMatMulConfig],
  nativeOverrides: MATMUL_NATIVE_OVERRIDES,
};

export { explicitTransposeMatMulCalls } from './batch-mat-mul';
