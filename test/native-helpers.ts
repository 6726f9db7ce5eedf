/** Mocha set-up and oracles shared by the native-kernel test files. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { nativeAddon, nativeStatus } from '../src/lib/kernels/core/addon';
import { nativeKernelCalls, withoutNativeKernels } from '../src/lib/kernels';
import { scaledError } from './ops-helpers';

/**
 * Registers the suite's hooks: before, switch to wasm, assert that the addon loaded (else every case would silently
 * test the fallback) and that each kernel in `overridden` is served by a native override; after, restore the addon's
 * thread count and the previous backend.
 */
export function nativeSuiteHooks(overridden: readonly string[] = []): void {
  let backend0: string | null = null;
  let threads0 = 1;
  before(async () => {
    backend0 = tf.engine().backendName;
    await initBackend('wasm');
    const status = nativeStatus();
    assert.ok(status.loaded, `native addon not loaded: ${status.reason}`);
    threads0 = status.threads ?? 1;
    for (const name of overridden) {
      const registered = tf.getKernel(name, 'wasm');
      assert.ok(registered && (registered.kernelFunc as { compactNetsNative?: boolean }).compactNetsNative, `${name} not overridden`);
    }
  });
  after(async () => {
    nativeAddon()?.setThreads(threads0);
    await tf.setBackend(backend0 ?? 'wasm');
  });
}

/** The loaded addon seen through one kernel family's entry points (asserts that it loaded). */
export function loadedAddon<T>(): T {
  const addon = nativeAddon();
  assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
  return addon as unknown as T;
}

/** Sets the addon's thread count (asserts that it loaded). */
export function setNativeThreads(n: number): void {
  loadedAddon<{ setThreads(n: number): void }>().setThreads(n);
}

/** Asserts scaledError(actual, expected) ≤ tol, naming the check. */
export function assertScaled(actual: Float32Array, expected: Float32Array, what: string, tol = 1e-4): void {
  const e = scaledError(actual, expected);
  assert.ok(e <= tol, `${what}: scaled error ${e.toExponential(2)} > ${tol}`);
}

/** Runs `work` on backend `name`; results copied out as plain float arrays. */
export async function onBackend(name: string, work: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const tensors = work();
  const arrays = tensors.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(tensors);
  return arrays;
}

/** How many times kernel `name` has run natively so far. */
export function nativeCalls(name: string): number {
  return nativeKernelCalls()[name]?.native ?? 0;
}

/** Runs `fn` on wasm and asserts that each named kernel ran natively at least once during it. */
export async function nativeRun(names: string | readonly string[], fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const list = typeof names === 'string' ? [names] : names;
  const before = list.map(nativeCalls);
  const out = await onBackend('wasm', fn);
  list.forEach((name, i) => assert.ok(nativeCalls(name) > before[i], `${name} did not run natively (calls ${JSON.stringify(nativeKernelCalls()[name])})`));
  return out;
}

/** The same work on wasm with the native kernels off (the kernels they replaced). */
export async function previousRun(fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  return onBackend('wasm', () => withoutNativeKernels(fn));
}

/** The `selectBlas` mode code of a GEMM name reported by the addon's `info().blas` (to restore it after a test). */
export function blasModeOf(name: string): number {
  return name === 'openblas' ? 1 : name === 'builtin+openblas' ? 2 : 0;
}
