/**
 * Fine-tuning a compressed model (Han et al. 2015 retrain after pruning; Denton et al. 2014 fine-tune after
 * factorisation): a few epochs on the training data at a small learning rate, with the compression kept.
 *
 * - **Pruning** — every kernel entry that is exactly 0 when fine-tuning starts is multiplied back to 0 after every
 *   optimizer step (a fixed 0/1 mask), so the sparsity pattern, and with it the number of stored weights, is unchanged.
 * - **Low-rank** — `factorizeLayer` writes the rank-r product U_r·S_r·V_rᵀ back into the original kernel. Here
 *   U_r (the r leading left singular vectors of that kernel, from the project's `svd`) is frozen, and after every step
 *   the kernel W (read as a (k·k·M) × N matrix) is projected back onto its column space: W ← U_r·(U_rᵀ·W). The kernel
 *   therefore stays at rank ≤ r. With SGD (momentum included) this is exactly fine-tuning the r × N right factor
 *   (U_rᵀ·W) of the deployed two-layer form with the left factor fixed: the projection is linear, so projected
 *   momentum equals the momentum of projected gradients. With Adam/RMSProp it is a projected method that still keeps
 *   the rank. Layers listed in `lowRank` are left out of the zero mask.
 * - **Quantisation** is not handled: fine-tuning float weights and re-quantising them is left to the caller.
 *
 * The optimizer step is the training loop's own (`createStepper` in ../train/step.ts): same loss, regularisation
 * losses, weight decay, parameter groups and seeded randomness; batching and augmentation are seeded from `seed`.
 */
import * as tf from '@tensorflow/tfjs';
import { batchIndices, Dataset, makeBatch } from '../data/dataset';
import { createProgress } from '../progress';
import { Rng } from '../seed';
import { learningRateAt, validateSchedule } from '../train/schedules';
import { createStepper, detectOutputs } from '../train/step';
import { KernelWeight, kernelWeights } from './kernels';
import { kernelMatrixShape } from './low-rank';
import type { CompressionLoopOptions } from './loop-options';
import { matrix, svd } from './svd';

/** Options of {@link fineTune}: the shared loop settings, plus what fine-tuning keeps of the compression. */
export interface FineTuneOptions extends CompressionLoopOptions {
  /** Epochs over `data`, an integer ≥ 1 (1–5 is typical after compression). */
  epochs: number;
  /** Learning rate > 0, usually 10–100× smaller than the original training's peak (e.g. 0.005 for SGD). */
  learningRate: number;
  /** Images per step; default 32. */
  batchSize?: number;
  /** Keep every kernel entry that is exactly 0 at the start at 0 (pruning); default true. */
  keepZeros?: boolean;
  /** Factorised layers and their ranks: each kernel is kept at rank ≤ rank (see the module comment). */
  lowRank?: { layerName: string; rank: number }[];
}

/** What {@link fineTune} returns: per-epoch mean training loss and accuracy (augmented batches), and the time taken. */
export interface FineTuneResult {
  losses: number[];
  accuracies: number[];
  wallSeconds: number;
}

/** Validates the fine-tuning budget: epochs an integer ≥ 1, learning rate a finite number > 0. */
export function checkFineTuneOptions(o: { epochs: number; learningRate: number; batchSize?: number }): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`fineTune: epochs must be an integer ≥ 1, got ${o.epochs}`);
  if (!(typeof o.learningRate === 'number' && o.learningRate > 0 && Number.isFinite(o.learningRate))) {
    throw new Error(`fineTune: learningRate must be a finite number > 0 (e.g. 0.005), got ${o.learningRate}`);
  }
  if (o.batchSize !== undefined && (!Number.isInteger(o.batchSize) || o.batchSize < 1)) throw new Error(`fineTune: batchSize must be an integer ≥ 1, got ${o.batchSize}`);
}

/** A constraint re-applied after every step. */
interface Keeper {
  apply(): void;
  dispose(): void;
}

function zeroMask(k: KernelWeight): Keeper | null {
  const values = k.variable.read().dataSync();
  const keep = new Uint8Array(values.length);
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    keep[i] = values[i] === 0 ? 0 : 1;
    if (values[i] === 0) zeros++;
  }
  if (zeros === 0) return null;
  const m = tf.tensor(keep, k.shape, 'bool');
  const zero = tf.zeros(k.shape);
  return {
    // where() writes +0 (a multiplication by 0 would leave −0 for negative weights).
    apply: () => tf.tidy(() => {
      k.variable.write(tf.where(m, k.variable.read(), zero));
    }),
    dispose: () => tf.dispose([m, zero]),
  };
}

function rankProjection(k: KernelWeight, rank: number): Keeper {
  const { rows, cols } = kernelMatrixShape(k.shape);
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(rows, cols)) {
    throw new Error(`fineTune: rank of layer "${k.layerName}" must be an integer in 1..${Math.min(rows, cols)} (${rows} × ${cols}), got ${rank}`);
  }
  const { u } = svd(matrix(rows, cols, k.variable.read().dataSync()));
  const basis = new Float32Array(rows * rank); // U_r, row-major [rows, rank]
  for (let i = 0; i < rows; i++) for (let j = 0; j < rank; j++) basis[i * rank + j] = u.data[i * u.cols + j];
  const ur = tf.tensor2d(basis, [rows, rank]);
  const keeper = {
    apply: () => tf.tidy(() => {
      const w = tf.reshape(k.variable.read(), [rows, cols]) as tf.Tensor2D;
      k.variable.write(tf.reshape(tf.matMul(ur, tf.matMul(ur, w, true, false)), k.shape));
    }),
    dispose: () => ur.dispose(),
  };
  keeper.apply(); // a kernel not yet of rank ≤ r becomes its best rank-r approximation
  return keeper;
}

/**
 * Fine-tunes `model` in place on `data` for `o.epochs` epochs at learning rate `o.learningRate`, keeping its
 * pruning pattern and the rank of its factorised layers (see the module comment).
 */
export async function fineTune(model: tf.LayersModel, data: Dataset, o: FineTuneOptions): Promise<FineTuneResult> {
  checkFineTuneOptions(o);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new Error(`fineTune: weightDecay must be ≥ 0, got ${o.weightDecay}`);
  if (o.schedule) validateSchedule(o.schedule);
  const batchSize = o.batchSize ?? 32;
  if (data.count < batchSize) throw new Error(`fineTune: the training data has ${data.count} images, fewer than one batch of ${batchSize}; lower batchSize`);
  const kernels = kernelWeights(model);
  const keepers: Keeper[] = [];
  const lowRankLayers = new Set<string>();
  try {
    for (const { layerName, rank } of o.lowRank ?? []) {
      const mine = kernels.filter((k) => k.layerName === layerName && k.className !== 'DepthwiseConv2D');
      if (mine.length !== 1) throw new Error(`fineTune: no single conv/dense kernel in layer "${layerName}" to keep at rank ${rank}`);
      keepers.push(rankProjection(mine[0], rank));
      lowRankLayers.add(layerName);
    }
    if (o.keepZeros ?? true) {
      for (const k of kernels) {
        if (lowRankLayers.has(k.layerName)) continue;
        const keeper = zeroMask(k);
        if (keeper) keepers.push(keeper);
      }
    }
    const stepper = createStepper(model, {
      optimizer: o.optimizer ?? { name: 'sgd', momentum: 0.9 }, learningRate: o.learningRate, labelSmoothing: 0,
      weightDecay: o.weightDecay ?? 0, weightDecayMode: 'l2', outputs: detectOutputs(model),
    });
    const schedule = o.schedule ?? { kind: 'constant' };
    const rng = new Rng(o.seed ?? 0);
    const progress = typeof o.progress === 'object' ? o.progress : createProgress({ title: o.title ?? 'fine-tune', mode: o.progress ?? 'auto' });
    const stepsPerEpoch = batchIndices(data.count, batchSize, undefined, true).length;
    const losses: number[] = [];
    const accuracies: number[] = [];
    const start = Date.now();
    let step = 0;
    try {
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        const epochStart = Date.now();
        const batches = batchIndices(data.count, batchSize, rng, true);
        let lossSum = 0;
        let correctSum = 0;
        let seen = 0;
        for (let b = 0; b < batches.length; b++) {
          const lr = learningRateAt(o.learningRate, schedule, epoch + b / batches.length, o.epochs, batches.length);
          const { xs, ys } = makeBatch(data, batches[b], { normalization: o.normalization, augmentation: o.augmentation, rng });
          let result: { loss: number; correct: number };
          try {
            result = stepper.step(xs as tf.Tensor4D, ys as tf.Tensor1D, lr, rng);
          } finally {
            tf.dispose([xs, ys]);
          }
          for (const keeper of keepers) keeper.apply();
          step++;
          if (!Number.isFinite(result.loss)) throw new Error(`fineTune: loss became ${result.loss} at epoch ${epoch + 1}, step ${b + 1}; lower the learning rate`);
          lossSum += result.loss * batches[b].length;
          correctSum += result.correct;
          seen += batches[b].length;
          progress.update({ step, total: o.epochs * stepsPerEpoch, epoch: epoch + 1, epochs: o.epochs, metrics: { loss: lossSum / seen, acc: correctSum / seen, lr }, imagesPerSec: seen / Math.max((Date.now() - epochStart) / 1000, 1e-3) });
        }
        losses.push(lossSum / seen);
        accuracies.push(correctSum / seen);
      }
    } finally {
      stepper.dispose();
      progress.done(losses.length ? `loss ${losses[losses.length - 1].toFixed(4)}, acc ${(100 * accuracies[accuracies.length - 1]).toFixed(1)} %` : undefined);
    }
    return { losses, accuracies, wallSeconds: (Date.now() - start) / 1000 };
  } finally {
    keepers.forEach((k) => k.dispose());
  }
}
