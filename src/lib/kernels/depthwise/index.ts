/**
 * Depthwise convolutions: DepthwiseConv2dNative, FusedDepthwiseConv2D and both gradients (MobileNet's 3×3 layers).
 * On wasm, first to last (each hands the calls it declines to the next; C addon = native/src/depthwise.c):
 *   DepthwiseConv2dNative, FusedDepthwiseConv2D   C addon → tfjs-wasm (XNNPACK)
 *   DepthwiseConv2dNativeBackpropInput, …Filter   C addon → TypeScript (backprop-*.ts; tfjs-wasm has none)
 * Other backends run tfjs's own kernels.
 */
import type { KernelFamily } from '../core/registry';
import { depthwiseBackpropFilterConfig } from './backprop-filter';
import { depthwiseBackpropInputConfig } from './backprop-input';
import { DEPTHWISE_NATIVE_OVERRIDES } from './native';

export const DEPTHWISE_FAMILY: KernelFamily = {
  wasmKernels: [depthwiseBackpropInputConfig, depthwiseBackpropFilterConfig],
  nativeOverrides: DEPTHWISE_NATIVE_OVERRIDES,
};
