/**
 * What the training loop does per weight: weight decay on kernels only, learning-rate multipliers (the active shift
 * layer's offsets at 0.01×), constraints projected after each step, seeded weight initialisation and dropout, and
 * the divergence verdict. Oracles: plain SGD arithmetic on the same gradients, and repeated runs.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { Dataset } from '../src/lib/data/dataset';
import { activeShift } from '../src/lib/ops/active-shift';
import { defaultOffsetBound } from '../src/lib/ops/offset-bound';
import { deriveSeed, Rng, withSeededRandom } from '../src/lib/seed';
import { divergence, train, TrainOptions } from '../src/lib/train';
import { EpochRecord } from '../src/lib/train/checkpoint';
import { isDecayedWeight, parameterGroups } from '../src/lib/train/parameter-groups';

/** 8×8×3 images whose class (of 3) sets the bright channel, plus seeded noise. */
function toyData(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) images[(i * 64 + p) * 3 + c] = Math.floor(rng.next() * 120) + (c === labels[i] ? 120 : 0);
  }
  return { name: 'toy', split: 'train', count: n, height: 8, width: 8, channels: 3, images, labels, classNames: ['r', 'g', 'b'] };
}

/** conv → BN → ReLU → ASL → dropout → pool → dense; unseeded initialisers on purpose (seeding is the loop's job). */
function shiftModel(args: { offsetLearningRate?: number; maxOffset?: number | 'auto' | null; dropout?: number; normalizeGrad?: boolean } = {}): tf.LayersModel {
  const x = tf.input({ shape: [8, 8, 3] });
  let y = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = activeShift({ name: 'asl', offsetLearningRate: args.offsetLearningRate, maxOffset: args.maxOffset, normalizeGrad: args.normalizeGrad }).apply(y) as tf.SymbolicTensor;
  if (args.dropout) y = tf.layers.dropout({ rate: args.dropout }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

const base: TrainOptions = { epochs: 1, batchSize: 8, learningRate: 0.05, seed: 3, progress: 'silent', optimizer: { name: 'sgd', momentum: 0 } };

/** Weights by role and position (layer names carry a process-wide counter, so two builds differ in names). */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w, i) => [`${i}:${w.originalName.split('/').pop()}`, w.read().dataSync().slice() as Float32Array]));
}

/** Copies every weight of `from` into `to` (same architecture). */
function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  to.weights.forEach((w, i) => w.write(from.weights[i].read()));
}

describe('training loop: weights treated by role', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend('wasm');
  });

  it('weight decay applies to conv and dense kernels, never to BN γ/β, biases or shift offsets', () => {
    const model = shiftModel();
    const decayed = model.trainableWeights.filter(isDecayedWeight).map((w) => w.originalName.split('/').pop());
    assert.deepStrictEqual(decayed.sort(), ['kernel', 'kernel']);
    const groups = parameterGroups(model);
    assert.strictEqual(groups.decayed.length, 2);
    assert.deepStrictEqual(groups.byMultiplier.map((g) => [g.multiplier, g.variables.length]), [[1, 5], [0.01, 1]]);
    model.dispose();
  });

  it('a decayed run and an undecayed run differ in the kernels only after one step from the same weights', async () => {
    const data = toyData(8, 1);
    const a = shiftModel();
    const b = shiftModel();
    copyWeights(a, b);
    await train(a, data, { ...base, weightDecay: 0 });
    await train(b, data, { ...base, weightDecay: 0.1, weightDecayMode: 'decoupled' });
    const sa = snapshot(a);
    const sb = snapshot(b);
    for (const [k, w] of a.weights.entries()) {
      const key = `${k}:${w.originalName.split('/').pop()}`;
      const same = sa.get(key)!.every((v, i) => v === sb.get(key)![i]);
      const isKernel = isDecayedWeight(w);
      assert.strictEqual(same, !isKernel, `${w.originalName}: ${isKernel ? 'should' : 'should not'} change with decay`);
    }
    a.dispose();
    b.dispose();
  });

  it('the ASL offsets move by exactly offsetLearningRate × the base-rate step (plain SGD, one step)', async () => {
    const data = toyData(8, 2);
    const slow = shiftModel({ offsetLearningRate: 0.01, maxOffset: null });
    const full = shiftModel({ offsetLearningRate: 1, maxOffset: null });
    copyWeights(slow, full);
    const offsetsOf = (m: tf.LayersModel) => m.getLayer('asl').getWeights()[0].dataSync().slice() as Float32Array;
    const before = offsetsOf(slow);
    await train(slow, data, base);
    await train(full, data, base);
    const dSlow = offsetsOf(slow).map((v, i) => v - before[i]);
    const dFull = offsetsOf(full).map((v, i) => v - before[i]);
    assert.ok(dFull.some((v) => Math.abs(v) > 1e-4), 'the offsets must get a gradient');
    dFull.forEach((v, i) => assert.ok(Math.abs(dSlow[i] - 0.01 * v) <= 1e-6 + 1e-3 * Math.abs(0.01 * v), `offset ${i}: ${dSlow[i]} vs 0.01 × ${v}`));
    // The other weights saw the same gradient at the same rate.
    const k = slow.weights[0].read().dataSync();
    const kf = full.weights[0].read().dataSync();
    k.forEach((v, i) => assert.ok(Math.abs(v - kf[i]) < 1e-6));
    slow.dispose();
    full.dispose();
  });

  it('offsets stay inside the map: the bound is projected after every step, even at an absurd rate', async () => {
    assert.strictEqual(defaultOffsetBound(8, 8), 3.5);
    assert.strictEqual(defaultOffsetBound(4, 4), 1.5);
    assert.strictEqual(defaultOffsetBound(2, 2), 1);
    // Unit-length offset gradients (the authors' normalisation) × 50 px per step: every step overshoots the bound.
    const model = shiftModel({ offsetLearningRate: 1000, normalizeGrad: true });
    await train(model, toyData(16, 3), { ...base, epochs: 2 }).catch(() => undefined); // may blow up: the bound must hold anyway
    const offsets = model.getLayer('asl').getWeights()[0].dataSync() as Float32Array;
    assert.ok(offsets.some((v) => Math.abs(v) === 3.5), 'at this rate some offset must sit on the bound');
    assert.ok(offsets.every((v) => Math.abs(v) <= 3.5), `max |offset| ${Math.max(...offsets.map(Math.abs))}`);
    model.dispose();
  });

  it('rejects a bad offsetLearningRate and maxOffset with the value and what is accepted', () => {
    assert.throws(() => activeShift({ offsetLearningRate: 0 }), /offsetLearningRate must be a positive multiple of the base learning rate.*got 0/);
    assert.throws(() => activeShift({ maxOffset: -1 }), /maxOffset must be 'auto', null \(unbounded\) or a positive number of pixels, got -1/);
  });
});

describe('seeded randomness', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend('wasm');
  });

  it('withSeededRandom makes unseeded initialisers repeat per seed, differ across seeds, and restores Math.random', () => {
    const original = Math.random;
    const build = (seed: number) => withSeededRandom(new Rng(seed), () => shiftModel());
    const [a, b, c] = [build(5), build(5), build(6)];
    assert.strictEqual(Math.random, original);
    const [sa, sb, sc] = [snapshot(a), snapshot(b), snapshot(c)];
    for (const [name, va] of sa) {
      assert.deepStrictEqual(va, sb.get(name), `${name} must repeat`);
      if (name.endsWith('kernel') || name.endsWith('offsets')) assert.notDeepStrictEqual(va, sc.get(name), `${name} must change with the seed`);
    }
    [a, b, c].forEach((m) => m.dispose());
    assert.throws(() => withSeededRandom(new Rng(1), () => Promise.resolve(1)), /returned a Promise/);
    assert.strictEqual(Math.random, original);
  });

  it('deriveSeed gives independent, repeatable streams per purpose', () => {
    assert.strictEqual(deriveSeed(3, 'weights'), deriveSeed(3, 'weights'));
    assert.notStrictEqual(deriveSeed(3, 'weights'), deriveSeed(3, 'data'));
    assert.notStrictEqual(deriveSeed(3, 'weights'), deriveSeed(4, 'weights'));
  });

  it('dropout masks repeat with the seed: two identical runs end with identical weights, another seed does not', async () => {
    const run = async (seed: number) => {
      const model = withSeededRandom(new Rng(99), () => shiftModel({ dropout: 0.5 }));
      const result = await train(model, toyData(16, 4), { ...base, epochs: 2, seed });
      const out = { weights: snapshot(model), losses: result.history.map((h) => h.loss) };
      model.dispose();
      return out;
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    assert.deepStrictEqual(a.losses, b.losses);
    for (const [name, v] of a.weights) assert.deepStrictEqual(v, b.weights.get(name), name);
    assert.notDeepStrictEqual(a.losses, c.losses);
  });
});

describe('divergence verdict', () => {
  const epoch = (loss: number, i: number): EpochRecord => ({ epoch: i + 1, loss, accuracy: 0, learningRate: 0.1, seconds: 1, imagesPerSec: 1 });

  it('multi-epoch runs: diverged when the last epoch’s mean loss is not below the first’s', () => {
    assert.strictEqual(divergence([2.3, 1.9, 1.5].map(epoch), []), null);
    assert.match(divergence([2.3, 29.6, 32.2].map(epoch), [])!, /rose from 2.3000 \(epoch 1\) to 32.2000 \(epoch 3\)/);
    assert.match(divergence([2.3, 2.3].map(epoch), [])!, /rose from/);
  });

  it('one-epoch runs: the last quarter of the steps against the first, beyond two standard errors', () => {
    const rng = new Rng(5);
    const noisy = (level: (i: number) => number) => Array.from({ length: 40 }, (_, i) => level(i) + 0.05 * (rng.next() - 0.5));
    assert.strictEqual(divergence([epoch(2, 0)], noisy((i) => 2.3 - i * 0.01)), null, 'falling');
    assert.strictEqual(divergence([epoch(2, 0)], noisy(() => 2.3)), null, 'flat within noise');
    assert.match(divergence([epoch(2, 0)], noisy((i) => 2.3 + i * 0.01))!, /last 10 steps .* rose above that of the first 10/);
    assert.strictEqual(divergence([epoch(2, 0)], [2.3, 2.2, 2.5, 9]), null, 'under 8 steps: too short to judge');
  });

  it('a real run at an absurd learning rate is flagged or stopped, never returned as a plain result', async () => {
    await initBackend('wasm');
    // No BatchNorm to absorb the blow-up: conv → pool → dense.
    const model = withSeededRandom(new Rng(1), () => tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }), tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 3 }),
    ] }));
    let outcome: string;
    try {
      const r = await train(model, toyData(24, 5), { ...base, epochs: 3, learningRate: 1e4 });
      outcome = r.diverged ? 'diverged' : 'finished';
    } catch (err) {
      outcome = /loss became/.test((err as Error).message) ? 'stopped' : `other error: ${(err as Error).message}`;
    }
    assert.ok(outcome === 'diverged' || outcome === 'stopped', outcome);
    model.dispose();
  });
});
