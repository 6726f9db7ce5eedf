/**
 * Activation gradients: Relu, Relu6 and ClipByValue, whose tfjs-core gradients chain 3–5 full-size kernels.
 * Ours replace them (range-mask-grad.ts); on wasm each is one CompactNetsRangeMaskGrad kernel, first to last:
 *   C addon (native/src/activation.c) → TypeScript (range-mask-grad.ts)
 * Other backends run tfjs-core's composites unchanged.
 */
import type { KernelFamily } from '../core/registry';
import { ACTIVATION_NATIVE_OVERRIDES } from './native';
import { clipByValueGradConfig, rangeMaskGradKernelConfig, relu6GradConfig, reluGradConfig } from './range-mask-grad';

export const ACTIVATION_FAMILY: KernelFamily = {
  wasmKernels: [rangeMaskGradKernelConfig],
  gradients: [reluGradConfig, relu6GradConfig, clipByValueGradConfig],
  nativeOverrides: ACTIVATION_NATIVE_OVERRIDES,
};

export { RANGE_MASK_GRAD } from './range-mask-grad';
