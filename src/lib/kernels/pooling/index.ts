/**
 * 2-D pooling: MaxPool, AvgPool and their gradients, with the tfjs cpu backend's semantics.
 * On wasm: C addon (native/src/pooling.c) → tfjs-wasm. Other backends run tfjs's own kernels.
 */
import type { KernelFamily } from '../core/registry';
import { POOLING_NATIVE_OVERRIDES } from './native';

export const POOLING_FAMILY: KernelFamily = { nativeOverrides: POOLING_NATIVE_OVERRIDES };
