/** Mocha set-up shared by the native-kernel test files. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { nativeAddon, nativeStatus } from '../src/lib/native/addon';

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
