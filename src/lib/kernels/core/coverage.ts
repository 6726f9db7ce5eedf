/** Finds which kernels a computation uses and which of them a backend lacks. */
import * as tf from '@tensorflow/tfjs';

/**
 * Runs `work` under `tf.profile` on the current backend and returns the sorted kernel names it executed.
 * Op scopes that tf.profile also reports (names ending in `__op`) are left out: they are not kernels.
 */
export async function kernelsUsedBy(work: () => void | Promise<void>): Promise<string[]> {
  const info = await tf.profile(async () => {
    await work();
  });
  return [...new Set(info.kernelNames)].filter((name) => !name.endsWith('__op')).sort();
}

/** The names in `kernelNames` that have no kernel registered for `backendName` (e.g. 'wasm'). */
export function missingKernels(kernelNames: readonly string[], backendName: string): string[] {
  return kernelNames.filter((name) => tf.getKernel(name, backendName) === undefined);
}
