/**
 * ImageNet evaluation: preprocessing against naive per-pixel implementations of TF1 `resize_bilinear` (no
 * half-pixel centres) and PIL-style bilinear (half-pixel centres), top-k scoring against hand-made cases,
 * label discovery (label file, synset file names, missing labels) and the `eval` command end to end.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import type { Image } from '../src/lib/data/dataset';
import { centralCropWindow, preprocessTfSlim, preprocessTorchvision, TORCH_MEAN, TORCH_STD } from '../src/lib/eval/preprocess';
import { loadLabelledImages, parseLabelFile } from '../src/lib/eval/labels';
import { rankOf, TopKCounter } from '../src/lib/eval/score';
import { runCliInProcess as run } from './support/cli';
import { randomBytes } from './support/random';
import { maxAbsDiff } from './support/tolerance';
import { useBackend } from './support/backend';
import { SHARED_DATA } from './support/paths';


/** A seeded random RGB image. */
function randomImage(height: number, width: number, seed: number): Image {
  return { data: randomBytes(height * width * 3, seed), height, width, channels: 3 };
}

/** Naive bilinear sample of channel c at source coordinates (y, x) with TF's edge handling. */
function sample(img: Image, top: number, left: number, h: number, w: number, y: number, x: number, c: number): number {
  const y0 = Math.max(Math.floor(y), 0);
  const x0 = Math.max(Math.floor(x), 0);
  const y1 = Math.min(Math.ceil(y), h - 1);
  const x1 = Math.min(Math.ceil(x), w - 1);
  const dy = y - Math.floor(y);
  const dx = x - Math.floor(x);
  const px = (yy: number, xx: number) => img.data[((top + yy) * img.width + left + xx) * 3 + c];
  const a = px(y0, x0) + (px(y0, x1) - px(y0, x0)) * dx;
  const b = px(y1, x0) + (px(y1, x1) - px(y1, x0)) * dx;
  return a + (b - a) * dy;
}

describe('evaluation preprocessing', () => {
  useBackend('cpu');

  it('crops 87.5 % centrally with tf.image.central_crop offsets', () => {
    assert.deepStrictEqual(centralCropWindow(227, 0.875), { start: 14, length: 199 });
    assert.deepStrictEqual(centralCropWindow(224, 0.875), { start: 14, length: 196 });
    assert.deepStrictEqual(centralCropWindow(100, 0.875), { start: 6, length: 88 });
  });

  it('TF-slim: central crop, bilinear resize without half-pixel centres, [-1, 1]', () => {
    const img = randomImage(23, 17, 3);
    const r = 9;
    const got = tf.tidy(() => preprocessTfSlim(img, r).dataSync());
    const hc = centralCropWindow(23, 0.875);
    const wc = centralCropWindow(17, 0.875);
    const want: number[] = [];
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        for (let c = 0; c < 3; c++) {
          const v = sample(img, hc.start, wc.start, hc.length, wc.length, (i * hc.length) / r, (j * wc.length) / r, c);
          want.push(v / 127.5 - 1);
        }
      }
    }
    assert.ok(maxAbsDiff(got, want) < 1e-5, `max diff ${maxAbsDiff(got, want)}`);
    assert.ok(Math.min(...got) >= -1 && Math.max(...got) <= 1);
  });

  it('torchvision: shorter side to 256/224·crop (half-pixel bilinear), centre crop, mean/std', () => {
    const img = randomImage(20, 30, 11);
    const crop = 16;
    const got = tf.tidy(() => preprocessTorchvision(img, crop).dataSync());
    const resize = Math.round((crop * 256) / 224); // 18
    const newH = resize;
    const newW = Math.floor((resize * 30) / 20); // 27
    const top = Math.round((newH - crop) / 2);
    const left = Math.round((newW - crop) / 2);
    const want: number[] = [];
    for (let i = 0; i < crop; i++) {
      for (let j = 0; j < crop; j++) {
        for (let c = 0; c < 3; c++) {
          const y = (i + top + 0.5) * (20 / newH) - 0.5;
          const x = (j + left + 0.5) * (30 / newW) - 0.5;
          const v = sample(img, 0, 0, 20, 30, y, x, c) / 255;
          want.push((v - TORCH_MEAN[c]) / TORCH_STD[c]);
        }
      }
    }
    assert.ok(maxAbsDiff(got, want) < 1e-4, `max diff ${maxAbsDiff(got, want)}`);
  });
});

describe('top-k scoring', () => {
  it('ranks the label among the logits, ties counting against it', () => {
    assert.strictEqual(rankOf([0.1, 0.9, 0.3], 1), 0);
    assert.strictEqual(rankOf([0.1, 0.9, 0.3], 0), 2);
    assert.strictEqual(rankOf([0.5, 0.5], 0), 1);
    assert.throws(() => rankOf([1, 2], 2), /label 2 is outside the 2 classifier outputs/);
  });

  it('counts top-1 and top-5 hits and reports them as fractions', () => {
    const counter = new TopKCounter();
    const logits = [9, 8, 7, 6, 5, 4, 3];
    counter.add(logits, 0); // rank 0
    counter.add(logits, 4); // rank 4: top-5 only
    counter.add(logits, 5); // rank 5: neither
    counter.add(logits, 1); // rank 1: top-5
    assert.deepStrictEqual([counter.n, counter.top1Hits, counter.top5Hits], [4, 1, 3]);
    assert.deepStrictEqual(counter.accuracy(), { top1: 0.25, top5: 0.75 });
  });
});

describe('evaluation labels', () => {
  let dir = '';
  const png = (file: string) => fs.writeFileSync(file, PNG.sync.write(Object.assign(new PNG({ width: 4, height: 4 }), { data: Buffer.alloc(64, 200) })));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-labels-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads labels from labels.txt beside the images folder', () => {
    fs.mkdirSync(path.join(dir, 'images'));
    png(path.join(dir, 'images', 'b.png'));
    png(path.join(dir, 'images', 'a.png'));
    fs.writeFileSync(path.join(dir, 'labels.txt'), 'a.png 7\nb.png 999\n');
    const got = loadLabelledImages(path.join(dir, 'images'));
    assert.deepStrictEqual(got.images.map((i) => [path.basename(i.file), i.label]), [['a.png', 7], ['b.png', 999]]);
    assert.deepStrictEqual(loadLabelledImages(dir).images.length, 2);
  });

  it('maps synset ids at the start of file names through synset_words.txt', () => {
    const synsets = fs.readFileSync(path.join(SHARED_DATA, 'imagenet-val1300', 'synset_words.txt'), 'utf8');
    fs.writeFileSync(path.join(dir, 'synset_words.txt'), synsets);
    png(path.join(dir, 'n01440764_10026.png')); // tench: class 0
    png(path.join(dir, 'n15075141_1.png')); // toilet tissue: class 999
    const got = loadLabelledImages(dir);
    assert.deepStrictEqual(got.images.map((i) => i.label), [0, 999]);
  });

  it('rejects a folder without labels, and malformed or incomplete label files', () => {
    png(path.join(dir, 'img1.png'));
    assert.throws(() => loadLabelledImages(dir), /has no labels: no labels\.txt .*--labels FILE.*do not begin with a synset id/);
    fs.writeFileSync(path.join(dir, 'l.txt'), 'other.png 3\n');
    assert.throws(() => loadLabelledImages(dir, path.join(dir, 'l.txt')), /has no label for 1 of 1 images .*img1\.png/);
    assert.throws(() => parseLabelFile('x.png 1000\n', 'l.txt'), /l\.txt:1: expected "<file> <label 0\.\.999>", got "x\.png 1000"/);
  });
});

describe('compact-nets eval', function () {
  this.timeout(120_000);
  const weights = path.join(SHARED_DATA, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite');
  const images = path.join(SHARED_DATA, 'imagenet-val1300');

  it('--json prints model, weights, n, top1, top5 and preprocessing', async () => {
    const { status, out } = await run(['eval', 'mobilenet_v1', '--weights', weights, '--images', images, '--limit', '16', '--json', '--backend', 'wasm']);
    assert.strictEqual(status, 0);
    const result = JSON.parse(out[out.length - 1]);
    assert.deepStrictEqual(Object.keys(result), ['model', 'weights', 'n', 'top1', 'top5', 'preprocessing']);
    assert.strictEqual(result.n, 16);
    assert.ok(result.top1 <= result.top5 && result.top5 <= 1 && result.top1 > 0, 'top1 and top5 are fractions');
    assert.match(result.preprocessing, /^tfslim: central crop 87\.5%, bilinear resize to 128x128/);
  });

  it('reports usage errors and bad weights clearly', async () => {
    assert.strictEqual((await run(['eval', 'mobilenet_v1', '--images', images])).status, 2);
    const cut = path.join(os.tmpdir(), `cut-${process.pid}.tflite`);
    fs.writeFileSync(cut, fs.readFileSync(weights).subarray(0, 4000));
    try {
      const truncated = await run(['eval', 'mobilenet_v1', '--weights', cut, '--images', images, '--limit', '1']);
      assert.strictEqual(truncated.status, 1, 'a corrupt file is a runtime failure');
      assert.match(truncated.stderr, /cut-\d+\.tflite: not a valid \.tflite file .*truncated/);
    } finally {
      fs.rmSync(cut);
    }
    const wrongModel = await run(['eval', 'resnet18', '--weights', weights, '--images', images, '--limit', '1']);
    assert.strictEqual(wrongModel.status, 2, 'a model that does not fit the file is a usage error');
    assert.match(wrongModel.stderr, /model "resnet18" does not fit: .*mobilenet_v1_0\.25_128_quant\.tflite is a TFLite file, which loads for mobilenet_v1, mobilenet_v2/);
  });
});
