/**
 * Backend hooks: which tfjs backend a suite runs on, put back afterwards for the next suite in the same process; and
 * running the same work on a chosen backend, its results copied out, to compare backends.
 */
import { strict as assert } from 'assert';
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

/** What `work` returned: each tensor's shape and its values copied out as float32. */
export interface Results {
  shapes: number[][];
  values: Float32Array[];
}

/** Switches to backend `name`, runs `work` and copies its tensors out (shapes and float32 values); disposes them. */
export async function resultsOn(name: string, work: () => tf.Tensor[]): Promise<Results> {
  await tf.setBackend(name);
  assert.equal(tf.getBackend(), name, `backend ${name} did not start`);
  const tensors = work();
  const results = { shapes: tensors.map((t) => t.shape), values: tensors.map((t) => Float32Array.from(t.dataSync())) };
  tf.dispose(tensors);
  return results;
}

/** Switches to backend `name`, runs `work` and returns its tensors' values as float32 arrays (the tensors disposed). */
export async function onBackend(name: string, work: () => tf.Tensor[]): Promise<Float32Array[]> {
  return (await resultsOn(name, work)).values;
}
