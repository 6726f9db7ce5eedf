/** Wall-clock latency of a model's forward pass on the active backend (median of repeated runs after warm-up). */
import * as tf from '@tensorflow/tfjs';
import { median } from './stats';

export interface LatencyOptions {
  /** Images per forward pass; default 1. */
  batch?: number;
  /** Untimed runs first (kernel set-up, allocation); default 1. */
  warmup?: number;
  /** Timed runs; default 5. */
  repetitions?: number;
  /** Stop adding timed runs once this many milliseconds were spent timing (at least 1 run always); default Infinity. */
  budgetMs?: number;
}

export interface LatencyResult {
  batch: number;
  /** Median milliseconds per forward pass of the whole batch. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Timed runs actually made. */
  repetitions: number;
  /** Images per second at the median: batch / median. */
  imagesPerSec: number;
  backend: string;
}

/** Times `model.predict` on a random [batch, H, W, C] input; the result is read back so the time includes the work. */
export async function measureLatency(model: tf.LayersModel, options: LatencyOptions = {}): Promise<LatencyResult> {
  const batch = options.batch ?? 1;
  const warmup = options.warmup ?? 1;
  const repetitions = options.repetitions ?? 5;
  const budgetMs = options.budgetMs ?? Infinity;
  for (const [name, v, min] of [['batch', batch, 1], ['warmup', warmup, 0], ['repetitions', repetitions, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`measureLatency: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.some((d) => d === null)) throw new Error(`measureLatency: the model input shape [${shape}] must be fully defined`);
  const input = tf.randomUniform([batch, ...shape], -1, 1, 'float32');
  const runOnce = async (): Promise<number> => {
    const start = performance.now();
    const out = model.predict(input) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    await Promise.all(outs.map((t) => t.data()));
    const elapsed = performance.now() - start;
    outs.forEach((t) => t.dispose());
    return elapsed;
  };
  try {
    for (let i = 0; i < warmup; i++) await runOnce();
    const times: number[] = [];
    let spent = 0;
    while (times.length < repetitions && (times.length === 0 || spent < budgetMs)) {
      const t = await runOnce();
      times.push(t);
      spent += t;
    }
    const med = median(times);
    return {
      batch,
      medianMs: med,
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      repetitions: times.length,
      imagesPerSec: (batch * 1000) / med,
      backend: tf.getBackend(),
    };
  } finally {
    input.dispose();
  }
}
