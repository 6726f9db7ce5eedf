/**
 * Data checked at the boundary, in every loader: labels in range, class ids unique, an image labelled once, listed
 * images present (named by path), decoded-cache entries verified by checksum, decompression and image sizes bounded.
 * Each defect sits in a tiny crafted copy of the loader's layout (test/support/faults.ts).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { cachedDataset, cacheFile } from '../src/lib/data/cache';
import { Dataset, perClassSelection } from '../src/lib/data/dataset';
import { decodeImageBytes } from '../src/lib/data/decode';
import { loadFashionMnist } from '../src/lib/data/fashion-mnist';
import { readLabelList } from '../src/lib/data/imagenet-folder';
import { loadData } from '../src/lib/data/load';
import { gunzip } from '../src/lib/data/tar';
import { loadTinyImageNet, readWnids } from '../src/lib/data/tiny-imagenet';
import { InvalidArgumentError } from '../src/lib/errors';
import { parseLabelFile } from '../src/lib/eval/labels';
import { fashionMnistFolder, gzipBomb, idxFile, pngDeclaring, tinyImageNetFolder, writeFile } from './support/faults';

describe('data checked at the boundary', function () {
  this.timeout(60_000);
  let dir = '';
  const at = (...parts: string[]) => path.join(dir, ...parts);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-data-boundary-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('Fashion-MNIST', () => {
    it('a label outside 0…9 names the file, the index and the count (not a crash on undefined later)', () => {
      const folder = fashionMnistFolder(at('fm-200'), { labelOf: (i) => (i === 5 || i === 7 ? 200 : i % 10) });
      assert.throws(() => loadFashionMnist(folder, { split: 'train' }), /train-labels-idx1-ubyte\.gz: label 200 at index 5 is outside 0…9 \(2 of 20 labels are\)/);
      // The per-class subset is where the old loader crashed ("reading 'push'"): now the load fails first.
      assert.throws(() => loadData('fashion-mnist', { dataDir: folder, perClass: 1 }), /label 200 at index 5 is outside 0…9/);
    });

    it('images of another size than 28×28 are refused by the loader', () => {
      const folder = fashionMnistFolder(at('fm-30'));
      writeFile(path.join(folder, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idxFile([20, 30, 30], new Uint8Array(20 * 900))));
      assert.throws(() => loadFashionMnist(folder, { split: 'train' }), /train-images-idx3-ubyte\.gz holds 30×30 images; Fashion-MNIST's are 28×28/);
    });

    it('a decompression bomb stops at the limit, naming the file', () => {
      const bomb = gzipBomb(new Uint8Array(16), 1 << 20, 4); // 4 MiB of zeros from a few kB
      assert.ok(bomb.length < 50_000);
      assert.throws(() => gunzip(bomb, 'bomb.gz', 2 << 20), /bomb\.gz decompresses to more than 2 MiB, more than any data file read here/);
      assert.strictEqual(gunzip(bomb, 'bomb.gz', 8 << 20).length, 16 + (4 << 20), 'under the limit the same bytes decompress');
    });
  });

  describe('Tiny ImageNet', () => {
    it('a class listed twice in wnids.txt names both lines', () => {
      const folder = tinyImageNetFolder(at('ti-dup'), { wnids: ['n01', 'n02', 'n01'] });
      assert.throws(() => readWnids(folder), /wnids\.txt: class n01 is listed twice \(lines 1 and 3\)/);
    });

    it('an empty wnids.txt and a line holding two ids are refused', () => {
      assert.throws(() => readWnids(tinyImageNetFolder(at('ti-empty'), { wnids: [] })), /wnids\.txt lists no classes/);
      assert.throws(() => readWnids(tinyImageNetFolder(at('ti-two'), { wnids: ['n01 n02'] })), /line 1: "n01 n02" is not one wnid/);
    });

    it('an image labelled twice with different labels, or listed twice, is refused with both lines', () => {
      const twice = tinyImageNetFolder(at('ti-two-labels'), { val: ['v0.JPEG\tn01\t0 0 1 1', 'v1.JPEG\tn02\t0 0 1 1', 'v0.JPEG\tn02\t0 0 1 1'] });
      assert.throws(() => loadTinyImageNet(twice, { split: 'val', cache: false }), /val_annotations\.txt: v0\.JPEG is labelled twice, n01 on line 1 and n02 on line 3/);
      const repeated = tinyImageNetFolder(at('ti-repeat'), { val: ['v0.JPEG\tn01\t0 0 1 1', 'v0.JPEG\tn01\t0 0 1 1'] });
      assert.throws(() => loadTinyImageNet(repeated, { split: 'val', cache: false }), /v0\.JPEG is listed twice \(lines 1 and 2\)/);
    });

    it('a validation label absent from wnids.txt is refused, even outside the chosen classes', () => {
      const folder = tinyImageNetFolder(at('ti-unknown'), { val: ['v0.JPEG\tn01\t0 0 1 1', 'v1.JPEG\tn99\t0 0 1 1'] });
      assert.throws(() => loadTinyImageNet(folder, { split: 'val', classes: 1, cache: false }), /line 2: v1\.JPEG is labelled n99, which wnids\.txt does not list/);
    });

    it('missing validation images are named by path, with their count', () => {
      const folder = tinyImageNetFolder(at('ti-missing'), { skipVal: ['val_1_0.JPEG', 'val_2_1.JPEG'] });
      assert.throws(() => loadTinyImageNet(folder, { split: 'val', cache: false }), (err: Error) => {
        assert.match(err.message, /^2 of 6 validation images listed in .*val_annotations\.txt are missing: /);
        assert.ok(err.message.includes(path.join(folder, 'val', 'images', 'val_1_0.JPEG')) && err.message.includes(path.join(folder, 'val', 'images', 'val_2_1.JPEG')), err.message);
        return true;
      });
    });

    it('a class count beyond wnids.txt or a per-class count beyond the smallest class is a usage error', () => {
      const folder = tinyImageNetFolder(at('ti-ok'));
      assert.throws(() => loadTinyImageNet(folder, { split: 'train', classes: 9, cache: false }), (e: Error) => e instanceof InvalidArgumentError && /classes = 9: must be an integer in 1…3/.test(e.message));
      assert.throws(() => loadTinyImageNet(folder, { split: 'train', perClass: 4, cache: false }), (e: Error) => e instanceof InvalidArgumentError && /perClass = 4 .*has 3 images; choose perClass ≤ 3/.test(e.message));
      assert.strictEqual(loadTinyImageNet(folder, { split: 'val', cache: false }).count, 6, 'the intact folder loads');
    });
  });

  describe('label lists and subsets', () => {
    it('an ImageNet label list refuses an image labelled twice or listed twice', () => {
      const twice = writeFile(at('labels-twice.txt'), 'a.JPEG 1\nb.JPEG 2\na.JPEG 7\n');
      assert.throws(() => readLabelList(twice, 1000), /a\.JPEG is labelled twice, 1 on line 1 and 7 on line 3/);
      assert.throws(() => parseLabelFile('a.JPEG 1\nb.JPEG 2\na.JPEG 7\n', 'l.txt'), /l\.txt: a\.JPEG is labelled twice, 1 on line 1 and 7 on line 3/);
      assert.throws(() => parseLabelFile('a.JPEG 1\na.JPEG 1\n', 'l.txt'), /a\.JPEG is listed twice \(lines 1 and 2\)/);
      assert.throws(() => readLabelList(writeFile(at('labels-frac.txt'), 'a.JPEG 1.0\n'), 1000), /line 1: expected "<file> <index 0…999>", got "a\.JPEG 1\.0"/);
    });

    it('a per-class selection over labels out of range says so instead of crashing', () => {
      assert.throws(() => perClassSelection([0, 1, 12, 1], ['a', 'b'], 1, 0, 'set X'), /set X: image 2 has label 12, outside 0…1 \(2 classes\); the data are corrupt/);
    });

    it('classes on a data set other than Tiny ImageNet is refused, not ignored', () => {
      assert.throws(() => loadData('cifar10', { classes: 3, dataDir: dir }), (e: Error) => e instanceof InvalidArgumentError && /classes = 3 applies to tiny-imagenet only/.test(e.message));
    });
  });

  describe('images', () => {
    it('a PNG declaring 60000×60000 pixels is refused from its header, before pngjs allocates 14 GB', () => {
      const before = process.memoryUsage().arrayBuffers;
      assert.throws(() => decodeImageBytes(pngDeclaring(60000, 60000), 'huge.png'), /cannot decode image huge\.png: its header declares 60000×60000 pixels, more than the 100 megapixels accepted/);
      assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20);
    });
  });

  describe('decoded-cache entries', () => {
    const key = { loader: 'test', source: '/nowhere', fingerprint: 'f', options: {} };
    const build = (): Dataset => ({
      name: 't', split: 'train', count: 2, height: 2, width: 2, channels: 1, images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      labels: Int32Array.from([0, 1]), classNames: ['a', 'b'],
    });

    it('are verified by checksum: a flipped pixel (same size) is detected and the entry rebuilt', () => {
      const cacheDir = at('cache');
      let builds = 0;
      const counted = () => { builds++; return build(); };
      cachedDataset(key, counted, { cacheDir });
      assert.deepStrictEqual(Array.from(cachedDataset(key, counted, { cacheDir }).images), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.strictEqual(builds, 1, 'the second call reads the entry');
      const file = cacheFile(key, cacheDir);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 8 - 1] ^= 0x01; // the last pixel: sizes stay right, only the checksum can tell
      fs.writeFileSync(file, bytes);
      const warn = console.warn;
      let warned = '';
      console.warn = (...parts: unknown[]) => void (warned += parts.join(' '));
      try {
        assert.deepStrictEqual(Array.from(cachedDataset(key, counted, { cacheDir }).images), [1, 2, 3, 4, 5, 6, 7, 8]);
      } finally {
        console.warn = warn;
      }
      assert.strictEqual(builds, 2, 'the corrupt entry is rebuilt');
      assert.match(warned, /ignoring corrupt cache entry .*payload sha256 [0-9a-f]{16}… differs from the recorded/);
    });

    it('a cache that cannot be written costs the shortcut, not the data set', () => {
      const cacheDir = writeFile(at('cache-is-a-file'), 'x');
      const warn = console.warn;
      let warned = '';
      console.warn = (...parts: unknown[]) => void (warned += parts.join(' '));
      try {
        assert.strictEqual(cachedDataset(key, build, { cacheDir }).count, 2);
      } finally {
        console.warn = warn;
      }
      assert.match(warned, /the decoded data set is not cached: cannot write .*cache-is-a-file.*\((ENOTDIR|EEXIST)\)/);
    });
  });
});
