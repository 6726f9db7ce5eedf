/** Helpers shared by the model tests: published-figure checks (conventions, rounding) and a few training steps. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { CostReport } from '../src/lib/cost';
import { PublishedFigures } from '../src/models/registry';

/** Our parameter count in the convention a published figure uses (survey-facts §0.2; W+BN3 = W + β + moving stats). */
export function paramsInConvention(r: CostReport, convention: PublishedFigures['paramsConvention']): number {
  switch (convention ?? 'W') {
    case 'W':
      return r.params.weights;
    case 'W+BN2':
      return r.params.trainable;
    case 'W+BN4':
      return r.params.all;
    case 'W+BN3':
      return r.params.weights + 0.75 * (r.params.all - r.params.weights);
    default:
      throw new Error(`unknown convention ${convention}`);
  }
}

/** Asserts our counts lie within the published rounding, unless the entry carries a footnote explaining why not. */
export function checkPublished(label: string, r: CostReport, p: PublishedFigures): void {
  const slack = 1e-9;
  if (p.params !== undefined) {
    const rel = Math.abs(paramsInConvention(r, p.paramsConvention) / p.params - 1);
    if (!p.footnote) assert.ok(rel <= (p.rounding?.params ?? 0) + slack, `${label}: params off by ${(rel * 100).toFixed(2)} %`);
  }
  if (p.macs !== undefined) {
    const rel = Math.abs(r.macs / p.macs - 1);
    if (!p.footnote) assert.ok(rel <= (p.rounding?.macs ?? 0) + slack, `${label}: MACs off by ${(rel * 100).toFixed(2)} %`);
    else assert.ok(rel < 0.2, `${label}: even a footnoted figure should be within 20 % (got ${(rel * 100).toFixed(1)} %)`);
  }
}

/** Trains `steps` steps on one fixed random batch; returns the losses (softmax cross-entropy on logits). */
export async function trainFixedBatch(model: tf.LayersModel, classes: number, batch: number, steps: number): Promise<number[]> {
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 11);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32'), classes);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, labels)) as number);
  tf.dispose([x, labels]);
  return losses;
}

/** |ours − published| / published ≤ rounding (relative). */
export function withinRounding(ours: number, published: number, rounding: number, what: string): void {
  assert.ok(Math.abs(ours - published) / published <= rounding + 1e-12, `${what}: ours ${ours} vs published ${published} (±${(rounding * 100).toFixed(2)} %)`);
}

/** Trains `steps` Adam steps (lr 3e-3) on one fixed random batch of two images, data seeded by `seed`; returns the losses. */
export async function trainSteps(model: tf.LayersModel, steps: number, seed: number): Promise<number[]> {
  const [, h, w, c] = model.inputs[0].shape as number[];
  const classes = model.outputs[0].shape[1] as number;
  const x = tf.randomNormal([2, h, w, c], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), classes);
  model.compile({ optimizer: tf.train.adam(3e-3), loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(Number(await model.trainOnBatch(x, y)));
  tf.dispose([x, y]);
  return losses;
}
