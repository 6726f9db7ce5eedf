/** Seeded random test data, independent of tfjs' own generator: the same seed gives the same values on every backend. */
import * as tf from '@tensorflow/tfjs';

/** Deterministic pseudo-random values in [lo, hi) (xorshift32), default [-1, 1). */
export function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** A seeded random float32 tensor of `shape` with values in [-scale, scale). */
export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed, -scale, scale), shape);
}

/** A seeded random NHWC tensor with values in [-1, 1). */
export function randomTensor4d(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return randomTensor(shape, seed) as tf.Tensor4D;
}

/** Seeded random bytes (e.g. uint8 image pixels), each in 0..255. */
export function randomBytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from(randomValues(size, seed, 0, 256), (v) => Math.min(255, Math.floor(v)));
}
