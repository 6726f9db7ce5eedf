/**
 * Data movement: Slice, SplitV, Concat, PadV2, Transpose (channel split/shuffle, padding), Identity and Cast.
 * On wasm, first to last (each hands the calls it declines to the next):
 *   Slice, SplitV, Concat, PadV2, Transpose   C addon (native/src/copy.c) → tfjs-wasm
 *   Identity, Cast (same dtype)               TypeScript: shares memory instead of copying (identity.ts) → tfjs-wasm
 * Other backends run tfjs's own kernels.
 */
import type { KernelFamily } from '../core/registry';
import { castConfig, identityConfig } from './identity';
import { COPY_NATIVE_OVERRIDES } from './native';

export const COPY_FAMILY: KernelFamily = {
  wasmOverrides: [identityConfig, castConfig],
  nativeOverrides: COPY_NATIVE_OVERRIDES,
};

export { sharedIdentityCalls } from './identity';
