/**
 * Compression methods against independent oracles: pruning against a sort-based count, affine quantisation
 * against its error bound and hand-computed codes, the Jacobi SVD against reconstruction and orthogonality
 * (and an exactly low-rank matrix), layer factorisation against the two-layer deployed form, and
 * distillation against a naive loss and, with α = 0, against the ordinary training loop.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../src/lib/data/dataset';
import {
  dequantize, distill, distillationLoss, factorizeLayer, frobenius, kernelWeights, largestKernel, lowRankApproximation,
  magnitudePrune, matrix, parameterCounts, pruneByMagnitude, quantizeAffine, quantizeModel, quantizedBytes,
  restoreWeights, snapshotWeights, svd,
} from '../src/lib/compression';
import { checkSweepOptions, plainNetExperiment } from '../src/lessons/compression-study';
import { plainConvNet } from '../src/models/plain-cnn';
import { train } from '../src/lib/train';
import { randomValues } from './support/random';
import { useBackend } from './support/backend';
import { toyModel } from './support/toy-task';

useBackend('cpu');

/** Seeded uniform numbers in [-1, 1), as a plain array. */
const randoms = (n: number, seed: number): number[] => Array.from(randomValues(n, seed));

/** A tiny dense model with seeded weights: 6 → 5 → 3. */
function tinyDense(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'd1' }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), name: 'd2' }),
    ],
  });
}

describe('magnitude pruning', () => {
  it('zeroes exactly round(s·n) entries, all no larger in |w| than any kept one', () => {
    const v = randoms(101, 7);
    for (const s of [0, 0.5, 0.7, 0.9]) {
      const p = pruneByMagnitude(v, s);
      const zeroed = v.map((x, i) => (p[i] === 0 ? Math.abs(x) : NaN)).filter((x) => !Number.isNaN(x));
      const kept = v.filter((_, i) => p[i] !== 0).map(Math.abs);
      assert.strictEqual(zeroed.length, Math.round(s * 101));
      if (zeroed.length && kept.length) assert.ok(Math.max(...zeroed) <= Math.min(...kept));
      v.forEach((x, i) => assert.ok(p[i] === 0 || p[i] === Math.fround(x)));
    }
  });
  it('prunes every kernel of a model per layer and leaves biases alone', () => {
    const m = tinyDense();
    const biasesBefore = m.weights.filter((w) => w.shape.length === 1).map((w) => Array.from(w.read().dataSync()));
    const r = magnitudePrune(m, 0.6);
    assert.deepStrictEqual(r.layers, ['d1', 'd2']);
    assert.strictEqual(r.kernelParams, 30 + 15);
    assert.strictEqual(r.kernelNonZero, 30 - 18 + (15 - 9));
    const biasesAfter = m.weights.filter((w) => w.shape.length === 1).map((w) => Array.from(w.read().dataSync()));
    assert.deepStrictEqual(biasesAfter, biasesBefore);
    assert.strictEqual(parameterCounts(m).total, m.countParams());
    m.dispose();
  });
  it('rejects a sparsity outside [0, 1) and an unknown layer to skip', () => {
    assert.throws(() => pruneByMagnitude([1, 2], 1), /sparsity must be a fraction in \[0, 1\)/);
    const m = tinyDense();
    assert.throws(() => magnitudePrune(m, 0.5, ['nope']), /no kernel layer named "nope"/);
    m.dispose();
  });
});

describe('affine quantisation', () => {
  it('reproduces hand-computed 8-bit codes and keeps 0 exact', () => {
    // range [-1, 2] → scale 3/255, zero point round(255/3) = 85.
    const q = quantizeAffine([-1, 0, 0.55, 2], 8);
    assert.strictEqual(q.zeroPoints[0], 85);
    assert.ok(Math.abs(q.scales[0] - 3 / 255) < 1e-7);
    assert.deepStrictEqual(Array.from(q.codes), [0, 85, 85 + 47, 255]);
    assert.strictEqual(dequantize(q)[1], 0);
    assert.strictEqual(quantizedBytes(q), 4 + 5);
  });
  it('errors stay within half a step; per-channel beats per-tensor on channels of unequal range', () => {
    const n = 64;
    const v = randoms(2 * n, 11).map((x, i) => (i % 2 === 0 ? x * 10 : x * 0.01)); // channel 0 wide, channel 1 narrow
    for (const bits of [8, 4]) {
      const perTensor = quantizeAffine(v, bits, 1);
      const perChannel = quantizeAffine(v, bits, 2);
      const errT = dequantize(perTensor).map((x, i) => Math.abs(x - v[i]));
      const errC = dequantize(perChannel).map((x, i) => Math.abs(x - v[i]));
      errT.forEach((e) => assert.ok(e <= perTensor.scales[0] / 2 + 1e-6));
      errC.forEach((e, i) => assert.ok(e <= perChannel.scales[i % 2] / 2 + 1e-6));
      const narrowT = Math.max(...errT.filter((_, i) => i % 2 === 1));
      const narrowC = Math.max(...errC.filter((_, i) => i % 2 === 1));
      assert.ok(narrowC < narrowT / 10, `${bits} bits: per-channel ${narrowC} vs per-tensor ${narrowT}`);
      assert.strictEqual(quantizedBytes(perChannel), Math.ceil((2 * n * bits) / 8) + 2 * 5);
    }
  });
  it('quantizeModel counts bytes and changes kernels by at most half a step', () => {
    const m = tinyDense();
    const before = kernelWeights(m).map((k) => Array.from(k.variable.read().dataSync()));
    const r = quantizeModel(m, 8, 'channel');
    // kernels: 30 codes + 5 channels·5 B, 15 codes + 3·5 B; biases 5 + 3 floats.
    assert.strictEqual(r.bytes, 30 + 25 + 15 + 15 + 4 * 8);
    assert.strictEqual(r.floatBytes, 4 * m.countParams());
    const after = kernelWeights(m).map((k) => Array.from(k.variable.read().dataSync()));
    const maxErr = Math.max(...before.flatMap((b, j) => b.map((x, i) => Math.abs(x - after[j][i]))));
    assert.ok(maxErr > 0 && maxErr <= r.maxAbsError + 1e-7);
    assert.throws(() => quantizeModel(m, 9), /bits must be an integer in 2\.\.8/);
    m.dispose();
  });
});

describe('SVD (one-sided Jacobi)', () => {
  const product = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
  const rowsOf = (m: { rows: number; cols: number; data: Float64Array }) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.slice(i * m.cols, (i + 1) * m.cols)));
  for (const [r, c] of [[7, 4], [4, 7], [5, 5]]) {
    it(`reconstructs a ${r}×${c} matrix with orthonormal factors and sorted singular values`, () => {
      const a = matrix(r, c, randoms(r * c, r * 10 + c));
      const { u, s, v } = svd(a);
      const k = Math.min(r, c);
      const us = rowsOf(u).map((row) => row.map((x, j) => x * s[j]));
      const back = product(us, rowsOf(v).map((_, j) => rowsOf(v).map((row) => row[j])).slice(0, k).map((_, i) => rowsOf(v).map((row) => row[i])));
      back.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - a.data[i * c + j]) < 1e-10)));
      const utu = product(rowsOf(u)[0].map((_, i) => rowsOf(u).map((row) => row[i])), rowsOf(u));
      utu.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - (i === j ? 1 : 0)) < 1e-10)));
      for (let i = 1; i < k; i++) assert.ok(s[i - 1] >= s[i] && s[i] >= 0);
      // ‖A‖_F² = Σσ²: an identity independent of the factors.
      assert.ok(Math.abs(frobenius(a) ** 2 - s.reduce((t, x) => t + x * x, 0)) < 1e-10);
    });
  }
  it('recovers an exactly rank-2 matrix from its rank-2 approximation, with two non-zero singular values', () => {
    const x = randoms(9 * 2, 5);
    const y = randoms(2 * 6, 6);
    const data: number[] = [];
    for (let i = 0; i < 9; i++) for (let j = 0; j < 6; j++) data.push(x[i * 2] * y[j] + x[i * 2 + 1] * y[6 + j]);
    const a = matrix(9, 6, data);
    const s = svd(a).s;
    assert.ok(s[1] > 1e-3 && s[2] < 1e-12, `singular values ${Array.from(s)}`);
    const approx = lowRankApproximation(a, 2);
    approx.data.forEach((v, i) => assert.ok(Math.abs(v - a.data[i]) < 1e-12));
    // Rank 1 leaves exactly σ₂ of Frobenius error (Eckart–Young).
    const r1 = lowRankApproximation(a, 1);
    const err = frobenius({ rows: 9, cols: 6, data: r1.data.map((v, i) => v - a.data[i]) });
    assert.ok(Math.abs(err - s[1]) < 1e-10);
    assert.throws(() => lowRankApproximation(a, 7), /rank must be an integer in 1\.\.6/);
  });
});

describe('low-rank factorisation of a layer', () => {
  it('the written-back kernel equals the two-layer form (k×k conv M→r, then 1×1 conv r→N)', () => {
    const m = plainConvNet('cifar10', 10, { widths: [4, 6], hidden: 0, seed: 3 });
    const layer = largestKernel(m);
    assert.strictEqual(layer.layerName, 'conv2_2'); // 3·3·6·6 = 324 values, the largest
    const w = matrix(54, 6, layer.variable.read().dataSync());
    const rank = 2;
    const { u, s, v } = svd(w);
    const report = factorizeLayer(m, 'conv2_2', rank);
    assert.strictEqual(report.paramsAfter, 2 * (54 + 6));
    // Deployed form: first conv kernel U_r·S_r reshaped to [3,3,6,r], then a 1×1 conv with V_rᵀ [1,1,r,6].
    const first = new Float32Array(54 * rank);
    for (let i = 0; i < 54; i++) for (let j = 0; j < rank; j++) first[i * rank + j] = u.data[i * u.cols + j] * s[j];
    const second = new Float32Array(rank * 6);
    for (let j = 0; j < rank; j++) for (let c = 0; c < 6; c++) second[j * 6 + c] = v.data[c * v.cols + j];
    const x = tf.randomUniform([2, 8, 8, 6], -1, 1, 'float32', 9) as tf.Tensor4D;
    const twoLayers = tf.conv2d(tf.conv2d(x, tf.tensor4d(first, [3, 3, 6, rank]), 1, 'same'), tf.tensor4d(second, [1, 1, rank, 6]), 1, 'same');
    const oneLayer = tf.conv2d(x, layer.variable.read() as tf.Tensor4D, 1, 'same');
    assert.ok(tf.max(tf.abs(tf.sub(twoLayers, oneLayer))).dataSync()[0] < 1e-4);
    assert.throws(() => factorizeLayer(m, 'conv2_2', 7), /rank must be an integer in 1\.\.6/);
    assert.throws(() => factorizeLayer(m, 'gap', 1), /no single conv\/dense kernel in layer "gap"/);
    m.dispose();
  });
  it('snapshot/restore brings back the exact weights', () => {
    const m = tinyDense();
    const snap = snapshotWeights(m);
    magnitudePrune(m, 0.9);
    restoreWeights(m, snap);
    m.weights.forEach((w, i) => assert.deepStrictEqual(Array.from(w.read().dataSync()), Array.from(snap[i])));
    m.dispose();
  });
});

describe('settings validation (what a notebook reader may type)', () => {
  it('names the bad knob before anything trains', () => {
    const ok = { sparsities: [0.5], bits: [8], granularity: 'channel' as const, ranks: [4] };
    assert.doesNotThrow(() => checkSweepOptions(ok));
    assert.throws(() => checkSweepOptions({ ...ok, sparsities: [1.2] }), /sparsity must be a fraction in \[0, 1\).*got 1.2/);
    assert.throws(() => checkSweepOptions({ ...ok, bits: [16] }), /bits must be an integer in 2\.\.8, got 16/);
    assert.throws(() => checkSweepOptions({ ...ok, granularity: 'row' as never }), /granularity must be "tensor" or "channel", got "row"/);
    assert.throws(() => checkSweepOptions({ ...ok, ranks: [0] }), /every rank must be a positive integer, got 0/);
    assert.throws(() => plainNetExperiment('x', { widths: [], hidden: 0, seed: 1 }, { dataset: 'cifar10', epochs: 1 }), /widths must be a non-empty list/);
    const spec = plainNetExperiment('x', { widths: [4], hidden: 0, seed: 1, separable: true }, { dataset: 'cifar10', epochs: 1 });
    assert.strictEqual(spec.model, 'separable-cnn');
    assert.deepStrictEqual(spec.modelConfig, { widths: [4], hidden: 0, initSeed: 1, separable: true });
  });
});

describe('plainConvNet', () => {
  it('separable variant has the dw + pw parameter count and rejects bad widths', () => {
    const plain = plainConvNet('cifar10', 10, { widths: [8, 16], hidden: 0, seed: 1 });
    const sep = plainConvNet('cifar10', 10, { widths: [8, 16], hidden: 0, seed: 1, separable: true });
    const bn = (c: number) => 4 * c;
    // plain: 3·3·(3·8 + 8·8 + 8·16 + 16·16) convs + BN + dense 16·10 + 10
    assert.strictEqual(plain.countParams(), 9 * (24 + 64 + 128 + 256) + bn(8) * 2 + bn(16) * 2 + 170);
    // separable: first conv full; others dw 9·M (+ BN on M) + pw M·N
    assert.strictEqual(sep.countParams(), 9 * 24 + (9 * 8 + bn(8) + 64) + (9 * 8 + bn(8) + 128) + (9 * 16 + bn(16) + 256) + bn(8) * 2 + bn(16) * 2 + 170);
    assert.throws(() => plainConvNet('cifar10', 10, { widths: [8, 0], hidden: 0, seed: 1 }), /widths must be a non-empty list of positive integers/);
    plain.dispose();
    sep.dispose();
  });
});

describe('distillation', () => {
  it('the loss matches a naive computation of α·T²·KL + (1−α)·CE', () => {
    const s = [[1, 2, 0.5], [-1, 0, 3]];
    const t = [[2, 0, 1], [0.5, 0.5, -1]];
    const y = [1, 2];
    const T = 3;
    const alpha = 0.7;
    const softmax = (z: number[]) => {
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    };
    let expected = 0;
    for (let i = 0; i < 2; i++) {
      const ps = softmax(s[i].map((v) => v / T));
      const pt = softmax(t[i].map((v) => v / T));
      const kl = pt.reduce((a, p, k) => a + p * Math.log(p / ps[k]), 0);
      const ce = -Math.log(softmax(s[i])[y[i]]);
      expected += (alpha * T * T * kl + (1 - alpha) * ce) / 2;
    }
    const got = distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.tensor1d(y, 'int32'), T, alpha).dataSync()[0];
    assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
    assert.throws(() => distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.tensor1d(y, 'int32'), 0, 0.5), /temperature must be a finite number > 0/);
    assert.throws(() => distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.tensor1d(y, 'int32'), 2, 1.5), /alpha must be in \[0, 1\]/);
  });

  it('with α = 0 it is the ordinary training loop: same weights after an epoch as train()', async () => {
    const n = 24;
    const images = new Uint8Array(Array.from({ length: n * 8 * 8 * 3 }, (_, i) => (i * 37) % 256));
    const labels = new Int32Array(Array.from({ length: n }, (_, i) => i % 3));
    const data: Dataset = { name: 'toy', split: 'train', count: n, height: 8, width: 8, channels: 3, images, labels, classNames: ['a', 'b', 'c'] };
    const common = { epochs: 1, batchSize: 8, learningRate: 0.05, weightDecay: 5e-4, schedule: { kind: 'cosine' as const }, augmentation: { cropPadding: 1, horizontalFlip: true }, seed: 4, progress: 'silent' as const };
    const a = toyModel();
    const b = toyModel();
    const teacher = toyModel();
    await train(a, data, { ...common, optimizer: { name: 'sgd', momentum: 0.9, nesterov: true } });
    await distill(b, teacher, data, { ...common, optimizer: { name: 'sgd', momentum: 0.9, nesterov: true }, temperature: 4, alpha: 0 });
    a.weights.forEach((w, i) => {
      const x = w.read().dataSync();
      const y2 = b.weights[i].read().dataSync();
      x.forEach((v, j) => assert.ok(Math.abs(v - y2[j]) < 1e-5, `${w.name}[${j}]: ${v} vs ${y2[j]}`));
    });
    // With α > 0 the soft targets change the update.
    const c = toyModel();
    await distill(c, teacher, data, { ...common, temperature: 4, alpha: 0.9 });
    assert.ok(c.weights[0].read().dataSync().some((v, j) => Math.abs(v - a.weights[0].read().dataSync()[j]) > 1e-4));
    [a, b, c, teacher].forEach((m) => m.dispose());
  });
});
