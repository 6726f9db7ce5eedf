/** The learning-rate range test (restores weights, geometric ramp, early stop) and the learning-curve figures. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { Dataset } from '../src/lib/data/dataset';
import { learningCurvesFigure, lrFinderFigure, meanBand } from '../src/lib/display/learning-curves';
import { Rng, withSeededRandom } from '../src/lib/seed';
import { findLearningRate } from '../src/lib/train/lr-finder';

/** Learnable toy images (class = bright channel), or with `shuffledLabels` labels that no model can fit. */
function toyData(n: number, seed: number, shuffledLabels = false): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) images[(i * 64 + p) * 3 + c] = Math.floor(rng.next() * 120) + (c === labels[i] ? 120 : 0);
  }
  if (shuffledLabels) rng.shuffle(labels);
  return { name: 'toy', split: 'train', count: n, height: 8, width: 8, channels: 3, images, labels, classNames: ['r', 'g', 'b'] };
}

/** conv → BN → ReLU → pool → dense; `plain` drops BN and ReLU (a linear model: nothing dies, large rates explode). */
function toyModel(batchNorm: boolean): tf.LayersModel {
  return withSeededRandom(new Rng(4), () => tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same' }),
      ...(batchNorm ? [tf.layers.batchNormalization(), tf.layers.reLU()] : []),
      tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 3 }),
    ],
  }));
}

describe('findLearningRate', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend('wasm');
  });

  it('ramps the rate geometrically, finds a falling loss, suggests a rate inside the range and restores the weights', async () => {
    const model = toyModel(true);
    const before = model.weights.map((w) => w.read().dataSync().slice());
    const r = await findLearningRate(model, toyData(48, 1), { batchSize: 8, minLr: 1e-4, maxLr: 1, steps: 40, stopFactor: 1e9 });
    assert.strictEqual(r.learningRates.length, 40);
    assert.ok(Math.abs(r.learningRates[0] - 1e-4) < 1e-12 && Math.abs(r.learningRates[39] - 1) < 1e-9);
    const ratios = r.learningRates.slice(1).map((lr, i) => lr / r.learningRates[i]);
    ratios.forEach((q) => assert.ok(Math.abs(q - ratios[0]) < 1e-9, 'constant ratio between steps'));
    assert.ok(Math.min(...r.smoothed) < r.smoothed[0], 'the loss must fall somewhere on the ramp');
    assert.ok(r.suggestion >= 1e-4 && r.suggestion <= 1, `suggestion ${r.suggestion}`);
    assert.ok(Math.abs(r.suggestion - r.minLossLr / 10) < 1e-12);
    assert.ok(r.steepestLr <= r.minLossLr);
    model.weights.forEach((w, i) => assert.deepStrictEqual(w.read().dataSync(), before[i], `weight ${w.originalName} restored`));
    model.dispose();
  });

  it('stops early when the loss blows up', async () => {
    // Labels no model can fit keep the gradient alive, so a large enough rate must make the loss explode.
    const model = toyModel(false);
    const r = await findLearningRate(model, toyData(48, 2, true), { batchSize: 8, minLr: 1e-3, maxLr: 1e5, steps: 60 });
    assert.ok(r.stoppedEarly);
    assert.ok(r.learningRates.length < 60);
    model.dispose();
  });

  it('rejects a bad range or step count, naming the value', async () => {
    const model = toyModel(false);
    await assert.rejects(findLearningRate(model, toyData(8, 3), { batchSize: 4, minLr: 1, maxLr: 0.1 }), /need 0 < minLr < maxLr, got minLr = 1, maxLr = 0.1/);
    await assert.rejects(findLearningRate(model, toyData(8, 3), { batchSize: 4, steps: 5 }), /steps must be an integer ≥ 10, got 5/);
    model.dispose();
  });
});

describe('learning curves', () => {
  const h = (losses: number[], accs: number[], tops?: number[]) => losses.map((loss, i) => ({ epoch: i + 1, loss, accuracy: accs[i], valTop1: tops?.[i] }));

  it('meanBand averages per epoch across runs with the n−1 sd, skipping runs that did not reach an epoch', () => {
    const band = meanBand([h([2, 1], [0.2, 0.5]), h([4, 3], [0.3, 0.6]), h([3], [0.1])], (p) => p.loss);
    assert.deepStrictEqual(band.epochs, [1, 2]);
    assert.deepStrictEqual(band.mean, [3, 2]);
    assert.deepStrictEqual(band.n, [3, 2]);
    assert.ok(Math.abs(band.sd[0] - 1) < 1e-12 && Math.abs(band.sd[1] - Math.SQRT2) < 1e-12);
  });

  it('draws a mean line per group and panel, a ± 1 sd band where seeds differ, test top-1 only where evaluated, in %', () => {
    const fig = learningCurvesFigure([
      { name: 'A', histories: [h([2, 1], [0.2, 0.5], [0.25, 0.4]), h([2.2, 1.2], [0.3, 0.6], [0.35, 0.5])] },
      { name: 'B', histories: [h([2, 1.5], [0.2, 0.4])] },
    ]);
    const names = fig.data.map((t) => t.name);
    assert.deepStrictEqual(names, [
      'A (2 runs) ± 1 sd', 'A (2 runs)', 'A (2 runs), train acc. ± 1 sd', 'A (2 runs), train acc.', 'A (2 runs), test top-1 ± 1 sd', 'A (2 runs), test top-1',
      'B (1 run)', 'B (1 run), train acc.',
    ]);
    const testLine = fig.data[5];
    assert.deepStrictEqual(testLine.y, [30, 45]);
    const band = fig.data[0];
    assert.deepStrictEqual(band.x, [1, 2, 2, 1]);
    const sd = Math.sqrt(0.02);
    (band.y as number[]).forEach((v, i) => assert.ok(Math.abs(v - [2.1 + sd, 1.1 + sd, 1.1 - sd, 2.1 - sd][i]) < 1e-12));
    assert.throws(() => learningCurvesFigure([]), /need at least one group/);
    assert.throws(() => learningCurvesFigure([{ name: 'empty', histories: [] }]), /group "empty" has no runs/);
  });

  it('the range-test figure uses a log rate axis and marks the suggestion', () => {
    const fig = lrFinderFigure({ learningRates: [1e-3, 1e-2, 1e-1], losses: [2.3, 2.0, 3], smoothed: [2.3, 2.1, 2.5], suggestion: 0.005 });
    assert.strictEqual((fig.layout!.xaxis as { type: string }).type, 'log');
    assert.deepStrictEqual(fig.data[2].x, [0.005, 0.005]);
  });
});
