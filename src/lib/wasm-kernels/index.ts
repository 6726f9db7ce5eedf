/** Training kernels that the stock tfjs wasm backend lacks, registered on demand. */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/**
 * Every kernel this module provides. Found by profiling training steps of the survey's building blocks on `cpu`
 * and checking which kernel names `tf.getKernel(name, 'wasm')` does not know (see coverage.ts and its test).
 */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  unsortedSegmentSumConfig,
];

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
  return added;
}

export { kernelsUsedBy, missingKernels } from './coverage';
