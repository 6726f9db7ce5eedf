/** The wasm training kernels against the tfjs `cpu` backend (an independent implementation) as oracle. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { previousKernel } from '../src/lib/kernels';
import {
  WASM_TRAINING_KERNELS, WASM_KERNEL_OVERRIDES, BATCH_NORM_GRAD, RANGE_MASK_GRAD, BROADCAST_DIVIDE, CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT,
  CHANNEL_SHIFT_CORNER_DOTS, pointwiseBackpropInputCalls, kernelsUsedBy, missingKernels,
} from '../src/lib/kernels';
import { GROUPED_SHIFT } from '../src/lib/ops/shift';
import { onBackend, useBackend } from './support/backend';
import { useNativeKernels } from './support/native';
import { randomTensor } from './support/random';
import { assertCloseRelative, assertScaled } from './support/tolerance';

/** Gradients of Σ op(x, w)·r with respect to x and w (r random, so dy is a random tensor). */
function convGrads(
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  xShape: [number, number, number, number], wShape: [number, number, number, number], seed: number,
): () => tf.Tensor[] {
  return () => tf.tidy(() => {
    const x = randomTensor(xShape, seed) as tf.Tensor4D;
    const w = randomTensor(wShape, seed + 1) as tf.Tensor4D;
    const r = randomTensor(op(x, w).shape, seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    return [dx, dw];
  });
}

describe('wasm training kernels', function () {
  this.timeout(120000);
  useBackend('wasm');
  // These are the TypeScript kernels (what runs without the native addon); the native ones have their own tests.
  useNativeKernels(false);

  it('registers each added kernel on wasm (our implementation is the one that runs)', () => {
    for (const config of [...WASM_TRAINING_KERNELS, ...WASM_KERNEL_OVERRIDES]) {
      const registered = tf.getKernel(config.kernelName, 'wasm');
      assert.ok(registered, `${config.kernelName} missing on wasm`);
      // A native override (src/lib/kernels/*/native.ts) may stand in front of ours; then ours is the kernel it hands calls back to.
      const ours = previousKernel(config.kernelName) ?? registered.kernelFunc;
      assert.equal(ours, config.kernelFunc, `${config.kernelName} on wasm is not ours`);
    }
    assert.deepEqual(
      WASM_TRAINING_KERNELS.map((k) => k.kernelName).sort(),
      [BATCH_NORM_GRAD, RANGE_MASK_GRAD, BROADCAST_DIVIDE, CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, GROUPED_SHIFT,
        'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum'].sort(),
    );
    assert.deepEqual(WASM_KERNEL_OVERRIDES.map((k) => k.kernelName), ['Conv2DBackpropInput', 'BatchMatMul', 'Mean', 'Sum', 'Identity', 'Cast']);
  });

  const convCases: { x: [number, number, number, number]; k: number; co: number; stride: number; pad: 'same' | 'valid' | number }[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      convCases.push({ x: [2, 7, 9, 3], k: 3, co: 4, stride, pad });
      convCases.push({ x: [1, 9, 7, 8], k: 1, co: 5, stride, pad });
      convCases.push({ x: [2, 8, 7, 1], k: 5, co: 2, stride, pad });
    }
  }
  convCases.push({ x: [2, 7, 9, 3], k: 3, co: 6, stride: 2, pad: 1 });
  // Pointwise with many channels: the MatMul fast paths of both backprop kernels on realistic sizes.
  convCases.push({ x: [3, 6, 5, 40], k: 1, co: 24, stride: 1, pad: 'same' });
  convCases.push({ x: [3, 6, 5, 24], k: 1, co: 40, stride: 1, pad: 0 });

  for (const c of convCases) {
    it(`Conv2DBackpropFilter x=[${c.x}] k=${c.k} co=${c.co} stride=${c.stride} pad=${c.pad}`, async () => {
      const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.stride, c.pad);
      const work = convGrads(op, c.x, [c.k, c.k, c.x[3], c.co], 11 + c.k * 7 + c.stride);
      const expected = await onBackend('cpu', work);
      const actual = await onBackend('wasm', work);
      assertScaled(actual[1], expected[1], 'dW');
      assertScaled(actual[0], expected[0], 'dx');
    });
  }

  const dwCases: { x: [number, number, number, number]; k: number; mult: number; stride: number; pad: 'same' | 'valid' }[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const mult of [1, 2]) {
        dwCases.push({ x: [2, 7, 9, 3], k: 3, mult, stride, pad });
        dwCases.push({ x: [1, 9, 7, 16], k: 5, mult, stride, pad });
      }
    }
  }
  for (const c of dwCases) {
    it(`DepthwiseConv2dNativeBackprop{Input,Filter} x=[${c.x}] k=${c.k} mult=${c.mult} stride=${c.stride} pad=${c.pad}`, async () => {
      const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, c.stride, c.pad);
      const work = convGrads(op, c.x, [c.k, c.k, c.x[3], c.mult], 5 + c.k + c.mult * 3 + c.stride);
      const expected = await onBackend('cpu', work);
      const actual = await onBackend('wasm', work);
      assertScaled(actual[0], expected[0], 'dx');
      assertScaled(actual[1], expected[1], 'dW');
    });
  }

  /** Batch norm in training mode (moments of x) through FusedBatchNorm, so every one of its five gradients matters. */
  const bnLoss = (x: tf.Tensor4D, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D, r: tf.Tensor, fused: boolean): tf.Scalar => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const y = fused
      ? tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-3)
      : tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), gamma ?? 1), beta);
    return tf.sum(tf.mul(tf.square(y), r));
  };
  // Scale given only: with scale absent, tfjs-core's own forward already fails to save inputs for the gradient.
  for (const withScale of [true]) {
    it(`FusedBatchNorm gradient (one-pass kernel, scale ${withScale ? 'given' : 'absent'}) vs cpu and vs unfused autodiff`, async () => {
      const shape: [number, number, number, number] = [3, 5, 4, 7];
      const work = (fused: boolean) => () => tf.tidy(() => {
        const x = randomTensor(shape, 41, 2, 0.5) as tf.Tensor4D;
        const gamma = randomTensor([7], 42) as tf.Tensor1D;
        const beta = randomTensor([7], 43) as tf.Tensor1D;
        const r = randomTensor(shape, 44);
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => bnLoss(a as tf.Tensor4D, withScale ? (g as tf.Tensor1D) : undefined, b as tf.Tensor1D, r, fused);
        if (!withScale) {
          const [dx, db] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, gamma, b))([x, beta]);
          return [dx, tf.zeros([7]), db];
        }
        return tf.grads(f)([x, gamma, beta]);
      });
      const unfused = await onBackend('cpu', work(false));
      const cpu = await onBackend('cpu', work(true));
      const profile = await tf.profile(async () => {
        await onBackend('wasm', work(true));
      });
      assert.ok(profile.kernelNames.includes(BATCH_NORM_GRAD), 'the one-pass kernel did not run on wasm');
      assert.ok(!profile.kernelNames.includes('Tile'), 'the tiling gradient of tfjs-core still runs');
      const wasm = await onBackend('wasm', work(true));
      for (let i = 0; i < 3; i++) {
        if (!withScale && i === 1) continue;
        assertScaled(cpu[i], unfused[i], `cpu composite vs unfused, gradient ${i}`);
        assertScaled(wasm[i], unfused[i], `wasm kernel vs unfused, gradient ${i}`);
      }
    });
  }

  it('Conv2DBackpropInput: the pointwise MatMul path runs for 1×1, the native kernel for k×k', async () => {
    await tf.setBackend('wasm');
    const grad = (k: number) => tf.profile(() => {
      tf.tidy(() => {
        const x = tf.ones([1, 4, 4, 6]);
        const w = tf.ones([k, k, 6, 3]);
        tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(x).dataSync();
      });
    });
    const calls0 = pointwiseBackpropInputCalls();
    const pointwise = await grad(1);
    assert.ok(pointwise.kernelNames.includes('Conv2DBackpropInput'));
    assert.equal(pointwiseBackpropInputCalls(), calls0 + 1, '1×1 did not take the MatMul path');
    await grad(3);
    assert.equal(pointwiseBackpropInputCalls(), calls0 + 1, '3×3 took the pointwise path');
  });

  it('UnsortedSegmentSum: gather gradients (repeated and dropped indices) and the op itself', async () => {
    const work = () => tf.tidy(() => {
      const x = randomTensor([2, 3, 5, 6], 3);
      const r0 = randomTensor([4, 3, 5, 6], 4);
      const r3 = randomTensor([2, 3, 5, 7], 5);
      const g0 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, [1, 0, 1, 1], 0), r0)))(x);
      const g3 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, [5, 4, 0, 0, 2, 3, 5], 3), r3)))(x);
      const ids = tf.tensor1d([0, 3, 3, 1, 0, 7], 'int32'); // 7 ≥ numSegments: dropped
      const values = randomTensor([6, 2, 4], 6);
      const direct = tf.unsortedSegmentSum(values, ids, 5);
      const directInt = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([2, 0, 2, 1], 'int32'), 3);
      return [g0, g3, direct, tf.cast(directInt, 'float32')];
    });
    const expected = await onBackend('cpu', work);
    const actual = await onBackend('wasm', work);
    expected.forEach((e, i) => assertCloseRelative(actual[i], e, `result ${i}: wasm vs cpu`, 1e-6, 1e-6));
    assert.deepEqual(Array.from(actual[3]), [2, 4, 4]);
  });

  it('every kernel used to train the survey building blocks exists on wasm', async () => {
    // Profiled on cpu, which has every kernel, so the list is complete even where wasm lacks one.
    await tf.setBackend('cpu');
    const names = await kernelsUsedBy(() => trainingWorkload());
    for (const expected of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'FusedBatchNorm', 'MaxPoolGrad', 'AvgPoolGrad', 'UnsortedSegmentSum']) {
      assert.ok(names.includes(expected), `workload does not exercise ${expected}; used: ${names.join(' ')}`);
    }
    assert.deepEqual(missingKernels(names, 'wasm'), []);
    await tf.setBackend('wasm');
  });

  it('one training step of a conv net with batch norm, depthwise and pointwise convs matches cpu', async () => {
    const xShape = [4, 9, 7, 3];
    const step = () => {
      const model = smallMobileNet([9, 7, 3], 5);
      model.setWeights(model.getWeights().map((w, i) => randomTensor(w.shape, 100 + i, 0.5)));
      const x = randomTensor(xShape, 7);
      const labels = tf.oneHot(tf.tensor1d([0, 3, 4, 1], 'int32'), 5);
      const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const gradList = vars.map((v) => grads[v.name]);
      // SGD, not Adam, for the update check: Adam's first step is ≈ lr·sign(g), which turns float noise in a
      // near-zero gradient into a full-size difference.
      const optimizer = tf.train.sgd(0.1);
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      const after = vars.map((v) => v.clone());
      const out = [value, ...gradList, ...after];
      optimizer.dispose();
      model.dispose();
      return out;
    };
    const expected = await onBackend('cpu', step);
    const actual = await onBackend('wasm', step);
    assert.equal(actual.length, expected.length);
    assert.ok(expected.length > 20, `only ${expected.length} tensors compared`);
    expected.forEach((e, i) => assertCloseRelative(actual[i], e, `${i === 0 ? 'loss' : `tensor ${i}`}: wasm vs cpu`));
  });
});

/** A MobileNet-style net: conv s2 + BN + ReLU6, depthwise + BN + ReLU, pointwise + BN, a depthwise-separable s2 block, GAP, dense. */
function smallMobileNet(inputShape: number[], classes: number): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: false }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu6' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 10, kernelSize: 1, activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: classes }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/**
 * Two optimizer steps (SGD momentum, Adam) through every op the survey's models train with, plus a tf.layers
 * model.fit with batch norm in training mode: conv2d (stride 1/2, same/valid), depthwise (multiplier 1/2),
 * relu/relu6, maxPool/avgPool, global average pooling, dense, concat, add, split/slice, channel shuffle
 * (reshape + transpose), pad, gather, softmax cross-entropy.
 */
async function trainingWorkload(): Promise<void> {
  const x = randomTensor([2, 17, 15, 3], 21) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
  const v = (shape: number[], seed: number): tf.Variable => tf.variable(randomTensor(shape, seed, 0.3));
  const W = {
    c1: v([3, 3, 3, 8], 1), c2: v([3, 3, 8, 8], 2), dw: v([3, 3, 8, 2], 3), dw2: v([3, 3, 16, 1], 4),
    pw: v([1, 1, 16, 8], 5), gamma: v([8], 6), beta: v([8], 7), fc: v([12, 5], 8), fb: v([5], 9),
  };
  const loss = () => {
    let h: tf.Tensor4D = tf.relu(tf.conv2d(x, W.c1 as tf.Tensor4D, 2, 'same'));
    h = tf.pad(tf.conv2d(h, W.c2 as tf.Tensor4D, 1, 'valid'), [[0, 0], [1, 1], [1, 1], [0, 0]]);
    h = tf.relu6(tf.depthwiseConv2d(h, W.dw as tf.Tensor4D, 2, 'same'));
    h = tf.depthwiseConv2d(h, W.dw2 as tf.Tensor4D, 1, 'valid');
    h = tf.conv2d(h, W.pw as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.batchNorm4d(h, mean as tf.Tensor1D, variance as tf.Tensor1D, W.beta as tf.Tensor1D, W.gamma as tf.Tensor1D, 1e-3);
    const [a, b] = tf.split(h, 2, 3) as tf.Tensor4D[];
    h = tf.concat4d([tf.add(a, b) as tf.Tensor4D, tf.slice(h, [0, 0, 0, 0], [-1, -1, -1, 4])], 3);
    const [n, hh, ww] = h.shape;
    h = h.reshape([n, hh, ww, 2, 4]).transpose([0, 1, 2, 4, 3]).reshape([n, hh, ww, 8]) as tf.Tensor4D;
    h = tf.gather(h, [1, 0, 2, 3, 5, 4, 6, 7], 3);
    const pooled = tf.concat([tf.maxPool(h, 2, 1, 'same'), tf.avgPool(h, 2, 1, 'same').slice([0, 0, 0, 0], [-1, -1, -1, 4])], 3);
    const logits = tf.add(tf.matMul(tf.mean(pooled, [1, 2]) as tf.Tensor2D, W.fc as tf.Tensor2D), W.fb);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  for (const optimizer of [tf.train.momentum(0.1, 0.9), tf.train.adam(0.01)]) {
    tf.dispose(optimizer.minimize(loss) ?? []);
    tf.dispose(optimizer.minimize(loss) ?? []);
    optimizer.dispose();
  }
  const model = smallMobileNet([17, 15, 3], 5);
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, labels, { epochs: 1, batchSize: 2, verbose: 0 });
  model.dispose();
  tf.dispose([x, labels, ...Object.values(W)]);
}
