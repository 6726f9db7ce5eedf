/**
 * Spatial-convolution blocks (Fire, depthwise-separable, inverted residual) and makeDivisible:
 * shapes and names in loops, numbers against ops written out by hand on the cpu backend, error messages.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { makeDivisible } from '../src/lib/channels';
import { fire } from '../src/lib/blocks/fire';
import { depthwiseSeparable } from '../src/lib/blocks/separable';
import { hasResidual, invertedResidual } from '../src/lib/blocks/inverted-residual';
import { modelAround } from './support/models';
import { maxAbsDiff } from './support/tolerance';
import { useBackend } from './support/backend';

/** Weight tensor `suffix` (e.g. "kernel") of layer `name`. */
function weight(model: tf.LayersModel, name: string, suffix: string): tf.Tensor {
  const w = model.getLayer(name).weights.find((v) => v.originalName.endsWith(suffix));
  if (!w) throw new Error(`no ${suffix} in ${name}`);
  return w.read();
}

/** Max |a − b| of two tensors' values. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => maxAbsDiff(a.dataSync(), b.dataSync());

describe('makeDivisible (TF-slim / torchvision _make_divisible)', () => {
  // Expected values worked out by hand from the reference definition:
  // max(8, int(v + 4) // 8 * 8), plus 8 when that is below 0.9·v.
  const CASES: Array<[number, number]> = [
    [32, 32], [32 * 0.35, 16], [16 * 0.35, 8], [24 * 0.35, 8], [64 * 0.35, 24], [24 * 1.4, 32],
    [96 * 0.75, 72], [1280 * 1.4, 1792], [320 * 1.3, 416], [3, 8], [12, 16], [20, 24], [26, 24], [27.9, 32], [28, 32],
  ];
  for (const [v, expected] of CASES) {
    it(`makeDivisible(${+v.toFixed(3)}, 8) = ${expected}`, () => assert.strictEqual(makeDivisible(v, 8), expected));
  }
  it('never rounds down by more than 10 % and always returns a multiple of the divisor', () => {
    for (let v = 1; v < 400; v += 0.7) {
      const r = makeDivisible(v, 8);
      assert.ok(r >= 0.9 * v && r % 8 === 0, `v = ${v} → ${r}`);
    }
  });
  it('rejects bad input with the value in the message', () => {
    assert.throws(() => makeDivisible(0), /positive number, got 0/);
    assert.throws(() => makeDivisible(NaN), /got NaN/);
    assert.throws(() => makeDivisible(10, 0), /divisor must be a positive integer, got 0/);
  });
});

describe('spatial blocks', () => {
  useBackend('cpu');

  for (const [h, c, s, e1, e3] of [[8, 6, 2, 3, 5], [5, 16, 4, 8, 8], [7, 3, 1, 2, 2]]) {
    it(`fire(${s}, ${e1}, ${e3}) on ${h}×${h}×${c}: shape and values = squeeze/expand written with tf ops`, () => {
      const m = modelAround([h, h, c], (x) => fire(x, { squeeze: s, expand1x1: e1, expand3x3: e3, name: 'fire2' }));
      assert.deepStrictEqual(m.outputs[0].shape, [null, h, h, e1 + e3]);
      for (const n of ['fire2.squeeze', 'fire2.expand1x1', 'fire2.expand3x3', 'fire2.concat']) assert.ok(m.getLayer(n), n);
      const x = tf.randomNormal([2, h, h, c], 0, 1, 'float32', 7) as tf.Tensor4D;
      const conv = (t: tf.Tensor4D, layer: string, pad: number) =>
        tf.relu(tf.add(tf.conv2d(t, weight(m, layer, 'kernel') as tf.Tensor4D, 1, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), weight(m, layer, 'bias')));
      const sq = conv(x, 'fire2.squeeze', 0) as tf.Tensor4D;
      const expected = tf.concat([conv(sq, 'fire2.expand1x1', 0), conv(sq, 'fire2.expand3x3', 1)], 3);
      assert.ok(maxDiff(m.predict(x) as tf.Tensor, expected) < 1e-4);
      m.dispose();
    });
  }

  it('fire bypass: simple adds the input, complex adds a 1×1 conv where widths differ; bad bypass is an error', () => {
    const simple = modelAround([6, 6, 8], (x) => fire(x, { squeeze: 2, expand1x1: 4, expand3x3: 4, bypass: 'simple', name: 'f' }));
    const plainOut = tf.tidy(() => {
      const x = tf.randomNormal([1, 6, 6, 8], 0, 1, 'float32', 3);
      const inner = tf.model({ inputs: simple.inputs, outputs: simple.getLayer('f.concat').output as tf.SymbolicTensor });
      return maxDiff(simple.predict(x) as tf.Tensor, tf.add(inner.predict(x) as tf.Tensor, x));
    });
    assert.ok(plainOut < 1e-5);
    simple.dispose();
    const complex = modelAround([6, 6, 5], (x) => fire(x, { squeeze: 2, expand1x1: 4, expand3x3: 4, bypass: 'complex', name: 'f' }));
    assert.deepStrictEqual(complex.getLayer('f.bypass').outputShape, [null, 6, 6, 8]);
    complex.dispose();
    const x = tf.input({ shape: [6, 6, 5] });
    assert.throws(() => fire(x, { squeeze: 2, expand1x1: 4, expand3x3: 4, bypass: 'simple', name: 'f' }), /simple bypass needs input channels = e1 \+ e3, got 5 ≠ 8/);
    assert.throws(() => fire(x, { squeeze: 2, expand1x1: 4, expand3x3: 4, bypass: 'wide' as never, name: 'f' }), /none, simple, complex; got "wide"/);
    assert.throws(() => fire(x, { squeeze: 0, expand1x1: 4, expand3x3: 4, name: 'f' }), /squeeze must be a positive integer, got 0/);
  });

  for (const [h, c, n, s] of [[8, 4, 6, 1], [9, 5, 3, 2], [16, 8, 16, 2]]) {
    it(`depthwiseSeparable ${h}×${h}×${c} → ${n}, stride ${s}: ⌈h/s⌉ output, dw → BN → ReLU6 → pw → BN → ReLU6`, () => {
      const m = modelAround([h, h, c], (x) => depthwiseSeparable(x, { outChannels: n, stride: s, bn: { epsilon: 1e-3 }, name: 'b1' }));
      assert.deepStrictEqual(m.outputs[0].shape, [null, Math.ceil(h / s), Math.ceil(h / s), n]);
      const classes = m.layers.slice(1).map((l) => l.getClassName());
      assert.deepStrictEqual(classes, ['DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Conv2D', 'BatchNormalization', 'ReLU']);
      assert.strictEqual((m.getLayer('b1.dw.bn').getConfig() as { epsilon: number }).epsilon, 1e-3);
      const y = m.predict(tf.randomNormal([1, h, h, c], 0, 10, 'float32', 1)) as tf.Tensor;
      assert.ok(y.max().dataSync()[0] <= 6 && y.min().dataSync()[0] >= 0, 'ReLU6 output range');
      m.dispose();
    });
  }

  for (const [h, din, dout, t, s] of [[8, 8, 8, 6, 1], [8, 8, 12, 6, 1], [9, 8, 8, 6, 2], [6, 16, 16, 1, 1]]) {
    it(`invertedResidual ${h}×${h}×${din} → ${dout} (t${t}, s${s}): residual iff s = 1 and d′ = d″; no expand when t = 1`, () => {
      const m = modelAround([h, h, din], (x) => invertedResidual(x, { outChannels: dout, stride: s, expansion: t, name: 'ir' }));
      const residual = hasResidual(din, dout, s);
      assert.strictEqual(residual, s === 1 && din === dout);
      assert.strictEqual(m.layers.some((l) => l.name === 'ir.add'), residual);
      assert.strictEqual(m.layers.some((l) => l.name === 'ir.expand.conv'), t !== 1);
      assert.strictEqual(m.layers.some((l) => l.name === 'ir.project.act'), false, 'linear bottleneck: no activation after project');
      assert.deepStrictEqual(m.outputs[0].shape, [null, Math.ceil(h / s), Math.ceil(h / s), dout]);
      // Zeroing the projection BN's γ and β makes the branch output 0: the block then returns its input iff residual.
      const bn = m.getLayer('ir.project.bn');
      bn.setWeights(bn.getWeights().map((w, i) => (i < 2 ? tf.zerosLike(w) : w)));
      const x = tf.randomNormal([1, h, h, din], 0, 1, 'float32', 5);
      const y = m.predict(x) as tf.Tensor;
      if (residual) assert.ok(maxDiff(y, x) < 1e-6);
      else assert.strictEqual(maxDiff(y, tf.zerosLike(y)), 0);
      m.dispose();
    });
  }

  it("invertedResidual padding 'torch' pads symmetrically (explicit ZeroPadding2D, valid dw)", () => {
    const m = modelAround([9, 9, 8], (x) => invertedResidual(x, { outChannels: 8, stride: 2, expansion: 2, padding: 'torch', name: 'ir' }));
    assert.strictEqual(m.getLayer('ir.dw.pad').getClassName(), 'ZeroPadding2D');
    assert.deepStrictEqual(m.outputs[0].shape, [null, 5, 5, 8]); // ⌊(9 + 2 − 3)/2⌋ + 1
    m.dispose();
    const x = tf.input({ shape: [8, 8, 8] });
    assert.throws(() => invertedResidual(x, { outChannels: 8, stride: 3, expansion: 6, name: 'ir' }), /stride must be 1 or 2, got 3/);
    assert.throws(() => invertedResidual(x, { outChannels: 8, stride: 1, expansion: 0.5, name: 'ir' }), /expansion t must be ≥ 1, got 0.5/);
  });
});
