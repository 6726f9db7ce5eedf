/**
 * Seeded pseudo-random numbers for everything the training stack randomises in JavaScript
 * (shuffling, subsets, augmentation). The state is one 32-bit integer so that a checkpoint can
 * store it and a resumed run draws exactly the numbers the uninterrupted run would have drawn.
 */

/** A small, fast, serialisable generator (mulberry32: 32-bit state, period 2^32). */
export class Rng {
  private state: number;

  /** Creates a generator from an integer seed (any finite number; only its low 32 bits count). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** The generator's state, to store in a checkpoint and pass to {@link Rng.fromState}. */
  getState(): number {
    return this.state;
  }

  /** Recreates a generator from a state returned by {@link Rng.getState}. */
  static fromState(state: number): Rng {
    const rng = new Rng(0);
    rng.state = state >>> 0;
    return rng;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n) for n ≥ 1. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A 31-bit integer, e.g. to seed a tfjs initializer or a child generator. */
  seed31(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** The integers 0 … n−1 in an order shuffled by `rng`, as an Int32Array. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return rng.shuffle(order);
}

/**
 * A seed for one purpose derived from a run's seed (e.g. "weights", "data"), so that the streams of
 * different purposes are independent and adding a draw to one does not shift the others.
 */
export function deriveSeed(seed: number, purpose: string): number {
  if (!Number.isFinite(seed)) throw new Error(`deriveSeed: seed must be a finite number, got ${seed}`);
  // FNV-1a over the purpose, mixed with the seed, then one mulberry32 step to spread the bits.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  return new Rng(h >>> 0).seed31();
}

/**
 * Runs the synchronous `fn` with `Math.random` drawing from `rng`, then restores it.
 *
 * Why: TensorFlow.js seeds every unseeded random op (weight initialisers, dropout masks, random offsets)
 * from `Math.random()`. Supplying those draws from our seeded generator makes weight initialisation and
 * dropout repeat bit for bit without threading a seed through every layer of every builder. `fn` must
 * not be async: other code running between awaits would draw from (and advance) the same stream.
 */
export function withSeededRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('withSeededRandom: fn returned a Promise; only synchronous work can be seeded this way');
    return out;
  } finally {
    Math.random = original;
  }
}
