/**
 * Fine-tuning compressed models against independent oracles: the zero positions recorded right after pruning (and a
 * count of zeros per kernel) for the pruning mask; the singular values of the fine-tuned kernel from the project's SVD
 * for the rank; a cross-entropy computed here from the model's predictions for "fine-tuning recovers"; and the lesson's
 * fine-tuned sweep and generated texts on hand-made rows.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../src/lib/data/dataset';
import { factorizeLayer, fineTune, kernelWeights, magnitudePrune, matrix, snapshotWeights, svd } from '../src/lib/compression';
import {
  checkStudyParameters, compressionSweepFineTuned, CompressionRow, describeCompression, describeDistillation, describeMatchedSize,
} from '../src/lessons/compression-study';
import { plainConvNet } from '../src/models/plain-cnn';
import { train } from '../src/lib/train';
import { useBackend } from './support/backend';
import { toyData, toyModel } from './support/toy-task';

useBackend('cpu');

/** Mean cross-entropy of `model` (logits, inference mode) on all of `data`, images scaled to [0, 1] as makeBatch does without normalisation. */
function meanLoss(model: tf.LayersModel, data: Dataset): number {
  const x = tf.tensor4d(Float32Array.from(data.images, (p) => p / 255), [data.count, data.height, data.width, data.channels]);
  const logits = (model.predict(x) as tf.Tensor2D).arraySync();
  x.dispose();
  let sum = 0;
  logits.forEach((z, i) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    sum += lse - z[data.labels[i]];
  });
  return sum / data.count;
}

/** `n` random 32×32×3 images of 10 classes (seeded), for the CIFAR-shaped plain net. */
function cifarShaped(n: number): Dataset {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const images = Uint8Array.from({ length: n * 32 * 32 * 3 }, () => Math.floor(rand() * 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { name: 'random', split: 'train', count: n, height: 32, width: 32, channels: 3, images, labels, classNames: Array.from({ length: 10 }, (_, i) => `c${i}`) };
}

const quiet = { progress: 'silent' as const };

describe('fineTune keeps the compression', () => {
  it('pruned weights stay exactly 0, the sparsity is the requested one, and the loss recovers', async () => {
    const data = toyData(48, 1);
    const model = toyModel();
    await train(model, data, { epochs: 4, batchSize: 8, learningRate: 0.1, seed: 1, ...quiet });
    const sparsity = 0.7;
    magnitudePrune(model, sparsity);
    const zerosAt = kernelWeights(model).map((k) => Array.from(k.variable.read().dataSync()).flatMap((v, i) => (v === 0 ? [i] : [])));
    const before = meanLoss(model, data);
    const result = await fineTune(model, data, { epochs: 4, learningRate: 0.05, batchSize: 8, seed: 2, ...quiet });
    const after = meanLoss(model, data);
    assert.strictEqual(result.losses.length, 4);
    kernelWeights(model).forEach((k, j) => {
      const values = k.variable.read().dataSync();
      for (const i of zerosAt[j]) assert.strictEqual(values[i], 0, `${k.layerName}[${i}] = ${values[i]} after fine-tuning`);
      const zeros = Array.from(values).filter((v) => v === 0).length;
      assert.strictEqual(zeros, Math.round(sparsity * k.size), `${k.layerName}: ${zeros} zeros of ${k.size}`);
    });
    assert.ok(after < before, `loss after fine-tuning ${after} is not below the loss before ${before}`);
    model.dispose();
  });

  it('a factorised kernel stays at rank ≤ r (and without the constraint it would not)', async () => {
    const data = cifarShaped(16);
    const rank = 2;
    const ranksAfter = async (keep: boolean): Promise<Float64Array> => {
      const m = plainConvNet('cifar10', 10, { widths: [4, 6], hidden: 0, seed: 3 });
      factorizeLayer(m, 'conv2_2', rank);
      const k = kernelWeights(m).find((w) => w.layerName === 'conv2_2')!;
      const start = Float32Array.from(k.variable.read().dataSync());
      await fineTune(m, data, { epochs: 2, learningRate: 0.05, batchSize: 8, lowRank: keep ? [{ layerName: 'conv2_2', rank }] : [], ...quiet });
      const end = k.variable.read().dataSync();
      assert.ok(end.some((v, i) => Math.abs(v - start[i]) > 1e-5), 'fine-tuning did not change the kernel');
      const { s } = svd(matrix(54, 6, end));
      m.dispose();
      return s;
    };
    const kept = await ranksAfter(true);
    for (let j = rank; j < kept.length; j++) assert.ok(kept[j] < 1e-5 * kept[0], `singular value ${j} = ${kept[j]} (σ0 = ${kept[0]})`);
    const free = await ranksAfter(false);
    assert.ok(free[rank] > 1e-3 * free[0], 'without the constraint the rank should grow (the oracle would not notice otherwise)');
  });

  it('rejects bad budgets, naming the value and the constraint', async () => {
    const data = toyData(16, 1);
    const model = toyModel();
    await assert.rejects(fineTune(model, data, { epochs: 0, learningRate: 0.01 }), /epochs must be an integer ≥ 1, got 0/);
    await assert.rejects(fineTune(model, data, { epochs: 1.5, learningRate: 0.01 }), /epochs must be an integer ≥ 1, got 1\.5/);
    await assert.rejects(fineTune(model, data, { epochs: 1, learningRate: 0 }), /learningRate must be a finite number > 0 \(e\.g\. 0\.005\), got 0/);
    await assert.rejects(fineTune(model, data, { epochs: 1, learningRate: -1 }), /learningRate must be a finite number > 0.*got -1/);
    await assert.rejects(fineTune(model, data, { epochs: 1, learningRate: 0.01, batchSize: 8, lowRank: [{ layerName: 'conv2d_nope', rank: 1 }] }), /no single conv\/dense kernel in layer "conv2d_nope"/);
    const conv = kernelWeights(model)[0].layerName;
    await assert.rejects(fineTune(model, data, { epochs: 1, learningRate: 0.01, batchSize: 8, lowRank: [{ layerName: conv, rank: 9 }] }), /must be an integer in 1\.\.4 \(27 × 4\), got 9/);
    model.dispose();
  });
});

describe('the lesson: fine-tuned sweep and generated texts', () => {
  it('fine-tunes pruned and low-rank settings from the same trained weights, not quantised ones, and restores the weights', async () => {
    const data = toyData(48, 3);
    const model = toyModel();
    await train(model, data, { epochs: 2, batchSize: 8, learningRate: 0.1, seed: 1, ...quiet });
    const snap = snapshotWeights(model);
    const rows = await compressionSweepFineTuned(model, data, data, {
      sparsities: [0.5], bits: [8], granularity: 'channel', ranks: [1], fineTune: { epochs: 1, learningRate: 0.01, batchSize: 8 },
    });
    assert.deepStrictEqual(rows.map((r) => r.method), ['baseline', 'pruning', 'quantization', 'low-rank']);
    assert.ok(rows[1].top1FineTuned !== undefined && rows[3].top1FineTuned !== undefined);
    assert.strictEqual(rows[2].top1FineTuned, undefined);
    model.weights.forEach((w, i) => assert.deepStrictEqual(Array.from(w.read().dataSync()), Array.from(snap[i])));
    const text = describeCompression(rows);
    assert.match(text, /before fine-tuning/);
    await assert.rejects(compressionSweepFineTuned(model, data, data, { sparsities: [0.5], bits: [], granularity: 'channel', ranks: [], fineTune: { epochs: 0, learningRate: 0.01 } }), /epochs must be an integer ≥ 1, got 0/);
    model.dispose();
  });

  it('matched size: picks for each method the setting closest in size, and refuses a verdict from one seed', () => {
    const row = (method: string, setting: string, top1: number, kb: number, tuned?: number): CompressionRow => ({ method, setting, top1, params: kb * 256, bytes: kb * 1024, top1FineTuned: tuned });
    const compact = row('compact design', 'separable', 0.40, 50);
    const rows = [row('pruning', 'sparsity 0.5', 0.30, 150, 0.45), row('pruning', 'sparsity 0.9', 0.1, 40, 0.35), row('low-rank', 'rank 4', 0.2, 170, 0.44)];
    const text = describeMatchedSize(rows, compact, ['pruning', 'low-rank']);
    assert.match(text, /\*\*pruning\*\* at \*sparsity 0\.9\* \(40 KB, 0\.80× the size\): 35\.0 % after fine-tuning, −5\.0 points/);
    assert.match(text, /\*\*low-rank\*\*: no setting within 2× of that size/);
    assert.match(text, /one seed: no verdict/);
    assert.throws(() => describeMatchedSize(rows, compact, ['distillation']), /no row of method "distillation"/);
  });

  it('distillation text: one seed gives no verdict; several seeds use Welch’s test; a failure comes with reasons', () => {
    const common = { teacherTop1: 0.5, temperature: 4, alpha: 0.5, trainImages: 3000, epochs: 4 };
    const one = describeDistillation({ ...common, alone: [0.40], distilled: [0.42] });
    assert.match(one, /one seed: no verdict/);
    assert.match(one, /not shown to help/);
    const better = describeDistillation({ ...common, alone: [0.40, 0.41, 0.405], distilled: [0.45, 0.46, 0.455] });
    assert.match(better, /distilled better/);
    assert.doesNotMatch(better, /not shown to help/);
    const noisy = describeDistillation({ ...common, alone: [0.40, 0.44, 0.36], distilled: [0.41, 0.37, 0.45] });
    assert.match(noisy, /within noise/);
    assert.match(describeDistillation({ ...common, teacherTop1: 0.41, alone: [0.40], distilled: [0.40] }), /a gap of only/);
    assert.throws(() => describeDistillation({ ...common, alone: [0.4], distilled: [] }), /one value per seed/);
  });

  it('checkStudyParameters names the bad knob and its range', () => {
    const ok = { learningRate: 0.1, optimizer: 'sgd', seeds: [1, 2], perClass: 300, testPerClass: 100, epochs: 4, teacherEpochs: 8, fineTuneEpochs: 1, fineTuneLearningRate: 0.005 };
    checkStudyParameters(ok);
    assert.throws(() => checkStudyParameters({ ...ok, learningRate: 0 }), /learningRate must be in \(0, 1\], got 0/);
    assert.throws(() => checkStudyParameters({ ...ok, optimizer: 'lion' }), /optimizer must be one of sgd, adam, rmsprop, got "lion"/);
    assert.throws(() => checkStudyParameters({ ...ok, seeds: [1, 1] }), /seeds repeat a value/);
    assert.throws(() => checkStudyParameters({ ...ok, teacherEpochs: 0 }), /teacherEpochs must be a whole number in 1\.\.200, got 0/);
    assert.throws(() => checkStudyParameters({ ...ok, fineTuneEpochs: 0 }), /epochs must be an integer ≥ 1, got 0/);
    assert.throws(() => checkStudyParameters({ ...ok, fineTuneLearningRate: 0.5 }), /fineTuneLearningRate must not exceed/);
  });
});
