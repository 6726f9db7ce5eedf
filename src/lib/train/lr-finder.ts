/**
 * Learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017): train for a
 * few hundred steps while the rate grows exponentially from `minLr` to `maxLr`, record the loss, and read off the
 * rate range where the loss falls fastest. The model's weights are restored afterwards, so the test can precede
 * the real run on the same model.
 */
import * as tf from '@tensorflow/tfjs';
import { Augmentation, batchIndices, Dataset, makeBatch, Normalization } from '../data/dataset';
import { Rng } from '../seed';
import { OptimizerOptions } from './optimizers';
import { createStepper, detectOutputs } from './step';

/** Options of {@link findLearningRate}. */
export interface LrFinderOptions {
  /** First and last learning rate of the exponential ramp (0 < minLr < maxLr). Defaults 1e-5 and 1. */
  minLr?: number;
  maxLr?: number;
  /** Steps of the ramp (≥ 10). Default 100. */
  steps?: number;
  batchSize: number;
  /** Default SGD with momentum 0.9. */
  optimizer?: OptimizerOptions;
  weightDecay?: number;
  labelSmoothing?: number;
  normalization?: Normalization;
  augmentation?: Augmentation;
  /** Seed of batch order and augmentation (default 0). */
  seed?: number;
  /** Exponential smoothing factor of the loss curve in [0, 1) (default 0.9). */
  smoothing?: number;
  /** Stop when the smoothed loss exceeds this multiple of its minimum (default 4). */
  stopFactor?: number;
}

/** What {@link findLearningRate} returns: one entry per step taken. */
export interface LrFinderResult {
  learningRates: number[];
  /** Raw training loss per step (nats). */
  losses: number[];
  /** Bias-corrected exponential moving average of the loss. */
  smoothed: number[];
  /** The rate at the lowest smoothed loss. */
  minLossLr: number;
  /**
   * The rate where the smoothed loss falls fastest per decade of rate (steepest negative slope), searched after the
   * first tenth of the ramp (where the moving average is still settling) and before the minimum.
   */
  steepestLr: number;
  /**
   * minLossLr / 10 (Smith's rule, fastai's `lr_min`): a conservative peak rate. Short range tests on BatchNorm
   * networks stop early, so warm-up + cosine schedules often train well at 3–5× this; treat it as a lower anchor.
   */
  suggestion: number;
  /** True when the loss blew up (stopFactor or non-finite) before maxLr. */
  stoppedEarly: boolean;
}

function validate(o: LrFinderOptions): Required<Pick<LrFinderOptions, 'minLr' | 'maxLr' | 'steps' | 'smoothing' | 'stopFactor'>> {
  const minLr = o.minLr ?? 1e-5;
  const maxLr = o.maxLr ?? 1;
  const steps = o.steps ?? 100;
  const smoothing = o.smoothing ?? 0.9;
  const stopFactor = o.stopFactor ?? 4;
  if (!(minLr > 0 && maxLr > minLr && Number.isFinite(maxLr))) throw new Error(`findLearningRate: need 0 < minLr < maxLr, got minLr = ${minLr}, maxLr = ${maxLr}`);
  if (!Number.isInteger(steps) || steps < 10) throw new Error(`findLearningRate: steps must be an integer ≥ 10, got ${steps}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`findLearningRate: batchSize must be a positive integer, got ${o.batchSize}`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`findLearningRate: smoothing must be in [0, 1), got ${smoothing}`);
  if (!(stopFactor > 1)) throw new Error(`findLearningRate: stopFactor must be > 1, got ${stopFactor}`);
  return { minLr, maxLr, steps, smoothing, stopFactor };
}

/**
 * Runs the range test on `model` with `data` (uint8 images, normalised and augmented per batch) and restores the
 * model's weights afterwards. Cost: `steps` training steps.
 */
export async function findLearningRate(model: tf.LayersModel, data: Dataset, options: LrFinderOptions): Promise<LrFinderResult> {
  const { minLr, maxLr, steps, smoothing, stopFactor } = validate(options);
  const saved = model.weights.map((w) => tf.keep(w.read().clone()));
  const stepper = createStepper(model, {
    optimizer: options.optimizer ?? { name: 'sgd', momentum: 0.9 }, learningRate: minLr, outputs: detectOutputs(model),
    labelSmoothing: options.labelSmoothing ?? 0, weightDecay: options.weightDecay ?? 0, weightDecayMode: 'l2',
  });
  const rng = new Rng(options.seed ?? 0);
  const result: LrFinderResult = { learningRates: [], losses: [], smoothed: [], minLossLr: minLr, steepestLr: minLr, suggestion: minLr, stoppedEarly: false };
  try {
    let batches: Int32Array[] = [];
    let avg = 0;
    let best = Infinity;
    for (let i = 0; i < steps; i++) {
      if (batches.length === 0) batches = batchIndices(data.count, options.batchSize, rng, true);
      const lr = minLr * Math.pow(maxLr / minLr, i / (steps - 1));
      const { xs, ys } = makeBatch(data, batches.shift()!, { normalization: options.normalization, augmentation: options.augmentation, rng });
      const { loss } = stepper.step(xs as tf.Tensor4D, ys as tf.Tensor1D, lr, rng);
      tf.dispose([xs, ys]);
      if (!Number.isFinite(loss)) {
        result.stoppedEarly = true;
        break;
      }
      avg = smoothing * avg + (1 - smoothing) * loss;
      const corrected = avg / (1 - Math.pow(smoothing, i + 1));
      result.learningRates.push(lr);
      result.losses.push(loss);
      result.smoothed.push(corrected);
      best = Math.min(best, corrected);
      if (i > 5 && corrected > stopFactor * best) {
        result.stoppedEarly = true;
        break;
      }
    }
  } finally {
    stepper.dispose();
    model.weights.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
  const n = result.smoothed.length;
  if (n >= 2) {
    let iMin = 0;
    for (let i = 1; i < n; i++) if (result.smoothed[i] < result.smoothed[iMin]) iMin = i;
    // Steepest descent per decade: central differences of the smoothed loss against log10(lr), up to the minimum.
    const from = Math.max(1, Math.floor(n / 10));
    let iSteep = Math.min(from, iMin);
    let slope = Infinity;
    for (let i = from; i < iMin; i++) {
      const j = Math.min(i + 1, n - 1);
      const s = (result.smoothed[j] - result.smoothed[i - 1]) / (Math.log10(result.learningRates[j]) - Math.log10(result.learningRates[i - 1]));
      if (s < slope) {
        slope = s;
        iSteep = i;
      }
    }
    result.minLossLr = result.learningRates[iMin];
    result.steepestLr = result.learningRates[iSteep];
    result.suggestion = result.minLossLr / 10;
  }
  return result;
}
