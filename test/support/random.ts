/** Seeded random test data, independent of tfjs' own generator: the same seed gives the same values on every backend. */
import * as tf from '@tensorflow/tfjs';

/** A seeded xorshift32 generator: each call returns the next unsigned 32-bit integer (never 0). */
function xorshift32(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Deterministic pseudo-random values in [lo, hi) (xorshift32), default [-1, 1). */
export function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = xorshift32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (next() / 2 ** 32) * (hi - lo);
  return out;
}

/** A seeded picker of small integers: each call `pick(n)` returns the next one in 0..n−1 (xorshift32 mod n). */
export function randomPicker(seed: number): (n: number) => number {
  const next = xorshift32(seed);
  return (n: number) => next() % n;
}

/**
 * A seeded random float32 tensor of `shape`: randomValues in [-1, 1) times `scale` plus `shift`, so values lie in
 * [shift − scale, shift + scale). Each step rounds to float32, so the values are bit for bit those of
 * `tf.tensor(randomValues(…)).mul(scale).add(shift)` on any backend.
 */
export function randomTensor(shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor {
  const values = randomValues(tf.util.sizeFromShape(shape), seed);
  if (scale !== 1 || shift !== 0) {
    // A product or sum of two float32 values rounded to float64 and then to float32 is the correctly rounded float32
    // result (53 ≥ 2·24 + 2), so this equals float32 arithmetic.
    const s = Math.fround(scale);
    const t = Math.fround(shift);
    for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i] * s) + t;
  }
  return tf.tensor(values, shape);
}

/** A seeded random NHWC tensor with values in [-1, 1). */
export function randomTensor4d(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return randomTensor(shape, seed) as tf.Tensor4D;
}

/** Seeded random bytes (e.g. uint8 image pixels), each in 0..255. */
export function randomBytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from(randomValues(size, seed, 0, 256), (v) => Math.min(255, Math.floor(v)));
}
