/**
 * Whether a training step fits in the backend's memory, checked before the first step. The wasm backend keeps every
 * tensor in one WebAssembly heap of at most 4 GiB (tfjs-backend-wasm 4.22 is built with that maximum); a step that
 * needs more ends in the module's bare `Aborted()`, which kills the backend mid-run and names no cause. The check
 * turns that into an error before training that names the model, the batch and the largest batch that fits.
 */
import * as tf from '@tensorflow/tfjs';

/** Largest heap the wasm backend can grow to, in bytes (the Emscripten maximum memory of tfjs-backend-wasm 4.22). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;
/**
 * Share of the heap the retained activations may take (weights, gradients, optimizer slots, scratch, the batch and the
 * allocator's fragmentation take the rest). Calibrated on MobileNet V2 at 64×64, a few training steps each: α 0.5 at
 * batch 64 (2.59 GiB of activations) and α 1.0 at batch 35 (2.53 GiB) train; α 1.0 at batch 41 (2.97 GiB) stops with
 * "memory access out of bounds" and at batch 64 (4.63 GiB) with "Aborted()".
 */
const ACTIVATION_SHARE = 0.65;

/** Floats per image that a training step keeps for its backward pass: the output of every layer but the input. */
export function retainedFloatsPerImage(model: tf.LayersModel): number {
  let floats = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) floats += shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  }
  return floats;
}

/**
 * Throws before training when `batchSize` images of `model` cannot fit in the `backend`'s memory (only the wasm heap
 * has a fixed limit); the message gives the estimate in GiB and the largest batch that fits.
 */
export function checkTrainingFits(model: tf.LayersModel, batchSize: number, backend = tf.getBackend()): void {
  if (backend !== 'wasm') return;
  const perImage = retainedFloatsPerImage(model) * 4;
  const budget = ACTIVATION_SHARE * WASM_HEAP_LIMIT_BYTES;
  if (perImage * batchSize <= budget) return;
  const fits = Math.floor(budget / perImage);
  const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(2);
  throw new Error(
    `train: a batch of ${batchSize} images of ${model.name} keeps ≈ ${gib(perImage * batchSize)} GiB of activations for the backward pass ` +
      `(${(perImage / 4 / 1e6).toFixed(1)} M floats per image); the wasm backend's heap holds at most ${gib(WASM_HEAP_LIMIT_BYTES)} GiB, ` +
      `of which about ${gib(budget)} GiB can go to activations: ` +
      (fits >= 1 ? `use a batch of at most ${fits} (--batch ${fits})` : 'not even one image fits') +
      ', or lower the width or resolution',
  );
}
