/**
 * Convolutions, dense and grouped: Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter, and our grouped
 * kernels CompactNetsGroupConv2D, …BackpropInput, …BackpropFilter (ShuffleNet's grouped 1×1 convolutions).
 * On wasm, per kernel name, first to last (each hands the calls it declines to the next; C addon = native/src/conv.c,
 * one implementation for every group count):
 *   Conv2D, FusedConv2D        C addon → tfjs-wasm (XNNPACK)
 *   Conv2DBackpropInput        C addon → TypeScript pointwise fast path (backprop-input.ts) → tfjs-wasm
 *   Conv2DBackpropFilter       C addon → TypeScript im2col + products (backprop-filter.ts; tfjs-wasm has none)
 *   CompactNetsGroupConv2D*    C addon only: ops/group-conv.ts asks groupConv2dNative first and otherwise runs one
 *                              conv2d per group; the gradient (group-conv.ts) falls back to the backprop kernels above,
 *                              group by group.
 * Other backends run tfjs's own kernels.
 */
import type { KernelFamily } from '../core/registry';
import { conv2DBackpropFilterConfig } from './backprop-filter';
import { conv2DBackpropInputConfig } from './backprop-input';
import { GROUP_CONV_NATIVE_OVERRIDES, groupConv2dGradConfig } from './group-conv';
import { CONV_NATIVE_OVERRIDES } from './native';

export const CONV_FAMILY: KernelFamily = {
  wasmKernels: [conv2DBackpropFilterConfig],
  wasmOverrides: [conv2DBackpropInputConfig],
  gradients: [groupConv2dGradConfig],
  nativeOverrides: [...CONV_NATIVE_OVERRIDES, ...GROUP_CONV_NATIVE_OVERRIDES],
};

export { pointwiseBackpropInputCalls } from './backprop-input';
export { GROUP_CONV2D, GROUP_CONV2D_BACKPROP_FILTER, GROUP_CONV2D_BACKPROP_INPUT, groupConv2dNative } from './group-conv';
