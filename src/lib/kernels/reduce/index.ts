/**
 * Reductions: Mean and Sum (batch-norm moments, bias gradients), their gradients, and UnsortedSegmentSum (the
 * gradient of tf.gather).
 * On wasm, first to last (each hands the calls it declines to the next; C addon = native/src/reduce.c):
 *   Mean, Sum                      C addon (leading axes) → TypeScript (leading.ts, leading axes) → tfjs-wasm
 *   gradients of Mean and Sum      ours replace tfjs-core's (grad.ts): one CompactNetsBroadcastDivide kernel in
 *                                  TypeScript; other backends: tfjs-core's composite
 *   UnsortedSegmentSum             TypeScript (unsorted-segment-sum.ts; tfjs-wasm has none)
 */
import type { KernelFamily } from '../core/registry';
import { broadcastDivideKernelConfig, meanGradConfig, sumGradConfig } from './grad';
import { meanConfig, sumConfig } from './leading';
import { REDUCE_NATIVE_OVERRIDES } from './native';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

export const REDUCE_FAMILY: KernelFamily = {
  wasmKernels: [broadcastDivideKernelConfig, unsortedSegmentSumConfig],
  wasmOverrides: [meanConfig, sumConfig],
  gradients: [meanGradConfig, sumGradConfig],
  nativeOverrides: REDUCE_NATIVE_OVERRIDES,
};

export { BROADCAST_DIVIDE, broadcastDivideCalls } from './grad';
export { leadingAxisCount, leadingReductionCalls } from './leading';
