/**
 * Helpers for the block and model tests: a model around a block, save/load round trips, model costs, published-figure
 * checks (conventions, rounding), a few training steps on a fixed batch, and a model's weight values.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { costOf, CostReport } from '../../src/lib/cost';
import { buildModel, getModelEntry, ModelConfig, PublishedFigures } from '../../src/models';

/** A one-input model around `body` applied to an input of `shape` (no batch axis), e.g. a block under test. */
export function modelAround(shape: number[], body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const x = tf.input({ shape });
  return tf.model({ inputs: x, outputs: body(x) });
}

/** Saves a model to memory (withSaveHandler) and loads it back (fromMemory). */
export async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(saved !== null, 'save handler was not called');
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}

/** The cost report of registered model `name` built with `config` (the model is disposed). */
export function costOfModel(name: string, config: ModelConfig): CostReport {
  const model = buildModel(name, config);
  try {
    return costOf(model);
  } finally {
    model.dispose();
  }
}

/**
 * Sums over the layers of a block: those named `prefix` or `prefix.…` (e.g. "stage2" covers "stage2.unit1.conv").
 * weights = conv/FC weights and biases, bn = trainable BN parameters (trainable − weights), all = every parameter.
 */
export function costOfLayers(report: CostReport, prefix: string): { weights: number; bn: number; all: number; macs: number } {
  const layers = report.layers.filter((l) => l.name === prefix || l.name.startsWith(`${prefix}.`));
  const sum = (f: (l: CostReport['layers'][number]) => number) => layers.reduce((a, l) => a + f(l), 0);
  const weights = sum((l) => l.params.weights);
  return { weights, bn: sum((l) => l.params.trainable) - weights, all: sum((l) => l.params.all), macs: sum((l) => l.macs) };
}

/**
 * Asserts the per-block counts of a published breakdown: for each [prefix, weights, BN parameters, MACs in millions],
 * weights and BN parameters exactly, MACs within 0.006 M (the breakdowns round to 0.01 M).
 */
export function assertBlockCosts(report: CostReport, expected: Array<[prefix: string, weights: number, bn: number, macsM: number]>): void {
  for (const [prefix, weights, bn, macsM] of expected) {
    const p = costOfLayers(report, prefix);
    assert.strictEqual(p.weights, weights, `${prefix} weights`);
    assert.strictEqual(p.bn, bn, `${prefix} BN parameters`);
    assert.ok(Math.abs(p.macs / 1e6 - macsM) < 0.006, `${prefix}: ${p.macs} MACs, expected ${macsM} M`);
  }
}

/** Our parameter count in the convention a published figure uses (docs/sources.md §0.2; W+BN3 = W + β + moving stats). */
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

/**
 * Builds every published variant of registered model `name` and runs one random image through it at the variant's
 * input size: logits [1, classes] (`classes` when given, else the model's own output width), all finite.
 */
export function assertVariantsRun(name: string, classes?: number): void {
  for (const v of getModelEntry(name).variants) {
    const model = buildModel(name, v.config);
    const r = model.inputs[0].shape[1] as number;
    const x = tf.randomNormal([1, r, r, 3]);
    const y = model.predict(x) as tf.Tensor;
    try {
      assert.deepStrictEqual(y.shape, [1, classes ?? model.outputs[0].shape[1]], `${name} ${v.name}: logits shape`);
      assert.ok(Number.isFinite(tf.sum(y).dataSync()[0]), `${name} ${v.name}: non-finite logits`);
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  }
}

/** Settings of {@link trainOnFixedBatch}. */
export interface FixedBatchTraining {
  steps: number;
  /** Images in the batch; default 2. */
  batch?: number;
  /** Seed of the random images; default 11. */
  seed?: number;
  /** Adam's learning rate; default 3e-3. */
  learningRate?: number;
}

/**
 * Trains `steps` Adam steps on one fixed batch of standard-normal images (labels 0, 1, 2, … cycling through the
 * model's classes) with softmax cross-entropy on the logits; returns the losses.
 */
export async function trainOnFixedBatch(model: tf.LayersModel, o: FixedBatchTraining): Promise<number[]> {
  const [, h, w, c] = model.inputs[0].shape as number[];
  const classes = model.outputs[0].shape[1] as number;
  const batch = o.batch ?? 2;
  const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', o.seed ?? 11);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32'), classes);
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 3e-3), loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) losses.push(Number(await model.trainOnBatch(x, y)));
  tf.dispose([x, y]);
  return losses;
}

/** The values of every weight of `model` (trainable or not, in `model.weights` order), copied out as float32 arrays. */
export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => Float32Array.from(w.read().dataSync()));
}
