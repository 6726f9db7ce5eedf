/** Active Shift Layer against a naive transcription of ASL-REPO Forward_cpu and central finite differences. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ActiveShift, activeShift, activeShiftTensor, shiftTensor } from '../src/lib/ops';
import { saveAndLoad } from './support/models';
import { centralDifferences, dot, naiveActiveShift } from './support/oracles';
import { randomTensor4d, randomValues } from './support/random';
import { assertClose } from './support/tolerance';
import { useBackend } from './support/backend';

/** Random offsets [C, 2] in ±range whose fractional parts stay in [0.2, 0.8] (away from lattice points). */
function offLatticeOffsets(channels: number, range: number, seed: number): number[][] {
  const v = randomValues(4 * channels, seed);
  return Array.from({ length: channels }, (_, c) =>
    [0, 1].map((j) => Math.floor(v[4 * c + 2 * j] * range) + 0.2 + 0.6 * (0.5 + 0.5 * v[4 * c + 2 * j + 1])),
  );
}

describe('ops: ActiveShift (ASL)', () => {
  useBackend('cpu');

  const configs = [
    { c: 3, stride: 1, pad: 0, range: 2 },
    { c: 5, stride: 2, pad: 1, range: 2 },
    { c: 4, stride: 2, pad: 0, range: 3 },
    { c: 6, stride: 3, pad: 2, range: 1 },
    { c: 2, stride: 1, pad: 0, range: 9 },
  ];
  for (const k of configs) {
    it(`forward = naive bilinear loop (5×7, C ${k.c}, stride ${k.stride}, pad ${k.pad}, |offset| < ${k.range + 1})`, () => {
      const x = randomTensor4d([2, 5, 7, k.c], 31 + k.c);
      const offsets = offLatticeOffsets(k.c, k.range, 40 + k.c);
      offsets[0] = [1.5, -0.25]; // a hand-picked non-lattice pair
      const y = activeShiftTensor(x, tf.tensor2d(offsets), { stride: k.stride, padding: k.pad });
      const oh = Math.floor((5 + 2 * k.pad - 1) / k.stride) + 1;
      const ow = Math.floor((7 + 2 * k.pad - 1) / k.stride) + 1;
      assert.deepEqual(y.shape, [2, oh, ow, k.c]);
      assertClose(y.dataSync(), naiveActiveShift(x, offsets, k.stride, k.pad), 1e-5, 'forward');
    });
  }

  it('with integer offsets equals the fixed integer shift', () => {
    const x = randomTensor4d([2, 5, 7, 6], 50);
    const alphaBeta = [[0, 0], [1, 0], [0, -1], [-2, 3], [4, -4], [-1, -1]];
    const y = activeShiftTensor(x, tf.tensor2d(alphaBeta));
    const dyDx = alphaBeta.map(([a, b]) => [b, a]);
    assertClose(y.dataSync(), shiftTensor(x, dyDx).dataSync(), 1e-7, 'ASL(int) vs shift');
  });

  for (const k of [{ stride: 1, pad: 0 }, { stride: 2, pad: 1 }]) {
    it(`gradients w.r.t. input and offsets = central finite differences (stride ${k.stride}, pad ${k.pad})`, () => {
      const c = 3;
      const x = randomTensor4d([2, 4, 5, c], 60);
      const offsets = offLatticeOffsets(c, 2, 61);
      const oh = Math.floor((4 + 2 * k.pad - 1) / k.stride) + 1;
      const ow = Math.floor((5 + 2 * k.pad - 1) / k.stride) + 1;
      const r = randomValues(2 * oh * ow * c, 62);
      const rT = tf.tensor4d(r, [2, oh, ow, c]);
      const [gx, go] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(activeShiftTensor(a as tf.Tensor4D, b as tf.Tensor2D, { stride: k.stride, padding: k.pad }), rT)),
      )([x, tf.tensor2d(offsets)]);
      // Loss L = Σ y·r evaluated with the naive forward in float64.
      const lossAtOffsets = (p: number[]) => dot(naiveActiveShift(x, [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]]], k.stride, k.pad), r);
      const fdOffsets = centralDifferences(lossAtOffsets, offsets.flat(), 1e-2);
      assertClose(go.dataSync(), fdOffsets, 2e-3, 'dL/d(α, β)');
      const xv = Array.from(x.dataSync());
      const lossAtInput = (p: number[]) => dot(naiveActiveShift(tf.tensor4d(p, x.shape), offsets, k.stride, k.pad), r);
      assertClose(gx.dataSync(), centralDifferences(lossAtInput, xv, 1e-2), 2e-3, 'dL/dx');
    });
  }

  it('normalizeGrad scales each channel\'s (∂α, ∂β) to unit length', () => {
    const x = randomTensor4d([1, 5, 7, 4], 70);
    const offsets = tf.tensor2d(offLatticeOffsets(4, 2, 71));
    const r = randomTensor4d([1, 5, 7, 4], 72);
    const loss = (normalizeGrad: boolean) => (b: tf.Tensor) =>
      tf.sum(tf.mul(activeShiftTensor(x, b as tf.Tensor2D, { normalizeGrad }), r));
    const raw = tf.grad(loss(false))(offsets).arraySync() as number[][];
    const unit = tf.grad(loss(true))(offsets).arraySync() as number[][];
    raw.forEach(([a, b], c) => {
      const n = Math.hypot(a, b);
      assert.ok(Math.abs(unit[c][0] - a / n) < 1e-5 && Math.abs(unit[c][1] - b / n) < 1e-5, `channel ${c}`);
    });
  });

  it('layer: 2·C params in one [C, 2] weight, 0 MACs, strided shape, save/load round trip', async () => {
    const input = tf.input({ shape: [5, 7, 3] });
    const init = [[0.5, -0.5], [1.25, 0], [-2, 0.75]];
    const layer = activeShift({ stride: 2, padding: 1, normalizeGrad: true, initRadius: 0.5, offsetInitializer: init, name: 'asl' });
    const out = layer.apply(input) as tf.SymbolicTensor;
    assert.deepEqual(out.shape, [null, 4, 5, 3]); // ⌊(5 + 2 − 1)/2⌋ + 1, ⌊(7 + 2 − 1)/2⌋ + 1
    assert.equal(layer.countParams(), 6);
    assert.deepEqual(layer.getWeights()[0].shape, [3, 2]);
    assert.deepEqual(layer.getWeights()[0].arraySync(), init);
    assert.equal(layer.macs([[5, 7, 3]]), 0);
    const model = tf.model({ inputs: input, outputs: out });
    layer.setWeights([tf.tensor2d([[0.3, 0.6], [-1.7, 2.2], [0.1, -0.9]])]);
    const loaded = await saveAndLoad(model);
    assert.ok(loaded.getLayer('asl') instanceof ActiveShift);
    assert.deepEqual(loaded.getLayer('asl').getConfig(), layer.getConfig());
    const x = randomTensor4d([2, 5, 7, 3], 80);
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 0, 'loaded');
    // Default initialisation: uniform in [−initRadius, initRadius].
    const fresh = activeShift({ initRadius: 0.25 });
    fresh.apply(tf.input({ shape: [4, 4, 64] }));
    const values = fresh.getWeights()[0].dataSync();
    assert.ok(values.every((v) => Math.abs(v) <= 0.25) && values.some((v) => v !== 0));
  });

  it('forward and backward leak no tensors', () => {
    const x = randomTensor4d([1, 5, 7, 3], 130);
    const offsets = tf.tensor2d([[0.3, -1.2], [2.6, 0.4], [-0.5, 0.5]]);
    const before = tf.memory().numTensors;
    activeShiftTensor(x, offsets, { stride: 2 }).dispose();
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(activeShiftTensor(a as tf.Tensor4D, b as tf.Tensor2D, { stride: 2 })))([x, offsets]);
    tf.dispose(grads);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad arguments', () => {
    assert.throws(
      () => activeShift({ offsetInitializer: [[0, 0], [1, 1]] }).apply(tf.input({ shape: [4, 4, 3] })),
      /offsetInitializer has 2 pairs but the input has 3 channels/,
    );
    assert.throws(
      () => activeShift({ offsetInitializer: [[0, 0], [1]] }).apply(tf.input({ shape: [4, 4, 2] })),
      /offsetInitializer\[1\] must be a pair of finite numbers/,
    );
    assert.throws(() => activeShift({ stride: 0 }), /stride must be a positive integer.*got 0/);
    assert.throws(() => activeShift({ padding: -1 }), /padding must be a non-negative integer.*got -1/);
    assert.throws(() => activeShift({ initRadius: -1 }), /initRadius must be a finite number ≥ 0, got -1/);
    assert.throws(
      () => activeShiftTensor(tf.zeros([1, 3, 3, 2]) as tf.Tensor4D, tf.zeros([3, 2]) as tf.Tensor2D),
      /offsets must have shape \[C, 2\] = \[2, 2\].*got \[3, 2\]/,
    );
  });
});
