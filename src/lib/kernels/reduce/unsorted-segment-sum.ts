/** UnsortedSegmentSum for the wasm backend: needed by the gradient of tf.gather (e.g. channel permutations). */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';

const NAME = tf.UnsortedSegmentSum;

/**
 * out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]; ids out of [0, numSegments) are dropped, as in TensorFlow.
 * Shapes: x [...idsShape, ...rest], segmentIds idsShape (int32) → out [numSegments, ...rest], dtype of x.
 */
function unsortedSegmentSumWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, NAME);
  const x = kernelInput(args.inputs, 'x', NAME);
  const segmentIds = kernelInput(args.inputs, 'segmentIds', NAME);
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const idsRank = segmentIds.shape.length;
  if (segmentIds.dtype !== 'int32') throw new Error(`${NAME}: segmentIds must be int32, got ${segmentIds.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`${NAME}: x must be float32 or int32, got ${x.dtype}`);
  if (!segmentIds.shape.every((d, i) => d === x.shape[i])) {
    throw new Error(`${NAME}: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const rest = x.shape.slice(idsRank);
  const inner = tf.util.sizeFromShape(rest);
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  const sums = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  sums.fill(0); // heap memory from makeOutput is not zeroed
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) sums[dst + j] += xs[src + j];
  }
  return out;
}

/** Registration record for `tf.registerKernel`. */
export const unsortedSegmentSumConfig = wasmKernelConfig(NAME, unsortedSegmentSumWasm);
