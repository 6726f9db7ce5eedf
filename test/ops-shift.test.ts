/** ShiftNet's fixed shift against a naive per-channel loop; assignment, gradient, cost and round trip. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { Shift, shift, shiftOffsets, shiftTensor } from '../src/lib/ops';
import { saveAndLoad } from './support/models';
import { naiveIntegerShift } from './support/oracles';
import { randomTensor4d } from './support/random';
import { assertClose } from './support/tolerance';
import { useBackend } from './support/backend';

describe('ops: Shift (ShiftNet)', () => {
  useBackend('cpu');

  it('shiftOffsets: K² contiguous groups of ⌊C/K²⌋ in row-major direction order, remainder at (0, 0)', () => {
    const offsets = shiftOffsets(20, 3);
    assert.equal(offsets.length, 20);
    const expectedGroups = [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 0], [0, 1], [1, -1], [1, 0], [1, 1]];
    for (let c = 0; c < 18; c++) assert.deepEqual(offsets[c], expectedGroups[Math.floor(c / 2)], `channel ${c}`);
    assert.deepEqual(offsets.slice(18), [[0, 0], [0, 0]]);
    // Each of the K² directions gets exactly ⌊C/K²⌋ channels (centre additionally gets the remainder).
    const k5 = shiftOffsets(53, 5, 2);
    const counts = new Map<string, number>();
    k5.forEach((p) => counts.set(p.join(','), (counts.get(p.join(',')) ?? 0) + 1));
    assert.equal(counts.size, 25);
    for (const [key, n] of counts) assert.equal(n, key === '0,0' ? 2 + 3 : 2, `direction ${key}`);
    assert.ok(k5.every(([dy, dx]) => dy % 2 === 0 && dx % 2 === 0 && Math.abs(dy) <= 4 && Math.abs(dx) <= 4));
  });

  for (const [c, k, d] of [[9, 3, 1], [13, 3, 1], [20, 3, 2], [50, 5, 1], [4, 3, 1]]) {
    it(`layer output = naive per-channel shift (C ${c}, K ${k}, dilation ${d}, 5×7)`, () => {
      const x = randomTensor4d([2, 5, 7, c], c + k);
      const layer = shift({ kernelSize: k, dilation: d });
      const input = tf.input({ shape: [5, 7, c] });
      const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
      const y = model.predict(x) as tf.Tensor;
      assertClose(y.dataSync(), naiveIntegerShift(x, shiftOffsets(c, k, d)), 0, 'shift');
    });
  }

  it('shiftTensor handles arbitrary offsets (including beyond the image) in both pair and Int32Array form', () => {
    const x = randomTensor4d([1, 5, 7, 5], 77);
    const pairs = [[0, 0], [2, -3], [-6, 1], [0, 9], [-4, -6]];
    assertClose(shiftTensor(x, pairs).dataSync(), naiveIntegerShift(x, pairs), 0, 'pairs');
    assertClose(shiftTensor(x, Int32Array.from(pairs.flat())).dataSync(), naiveIntegerShift(x, pairs), 0, 'Int32Array');
  });

  it('gradient (tf autodiff of pad/slice) is the opposite shift of dy', () => {
    const x = randomTensor4d([1, 5, 7, 9], 5);
    const r = randomTensor4d([1, 5, 7, 9], 6);
    const offsets = shiftOffsets(9, 3);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(shiftTensor(a as tf.Tensor4D, offsets), r)))(x);
    const opposite = offsets.map(([dy, dx]) => [-dy, -dx]);
    assertClose(g.dataSync(), naiveIntegerShift(r, opposite), 0, 'dL/dx');
  });

  it('has 0 params and 0 MACs, and round-trips through save/load', async () => {
    const input = tf.input({ shape: [5, 7, 18] });
    const layer = shift({ kernelSize: 3, dilation: 2, name: 'sh' });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    assert.equal(layer.countParams(), 0);
    assert.equal(model.countParams(), 0);
    assert.equal(layer.macs([[5, 7, 18]]), 0);
    const loaded = await saveAndLoad(model);
    assert.ok(loaded.getLayer('sh') instanceof Shift);
    assert.deepEqual(loaded.getLayer('sh').getConfig(), layer.getConfig());
    const x = randomTensor4d([2, 5, 7, 18], 8);
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 0, 'loaded');
  });

  it('rejects bad arguments', () => {
    assert.throws(() => shift({ kernelSize: 4 }), /kernelSize must be odd.*got 4/);
    assert.throws(() => shift({ kernelSize: 0 }), /kernelSize must be a positive integer.*got 0/);
    assert.throws(() => shift({ dilation: 0 }), /dilation must be a positive integer.*got 0/);
    assert.throws(() => shiftTensor(tf.zeros([1, 3, 3, 2]) as tf.Tensor4D, [[0, 0]]), /one \[dy, dx\] pair per channel \(C = 2\), got 1/);
    assert.throws(() => shiftTensor(tf.zeros([1, 3, 3, 1]) as tf.Tensor4D, [[0.5, 0]]), /must be an integer pair/);
    assert.throws(() => shiftOffsets(9, 2), /kernelSize must be odd/);
  });
});
