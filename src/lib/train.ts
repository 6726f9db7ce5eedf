/**
 * The training loop: `train(model, data, options)` runs mini-batch training with seeded shuffling
 * and augmentation, an optimizer (SGD+momentum/Nesterov, Adam, RMSProp), weight decay, a learning-rate
 * schedule, label smoothing and the model's own regularisation losses; it checkpoints after every
 * epoch and can resume from the last checkpoint.
 *
 * Determinism: shuffling, augmentation and per-class subsets draw from one seeded {@link Rng} whose state is
 * checkpointed, so an interrupted and resumed run sees the same batches as an uninterrupted one; each step's forward
 * pass runs under `withSeededRandom` (seed.ts) with that generator, so dropout masks repeat too. Weight initialisation is
 * seeded by whoever builds the model (experiments/run.ts builds under withSeededRandom). With the same backend and
 * native thread count the results repeat bit for bit (the native kernels split work into fixed per-thread ranges);
 * different backends (wasm vs cpu) or SIMD builds differ in rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { Augmentation, batchIndices, Dataset, makeBatch, Normalization } from './data/dataset';
import { createProgress, ProgressMode, ProgressReporter } from './progress';
import { configHash } from './results';
import { Rng } from './seed';
import { ParameterGroups } from './train/parameter-groups';
import { createStepper, detectOutputs } from './train/step';
import { CheckpointState, EpochRecord, readCheckpointState, restoreCheckpoint, writeCheckpoint } from './train/checkpoint';
import { evaluate } from './train/evaluate';
import { checkTrainingFits } from './train/memory-fit';
import { OptimizerOptions } from './train/optimizers';
import { learningRateAt, Schedule, validateSchedule } from './train/schedules';

export { evaluate, Evaluation } from './train/evaluate';
export type { EpochRecord } from './train/checkpoint';

/** Options of {@link train}. */
export interface TrainOptions {
  /** Total number of epochs (a resumed run continues up to this count). */
  epochs: number;
  batchSize: number;
  /** Base learning rate (the schedule scales it). */
  learningRate: number;
  /** Default {name: 'sgd', momentum: 0.9}. */
  optimizer?: OptimizerOptions;
  /**
   * Weight decay λ on convolution and dense kernels only (biases, BatchNorm γ/β and learned shift offsets are
   * spared: see train/parameter-groups.ts). 'l2' (default) adds λ/2·Σw² to the loss, the classic SGD form;
   * 'decoupled' shrinks w ← w − lr·λ·w after each step (AdamW), independent of the gradient scaling.
   */
  weightDecay?: number;
  weightDecayMode?: 'l2' | 'decoupled';
  /** Default constant. */
  schedule?: Schedule;
  /** Label smoothing ε in [0, 1): targets (1−ε)·onehot + ε/K. */
  labelSmoothing?: number;
  normalization?: Normalization;
  augmentation?: Augmentation;
  /** Seed of shuffling and augmentation (default 0). */
  seed?: number;
  /** Evaluated after every epoch (top-1/top-5 go into the history) when given. */
  validation?: Dataset;
  /** Folder for per-epoch checkpoints; none are written when absent. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume?: boolean;
  /** Drop the last incomplete batch of an epoch (default true: tiny batches upset BatchNorm). */
  dropLast?: boolean;
  /** A reporter, or a mode for one created here (default 'auto'). */
  progress?: ProgressReporter | ProgressMode;
  /** Progress title, e.g. "train mobilenet_v2". */
  title?: string;
  /** Whether the model emits logits or softmax probabilities; default: detected from its last layer. */
  outputs?: 'logits' | 'probabilities';
  /** Called after each epoch (after the checkpoint is written). */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** What {@link train} returns. */
export interface TrainResult {
  history: EpochRecord[];
  /** Epochs completed in all (including those before a resume). */
  epochs: number;
  steps: number;
  /** Epoch the run resumed from (0 = fresh start). */
  resumedFromEpoch: number;
  /** Seconds and images/s of the training steps run by this call. */
  wallSeconds: number;
  imagesPerSec: number;
  /** Path of the last checkpoint's state file, when checkpoints are on. */
  checkpoint?: string;
  /** Set when the loss ended no lower than it started: why (see {@link divergence}). Such a run is not a result. */
  diverged?: string;
}

export { crossEntropy, detectOutputs } from './train/step';

function validateOptions(o: TrainOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`train: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('batchSize', o.batchSize);
  if (!(o.learningRate > 0)) throw new Error(`train: learningRate must be > 0, got ${o.learningRate}`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new Error(`train: weightDecay must be ≥ 0, got ${o.weightDecay}`);
  if (o.weightDecayMode !== undefined && o.weightDecayMode !== 'l2' && o.weightDecayMode !== 'decoupled') {
    throw new Error(`train: weightDecayMode must be "l2" or "decoupled", got "${o.weightDecayMode}"`);
  }
  if (o.labelSmoothing !== undefined && !(o.labelSmoothing >= 0 && o.labelSmoothing < 1)) throw new Error(`train: labelSmoothing must be in [0, 1), got ${o.labelSmoothing}`);
  if (o.schedule) validateSchedule(o.schedule);
  if (o.resume && !o.checkpointDir) throw new Error('train: resume needs checkpointDir (where the checkpoints are)');
}

/** Hash of everything that must match for a checkpoint to be resumable by these options. */
function trainingSignature(model: tf.LayersModel, data: Dataset, o: TrainOptions, groups: ParameterGroups): string {
  return configHash({
    multipliers: groups.byMultiplier.map((g) => [g.multiplier, g.variables.length]),
    weights: model.weights.map((w) => w.shape),
    data: [data.name, data.split, data.count, data.subset ?? null],
    epochsIgnored: true, // `epochs` may grow on resume: not part of the signature
    batchSize: o.batchSize, learningRate: o.learningRate, optimizer: o.optimizer ?? null, weightDecay: o.weightDecay ?? 0,
    weightDecayMode: o.weightDecayMode ?? 'l2', schedule: o.schedule ?? null, labelSmoothing: o.labelSmoothing ?? 0,
    normalization: o.normalization ?? null, augmentation: o.augmentation ?? null, seed: o.seed ?? 0, dropLast: o.dropLast ?? true,
  });
}

/**
 * Why a finished run counts as diverged, or null: a non-finite loss stops training with an error; this catches the
 * quieter failure, a loss that ends above where it started.
 * - Two or more epochs: the last epoch's mean training loss must be below the first epoch's (epoch means average
 *   every step, so seed noise is small next to a real rise).
 * - One epoch: the mean of the last quarter of the steps against the first quarter; a rise counts only beyond two
 *   standard errors of that difference, because a few noisy steps (quick runs) move by chance. Under 8 steps there
 *   is too little to judge, and only a non-finite loss counts.
 */
export function divergence(history: readonly EpochRecord[], stepLosses: readonly number[]): string | null {
  if (history.length >= 2) {
    const first = history[0].loss;
    const last = history[history.length - 1].loss;
    return last < first ? null : `mean training loss rose from ${first.toFixed(4)} (epoch 1) to ${last.toFixed(4)} (epoch ${history.length})`;
  }
  if (stepLosses.length < 8) return null;
  const window = Math.floor(stepLosses.length / 4);
  const stats = (xs: readonly number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) };
  };
  const start = stats(stepLosses.slice(0, window));
  const end = stats(stepLosses.slice(-window));
  const se = Math.sqrt((start.variance + end.variance) / window);
  return end.mean - start.mean <= 2 * se
    ? null
    : `mean training loss of the last ${window} steps (${end.mean.toFixed(4)}) rose above that of the first ${window} (${start.mean.toFixed(4)}) by more than twice its standard error (${se.toFixed(4)})`;
}

/**
 * Trains `model` on `data` (uint8 images, normalised and augmented per batch) for `options.epochs`.
 * BatchNorm runs in training mode (`model.apply(x, {training: true})`) so its moving statistics update.
 * Throws on a non-finite loss, naming the step and the last good checkpoint; a run whose loss ends no lower than it
 * started returns with `diverged` set (see {@link divergence}).
 */
export async function train(model: tf.LayersModel, data: Dataset, options: TrainOptions): Promise<TrainResult> {
  validateOptions(options);
  checkTrainingFits(model, options.batchSize);
  const outputs = options.outputs ?? detectOutputs(model);
  const stepper = createStepper(model, {
    optimizer: options.optimizer ?? { name: 'sgd', momentum: 0.9 }, learningRate: options.learningRate, outputs,
    labelSmoothing: options.labelSmoothing ?? 0, weightDecay: options.weightDecay ?? 0, weightDecayMode: options.weightDecayMode ?? 'l2',
  });
  const schedule = options.schedule ?? { kind: 'constant' };
  const signature = trainingSignature(model, data, options, stepper.groups);
  const batchesPerEpoch = batchIndices(data.count, options.batchSize, undefined, options.dropLast ?? true).length;

  let rng = new Rng(options.seed ?? 0);
  let history: EpochRecord[] = [];
  let startEpoch = 0;
  let step = 0;
  let checkpointFile: string | undefined;
  let lastGood = 'none (no checkpoint written yet)';
  if (options.resume) {
    const state: CheckpointState | null = readCheckpointState(options.checkpointDir!);
    if (state) {
      if (state.configHash !== signature) {
        throw new Error(`train: the checkpoint in ${options.checkpointDir} was written by a different model, data set or training configuration; use another checkpointDir or delete it to start over`);
      }
      await restoreCheckpoint(options.checkpointDir!, model, stepper.optimizers, state);
      rng = Rng.fromState(state.rngState);
      history = state.history;
      startEpoch = state.epoch;
      step = state.step;
      checkpointFile = `${options.checkpointDir}/checkpoint.json`;
      lastGood = `${checkpointFile} (epoch ${state.epoch})`;
    }
  }

  const progress = typeof options.progress === 'object' ? options.progress : createProgress({ title: options.title ?? 'train', mode: options.progress ?? 'auto' });
  const totalSteps = options.epochs * batchesPerEpoch;
  const stepLosses: number[] = [];
  let imagesThisRun = 0;
  let trainSeconds = 0;
  try {
    for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
      const epochStart = Date.now();
      const batches = batchIndices(data.count, options.batchSize, rng, options.dropLast ?? true);
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      let lr = options.learningRate;
      for (let b = 0; b < batches.length; b++) {
        lr = learningRateAt(options.learningRate, schedule, epoch + b / batches.length, options.epochs, batches.length);
        const { xs, ys } = makeBatch(data, batches[b], { normalization: options.normalization, augmentation: options.augmentation, rng });
        const { loss: lossValue, correct: correctValue } = stepper.step(xs as tf.Tensor4D, ys as tf.Tensor1D, lr, rng);
        tf.dispose([xs, ys]);
        step++;
        if (!Number.isFinite(lossValue)) {
          throw new Error(`train: loss became ${lossValue} at epoch ${epoch + 1}, step ${b + 1} of ${batches.length} (global step ${step}); last good checkpoint: ${lastGood}. Lower the learning rate, then resume from that checkpoint`);
        }
        stepLosses.push(lossValue);
        lossSum += lossValue * batches[b].length;
        correctSum += correctValue;
        seen += batches[b].length;
        imagesThisRun += batches[b].length;
        const elapsed = (Date.now() - epochStart) / 1000;
        progress.update({
          step, total: totalSteps, epoch: epoch + 1, epochs: options.epochs,
          metrics: { loss: lossSum / seen, acc: correctSum / seen, lr }, imagesPerSec: seen / Math.max(elapsed, 1e-3),
        });
      }
      const seconds = (Date.now() - epochStart) / 1000;
      trainSeconds += seconds;
      const record: EpochRecord = { epoch: epoch + 1, loss: lossSum / seen, accuracy: correctSum / seen, learningRate: lr, seconds, imagesPerSec: seen / Math.max(seconds, 1e-3) };
      if (options.validation) {
        const ev = evaluate(model, options.validation, { normalization: options.normalization });
        record.valTop1 = ev.top1;
        record.valTop5 = ev.top5;
      }
      history = [...history, record];
      if (options.checkpointDir) {
        checkpointFile = await writeCheckpoint(options.checkpointDir, model, stepper.optimizers, { epoch: epoch + 1, step, rngState: rng.getState(), history, configHash: signature });
        lastGood = `${checkpointFile} (epoch ${epoch + 1})`;
      }
      options.onEpochEnd?.(record);
    }
  } finally {
    stepper.dispose();
    progress.done(history.length ? `loss ${history[history.length - 1].loss.toFixed(4)}, acc ${(100 * history[history.length - 1].accuracy).toFixed(1)} %` : undefined);
  }
  const diverged = divergence(history, stepLosses);
  return {
    history, epochs: history.length, steps: step, resumedFromEpoch: startEpoch,
    wallSeconds: trainSeconds, imagesPerSec: imagesThisRun / Math.max(trainSeconds, 1e-3), checkpoint: checkpointFile,
    ...(diverged ? { diverged } : {}),
  };
}
