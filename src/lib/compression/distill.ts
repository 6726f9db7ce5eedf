/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): a student is trained on
 *   L = α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1 − α)·CE(z_s, y)
 * where z_t are the frozen teacher's logits on the SAME augmented batch, T the temperature (the T²
 * keeps the soft-target gradients on the scale of the hard-label ones as T grows).
 * The loop mirrors `train()` in ../train.ts — same batching, seeded augmentation, optimizer, schedule and
 * L2 weight decay — so that with α = 0 it IS the ordinary training run (a test checks this).
 */
import * as tf from '@tensorflow/tfjs';
import { batchIndices, Dataset, makeBatch } from '../data/dataset';
import { createProgress } from '../progress';
import { Rng } from '../seed';
import { crossEntropy, detectOutputs } from '../train';
import { createOptimizer, setLearningRate } from '../train/optimizers';
import { learningRateAt, validateSchedule } from '../train/schedules';
import type { CompressionLoopOptions } from './loop-options';

/** Options of {@link distill}: those of `train()` that apply (the shared loop settings), plus temperature and α. */
export interface DistillOptions extends CompressionLoopOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Softmax temperature T > 0 (Hinton et al. use 1–20; 4 is common on CIFAR). */
  temperature: number;
  /** Weight α ∈ [0, 1] of the soft-target term (0 = ordinary training on labels). */
  alpha: number;
}

/** Per-epoch figures of a distillation run. */
export interface DistillEpoch {
  epoch: number;
  /** Mean total loss (as minimised, weight decay included). */
  loss: number;
  /** Training accuracy of the student on the augmented batches. */
  accuracy: number;
  seconds: number;
}

/**
 * The distillation loss for one batch (weight decay not included): logits [N, K] of student and
 * teacher, integer labels [N]. Returns a scalar.
 */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, temperature: number, alpha: number): tf.Scalar {
  checkDistillParams(temperature, alpha);
  return tf.tidy(() => {
    const hard = crossEntropy(studentLogits, labels, 'logits', 0);
    if (alpha === 0) return hard;
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1));
    return tf.add(tf.mul(alpha * temperature * temperature, kl), tf.mul(1 - alpha, hard)) as tf.Scalar;
  });
}

/** Validates temperature (> 0) and α (in [0, 1]). */
export function checkDistillParams(temperature: number, alpha: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`distill: temperature must be a finite number > 0 (e.g. 4), got ${temperature}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`distill: alpha must be in [0, 1] (weight of the soft targets), got ${alpha}`);
}

/**
 * Trains `student` on `data` against the frozen `teacher` (both must emit logits over the same classes).
 * The teacher runs in inference mode (BatchNorm moving statistics) and is never updated.
 */
export async function distill(student: tf.LayersModel, teacher: tf.LayersModel, data: Dataset, o: DistillOptions): Promise<{ history: DistillEpoch[]; wallSeconds: number }> {
  checkDistillParams(o.temperature, o.alpha);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`distill: epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`distill: batchSize must be a positive integer, got ${o.batchSize}`);
  if (!(o.learningRate > 0)) throw new Error(`distill: learningRate must be > 0, got ${o.learningRate}`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new Error(`distill: weightDecay must be ≥ 0, got ${o.weightDecay}`);
  if (o.schedule) validateSchedule(o.schedule);
  for (const [who, m] of [['student', student], ['teacher', teacher]] as const) {
    if (detectOutputs(m) !== 'logits') throw new Error(`distill: the ${who} ends in a softmax; distillation needs logits (remove the final softmax)`);
  }
  const optimizer = createOptimizer(o.optimizer ?? { name: 'sgd', momentum: 0.9 }, o.learningRate);
  const schedule = o.schedule ?? { kind: 'constant' };
  const decay = o.weightDecay ?? 0;
  const trainable = student.trainableWeights;
  const varList = trainable.map((w) => (w as unknown as { val: tf.Variable }).val);
  const decayed = trainable.filter((w) => w.shape.length >= 2).map((w) => (w as unknown as { val: tf.Variable }).val);
  const rng = new Rng(o.seed ?? 0);
  const progress = typeof o.progress === 'object' ? o.progress : createProgress({ title: o.title ?? 'distill', mode: o.progress ?? 'auto' });
  const stepsPerEpoch = batchIndices(data.count, o.batchSize, undefined, true).length;
  const history: DistillEpoch[] = [];
  const start = Date.now();
  let step = 0;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const epochStart = Date.now();
      const batches = batchIndices(data.count, o.batchSize, rng, true);
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      for (let b = 0; b < batches.length; b++) {
        const lr = learningRateAt(o.learningRate, schedule, epoch + b / batches.length, o.epochs, batches.length);
        setLearningRate(optimizer, lr);
        const { xs, ys } = makeBatch(data, batches[b], { normalization: o.normalization, augmentation: o.augmentation, rng });
        const teacherLogits = tf.tidy(() => teacher.apply(xs, { training: false }) as tf.Tensor2D);
        let correct: tf.Scalar | undefined;
        const loss = optimizer.minimize(() => {
          const out = student.apply(xs, { training: true }) as tf.Tensor2D;
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), ys), 'float32')) as tf.Scalar);
          let total = distillationLoss(out, teacherLogits, ys, o.temperature, o.alpha) as tf.Tensor;
          for (const reg of student.calculateLosses()) total = tf.add(total, reg);
          if (decay > 0) total = tf.add(total, tf.mul(decay / 2, tf.addN(decayed.map((v) => tf.sum(tf.square(v))))));
          return total as tf.Scalar;
        }, true, varList);
        const lossValue = loss!.dataSync()[0];
        const correctValue = correct!.dataSync()[0];
        tf.dispose([xs, ys, teacherLogits, loss!, correct!]);
        step++;
        if (!Number.isFinite(lossValue)) throw new Error(`distill: loss became ${lossValue} at epoch ${epoch + 1}, step ${b + 1}; lower the learning rate or the temperature`);
        lossSum += lossValue * batches[b].length;
        correctSum += correctValue;
        seen += batches[b].length;
        progress.update({ step, total: o.epochs * stepsPerEpoch, epoch: epoch + 1, epochs: o.epochs, metrics: { loss: lossSum / seen, acc: correctSum / seen, lr }, imagesPerSec: seen / Math.max((Date.now() - epochStart) / 1000, 1e-3) });
      }
      history.push({ epoch: epoch + 1, loss: lossSum / seen, accuracy: correctSum / seen, seconds: (Date.now() - epochStart) / 1000 });
    }
  } finally {
    optimizer.dispose();
    progress.done(history.length ? `loss ${history[history.length - 1].loss.toFixed(4)}, acc ${(100 * history[history.length - 1].accuracy).toFixed(1)} %` : undefined);
  }
  return { history, wallSeconds: (Date.now() - start) / 1000 };
}
