/**
 * How our C addon's kernels join the wasm backend (the last link of each override chain): each REPLACES the kernel
 * registered under its name (tfjs-wasm's own, or our TypeScript one) and hands every case it does not cover back to
 * that previous kernel. Switchable at run time (setNativeKernelsEnabled), counted per kernel (nativeKernelCalls).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeAddon, NativeAddon } from './addon';
import type { KernelArgs } from './kernel-args';

/**
 * A native kernel: returns its output(s), or null to let the previous kernel handle this call
 * (unsupported attributes, dtype, layout…). `addon` is loaded; `backend` is the wasm backend.
 */
export type NativeKernelImpl = (args: KernelArgs, addon: NativeAddon, backend: BackendWasm) => tf.TensorInfo | tf.TensorInfo[] | null;

/** One override: the tfjs (or our custom) kernel name and its native implementation. */
export interface NativeOverride {
  kernelName: string;
  impl: NativeKernelImpl;
}

let enabled = true;
const previous = new Map<string, tf.KernelFunc>();
const calls = new Map<string, { native: number; fallback: number }>();

/** Turns the native paths on or off at run time (off: every call goes to the previous kernel); returns the old value. */
export function setNativeKernelsEnabled(on: boolean): boolean {
  const old = enabled;
  enabled = on;
  return old;
}

/** Whether the native paths are on (see setNativeKernelsEnabled). */
export function nativeKernelsEnabled(): boolean {
  return enabled;
}

/** How often each override ran natively vs handed the call back (for tests and profiles). */
export function nativeKernelCalls(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...calls].map(([k, v]) => [k, { ...v }]));
}

/** Runs `fn` with the native kernels off, restoring the previous state afterwards (tests compare both paths). */
export function withoutNativeKernels<T>(fn: () => T): T {
  const old = setNativeKernelsEnabled(false);
  try {
    return fn();
  } finally {
    setNativeKernelsEnabled(old);
  }
}

/** The kernel that ran under `kernelName` before our native override (tests call it directly). */
export function previousKernel(kernelName: string): tf.KernelFunc | undefined {
  return previous.get(kernelName);
}

/**
 * Registers each override on the wasm backend, keeping the replaced kernel (and its setupFunc, which binds the wasm
 * export the replaced kernel calls). Idempotent. Returns the kernel names now served natively; none without the addon.
 */
export function registerNativeOverrides(overrides: readonly NativeOverride[]): string[] {
  const addon = nativeAddon();
  if (addon === null) return [];
  const names: string[] = [];
  for (const { kernelName, impl } of overrides) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing !== undefined && (existing.kernelFunc as { compactNetsNative?: boolean }).compactNetsNative === true) {
      names.push(kernelName);
      continue;
    }
    const fallback: tf.KernelFunc = existing?.kernelFunc ?? (() => {
      throw new Error(`${kernelName}: the native kernel declined this call and the wasm backend has no kernel to fall back to`);
    });
    previous.set(kernelName, fallback);
    const count = { native: 0, fallback: 0 };
    calls.set(kernelName, count);
    const kernelFunc = ((args: KernelArgs) => {
      if (enabled) {
        const out = impl(args, addon, args.backend as BackendWasm);
        if (out !== null) {
          count.native++;
          return out;
        }
      }
      count.fallback++;
      return fallback(args as unknown as Parameters<tf.KernelFunc>[0]);
    }) as tf.KernelFunc & { compactNetsNative?: boolean };
    kernelFunc.compactNetsNative = true;
    if (existing !== undefined) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: existing?.setupFunc });
    names.push(kernelName);
  }
  return names;
}
