/** Batch latency through an inference plan, timed like tfjsLatency and onnxLatency (../onnx/latency.ts). */
import * as tf from '@tensorflow/tfjs';
import { nativeStatus, setNativeThreads } from '../kernels/core/addon';
import { RuntimeLatency, RuntimeLatencyOptions, summarizeSamples } from '../onnx/latency';
import { compilePlan, Plan } from './compile';
import { runPlan } from './run';

/** The runtime label of plan timings in tables and bench lines. */
export const PLAN_RUNTIME_LABEL = 'ours (plan, native addon)';

/**
 * Latency of `model` compiled to a plan (compilation not timed): one deterministic input made first, `warmup` untimed
 * passes, then `repetitions` timed ones (ms each), on `threads` native threads (restored after). Throws
 * PlanUnsupportedError / PlanUnavailableError like compilePlan; callers then time the tfjs path instead.
 */
export async function planLatency(model: tf.LayersModel, options: RuntimeLatencyOptions = {}): Promise<RuntimeLatency & { plan: Pick<Plan, 'arenaFloats' | 'activationFloats' | 'steps'> }> {
  const o = { threads: options.threads ?? 1, repetitions: options.repetitions ?? 20, warmup: options.warmup ?? 5, batch: options.batch ?? 1 };
  for (const [name, v, min] of [['threads', o.threads, 1], ['repetitions', o.repetitions, 1], ['warmup', o.warmup, 0], ['batch', o.batch, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`planLatency: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  const plan = compilePlan(model, { batch: o.batch });
  const previousThreads = nativeStatus().threads;
  setNativeThreads(o.threads);
  try {
    let seed = 1;
    const x = Float32Array.from({ length: plan.input.length }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648; // deterministic pixels in [0, 1), as onnxLatency's
      return seed / 2147483648;
    });
    for (let i = 0; i < o.warmup; i++) runPlan(plan, x);
    const samples: number[] = [];
    for (let i = 0; i < o.repetitions; i++) {
      const t0 = process.hrtime.bigint();
      runPlan(plan, x);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      // Yield between passes as the async runtimes do, so timers and I/O of the caller keep running.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return {
      runtime: PLAN_RUNTIME_LABEL, threads: o.threads, batch: o.batch, warmup: o.warmup, repetitions: o.repetitions,
      ...summarizeSamples(samples), samplesMs: samples,
      plan: { arenaFloats: plan.arenaFloats, activationFloats: plan.activationFloats, steps: plan.steps },
    };
  } finally {
    if (previousThreads !== undefined) setNativeThreads(previousThreads);
  }
}
