/** Sparse Shift Layer: integer forward, quantization-aware gradients (FD of the bilinear forward), penalty, stats. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { SparseShift, activeShift, sparseShift, sparseShiftStats, sparseShiftTensor } from '../src/lib/ops';
import { saveAndLoad } from './support/models';
import { centralDifferences, dot, naiveActiveShift, naiveIntegerShift } from './support/oracles';
import { randomTensor4d, randomValues } from './support/random';
import { assertClose } from './support/tolerance';
import { useBackend } from './support/backend';

/** C's round(): half away from zero. */
const roundC = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

describe('ops: SparseShift (SSL)', () => {
  useBackend('cpu');

  for (const stride of [1, 2, 3]) {
    it(`forward = naive integer shift by the rounded offsets (5×7, stride ${stride})`, () => {
      const offsets = [[0.4, -0.4], [0.5, -0.5], [1.6, 2.49], [-2.51, 0.2], [7.2, 0], [-1.5, 1.5]];
      const x = randomTensor4d([2, 5, 7, offsets.length], 90 + stride);
      const y = sparseShiftTensor(x, tf.tensor2d(offsets), { stride });
      const dyDx = offsets.map(([a, b]) => [roundC(b), roundC(a)]);
      assert.deepEqual(dyDx[1], [-1, 1]); // half away from zero
      assertClose(y.dataSync(), naiveIntegerShift(x, dyDx, stride), 0, 'forward');
    });
  }

  for (const stride of [1, 2]) {
    it(`offset gradient = FD of the bilinear (ASL) forward at the real offsets; input gradient = integer shift of dy (stride ${stride})`, () => {
      const c = 3;
      const x = randomTensor4d([2, 4, 5, c], 100);
      const offsets = [[0.3, -1.35], [1.7, 0.45], [-0.6, 2.2]];
      const oh = Math.floor((4 - 1) / stride) + 1;
      const ow = Math.floor((5 - 1) / stride) + 1;
      const r = randomValues(2 * oh * ow * c, 101);
      const rT = tf.tensor4d(r, [2, oh, ow, c]);
      const [gx, go] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(sparseShiftTensor(a as tf.Tensor4D, b as tf.Tensor2D, { stride }), rT)),
      )([x, tf.tensor2d(offsets)]);
      const bilinearLoss = (p: number[]) => dot(naiveActiveShift(x, [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]]], stride, 0), r);
      assertClose(go.dataSync(), centralDifferences(bilinearLoss, offsets.flat(), 1e-2), 2e-3, 'dL/d(a, b)');
      // Adjoint of the integer shift: input pixel (ho·s + dy, wo·s + dx) receives r(ho, wo).
      const expected = new Float32Array(2 * 4 * 5 * c);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let ch = 0; ch < c; ch++) {
              const y = i * stride + roundC(offsets[ch][1]);
              const xx = j * stride + roundC(offsets[ch][0]);
              if (y >= 0 && y < 4 && xx >= 0 && xx < 5) expected[((b * 4 + y) * 5 + xx) * c + ch] += r[((b * oh + i) * ow + j) * c + ch];
            }
      assertClose(gx.dataSync(), expected, 1e-6, 'dL/dx');
    });
  }

  it('layer: grid initialisation, 2·C params, 0 MACs, stats summed over a model, save/load round trip', async () => {
    const input = tf.input({ shape: [6, 6, 18] });
    const a = sparseShift({ name: 'ssl1' });
    const b = sparseShift({ stride: 2, initialisation: 'zero', penalty: 1e-3, name: 'ssl2' });
    const h = a.apply(input) as tf.SymbolicTensor;
    const out = b.apply(activeShift({ initRadius: 0 }).apply(h)) as tf.SymbolicTensor;
    assert.deepEqual(out.shape, [null, 3, 3, 18]);
    assert.equal(a.countParams(), 36);
    assert.equal(a.macs([[6, 6, 18]]), 0);
    // Grid: 2 channels per {−1,0,1}² direction → only the 2 centre channels are still.
    assert.deepEqual(sparseShiftStats(a), { channels: 18, still: 2, fractionStill: 2 / 18 });
    const model = tf.model({ inputs: input, outputs: out });
    assert.deepEqual(sparseShiftStats(model), { channels: 36, still: 20, fractionStill: 20 / 36 });
    const outer = tf.sequential({ layers: [model, tf.layers.flatten()] });
    assert.equal(sparseShiftStats(outer).channels, 36);
    b.setWeights([tf.tensor2d(Array.from({ length: 18 }, (_, c) => [(c % 5) * 0.4 - 1, 0.3 * (c % 3)]))]);
    const loaded = await saveAndLoad(model);
    assert.ok(loaded.getLayer('ssl2') instanceof SparseShift);
    assert.deepEqual(loaded.getLayer('ssl2').getConfig(), b.getConfig());
    assert.deepEqual(loaded.getLayer('ssl1').getConfig(), a.getConfig());
    const x = randomTensor4d([2, 6, 6, 18], 110);
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 0, 'loaded');
    assert.deepEqual(sparseShiftStats(loaded), sparseShiftStats(model));
  });

  it('penalty is the L1 regularizer λ·Σ|offsets| of the weight, and it drives offsets to (0, 0) in training', async () => {
    const input = tf.input({ shape: [4, 4, 9] });
    const layer = sparseShift({ penalty: 0.5, offsetInitializer: Array.from({ length: 9 }, (_, c) => [0.9 - 0.2 * c, 0.7]) });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const offsets = layer.getWeights()[0];
    const [penalty] = layer.calculateLosses();
    assert.ok(Math.abs(penalty.dataSync()[0] - 0.5 * tf.sum(tf.abs(offsets)).dataSync()[0]) < 1e-5);
    const before = sparseShiftStats(model).still;
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = randomTensor4d([4, 4, 4, 9], 120);
    await model.fit(x, model.predict(x) as tf.Tensor, { epochs: 6, batchSize: 4, verbose: 0 });
    const after = sparseShiftStats(model).still;
    assert.ok(after > before, `still channels should rise under the penalty: ${before} → ${after}`);
  });

  it('forward and backward leak no tensors', () => {
    const x = randomTensor4d([1, 5, 7, 3], 130);
    const offsets = tf.tensor2d([[0.3, -1.2], [2.6, 0.4], [-0.5, 0.5]]);
    const before = tf.memory().numTensors;
    sparseShiftTensor(x, offsets, { stride: 2 }).dispose();
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(sparseShiftTensor(a as tf.Tensor4D, b as tf.Tensor2D, { stride: 2 })))([x, offsets]);
    tf.dispose(grads);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad arguments', () => {
    assert.throws(
      () => sparseShift({ offsetInitializer: [[0, 0]] }).apply(tf.input({ shape: [4, 4, 3] })),
      /offsetInitializer has 1 pairs but the input has 3 channels/,
    );
    assert.throws(() => sparseShift({ initialisation: 'random' as never }), /initialisation must be one of grid, zero, uniform, got 'random'/);
    assert.throws(() => sparseShift({ penalty: -1 }), /penalty must be a finite number ≥ 0, got -1/);
    assert.throws(() => sparseShift({ stride: 1.5 }), /stride must be a positive integer.*got 1.5/);
    assert.throws(() => sparseShiftStats(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] })), /contains no SparseShift layer/);
  });
});
