/** Scores a classifier on a labelled image folder: decode → preprocess → batched forward pass → top-1/top-5. */
import * as tf from '@tensorflow/tfjs';
import { decodeImageFile } from '../data/decode';
import { createProgress, ProgressMode, ProgressSinks } from '../progress';
import type { LabelledImage } from './labels';
import { preprocess, PreprocessingName } from './preprocess';
import { TopKCounter } from './score';

export interface EvaluateClassifierOptions {
  preprocessing: PreprocessingName;
  /** Model input size in pixels. */
  resolution: number;
  /**
   * Added to each 0..999 label to index the logits: 1 for 1001-class TFLite models (index 0 = background),
   * 0 for 1000-class models.
   */
  labelOffset: number;
  /** Images per forward pass; default 32. */
  batchSize?: number;
  /** Progress display; default 'auto'. */
  progress?: ProgressMode;
  title?: string;
  /** Where the progress bar writes (e.g. stderr when stdout carries JSON). */
  progressSinks?: ProgressSinks;
}

export interface ClassifierEvaluation {
  n: number;
  /** Top-1 accuracy, a fraction in [0, 1]. */
  top1: number;
  /** Top-5 accuracy, a fraction in [0, 1]. */
  top5: number;
  /** Wall time of the whole evaluation, seconds. */
  seconds: number;
}

/** Evaluates `model` on `images` (labels 0..999). Logits [N, classes] must have classes ≥ 1000 + labelOffset. */
export async function evaluateClassifier(model: tf.LayersModel, images: LabelledImage[], o: EvaluateClassifierOptions): Promise<ClassifierEvaluation> {
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (images.length === 0) throw new Error('no images to evaluate');
  const classes = model.outputs[0].shape[1] as number;
  if (classes < 1000 + o.labelOffset) {
    throw new Error(`model "${model.name}" has ${classes} outputs; ImageNet labels with offset ${o.labelOffset} need ${1000 + o.labelOffset}`);
  }
  const counter = new TopKCounter();
  const progress = createProgress({ title: o.title ?? `eval ${model.name}`, mode: o.progress ?? 'auto' }, o.progressSinks);
  const start = Date.now();
  for (let i = 0; i < images.length; i += batchSize) {
    const batch = images.slice(i, i + batchSize);
    const decoded = batch.map((b) => decodeImageFile(b.file));
    const logits = tf.tidy(() => {
      const x = tf.stack(decoded.map((img) => preprocess(o.preprocessing, img, o.resolution)));
      return model.predict(x) as tf.Tensor2D;
    });
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    batch.forEach((b, j) => counter.add(values.subarray(j * classes, (j + 1) * classes), b.label + o.labelOffset));
    const seconds = (Date.now() - start) / 1000;
    const accuracy = counter.accuracy();
    progress.update({ step: counter.n, total: images.length, metrics: { top1: accuracy.top1, top5: accuracy.top5 }, imagesPerSec: counter.n / Math.max(seconds, 1e-3) });
  }
  const { top1, top5 } = counter.accuracy();
  const seconds = (Date.now() - start) / 1000;
  progress.done(`top-1 ${(100 * top1).toFixed(2)} %  top-5 ${(100 * top5).toFixed(2)} %  on ${counter.n} images in ${seconds.toFixed(1)} s`);
  return { n: counter.n, top1, top5, seconds };
}
