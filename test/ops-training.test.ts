/**
 * Every op trains: a few optimizer steps on a toy regression lower the loss, and learnable shift offsets move.
 * Runs on the wasm training backend (src/lib/backend.ts), the backend the notebooks train on.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { activeShift, channelShuffle, channelSplit, groupConv2d, shift, sparseShift } from '../src/lib/ops';
import { randomValues } from './support/random';
import { useBackend } from './support/backend';

/** Smooth random images [N, H, W, C] (sums of low-frequency sinusoids), so shifts have informative gradients. */
function smoothImages(n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  const p = randomValues(n * c * 4, seed);
  const out = new Float32Array(n * h * w * c);
  let k = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let ch = 0; ch < c; ch++) {
          const q = 4 * (b * c + ch);
          out[k++] = Math.sin(0.7 * i * (1 + p[q]) + 3 * p[q + 1]) * Math.cos(0.6 * j * (1 + p[q + 2]) + 3 * p[q + 3]);
        }
  return tf.tensor4d(out, [n, h, w, c]);
}

/** Trains `model` on (x, y) with Adam and returns [first, last] epoch loss. */
async function fitLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, epochs: number, lr: number): Promise<[number, number]> {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'meanSquaredError' });
  const history = await model.fit(x, y, { epochs, batchSize: x.shape[0], verbose: 0, shuffle: false });
  const losses = history.history.loss as number[];
  return [losses[0], losses[losses.length - 1]];
}

describe('ops: every op trains (wasm backend)', () => {
  useBackend('wasm');

  const x = () => smoothImages(8, 8, 8, 4, 1);

  it('GroupConv2D (g = 2) fits a teacher group conv', async () => {
    const input = tf.input({ shape: [8, 8, 4] });
    const teacher = tf.model({ inputs: input, outputs: groupConv2d({ filters: 4, kernelSize: 3, groups: 2 }).apply(input) as tf.SymbolicTensor });
    const student = tf.model({ inputs: input, outputs: groupConv2d({ filters: 4, kernelSize: 3, groups: 2 }).apply(input) as tf.SymbolicTensor });
    const data = x();
    const [first, last] = await fitLoss(student, data, teacher.predict(data) as tf.Tensor, 30, 0.05);
    assert.ok(last < 0.2 * first, `loss ${first} → ${last}`);
  });

  it('1×1 conv → ChannelShuffle → channelSplit → Shift → 1×1 conv fits a target', async () => {
    const input = tf.input({ shape: [8, 8, 4] });
    let h = tf.layers.conv2d({ filters: 18, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    h = channelShuffle({ groups: 3 }).apply(h) as tf.SymbolicTensor;
    const [left, right] = channelSplit(h, [9, 9], 'split');
    const shifted = shift({ kernelSize: 3 }).apply(right) as tf.SymbolicTensor;
    h = tf.layers.concatenate().apply([left, shifted]) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const data = x();
    const target = tf.mul(smoothImages(8, 8, 8, 4, 2), 0.5);
    const [first, last] = await fitLoss(model, data, target, 30, 0.03);
    assert.ok(last < 0.8 * first, `loss ${first} → ${last}`);
  });

  it('ActiveShift learns its offsets toward a teacher\'s shift', async () => {
    const input = tf.input({ shape: [8, 8, 4] });
    const teacherOffsets = [[0.6, -0.4], [-0.7, 0.3], [0.2, 0.8], [-0.5, -0.6]];
    const teacher = tf.model({ inputs: input, outputs: activeShift({ offsetInitializer: teacherOffsets }).apply(input) as tf.SymbolicTensor });
    const layer = activeShift({ initRadius: 0.1, normalizeGrad: true });
    const student = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const start = Array.from(layer.getWeights()[0].dataSync());
    const data = x();
    const [first, last] = await fitLoss(student, data, teacher.predict(data) as tf.Tensor, 25, 0.05);
    const end = Array.from(layer.getWeights()[0].dataSync());
    assert.ok(last < 0.3 * first, `loss ${first} → ${last}`);
    const distance = (v: number[]) => Math.hypot(...v.map((e, i) => e - teacherOffsets.flat()[i]));
    assert.ok(distance(end) < 0.5 * distance(start), `offsets ${start} → ${end}`);
  });

  it('SparseShift trains (loss falls) and its real-valued offsets move', async () => {
    const input = tf.input({ shape: [8, 8, 4] });
    let h = tf.layers.conv2d({ filters: 9, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const layer = sparseShift({ initialisation: 'uniform', name: 'ssl' });
    h = layer.apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(h) as tf.SymbolicTensor });
    const start = Array.from(layer.getWeights()[0].dataSync());
    const data = x();
    const target = tf.mul(smoothImages(8, 8, 8, 4, 3), 0.5);
    const [first, last] = await fitLoss(model, data, target, 30, 0.03);
    const end = Array.from(layer.getWeights()[0].dataSync());
    assert.ok(last < 0.8 * first, `loss ${first} → ${last}`);
    const moved = Math.max(...end.map((v, i) => Math.abs(v - start[i])));
    assert.ok(moved > 0.05, `offsets barely moved (max |Δ| ${moved})`);
  });
});
