/** Times our models on the wasm backend: one model and one mode per process, so peak RSS belongs to that run. */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { buildModel, ModelConfig } from '../src/models';
import { costOf } from '../src/lib/cost';
import { exportGraph, GraphSpec } from './graph-spec';
import { median } from '../src/lib/stats';
import { compilePlan, runPlan } from '../src/lib/plan';
import { Mode, MODE_SPECS } from './modes';

/** What runs ours in inference modes: the tfjs path, or the inference plan compiled from the same model. */
export type Engine = 'tfjs' | 'plan';

/** Checks an --engine value (default 'tfjs'), naming the accepted ones on error. */
export function parseEngine(value: string | undefined): Engine {
  if (value === undefined || value === 'tfjs' || value === 'plan') return value ?? 'tfjs';
  throw new Error(`unknown engine "${value}"; choose tfjs (model.predict on wasm + native kernels) or plan (compilePlan + runPlan)`);
}

/** Result of timing one model in one mode. */
export interface OursResult {
  /** Median seconds per timed unit (a training step, or a batch-1 forward). */
  secondsMedian: number;
  seconds: number[];
  /** Forward multiply-accumulates for one image. */
  macsPerImage: number;
  /** Trainable parameters (PyTorch convention W+BN2 is not separated here: tfjs `countParams()` of trainable weights). */
  trainableParams: number;
  /** Peak resident set size of this process in bytes (Linux VmHWM). */
  peakRssBytes: number;
  /** What ran ours (inference modes may run the plan; training always runs tfjs). */
  engine: Engine;
  /** Per-kernel time totals in ms over one extra profiled unit, when asked for. */
  profile?: Array<{ kernel: string; ms: number; calls: number }>;
}

/** Peak resident memory of this process (VmHWM from /proc; falls back to current RSS where /proc is missing). */
export function peakRssBytes(): number {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage().rss;
}

/** Deterministic inputs: uniform pixels in [0, 1) and cycling labels, shape [B, R, R, 3] and [B, classes]. */
function makeBatch(batch: number, resolution: number, classes: number): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  const x = tf.randomUniform([batch, resolution, resolution, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ids = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32');
  const labels = tf.oneHot(ids, classes).toFloat() as tf.Tensor2D;
  ids.dispose();
  return { x, labels };
}

/**
 * Builds `modelName` for `mode` (with `config` over the mode's data-set profile, e.g. mobilenet_v2's padding 'torch' for
 * the torchvision peer), returning the model and its exported graph (for the peer).
 */
export function buildForMode(modelName: string, mode: Mode, resolution?: number, config: ModelConfig = {}): { model: tf.LayersModel; graph: GraphSpec } {
  const spec = MODE_SPECS[mode];
  const model = buildModel(modelName, { dataset: spec.dataset, resolution: resolution ?? spec.resolution, ...config });
  return { model, graph: exportGraph(model) };
}

/**
 * Times `repetitions` units after `warmup` units; a training unit is forward + backward + SGD-momentum step
 * (lr 0.01, momentum 0.9) on softmax cross-entropy, an inference unit is a forward pass in inference mode.
 * `batch`/`resolution` override the mode's (the smoke test uses tiny ones).
 */
export function timeOurs(
  model: tf.LayersModel, mode: Mode,
  opts: { repetitions: number; warmup: number; batch?: number; resolution?: number; profile?: boolean; engine?: Engine },
): Promise<OursResult> {
  const spec = MODE_SPECS[mode];
  const batch = opts.batch ?? spec.batch;
  const resolution = opts.resolution ?? spec.resolution;
  const classes = model.outputs[0].shape[1] as number;
  const { x, labels } = makeBatch(batch, resolution, classes);
  const optimizer = tf.train.momentum(0.01, 0.9);
  const engine = opts.engine ?? 'tfjs';
  if (engine === 'plan' && spec.training) throw new Error(`engine plan runs inference only; mode ${mode} trains (use --engine tfjs)`);
  // The plan is compiled before timing (like the ONNX export of the onnxruntime peer) and reads the same pixels.
  const plan = engine === 'plan' ? compilePlan(model, { batch }) : null;
  const pixels = plan === null ? null : (x.dataSync() as Float32Array).slice();
  const unit = plan !== null && pixels !== null
    ? () => {
        runPlan(plan, pixels);
      }
    : spec.training
    ? () => {
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true,
        );
        loss?.dataSync();
        loss?.dispose();
      }
    : () => {
        const y = tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor);
        y.dataSync();
        y.dispose();
      };
  return (async () => {
    for (let i = 0; i < opts.warmup; i++) unit();
    const seconds: number[] = [];
    for (let i = 0; i < opts.repetitions; i++) {
      const t0 = process.hrtime.bigint();
      unit();
      seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const result: OursResult = {
      secondsMedian: median(seconds),
      seconds,
      macsPerImage: costOf(model).macs,
      trainableParams: model.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0),
      peakRssBytes: 0,
      engine,
    };
    if (opts.profile) result.profile = await profileUnit(unit);
    result.peakRssBytes = peakRssBytes();
    optimizer.dispose();
    tf.dispose([x, labels]);
    return result;
  })();
}

/** Runs `unit` once under tf.profile and sums kernel wall times by kernel name, largest first. */
export async function profileUnit(unit: () => void): Promise<Array<{ kernel: string; ms: number; calls: number }>> {
  const info = await tf.profile(() => {
    unit();
  });
  const totals = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const entry = totals.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.calls += 1;
    totals.set(k.name, entry);
  }
  return [...totals.entries()].map(([kernel, v]) => ({ kernel, ms: v.ms, calls: v.calls })).sort((a, b) => b.ms - a.ms);
}
