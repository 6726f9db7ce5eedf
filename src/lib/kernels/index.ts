/** Training kernels that the stock tfjs wasm backend lacks, registered on demand. */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { batchNormGradConfig, fusedBatchNormGradConfig } from './batch-norm-grad';
import { captureNativeConv2DBackpropInput, conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { batchMatMulConfig } from './batch-mat-mul';
import { meanConfig, sumConfig } from './reduce-leading';
import { clipByValueGradConfig, rangeMaskGradKernelConfig, relu6GradConfig, reluGradConfig } from './range-mask-grad';
import { channelShiftConfigs } from './channel-shift';
import { captureNativeKernel } from './native';
import { castConfig, identityConfig } from './identity';
import { broadcastDivideKernelConfig, meanGradConfig, sumGradConfig } from './reduce-grad';

/**
 * Every kernel this module provides. Found by profiling training steps of the survey's building blocks on `cpu`
 * and checking which kernel names `tf.getKernel(name, 'wasm')` does not know (see coverage.ts and its test).
 */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  unsortedSegmentSumConfig,
  batchNormGradConfig,
  rangeMaskGradKernelConfig,
  broadcastDivideKernelConfig,
  ...channelShiftConfigs,
];

/**
 * Kernels that REPLACE a native wasm kernel with a fast path that delegates the remaining cases to the native one
 * (captured before replacement). Found by profiling training steps (bench/run.ts --profile).
 */
export const WASM_KERNEL_OVERRIDES: readonly tf.KernelConfig[] = [
  conv2DBackpropInputConfig, batchMatMulConfig, meanConfig, sumConfig, identityConfig, castConfig,
];

/** Gradients we register in place of tfjs-core's (global: every backend; non-wasm ones take a composite path). */
export const GRADIENT_OVERRIDES: readonly tf.GradConfig[] = [
  fusedBatchNormGradConfig, reluGradConfig, relu6GradConfig, clipByValueGradConfig, meanGradConfig, sumGradConfig,
];

/** Native kernels captured before an override replaced them, so each override can delegate. */
const NATIVE_CAPTURE: Record<string, (kernel: tf.KernelFunc) => void> = {
  [conv2DBackpropInputConfig.kernelName]: captureNativeConv2DBackpropInput,
};

/**
 * Registers each of our kernels that the wasm backend does not already have; returns the names registered now.
 * Idempotent; a kernel a future tfjs version ships natively is left alone (its own implementation wins).
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  for (const config of WASM_KERNEL_OVERRIDES) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing !== undefined && existing.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) {
      captureNativeKernel(config.kernelName, existing.kernelFunc);
      NATIVE_CAPTURE[config.kernelName]?.(existing.kernelFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    // Keep the native kernel's setupFunc (it binds the wasm export the native kernelFunc calls when we delegate).
    tf.registerKernel(existing?.setupFunc !== undefined ? { ...config, setupFunc: existing.setupFunc } : config);
    added.push(config.kernelName);
  }
  for (const config of GRADIENT_OVERRIDES) tf.registerGradient(config);
  return added;
}

export { kernelsUsedBy, missingKernels } from './coverage';
export { BATCH_NORM_GRAD } from './batch-norm-grad';
export { pointwiseBackpropInputCalls } from './conv2d-backprop-input';
export { explicitTransposeMatMulCalls } from './batch-mat-mul';
export { leadingReductionCalls } from './reduce-leading';
export { sharedIdentityCalls } from './identity';
export { BROADCAST_DIVIDE, broadcastDivideCalls } from './reduce-grad';
export { RANGE_MASK_GRAD } from './range-mask-grad';
export { CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS } from './channel-shift';
