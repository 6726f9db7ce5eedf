/** Native kernel overrides for the wasm backend (see ../addon.ts); registered by backend.ts when the addon loads. */
import { NativeOverride, registerNativeOverrides } from './override';
import { CONV_OVERRIDES } from './conv';
import { GROUP_CONV_OVERRIDES } from './group-conv';
import { DEPTHWISE_OVERRIDES } from './depthwise';
import { ELEMENTWISE_OVERRIDES } from './elementwise';
import { COPY_OVERRIDES } from './copy';
import { POOL_OVERRIDES } from './pool';

/** Every native override, in registration order (later modules may build on earlier ones' names). */
export const NATIVE_OVERRIDES: readonly NativeOverride[] = [
  ...CONV_OVERRIDES,
  ...GROUP_CONV_OVERRIDES,
  ...DEPTHWISE_OVERRIDES,
  ...ELEMENTWISE_OVERRIDES,
  ...COPY_OVERRIDES,
  ...POOL_OVERRIDES,
];

/** Registers the native overrides on the wasm backend; returns the kernel names served natively (none without the addon). */
export function registerNativeKernels(): string[] {
  return registerNativeOverrides(NATIVE_OVERRIDES);
}

export { setNativeKernelsEnabled, withoutNativeKernels, nativeKernelCalls, previousKernel } from './override';
