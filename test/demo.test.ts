/** The toy end-to-end demo of notebooks/00-introduction.ipynb: its data is what it claims, and the net learns it. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { describeToyRun, toyBatch, toyLossCurves, trainToyConvNet, TOY_CLASSES } from '../src/lessons/demo';
import { Rng } from '../src/lib/seed';
import { useBackend } from './support/backend';

describe('demo: toy quadrant task', () => {
  useBackend('cpu'); // the oracle backend: small enough here, and independent of wasm kernels

  it('labels are the quadrant with the brightest mean (naive per-quadrant loop) and one-hot targets match', () => {
    const size = 16;
    const { xs, ys, labels } = toyBatch(64, size, new Rng(7));
    const pixels = xs.dataSync();
    const onehot = ys.arraySync();
    labels.forEach((label, i) => {
      const means = [0, 1, 2, 3].map((q) => {
        let sum = 0;
        for (let r = 0; r < size / 2; r++) {
          for (let c = 0; c < size / 2; c++) sum += pixels[(i * size + r + (q >> 1) * (size / 2)) * size + c + (q & 1) * (size / 2)];
        }
        return sum;
      });
      assert.equal(means.indexOf(Math.max(...means)), label, `image ${i}`);
      assert.deepEqual(onehot[i], [0, 1, 2, 3].map((k) => (k === label ? 1 : 0)));
    });
    assert.ok(pixels.every((p) => p >= 0 && p <= 1));
    xs.dispose();
    ys.dispose();
  });

  it('trains: loss falls well below chance (ln 4) and held-out accuracy beats guessing, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const run = await trainToyConvNet({ steps: 40, batchSize: 16, imageSize: 8, onStep: (s) => steps.push(s.step) });
    assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i + 1));
    const lastFive = run.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(lastFive < 0.5 * Math.log(TOY_CLASSES), `mean loss of the last 5 steps ${lastFive}`);
    assert.ok(run.heldOutAccuracy > 0.6, `held-out accuracy ${run.heldOutAccuracy}`);
    assert.equal(run.backend, 'cpu');
    assert.equal(tf.memory().numTensors, before);
    assert.match(describeToyRun(run, 16), /trained for 40 steps of 16 images on the `cpu` backend/);
    assert.deepEqual(toyLossCurves(run)[1].y[0], Math.log(4));
  });

  it('rejects bad options naming the value', async () => {
    await assert.rejects(trainToyConvNet({ steps: 0 }), /steps must be an integer ≥ 1, got 0/);
    await assert.rejects(trainToyConvNet({ steps: 1, imageSize: 9 }), /imageSize must be even/);
    await assert.rejects(trainToyConvNet({ steps: 1, learningRate: -1 }), /learningRate must be a finite number > 0, got -1/);
  });
});
