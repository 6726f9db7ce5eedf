/**
 * Every kernel this project adds to or puts in front of TensorFlow.js, one folder per kernel family. Each family's
 * index.ts says which kernel names it serves, what runs on which backend, and what falls back to what; core/ holds
 * the shared machinery (loading our C addon, the override chains, the wasm heap, tfjs-wasm's own kernels).
 * On wasm each kernel name runs a chain, first to last: our C addon (native/src, when built and loaded) → our
 * TypeScript kernel → tfjs-wasm's own kernel; each link hands the calls it declines to the next (core/registry.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_FAMILY } from './activation';
import { BATCH_NORM_FAMILY } from './batch-norm';
import { CONV_FAMILY } from './conv';
import { COPY_FAMILY } from './copy';
import { KernelFamily, registerNativeKernels, registerTypeScriptKernels } from './core/registry';
import { DEPTHWISE_FAMILY } from './depthwise';
import { MATMUL_FAMILY } from './matmul';
import { POOLING_FAMILY } from './pooling';
import { REDUCE_FAMILY } from './reduce';
import { SHIFT_FAMILY } from './shift';

/** The kernel families, in registration order. */
const KERNEL_FAMILIES: readonly KernelFamily[] = [
  CONV_FAMILY, MATMUL_FAMILY, DEPTHWISE_FAMILY, SHIFT_FAMILY, BATCH_NORM_FAMILY, ACTIVATION_FAMILY, REDUCE_FAMILY,
  COPY_FAMILY, POOLING_FAMILY,
];

/**
 * Our TypeScript kernels for names tfjs-wasm lacks. Found by profiling training steps of the survey's building blocks
 * on `cpu` and checking which kernel names `tf.getKernel(name, 'wasm')` does not know (see core/coverage.ts).
 */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = KERNEL_FAMILIES.flatMap((f) => f.wasmKernels ?? []);

/** Our TypeScript kernels that replace a tfjs-wasm kernel (found by profiling training steps: bench/run.ts --profile). */
export const WASM_KERNEL_OVERRIDES: readonly tf.KernelConfig[] = KERNEL_FAMILIES.flatMap((f) => f.wasmOverrides ?? []);

/**
 * Registers every family on the wasm backend: the TypeScript kernels and gradients, then (when the C addon loads) the
 * native kernels in front of them and the fused batch-norm layer. Idempotent. Returns the kernel names the C addon
 * serves (none without it).
 */
export function registerWasmKernels(): string[] {
  registerTypeScriptKernels(KERNEL_FAMILIES);
  return registerNativeKernels(KERNEL_FAMILIES);
}

export { nativeAddon, nativeStatus, setNativeThreads, type NativeAddon, type NativeStatus } from './core/addon';
export { nativeKernelCalls, previousKernel, setNativeKernelsEnabled, withoutNativeKernels } from './core/native-override';
export { kernelsUsedBy, missingKernels } from './core/coverage';
export { RANGE_MASK_GRAD } from './activation';
export { BATCH_NORM_GRAD } from './batch-norm';
export { pointwiseBackpropInputCalls } from './conv';
export { sharedIdentityCalls } from './copy';
export { explicitTransposeMatMulCalls } from './matmul';
export { BROADCAST_DIVIDE, broadcastDivideCalls, leadingReductionCalls } from './reduce';
export { CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS } from './shift';
