/**
 * Batch-1 latency on the two runtimes, timed the same way: one random input made before timing, `warmup` untimed
 * forward passes, then `repetitions` timed ones each read back to the host; median and spread (min, max, quartiles).
 * `onnxLatency` runs an ONNX graph in onnxruntime-node (CPU); `tfjsLatency` runs our tfjs model on the active backend.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { nativeStatus, setNativeThreads } from '../kernels/core/addon';
import { exportOnnx } from './export';
import { checkGraphOptimizationLevel, createSession, GraphOptimizationLevel, loadOnnxRuntime, onnxRuntimeLabel } from './runtime';

/** Options of {@link onnxLatency} and {@link tfjsLatency}. */
export interface RuntimeLatencyOptions {
  /** Compute threads; default 1. */
  threads?: number;
  /** Timed forward passes; default 20. */
  repetitions?: number;
  /** Untimed forward passes first; default 5. */
  warmup?: number;
  /** Images per pass; default 1. */
  batch?: number;
}

/** Options of {@link onnxLatency}: those of both runtimes, and onnxruntime's graph optimiser. */
export interface OnnxLatencyOptions extends RuntimeLatencyOptions {
  /** onnxruntime graph-optimisation level (GRAPH_OPTIMIZATION_LEVELS in runtime.ts); default 'all'. */
  graphOptimization?: GraphOptimizationLevel;
}

/** Latency of one model on one runtime, in milliseconds per forward pass. */
export interface RuntimeLatency {
  /** e.g. "onnxruntime-node 1.30.0", "tfjs wasm + native kernels". */
  runtime: string;
  /** Threads the runtime computed with (tfjs wasm without native kernels: 1 whatever was asked). */
  threads: number;
  batch: number;
  warmup: number;
  repetitions: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** First and third quartile (linear interpolation). */
  q1Ms: number;
  q3Ms: number;
  /** Every timed pass, in order. */
  samplesMs: number[];
  /** onnxruntime only: the graph-optimisation level the session ran with. */
  graphOptimization?: GraphOptimizationLevel;
}

interface Checked {
  threads: number;
  repetitions: number;
  warmup: number;
  batch: number;
}

function checkOptions(o: RuntimeLatencyOptions, who: string): Checked {
  const checked = { threads: o.threads ?? 1, repetitions: o.repetitions ?? 20, warmup: o.warmup ?? 5, batch: o.batch ?? 1 };
  for (const [name, v, min] of [['threads', checked.threads, 1], ['repetitions', checked.repetitions, 1], ['warmup', checked.warmup, 0], ['batch', checked.batch, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${who}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return checked;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Summary statistics of timed samples (ms). */
export function summarizeSamples(samplesMs: number[]): Pick<RuntimeLatency, 'medianMs' | 'minMs' | 'maxMs' | 'q1Ms' | 'q3Ms'> {
  if (samplesMs.length === 0) throw new Error('summarizeSamples: no samples');
  const s = [...samplesMs].sort((a, b) => a - b);
  return { medianMs: quantile(s, 0.5), minMs: s[0], maxMs: s[s.length - 1], q1Ms: quantile(s, 0.25), q3Ms: quantile(s, 0.75) };
}

async function timeLoop(run: () => Promise<void>, o: Checked): Promise<number[]> {
  for (let i = 0; i < o.warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < o.repetitions; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return samples;
}

/**
 * Latency of an ONNX graph in onnxruntime-node: `model` is a tfjs model (exported first, not timed), ONNX bytes or a
 * .onnx file. The input is float32 [batch, …] of the graph's first input (its symbolic batch axis set to `batch`);
 * `graphOptimization` sets onnxruntime's optimiser (default 'all'; 'disabled' runs the graph node by node as written).
 */
export async function onnxLatency(model: tf.LayersModel | Uint8Array | string, options: OnnxLatencyOptions = {}): Promise<RuntimeLatency> {
  const o = checkOptions(options, 'onnxLatency');
  const graphOptimization = checkGraphOptimizationLevel(options.graphOptimization ?? 'all', 'onnxLatency');
  const ort = loadOnnxRuntime();
  let source: Uint8Array | string;
  if (typeof model === 'string') {
    if (!fs.existsSync(model)) throw new Error(`onnxLatency: no file ${model}`);
    source = model;
  } else if (model instanceof Uint8Array) {
    source = model;
  } else {
    source = exportOnnx(model).bytes;
  }
  const session = await createSession(source, o.threads, graphOptimization);
  try {
    const inputName = session.inputNames[0];
    const meta = (session as unknown as { inputMetadata?: Array<{ isTensor?: boolean; shape?: Array<number | string> }> }).inputMetadata?.[0];
    const dims = meta?.shape?.map((d, i) => (i === 0 || typeof d !== 'number' ? (i === 0 ? o.batch : NaN) : d));
    if (dims === undefined || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`onnxLatency: the graph input ${inputName} needs a fixed shape apart from the batch axis, got [${meta?.shape?.join(', ') ?? 'unknown'}]`);
    }
    const size = dims.reduce((a, b) => a * b, 1);
    let seed = 1;
    const data = Float32Array.from({ length: size }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648; // deterministic pixels in [0, 1)
      return seed / 2147483648;
    });
    const feed = { [inputName]: new ort.Tensor('float32', data, dims) };
    const samples = await timeLoop(async () => {
      const out = await session.run(feed);
      for (const t of Object.values(out)) t.dispose();
    }, o);
    return {
      runtime: onnxRuntimeLabel(), threads: o.threads, batch: o.batch, warmup: o.warmup, repetitions: o.repetitions,
      ...summarizeSamples(samples), samplesMs: samples, graphOptimization,
    };
  } finally {
    await session.release();
  }
}

/**
 * Latency of our tfjs model on the active backend, timed like {@link onnxLatency}. On wasm with the native kernels the
 * kernels run on `threads` threads for the measurement (restored after); without them wasm computes on one thread.
 */
export async function tfjsLatency(model: tf.LayersModel, options: RuntimeLatencyOptions = {}): Promise<RuntimeLatency> {
  const o = checkOptions(options, 'tfjsLatency');
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.some((d) => d === null)) throw new Error(`tfjsLatency: the model input shape [${shape.join(', ')}] must be fully defined`);
  const backend = tf.getBackend();
  const native = backend === 'wasm' ? nativeStatus() : undefined;
  const nativeRuns = native !== undefined && native.loaded && native.threads !== undefined;
  const previousThreads = nativeRuns ? native.threads : undefined;
  if (nativeRuns) setNativeThreads(o.threads);
  const x = tf.randomUniform([o.batch, ...shape], 0, 1, 'float32', 1);
  try {
    const samples = await timeLoop(async () => {
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
    }, o);
    const threads = backend === 'wasm' ? (nativeRuns ? o.threads : 1) : o.threads;
    const runtime = `tfjs ${backend}${nativeRuns ? ' + native kernels' : ''}`;
    return { runtime, threads, batch: o.batch, warmup: o.warmup, repetitions: o.repetitions, ...summarizeSamples(samples), samplesMs: samples };
  } finally {
    x.dispose();
    if (previousThreads !== undefined) setNativeThreads(previousThreads);
  }
}
