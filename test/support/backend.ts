/** Backend hooks: which tfjs backend a suite runs on, put back afterwards for the next suite in the same process. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lib/backend';

/**
 * Runs the enclosing mocha suite (or, at the top of a file, the file) on backend `name` — 'cpu', the oracle, or
 * 'wasm', the training backend with this project's kernels — and restores the previous backend after it.
 */
export function useBackend(name: 'cpu' | 'wasm'): void {
  let previous: string | undefined;
  before(async function () {
    this.timeout(60000);
    previous = tf.engine().backendName ?? undefined; // null until some backend was started
    const info = await initBackend(name);
    if (info.backend !== name) throw new Error(`useBackend: asked for ${name}, initBackend gave ${info.backend}`);
  });
  after(async () => {
    if (previous !== undefined && previous !== tf.getBackend()) await tf.setBackend(previous);
  });
}
