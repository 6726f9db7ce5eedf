/**
 * Shifts: ShiftNet's fixed grouped shift (CompactNetsGroupedShift, ops/shift.ts) and the per-channel learnable shifts
 * of ActiveShift/SparseShift (CompactNetsChannelShift, …Adjoint, …CornerDots; ops/shift-gather.ts).
 * On wasm, first to last (each hands the calls it declines to the next; C addon = native/src/shift.c):
 *   CompactNetsGroupedShift    C addon → TypeScript (grouped-shift.ts)
 *   CompactNetsChannelShift*   C addon → TypeScript (channel-shift.ts)
 * Other backends: the ops compose tfjs ops instead (pad/slice/concat, gathers); no kernel of ours runs.
 */
import type { KernelFamily } from '../core/registry';
import { channelShiftConfigs } from './channel-shift';
import { GROUPED_SHIFT_NATIVE_OVERRIDES, groupedShiftConfig } from './grouped-shift';
import { CHANNEL_SHIFT_NATIVE_OVERRIDES } from './native';

export const SHIFT_FAMILY: KernelFamily = {
  wasmKernels: [...channelShiftConfigs, groupedShiftConfig],
  nativeOverrides: [...CHANNEL_SHIFT_NATIVE_OVERRIDES, ...GROUPED_SHIFT_NATIVE_OVERRIDES],
};

export { CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, type ChannelShiftAttrs } from './channel-shift';
