/** Channel shuffle / unshuffle and channel slice / split against naive index maps. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  ChannelShuffle,
  ChannelSlice,
  channelShuffle,
  channelShuffleTensor,
  channelSlice,
  channelSplit,
  channelSplitHalves,
  channelUnshuffleTensor,
} from '../src/lib/ops';
import { saveAndLoad } from './support/models';
import { randomTensor4d } from './support/random';
import { assertClose } from './support/tolerance';
import { useBackend } from './support/backend';

/** Naive ShuffleNet shuffle: output channel j·g + i takes input channel i·(C/g) + j. */
function naiveShuffle(x: tf.Tensor4D, g: number): Float32Array {
  const [n, h, w, c] = x.shape;
  const v = x.dataSync();
  const out = new Float32Array(v.length);
  const per = c / g;
  for (let p = 0; p < n * h * w; p++)
    for (let i = 0; i < g; i++) for (let j = 0; j < per; j++) out[p * c + j * g + i] = v[p * c + i * per + j];
  return out;
}

describe('ops: channel shuffle and split', () => {
  useBackend('cpu');

  it('shuffle of 6 channels in 2 groups is [0, 3, 1, 4, 2, 5]', () => {
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
    assert.deepEqual(Array.from(channelShuffleTensor(x, 2).dataSync()), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(Array.from(channelShuffleTensor(x, 3).dataSync()), [0, 2, 4, 1, 3, 5]);
  });

  for (const [c, g] of [[4, 2], [12, 3], [12, 4], [8, 8], [6, 1]]) {
    it(`shuffle = naive index map and unshuffle inverts it (C ${c}, g ${g}, 5×7)`, () => {
      const x = randomTensor4d([2, 5, 7, c], c * 10 + g);
      const y = channelShuffleTensor(x, g);
      assertClose(y.dataSync(), naiveShuffle(x, g), 0, 'shuffle');
      assertClose(channelUnshuffleTensor(y, g).dataSync(), x.dataSync(), 0, 'unshuffle ∘ shuffle');
      assertClose(channelShuffleTensor(channelUnshuffleTensor(x, g), g).dataSync(), x.dataSync(), 0, 'shuffle ∘ unshuffle');
    });
  }

  it('ChannelShuffle layer: 0 params, 0 MACs, same shape, round trip', async () => {
    const input = tf.input({ shape: [5, 7, 6] });
    const layer = channelShuffle({ groups: 3, name: 'shuffle' });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    assert.equal(layer.countParams(), 0);
    assert.equal(layer.macs([[5, 7, 6]]), 0);
    const x = randomTensor4d([1, 5, 7, 6], 4);
    assertClose((model.predict(x) as tf.Tensor).dataSync(), naiveShuffle(x, 3), 0, 'layer');
    const loaded = await saveAndLoad(model);
    assert.ok(loaded.getLayer('shuffle') instanceof ChannelShuffle);
    assert.deepEqual(loaded.getLayer('shuffle').getConfig(), layer.getConfig());
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), naiveShuffle(x, 3), 0, 'loaded');
  });

  it('channelSplit returns consecutive slices; ChannelSlice round-trips', async () => {
    const input = tf.input({ shape: [5, 7, 8] });
    const parts = channelSplit(input, [4, 2, 2], 'fe');
    assert.deepEqual(parts.map((p) => p.shape), [[null, 5, 7, 4], [null, 5, 7, 2], [null, 5, 7, 2]]);
    const model = tf.model({ inputs: input, outputs: parts });
    const x = randomTensor4d([2, 5, 7, 8], 9);
    const ys = model.predict(x) as tf.Tensor[];
    const xv = x.arraySync();
    const starts = [0, 4, 6];
    ys.forEach((y, k) => {
      const yv = y.arraySync() as number[][][][];
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 5; i++)
          for (let j = 0; j < 7; j++)
            for (let c = 0; c < y.shape[3]!; c++) assert.equal(yv[b][i][j][c], xv[b][i][j][starts[k] + c]);
    });
    assert.equal((model.getLayer('fe.slice1') as ChannelSlice).macs([[5, 7, 8]]), 0);
    const loaded = await saveAndLoad(model);
    assert.deepEqual(loaded.getLayer('fe.slice2').getConfig(), model.getLayer('fe.slice2').getConfig());
    (loaded.predict(x) as tf.Tensor[]).forEach((y, k) => assertClose(y.dataSync(), ys[k].dataSync(), 0, `piece ${k}`));
    const [a, b] = channelSplitHalves(input, 'v2');
    assert.deepEqual([a.shape[3], b.shape[3]], [4, 4]);
  });

  it('rejects bad arguments', () => {
    assert.throws(() => channelShuffleTensor(tf.zeros([1, 2, 2, 6]), 4), /groups = 4 must divide the channel count 6/);
    assert.throws(() => channelShuffle({ groups: 0 }), /groups must be a positive integer.*got 0/);
    assert.throws(() => channelShuffle({ groups: 4 }).apply(tf.input({ shape: [3, 3, 6] })), /groups = 4 must divide the channel count 6/);
    const odd = tf.input({ shape: [4, 4, 5] });
    assert.throws(() => channelSplitHalves(odd, 'x'), /cannot split 5 channels \(odd\) into halves/);
    assert.throws(() => channelSplit(odd, [2, 2], 'x'), /sum to 4 but the input has 5 channels/);
    assert.throws(() => channelSplit(odd, [5, 0], 'x'), /sizes\[1\] must be a positive integer/);
    assert.throws(() => channelSlice({ start: 3, size: 3 }).apply(odd), /start 3 \+ size 3 = 6 exceeds the 5 input channels/);
    assert.throws(() => channelSlice({ start: -1, size: 3 }), /start must be a non-negative integer.*got -1/);
  });
});
