/** Evaluation of a classifier on a data set: top-1, top-5, per-class accuracy and confusion matrix. */
import * as tf from '@tensorflow/tfjs';
import { batchIndices, Dataset, makeBatch, Normalization } from '../data/dataset';
import type { ProgressReporter } from '../progress';

/** What {@link evaluate} measures; accuracies are fractions in [0, 1]. */
export interface Evaluation {
  count: number;
  top1: number;
  /** Top-5 accuracy (top-k with k = number of classes when there are fewer than 5). */
  top5: number;
  /** Accuracy per class (NaN for a class without images). */
  perClass: number[];
  /** confusion[true][predicted] = number of images. */
  confusion: number[][];
  seconds: number;
  imagesPerSec: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Images per forward pass (default 250). */
  batchSize?: number;
  /** Must match the normalisation used in training. */
  normalization?: Normalization;
  progress?: ProgressReporter;
}

/** Runs `model` in inference mode (BatchNorm uses moving statistics) over all of `data`. */
export function evaluate(model: tf.LayersModel, data: Dataset, options: EvaluateOptions = {}): Evaluation {
  const classes = data.classNames.length;
  const k = Math.min(5, classes);
  const confusion = data.classNames.map(() => new Array<number>(classes).fill(0));
  let top5Hits = 0;
  const start = Date.now();
  const batches = batchIndices(data.count, options.batchSize ?? 250);
  let done = 0;
  for (const indices of batches) {
    const { top } = tf.tidy(() => {
      const { xs, ys } = makeBatch(data, indices, { normalization: options.normalization });
      ys.dispose();
      const out = model.apply(xs, { training: false }) as tf.Tensor2D;
      if (out.shape[1] !== classes) throw new Error(`model outputs ${out.shape[1]} classes, data set ${data.name} has ${classes}`);
      // Ranking is the same for logits and softmax probabilities: no need to know which the model emits.
      return { top: tf.topk(out, k).indices };
    });
    const predicted = top.dataSync();
    top.dispose();
    for (let b = 0; b < indices.length; b++) {
      const truth = data.labels[indices[b]];
      confusion[truth][predicted[b * k]]++;
      for (let j = 0; j < k; j++) if (predicted[b * k + j] === truth) top5Hits++;
    }
    done += indices.length;
    options.progress?.update({ step: done, total: data.count, imagesPerSec: done / Math.max((Date.now() - start) / 1000, 1e-3) });
  }
  const seconds = (Date.now() - start) / 1000;
  const correct = confusion.reduce((a, row, c) => a + row[c], 0);
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? NaN : row[c] / n;
  });
  options.progress?.done(`top-1 ${(100 * correct / data.count).toFixed(2)} %`);
  return { count: data.count, top1: correct / data.count, top5: top5Hits / data.count, perClass, confusion, seconds, imagesPerSec: data.count / Math.max(seconds, 1e-3) };
}
