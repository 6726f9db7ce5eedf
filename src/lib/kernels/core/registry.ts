/**
 * How a kernel family joins tfjs. On the wasm backend one kernel name may run up to three implementations, each
 * handing the calls it declines to the next:
 *   our C addon (nativeOverrides, only when the addon loads)
 *     → our TypeScript kernel (wasmKernels for names tfjs-wasm lacks, wasmOverrides for names it has)
 *       → tfjs-wasm's own kernel (captured before a TypeScript override replaced it; ./tfjs-wasm-kernels.ts)
 * Gradients replaced in tfjs-core apply to every backend; their non-wasm path is a composite of tensor ops.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeAddon } from './addon';
import { NativeOverride, registerNativeOverrides } from './native-override';
import { captureTfjsWasmKernel } from './tfjs-wasm-kernels';

/** What one kernel family adds to the tfjs registries (each part optional). */
export interface KernelFamily {
  /** TypeScript kernels for names tfjs-wasm lacks (registered only while it still lacks them). */
  readonly wasmKernels?: readonly tf.KernelConfig[];
  /** TypeScript kernels that replace tfjs-wasm's own, which is captured first and runs the cases they decline. */
  readonly wasmOverrides?: readonly tf.KernelConfig[];
  /** Gradients registered in place of tfjs-core's (or for our own kernel names). */
  readonly gradients?: readonly tf.GradConfig[];
  /** C addon kernels placed in front of whatever runs under their name; registered only when the addon loads. */
  readonly nativeOverrides?: readonly NativeOverride[];
  /** What else the family installs when the addon loads (the fused batch-norm layer). */
  readonly installNative?: () => void;
}

/**
 * Registers the TypeScript kernels and gradients of `families` on wasm; returns the kernel names registered now.
 * Idempotent; a kernel a future tfjs version ships natively is left alone (its own implementation wins).
 */
export function registerTypeScriptKernels(families: readonly KernelFamily[]): string[] {
  const added: string[] = [];
  for (const config of families.flatMap((f) => f.wasmKernels ?? [])) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  for (const config of families.flatMap((f) => f.wasmOverrides ?? [])) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing !== undefined && existing.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) {
      captureTfjsWasmKernel(config.kernelName, existing.kernelFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    // Keep tfjs-wasm's setupFunc (it binds the wasm export its kernelFunc calls when we delegate).
    tf.registerKernel(existing?.setupFunc !== undefined ? { ...config, setupFunc: existing.setupFunc } : config);
    added.push(config.kernelName);
  }
  for (const config of families.flatMap((f) => f.gradients ?? [])) tf.registerGradient(config);
  return added;
}

/**
 * Places the C addon's kernels of `families` in front of the registered ones and runs their native install steps;
 * returns the kernel names served natively (none without the addon). Call after registerTypeScriptKernels.
 */
export function registerNativeKernels(families: readonly KernelFamily[]): string[] {
  if (nativeAddon() === null) return [];
  const names = registerNativeOverrides(families.flatMap((f) => f.nativeOverrides ?? []));
  for (const family of families) family.installNative?.();
  return names;
}
