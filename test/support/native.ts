/**
 * Hooks and runners for the native-kernel tests (the C addon behind the wasm backend): the suite set-up, how many
 * calls each kernel served natively, and the same work run natively and on the kernels the addon replaced.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lib/backend';
import { nativeAddon, nativeKernelCalls, nativeStatus, setNativeKernelsEnabled, withoutNativeKernels } from '../../src/lib/kernels';
import { onBackend } from './backend';

/** The `selectBlas` mode code of a GEMM name reported by the addon's `info().blas` (to restore it after a test). */
export function blasModeOf(name: string): number {
  return name === 'openblas' ? 1 : name === 'builtin+openblas' ? 2 : 0;
}

/**
 * Registers the suite's hooks: before, switch to wasm, assert that the addon loaded (else every case would silently
 * test the fallback) and that each kernel in `overridden` is served by a native override; after, restore the addon's
 * thread count and BLAS choice and the previous backend.
 */
export function nativeSuiteHooks(overridden: readonly string[] = []): void {
  let backend0: string | null = null;
  let threads0 = 1;
  let blas0 = 0;
  before(async () => {
    backend0 = tf.engine().backendName;
    await initBackend('wasm');
    const status = nativeStatus();
    assert.ok(status.loaded, `native addon not loaded: ${status.reason}`);
    threads0 = status.threads ?? 1;
    blas0 = blasModeOf(String(status.blas));
    for (const name of overridden) {
      const registered = tf.getKernel(name, 'wasm');
      assert.ok(registered && (registered.kernelFunc as { compactNetsNative?: boolean }).compactNetsNative, `${name} not overridden`);
    }
  });
  after(async () => {
    nativeAddon()?.setThreads(threads0);
    nativeAddon()?.selectBlas(blas0);
    await tf.setBackend(backend0 ?? 'wasm');
  });
}

/**
 * Turns the native kernels on or off for the enclosing mocha suite (off: the TypeScript kernels behind them run) and
 * back to their previous state after it.
 */
export function useNativeKernels(enabled: boolean): void {
  let enabled0 = true;
  before(() => {
    enabled0 = setNativeKernelsEnabled(enabled);
  });
  after(() => {
    setNativeKernelsEnabled(enabled0);
  });
}

/** The loaded addon seen through one kernel family's entry points (asserts that it loaded). */
export function loadedAddon<T>(): T {
  const addon = nativeAddon();
  assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
  return addon as unknown as T;
}

/** Calls of kernel `name` so far: served natively, and handed to the kernel the native one replaced (0 if never called). */
export function kernelCalls(name: string): { native: number; fallback: number } {
  return nativeKernelCalls()[name] ?? { native: 0, fallback: 0 };
}

/** How many times kernel `name` has run natively so far. */
export function nativeCalls(name: string): number {
  return kernelCalls(name).native;
}

/**
 * Runs `fn` on wasm and asserts that each named kernel ran natively at least once during it (failures name the case
 * `what` when given); returns its values.
 */
export async function nativeRun(names: string | readonly string[], fn: () => tf.Tensor[], what?: string): Promise<Float32Array[]> {
  const list = typeof names === 'string' ? [names] : names;
  const before = list.map(nativeCalls);
  const out = await onBackend('wasm', fn);
  const prefix = what === undefined ? '' : `${what}: `;
  list.forEach((name, i) => assert.ok(nativeCalls(name) > before[i], `${prefix}${name} did not run natively (calls ${JSON.stringify(kernelCalls(name))})`));
  return out;
}

/** The same work on wasm with the native kernels off (the kernels they replaced); returns its values. */
export async function previousRun(fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  return onBackend('wasm', () => withoutNativeKernels(fn));
}
