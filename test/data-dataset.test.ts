/** Data-set helpers against naive re-implementations: augmentation, normalisation, batching, subsets, resize, crop. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { batchIndices, centerCrop, Dataset, makeBatch, NORMALIZATIONS, perClassSelection, resize, selectIndices, subsetPerClass, writeImage } from '../src/lib/data/dataset';
import { Rng } from '../src/lib/seed';
import { useBackend } from './support/backend';

/** A synthetic data set: n images h×w×c with pixel = (i·31 + y·7 + x·3 + ch·50) mod 256, label i mod k. */
function synthetic(n: number, h: number, w: number, c: number, k: number): Dataset {
  const images = new Uint8Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    images[((i * h + y) * w + x) * c + ch] = (i * 31 + y * 7 + x * 3 + ch * 50) % 256;
  }
  return { name: 'synthetic', split: 'train', count: n, height: h, width: w, channels: c, images, labels: Int32Array.from({ length: n }, (_, i) => i % k), classNames: Array.from({ length: k }, (_, i) => `c${i}`) };
}


describe('augmentation and normalisation', () => {
  useBackend('cpu'); // this suite creates tensors
  it('random crop with padding 4 and flip equal pad → crop → mirror done naively', () => {
    const ds = synthetic(3, 8, 8, 3, 2);
    const norm = NORMALIZATIONS.cifar10;
    for (let trial = 0; trial < 20; trial++) {
      const rng = new Rng(trial);
      const out = new Float32Array(8 * 8 * 3);
      writeImage(ds, 1, out, 0, { normalization: norm, augmentation: { cropPadding: 4, horizontalFlip: true }, rng });
      // Replay the same draws: dy, dx in [−4, 4], then the flip.
      const replay = new Rng(trial);
      const dy = replay.int(9) - 4;
      const dx = replay.int(9) - 4;
      const flip = replay.next() < 0.5;
      // Naive: pad a 16×16 canvas with zeros, crop 8×8 at (4+dy, 4+dx), then mirror.
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) for (let ch = 0; ch < 3; ch++) {
        const cx = flip ? 7 - x : x;
        const py = y + 4 + dy - 4;
        const px = cx + 4 + dx - 4;
        const p = py >= 0 && py < 8 && px >= 0 && px < 8 ? ds.images[((8 + py) * 8 + px) * 3 + ch] : 0;
        const expected = (p / 255 - norm.mean[ch]) / norm.std[ch];
        assert.ok(Math.abs(out[(y * 8 + x) * 3 + ch] - expected) < 1e-5, `trial ${trial} y${y} x${x} c${ch}`);
      }
    }
  });

  it('without augmentation, makeBatch gives (p/255 − mean)/std in NHWC and int32 labels, leaking nothing', () => {
    const ds = synthetic(5, 4, 4, 3, 3);
    const before = tf.memory().numTensors;
    const { xs, ys } = makeBatch(ds, [4, 0], { normalization: NORMALIZATIONS.imagenet });
    assert.deepStrictEqual(xs.shape, [2, 4, 4, 3]);
    assert.strictEqual(ys.dtype, 'int32');
    assert.deepStrictEqual(Array.from(ys.dataSync()), [1, 0]);
    const x = xs.dataSync();
    const p = ds.images[(4 * 16 + 2 * 4 + 1) * 3 + 2];
    assert.ok(Math.abs(x[(2 * 4 + 1) * 3 + 2] - (p / 255 - 0.406) / 0.225) < 1e-5);
    tf.dispose([xs, ys]);
    assert.strictEqual(tf.memory().numTensors, before);
  });

  it('augmentation without an rng is refused', () => {
    const ds = synthetic(1, 4, 4, 1, 1);
    assert.throws(() => makeBatch(ds, [0], { augmentation: { horizontalFlip: true } }), /seeded rng/);
  });
});

describe('batching and subsets', () => {
  it('batchIndices covers every index once, shuffles by seed, and drops a short last batch on request', () => {
    const a = batchIndices(10, 4, new Rng(3));
    assert.deepStrictEqual(a.map((b) => b.length), [4, 4, 2]);
    assert.deepStrictEqual(Array.from(a.flatMap((b) => Array.from(b))).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepStrictEqual(batchIndices(10, 4, new Rng(3)).map((b) => Array.from(b)), a.map((b) => Array.from(b)));
    assert.deepStrictEqual(batchIndices(10, 4, new Rng(3), true).map((b) => b.length), [4, 4]);
    assert.throws(() => batchIndices(10, 0), /batch size must be a positive integer, got 0/);
  });

  it('subsetPerClass picks perClass of each class, deterministically, and matches perClassSelection', () => {
    const ds = synthetic(40, 2, 2, 1, 4);
    const s = subsetPerClass(ds, 3, 7);
    assert.strictEqual(s.count, 12);
    const counts = [0, 0, 0, 0];
    s.labels.forEach((l) => counts[l]++);
    assert.deepStrictEqual(counts, [3, 3, 3, 3]);
    assert.deepStrictEqual(subsetPerClass(ds, 3, 7).images, s.images);
    const chosen = perClassSelection(ds.labels, ds.classNames, 3, 7, 'x');
    assert.deepStrictEqual(selectIndices(ds, chosen).images, s.images);
    assert.throws(() => subsetPerClass(ds, 11, 0), /perClass = 11 for .*: class 0 "c0" has 10 images; choose perClass ≤ 10/);
  });
});

describe('resize and centerCrop', () => {
  useBackend('cpu'); // this suite creates tensors
  it('bilinear resize equals tf.image.resizeBilinear with half-pixel centres (cpu oracle), to rounding', () => {
    const img = { data: Uint8Array.from({ length: 7 * 9 * 3 }, (_, i) => (i * 37) % 256), height: 7, width: 9, channels: 3 };
    for (const [h, w] of [[4, 5], [13, 11], [7, 9]]) {
      const ours = resize(img, h, w);
      const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(img.data, [7, 9, 3], 'float32'), [h, w], false, true).dataSync());
      for (let i = 0; i < ours.data.length; i++) assert.ok(Math.abs(ours.data[i] - ref[i]) <= 0.5 + 1e-3, `${h}×${w} at ${i}: ${ours.data[i]} vs ${ref[i]}`);
    }
  });

  it('centerCrop keeps the central fraction', () => {
    const img = { data: Uint8Array.from({ length: 8 * 8 }, (_, i) => i), height: 8, width: 8, channels: 1 };
    const c = centerCrop(img, 0.5);
    assert.deepStrictEqual([c.height, c.width], [4, 4]);
    assert.deepStrictEqual(Array.from(c.data.subarray(0, 4)), [18, 19, 20, 21]);
    assert.throws(() => centerCrop(img, 0), /fraction must be in \(0, 1\], got 0/);
  });
});
