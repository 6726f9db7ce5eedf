/**
 * Acceptance: the loop learns on real data with the wasm backend. A small seeded conv net trained on
 * 2,000 CIFAR-10 images (200 per class, JPEG q75 copy in ../shared/data) for 3 epochs must score
 * ≥ 30 % top-1 on the full 10,000-image test set (chance: 10 %).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { loadCifar10 } from '../src/lib/data/cifar10';
import { NORMALIZATIONS } from '../src/lib/data/dataset';
import { evaluate, train } from '../src/lib/train';
import { SHARED_DATA } from './support/paths';

const CIFAR = path.join(SHARED_DATA, 'cifar10');

/** Three stride-2 3×3 conv + BN + ReLU stages (24, 48, 96 channels), global pooling, dense: ~63 k parameters, 1.5 M MACs. */
function smallNet(): tf.LayersModel {
  const conv = (filters: number, seed: number, extra: { inputShape?: number[] } = {}) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed }), ...extra });
  return tf.sequential({
    layers: [
      conv(24, 1, { inputShape: [32, 32, 3] }), tf.layers.batchNormalization(), tf.layers.reLU(),
      conv(48, 2), tf.layers.batchNormalization(), tf.layers.reLU(),
      conv(96, 3), tf.layers.batchNormalization(), tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
}

describe('CIFAR-10 on wasm (acceptance)', function () {
  this.timeout(900000);

  it('2,000 training images, 3 epochs: ≥ 30 % top-1 on the 10,000 test images', async () => {
    const info = await initBackend('wasm');
    assert.strictEqual(info.backend, 'wasm');
    let t = Date.now();
    const trainSet = loadCifar10(CIFAR, { split: 'train', perClass: 200, seed: 1 });
    const testSet = loadCifar10(CIFAR, { split: 'test' });
    const loadSeconds = (Date.now() - t) / 1000;
    assert.strictEqual(trainSet.count, 2000);
    assert.strictEqual(testSet.count, 10000);
    const model = smallNet();
    const tensorsBefore = tf.memory().numTensors;
    const result = await train(model, trainSet, {
      epochs: 3, batchSize: 16, learningRate: 3e-3, optimizer: { name: 'adam' }, schedule: { kind: 'cosine', minLr: 3e-4 },
      normalization: NORMALIZATIONS.cifar10, seed: 1, progress: 'silent',
    });
    assert.strictEqual(tf.memory().numTensors, tensorsBefore, 'train() left tensors behind');
    t = Date.now();
    const ev = evaluate(model, testSet, { normalization: NORMALIZATIONS.cifar10 });
    const evalSeconds = (Date.now() - t) / 1000;
    console.log(`      load ${loadSeconds.toFixed(1)} s; train ${result.wallSeconds.toFixed(1)} s, ${result.imagesPerSec.toFixed(1)} images/s; ` +
      `eval ${evalSeconds.toFixed(1)} s, ${ev.imagesPerSec.toFixed(0)} images/s; train acc ${result.history.map((h) => h.accuracy.toFixed(3)).join(' ')}; ` +
      `test top-1 ${(100 * ev.top1).toFixed(2)} %, top-5 ${(100 * ev.top5).toFixed(2)} %`);
    assert.ok(ev.top1 >= 0.3, `test top-1 ${ev.top1}`);
  });
});
