/**
 * The wasm fast paths of issue 9 (explicit-transpose BatchMatMul, leading-axes Mean/Sum, one-pass clipping-activation
 * gradients, single-pass channel shifts, im2col Conv2DBackpropFilter) against the tfjs `cpu` backend as oracle.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, RANGE_MASK_GRAD, explicitTransposeMatMulCalls, leadingReductionCalls,
  sharedIdentityCalls, broadcastDivideCalls, BROADCAST_DIVIDE,
} from '../src/lib/kernels';
import { activeShiftTensor } from '../src/lib/ops/active-shift';
import { sparseShiftTensor } from '../src/lib/ops/sparse-shift';
import { ActiveShift } from '../src/lib/ops/active-shift';
import { SparseShift } from '../src/lib/ops/sparse-shift';
import { onBackend, useBackend } from './support/backend';
import { useNativeKernels } from './support/native';
import { randomTensor } from './support/random';
import { assertScaled } from './support/tolerance';

/** Runs `work` on backend `name`; returns its results as float32 arrays and the names of the kernels it ran. */
async function profiledOn(name: string, work: () => tf.Tensor[]): Promise<{ arrays: Float32Array[]; kernels: string[] }> {
  let arrays: Float32Array[] = [];
  const profile = await tf.profile(async () => {
    arrays = await onBackend(name, work);
  });
  return { arrays, kernels: profile.kernelNames };
}

/** Runs `work` on cpu and on wasm and asserts every result agrees within 1e-4 of the oracle's scale; returns the wasm kernels it ran. */
async function compareWithCpu(work: () => tf.Tensor[], what: string): Promise<string[]> {
  const cpu = await profiledOn('cpu', work);
  const wasm = await profiledOn('wasm', work);
  assert.equal(wasm.arrays.length, cpu.arrays.length);
  cpu.arrays.forEach((e, i) => assertScaled(wasm.arrays[i], e, `${what}, result ${i}`));
  return wasm.kernels;
}

describe('wasm fast paths', function () {
  this.timeout(120000);
  useBackend('wasm');
  // These are the TypeScript kernels (what runs without the native addon); the native ones have their own tests.
  useNativeKernels(false);

  it('BatchMatMul with transposeA / transposeB / both, batched and broadcast, forward and gradients', async () => {
    const calls0 = explicitTransposeMatMulCalls();
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await compareWithCpu(() => tf.tidy(() => {
        const a = randomTensor(ta ? [3, 7, 5] : [3, 5, 7], 1);
        const b = randomTensor(tb ? [3, 6, 7] : [3, 7, 6], 2);
        const r = randomTensor([3, 5, 6], 3);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), r)))([a, b]);
        // Broadcast batch (forward only: tfjs-core's MatMul gradient does not reduce broadcast axes) and rank 2.
        const b1 = randomTensor(tb ? [1, 6, 7] : [1, 7, 6], 4);
        const a2 = randomTensor(ta ? [40, 33] : [33, 40], 5);
        const b2 = randomTensor(tb ? [17, 40] : [40, 17], 6);
        return [tf.matMul(a, b, ta, tb), da, db, tf.matMul(a, b1, ta, tb), tf.matMul(a2, b2, ta, tb)];
      }), `matMul transposeA ${ta} transposeB ${tb}`);
    }
    assert.ok(explicitTransposeMatMulCalls() > calls0, 'the explicit-transpose path never ran');
  });

  it('Mean and Sum over leading axes (with keepDims, negative axes) and over other axes', async () => {
    const calls0 = leadingReductionCalls();
    await compareWithCpu(() => tf.tidy(() => {
      const x = randomTensor([3, 5, 4, 7], 4).add(0.3);
      return [
        tf.mean(x, [0, 1, 2]), tf.sum(x, [2, 0, 1], true), tf.mean(x, 0), tf.sum(x, [-4, -3]),
        tf.mean(x, [1, 2]), tf.sum(x, [3]), tf.mean(x), tf.sum(x, [0, 2]),
      ];
    }), 'reductions');
    assert.ok(leadingReductionCalls() >= calls0 + 4, 'the leading-axes path did not run for each leading case');
  });

  it('Relu, Relu6, ClipByValue and tf.layers.reLU({maxValue: 6}) gradients use one kernel on wasm and match cpu', async () => {
    const kernels = await compareWithCpu(() => tf.tidy(() => {
      // Values in [−8, 8) plus exact boundary values 0 and 6, where the masks' strict/inclusive ends matter.
      const base = randomTensor([2, 5, 6, 7], 5, 8);
      const x = tf.concat([tf.reshape(base, [-1]), tf.tensor1d([0, 6, -0, 6.000001, 5.999999, 2])]);
      const r = randomTensor(x.shape, 6);
      const f = (op: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(op(t), r)))(x);
      const layer = tf.layers.reLU({ maxValue: 6 });
      return [
        f(tf.relu), f(tf.relu6), f((t) => tf.clipByValue(t, -2.5, 3)), f((t) => layer.apply(t) as tf.Tensor),
        f((t) => tf.relu6(tf.mul(t, 0.5))),
      ];
    }), 'clipping activations');
    assert.ok(kernels.includes(RANGE_MASK_GRAD), 'the one-pass kernel did not run');
    for (const composite of ['Step', 'LogicalAnd', 'GreaterEqual', 'LessEqual', 'Select']) {
      assert.ok(!kernels.includes(composite), `tfjs-core's composite (${composite}) still runs`);
    }
  });

  // The im2col path of Conv2DBackpropFilter on channel counts beyond the base suite's, including the chunked path
  // (KH·KW·Ci·pixels > 4 M elements).
  const convCases: { x: [number, number, number, number]; k: number; co: number; stride: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 9, 11, 16], k: 3, co: 24, stride: 1, pad: 'same' },
    { x: [2, 9, 11, 16], k: 3, co: 24, stride: 2, pad: 'valid' },
    { x: [3, 8, 8, 5], k: 1, co: 7, stride: 2, pad: 'same' },
    { x: [1, 13, 13, 32], k: 3, co: 8, stride: 2, pad: 'same' },
    // 52·52 pixels × 5·5·64 columns > 4 M elements: two chunks.
    { x: [1, 56, 56, 64], k: 5, co: 2, stride: 1, pad: 'valid' },
  ];
  for (const c of convCases) {
    it(`Conv2DBackpropFilter (im2col) x=[${c.x}] k=${c.k} co=${c.co} stride=${c.stride} pad=${c.pad}`, async () => {
      const wShape = [c.k, c.k, c.x[3], c.co];
      const kernels = await compareWithCpu(() => tf.tidy(() => {
        const x = randomTensor(c.x, 7) as tf.Tensor4D;
        const w = randomTensor(wShape, 8) as tf.Tensor4D;
        const yShape = tf.conv2d(x, w, c.stride, c.pad).shape;
        const r = randomTensor(yShape, 9);
        return [tf.grad((q: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, q as tf.Tensor4D, c.stride, c.pad), r)))(w)];
      }), `dW x=[${c.x}] k=${c.k}`);
      assert.ok(kernels.includes('Conv2DBackpropFilter'));
    });
  }

  const shiftCases: { x: [number, number, number, number]; stride: number; pad: number; radius: number }[] = [
    { x: [2, 7, 9, 5], stride: 1, pad: 0, radius: 1.5 },
    { x: [2, 7, 9, 5], stride: 2, pad: 1, radius: 1.5 },
    { x: [1, 8, 6, 12], stride: 2, pad: 0, radius: 4 },
    { x: [3, 5, 5, 3], stride: 1, pad: 2, radius: 0.6 },
  ];
  for (const c of shiftCases) {
    it(`activeShiftTensor / sparseShiftTensor x=[${c.x}] stride=${c.stride} pad=${c.pad}: single-pass kernels vs cpu gathers`, async () => {
      const ch = c.x[3];
      const kernels = await compareWithCpu(() => tf.tidy(() => {
        const x = randomTensor(c.x, 10) as tf.Tensor4D;
        const offsets = randomTensor([ch, 2], 11, c.radius) as tf.Tensor2D;
        const asl = activeShiftTensor(x, offsets, { stride: c.stride, padding: c.pad });
        const ssl = sparseShiftTensor(x, offsets, { stride: c.stride });
        const rA = randomTensor(asl.shape, 12);
        const rS = randomTensor(ssl.shape, 13);
        const gA = tf.grads((a: tf.Tensor, o: tf.Tensor) =>
          tf.sum(tf.mul(activeShiftTensor(a as tf.Tensor4D, o as tf.Tensor2D, { stride: c.stride, padding: c.pad }), rA)))([x, offsets]);
        const gN = tf.grads((a: tf.Tensor, o: tf.Tensor) =>
          tf.sum(tf.mul(activeShiftTensor(a as tf.Tensor4D, o as tf.Tensor2D, { stride: c.stride, padding: c.pad, normalizeGrad: true }), rA)))([x, offsets]);
        const gS = tf.grads((a: tf.Tensor, o: tf.Tensor) =>
          tf.sum(tf.mul(sparseShiftTensor(a as tf.Tensor4D, o as tf.Tensor2D, { stride: c.stride }), rS)))([x, offsets]);
        return [asl, ssl, ...gA, gN[1], ...gS];
      }), `shifts x=[${c.x}]`);
      for (const k of [CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS]) assert.ok(kernels.includes(k), `${k} did not run on wasm`);
      assert.ok(!kernels.includes('GatherV2'), 'the gather path still runs on wasm');
    });
  }

  it('one training step (SGD) of a small shift net with ReLU6, dense and bias: wasm matches cpu', async () => {
    const step = () => {
      const input = tf.input({ shape: [9, 8, 6] });
      // No bias before batch norm: its true gradient is 0, so both backends return float noise there.
      let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
      y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
      y = new ActiveShift({ stride: 2, padding: 1, initRadius: 0 }).apply(y) as tf.SymbolicTensor;
      y = new SparseShift({ initialisation: 'zero' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
      y = tf.layers.dense({ units: 5 }).apply(y) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: y });
      model.setWeights(model.getWeights().map((w, i) => randomTensor(w.shape, 200 + i, w.shape.length === 2 && w.shape[1] === 2 ? 1.7 : 0.5)));
      const x = randomTensor([4, 9, 8, 6], 17, 3);
      const labels = tf.oneHot(tf.tensor1d([0, 3, 4, 1], 'int32'), 5);
      const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      const optimizer = tf.train.sgd(0.1);
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      const out = [value, ...vars.map((v) => grads[v.name]), ...vars.map((v) => v.clone())];
      optimizer.dispose();
      model.dispose();
      return out;
    };
    const kernels = await compareWithCpu(step, 'training step');
    for (const k of [CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, RANGE_MASK_GRAD]) assert.ok(kernels.includes(k), `${k} did not run`);
  });

  it('Identity and same-dtype Cast share memory (no copy) and stay valid after the source is disposed', async () => {
    await tf.setBackend('wasm');
    const before = sharedIdentityCalls();
    const bytes0 = tf.memory().numBytes;
    const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
    const bytesX = tf.memory().numBytes - bytes0;
    const clone = tf.clone(x);
    const same = tf.cast(x, 'float32');
    assert.equal(sharedIdentityCalls() - before, 2, 'Identity and Cast did not take the sharing path');
    x.dispose();
    assert.deepEqual(Array.from(clone.dataSync()), [1.5, -2, 3, 4]);
    assert.deepEqual(Array.from(same.dataSync()), [1.5, -2, 3, 4]);
    clone.dispose();
    assert.deepEqual(Array.from(same.dataSync()), [1.5, -2, 3, 4]);
    same.dispose();
    assert.equal(tf.memory().numBytes, bytes0, 'memory not released after the last reference');
    assert.ok(bytesX > 0);
    // Other dtypes and strings still go through the copying kernels.
    const ints = tf.cast(tf.tensor([1.7, -2.2]), 'int32');
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(Array.from(ints.dataSync()), [1, -2]);
    const strings = tf.clone(tf.tensor(['a', 'bc']));
    assert.deepEqual(strings.dataSync(), ['a', 'bc']);
    tf.dispose([ints, strings]);
    // A gradient that saves its inputs (clones them) still matches cpu.
    const f = () => { const a = randomTensor([3, 5], 41); const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.square(t), t)))(a); return [g]; };
    await compareWithCpu(f, 'gradient through saved clones');
  });

  it('Mean and Sum gradients: one kernel on wasm, equal to tfjs-core\'s composite on cpu for every axis pattern', async () => {
    const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
      { shape: [4, 5, 3, 6], axis: [0, 1, 2], keepDims: false }, { shape: [4, 5, 3, 6], axis: [1, 2], keepDims: true },
      { shape: [4, 5, 3, 6], axis: -1, keepDims: false }, { shape: [4, 5, 3, 6], axis: [0, 3], keepDims: false },
      { shape: [7, 9], axis: 0, keepDims: true }, { shape: [7, 9], axis: [0, 1], keepDims: false }, { shape: [11], axis: 0, keepDims: false },
      { shape: [2, 3, 4], axis: 1, keepDims: false },
    ];
    for (const c of cases) {
      const before = broadcastDivideCalls();
      const work = () => {
        const x = randomTensor(c.shape, 7 + c.shape.length);
        const w = randomTensor(c.shape, 11);
        const meanGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.mul(t, w), c.axis, c.keepDims), 3)))(x);
        const sumGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.sum(t, c.axis, c.keepDims))))(x);
        return [meanGrad, sumGrad];
      };
      const kernels = await compareWithCpu(work, `Mean/Sum gradient ${JSON.stringify(c)}`);
      assert.ok(kernels.includes(BROADCAST_DIVIDE), `${BROADCAST_DIVIDE} did not run for ${JSON.stringify(c)}`);
      assert.ok(broadcastDivideCalls() - before >= 2);
      const wasm = await onBackend('wasm', work);
      const cpu = await onBackend('cpu', work);
      await tf.setBackend('wasm');
      // The Sum gradient copies dy, the Mean gradient divides once: both exactly as tfjs-core computes them.
      assert.deepEqual(Array.from(wasm[0]), Array.from(cpu[0]), `mean gradient not bit-identical for ${JSON.stringify(c)}`);
    }
  });
});
