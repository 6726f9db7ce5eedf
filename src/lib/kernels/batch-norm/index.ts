/**
 * Batch normalisation: FusedBatchNorm (inference), its gradient, and training-mode BatchNormalization layers.
 * On wasm, first to last (each hands the calls it declines to the next; C addon = native/src/batch-norm.c):
 *   FusedBatchNorm                   C addon → tfjs-wasm
 *   gradient of FusedBatchNorm       ours replaces tfjs-core's (grad.ts): one CompactNetsBatchNormGrad kernel,
 *                                    C addon → TypeScript; other backends: the same formulas as tensor ops
 *   BatchNormalization (training)    with the addon, the layer's call runs CompactNetsBatchNormTrain (+Grad), two fused
 *                                    C kernels (fused-training.ts); every other case runs tfjs-layers' own call
 */
import type { KernelFamily } from '../core/registry';
import { installFusedBatchNorm } from './fused-training';
import { batchNormGradConfig, fusedBatchNormGradConfig } from './grad';
import { BATCH_NORM_NATIVE_OVERRIDES } from './native';

export const BATCH_NORM_FAMILY: KernelFamily = {
  wasmKernels: [batchNormGradConfig],
  gradients: [fusedBatchNormGradConfig],
  nativeOverrides: BATCH_NORM_NATIVE_OVERRIDES,
  installNative: installFusedBatchNorm,
};

export { BATCH_NORM_GRAD } from './grad';
export { fusedBatchNormCalls, setFusedBatchNormEnabled, type BatchNormTrainAddon } from './fused-training';
