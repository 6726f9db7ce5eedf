/**
 * Loaders on the real data in ../shared/data and on small archives built here: counts, shapes,
 * label order, known file/label pairs, pixels checked against an independent decode, and the
 * error for each kind of bad input.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { CIFAR10_CLASSES, loadCifar10, parseCifarBinary } from '../src/lib/data/cifar10';
import { fashionMnistAsRgb32, loadFashionMnist, FASHION_MNIST_DEBIAN_DIR } from '../src/lib/data/fashion-mnist';
import { listImageFolder, loadImageFolder } from '../src/lib/data/image-folder';
import { loadImageNetFolder, readLabelList } from '../src/lib/data/imagenet-folder';
import { loadTinyImageNet, readWnids } from '../src/lib/data/tiny-imagenet';
import { writeTar } from '../src/lib/data/tar';
import { classCounts } from '../src/lib/data/dataset';
import { downloadArchive } from '../src/lib/data/download';
import { SHARED_DATA } from './support/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-data-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Pixels of image `i` of a data set. */
function pixelsOf(ds: { images: Uint8Array; height: number; width: number; channels: number }, i: number): Uint8Array {
  const n = ds.height * ds.width * ds.channels;
  return ds.images.subarray(i * n, (i + 1) * n);
}

/** Independent decode with jpeg-js directly (RGBA → RGB by hand). */
function jpegRgb(file: string): Uint8Array {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: true });
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = img.data[p * 4 + c];
  return rgb;
}

describe('real data in ../shared/data', function () {
  this.timeout(120000);

  it('CIFAR-10 image folder: 50,000 / 10,000 files, standard class order, subset pixels equal a direct jpeg-js decode', () => {
    const root = path.join(SHARED_DATA, 'cifar10');
    const train = listImageFolder(root, { split: 'train', classNames: CIFAR10_CLASSES });
    const test = listImageFolder(root, { split: 'test', classNames: CIFAR10_CLASSES });
    assert.strictEqual(train.files.length, 50000);
    assert.strictEqual(test.files.length, 10000);
    // Alphabetical folder order is the standard CIFAR order.
    assert.deepStrictEqual([...CIFAR10_CLASSES].sort(), CIFAR10_CLASSES);
    const ds = loadCifar10(root, { split: 'test', perClass: 12, seed: 5, cache: false });
    assert.strictEqual(ds.name, 'CIFAR-10 (JPEG q75)');
    assert.deepStrictEqual([ds.count, ds.height, ds.width, ds.channels], [120, 32, 32, 3]);
    assert.deepStrictEqual(classCounts(ds), new Array(10).fill(12));
    for (let i = 0; i < ds.count; i += 17) {
      const file = ds.files![i];
      // Known pairs: the folder name is the class, at index = position in the standard list.
      assert.strictEqual(ds.labels[i], CIFAR10_CLASSES.indexOf(file.split(path.sep)[0]), file);
      assert.deepStrictEqual(Buffer.from(pixelsOf(ds, i)), Buffer.from(jpegRgb(path.join(root, 'test', file))), file);
    }
    // Fixed, named files: test/cat/0000.jpg has label 3, train/truck/4999.jpg label 9.
    assert.strictEqual(test.labels[test.files.indexOf(path.join('cat', '0000.jpg'))], 3);
    assert.strictEqual(train.labels[train.files.indexOf(path.join('truck', '4999.jpg'))], 9);
  });

  it('CIFAR-10 per-class subsets are deterministic and depend on the seed', () => {
    const root = path.join(SHARED_DATA, 'cifar10');
    const a = loadCifar10(root, { split: 'test', perClass: 3, seed: 1, cache: false });
    const b = loadCifar10(root, { split: 'test', perClass: 3, seed: 1, cache: false });
    const c = loadCifar10(root, { split: 'test', perClass: 3, seed: 2, cache: false });
    assert.deepStrictEqual(a.files, b.files);
    assert.notDeepStrictEqual(a.files, c.files);
    assert.strictEqual(a.subset, '3 per class, seed 1');
  });

  it('Tiny ImageNet (20 classes): wnids order, train subset, val annotations, pixels', () => {
    const root = path.join(SHARED_DATA, 'tiny-imagenet-20');
    const wnids = readWnids(root);
    assert.strictEqual(wnids.length, 20);
    const train = loadTinyImageNet(root, { split: 'train', perClass: 4, seed: 0, cache: false });
    assert.deepStrictEqual([train.count, train.height, train.width, train.channels], [80, 64, 64, 3]);
    assert.deepStrictEqual(train.classNames, wnids);
    for (let i = 0; i < train.count; i += 9) {
      const file = train.files![i];
      assert.strictEqual(train.labels[i], wnids.indexOf(file.split(path.sep)[1]), file);
      assert.deepStrictEqual(Buffer.from(pixelsOf(train, i)), Buffer.from(jpegRgb(path.join(root, file))), file);
    }
    const val = loadTinyImageNet(root, { split: 'val', classes: 5, cache: false });
    assert.strictEqual(val.count, 250); // 50 per class
    assert.deepStrictEqual(val.classNames, wnids.slice(0, 5));
    // val_annotations.txt line 1: "val_1.JPEG n04067472 …", and n04067472 is wnids.txt line 2 → label 1.
    const at = val.files!.indexOf(path.join('val', 'images', 'val_1.JPEG'));
    assert.ok(at >= 0);
    assert.strictEqual(val.labels[at], 1);
    assert.deepStrictEqual(Buffer.from(pixelsOf(val, at)), Buffer.from(jpegRgb(path.join(root, 'val', 'images', 'val_1.JPEG'))));
  });

  it('ImageNet val1300: 1,300 labels, 227×227 images, first entry ILSVRC2012_val_00000347 → 472', () => {
    const root = path.join(SHARED_DATA, 'imagenet-val1300');
    const list = readLabelList(path.join(root, 'labels.txt'), 1000);
    assert.strictEqual(list.length, 1300);
    const ds = loadImageNetFolder(root, { limit: 6, cache: false });
    assert.deepStrictEqual([ds.count, ds.height, ds.width, ds.channels], [6, 227, 227, 3]);
    assert.strictEqual(ds.files![0], path.join('images', 'ILSVRC2012_val_00000347.JPEG'));
    assert.strictEqual(ds.labels[0], 472);
    assert.strictEqual(ds.classNames.length, 1000);
    assert.ok(ds.classNames[1].startsWith('n01443537 goldfish'));
    assert.deepStrictEqual(Buffer.from(pixelsOf(ds, 3)), Buffer.from(jpegRgb(path.join(root, ds.files![3]))));
  });

  it('Fashion-MNIST from Debian IDX .gz: 60,000 + 10,000 28×28, 1,000 test images per class, bytes match a direct parse', () => {
    const test = loadFashionMnist(FASHION_MNIST_DEBIAN_DIR, { split: 'test' });
    const train = loadFashionMnist(FASHION_MNIST_DEBIAN_DIR, { split: 'train' });
    assert.deepStrictEqual([test.count, test.height, test.width, test.channels], [10000, 28, 28, 1]);
    assert.strictEqual(train.count, 60000);
    assert.deepStrictEqual(classCounts(test), new Array(10).fill(1000));
    // Independent parse: header of 16 (images) / 8 (labels) bytes, then raw bytes.
    const rawImages = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DEBIAN_DIR, 't10k-images-idx3-ubyte.gz')));
    const rawLabels = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DEBIAN_DIR, 't10k-labels-idx1-ubyte.gz')));
    assert.strictEqual(test.labels[0], 9); // the first test image is an ankle boot
    for (const i of [0, 1, 4321, 9999]) {
      assert.strictEqual(test.labels[i], rawLabels[8 + i]);
      assert.deepStrictEqual(Buffer.from(pixelsOf(test, i)), rawImages.subarray(16 + i * 784, 16 + (i + 1) * 784));
    }
  });
});

/** A CIFAR-10 binary batch of `n` records whose pixels are a function of (record, channel, position). */
function cifarBatch(n: number, firstLabel: number): Buffer {
  const bytes = Buffer.alloc(n * 3073);
  for (let r = 0; r < n; r++) {
    bytes[r * 3073] = (firstLabel + r) % 10;
    for (let j = 0; j < 3072; j++) bytes[r * 3073 + 1 + j] = (r * 7 + j * 13) % 256;
  }
  return bytes;
}

describe('CIFAR-10 binary format (archives built here)', () => {
  const dir = path.join(tmp, 'cifar-bin');
  before(() => {
    fs.mkdirSync(dir, { recursive: true });
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), cifarBatch(3, b));
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarBatch(4, 0));
  });

  it('parses records: label byte, then R, G, B planes of 1,024 bytes, into HWC', () => {
    const ds = loadCifar10(dir, { split: 'train' });
    assert.strictEqual(ds.count, 15);
    const raw = cifarBatch(3, 2); // data_batch_2 = records 3…5
    for (const [r, y, x, c] of [[0, 0, 0, 0], [1, 5, 31, 2], [2, 31, 7, 1]]) {
      const hwc = ds.images[(3 + r) * 3072 + (y * 32 + x) * 3 + c];
      assert.strictEqual(hwc, raw[r * 3073 + 1 + c * 1024 + y * 32 + x]);
    }
    assert.deepStrictEqual(Array.from(ds.labels.subarray(3, 6)), [2, 3, 4]);
  });

  it('reads the same data straight from a .tar.gz archive', () => {
    const entries = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']
      .map((f) => ({ name: `cifar-10-batches-bin/${f}`, data: fs.readFileSync(path.join(dir, f)) }));
    const archive = path.join(tmp, 'cifar-10-binary.tar.gz');
    fs.writeFileSync(archive, zlib.gzipSync(writeTar(entries)));
    const fromArchive = loadCifar10(archive, { split: 'test', cacheDir: path.join(tmp, 'cache') });
    const fromFolder = loadCifar10(dir, { split: 'test' });
    assert.deepStrictEqual(fromArchive.images, fromFolder.images);
    assert.deepStrictEqual(fromArchive.labels, fromFolder.labels);
    // Second load comes from the cache and is identical.
    assert.strictEqual(fs.readdirSync(path.join(tmp, 'cache', 'datasets')).length, 1);
    assert.deepStrictEqual(loadCifar10(archive, { split: 'test', cacheDir: path.join(tmp, 'cache') }).images, fromFolder.images);
    // Truncated archive: a clear error.
    const cut = path.join(tmp, 'cut.tar.gz');
    const whole = fs.readFileSync(archive);
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 100));
    assert.throws(() => loadCifar10(cut, { split: 'test', cache: false }), /cut\.tar\.gz.*(truncated|corrupt)/);
  });

  it('rejects a wrong record size, naming the file and the 3,073-byte record', () => {
    const bad = path.join(tmp, 'bad-cifar');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), Buffer.concat([cifarBatch(2, 0), Buffer.alloc(10)]));
    assert.throws(() => loadCifar10(bad, { split: 'test' }), (err: Error) => /test_batch\.bin/.test(err.message) && /3,073|3073/.test(err.message) && /truncated/.test(err.message));
    assert.throws(() => parseCifarBinary(Buffer.alloc(3074), 'x.bin'), /CIFAR-100/);
  });

  it('rejects a missing source and a missing batch file with the path', () => {
    assert.throws(() => loadCifar10(path.join(tmp, 'nowhere'), { split: 'train' }), /nowhere.*does not exist/);
    const partial = path.join(tmp, 'partial');
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, 'test_batch.bin'), cifarBatch(1, 0));
    assert.throws(() => loadCifar10(partial, { split: 'train' }), /missing CIFAR-10 batch .*data_batch_1\.bin/);
  });
});

/** Writes an IDX ubyte file with `dims` and data generated from the index. */
function idx(magic: number, dims: number[], fill: (i: number) => number): Buffer {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = Buffer.alloc(4 + 4 * dims.length + size);
  out.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < size; i++) out[4 + 4 * dims.length + i] = fill(i);
  return out;
}

describe('IDX files (built here)', () => {
  const dir = path.join(tmp, 'idx');
  before(() => fs.mkdirSync(dir, { recursive: true }));

  it('reads plain and gzip IDX files', () => {
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idx(0x803, [3, 28, 28], (i) => i % 251));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(idx(0x801, [3], (i) => [4, 0, 9][i])));
    const ds = loadFashionMnist(dir, { split: 'test' });
    assert.deepStrictEqual(Array.from(ds.labels), [4, 0, 9]);
    assert.strictEqual(ds.images[784 + 5], (784 + 5) % 251);
    // As 32×32 RGB for the CIFAR model profile: 2-pixel zero border, gray replicated.
    const rgb = fashionMnistAsRgb32(ds);
    assert.deepStrictEqual([rgb.height, rgb.width, rgb.channels, rgb.count], [32, 32, 3, 3]);
    for (const [i, y, x] of [[0, 0, 0], [1, 5, 27], [2, 27, 13]]) {
      for (let c = 0; c < 3; c++) assert.strictEqual(rgb.images[((i * 32 + y + 2) * 32 + x + 2) * 3 + c], ds.images[(i * 28 + y) * 28 + x]);
    }
    assert.strictEqual(rgb.images[(1 * 32 * 32 + 31 * 32 + 31) * 3], 0);
    assert.strictEqual(rgb.images[(2 * 32 * 32 + 0 * 32 + 1) * 3 + 2], 0);
  });

  it('rejects wrong magic and truncation with the file name', () => {
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx(0x801, [3, 28, 28], () => 0));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(0x801, [3], () => 0));
    assert.throws(() => loadFashionMnist(dir, { split: 'train' }), /train-images-idx3-ubyte: wrong IDX magic 0x00000801, expected 0x00000803/);
    const good = idx(0x803, [3, 28, 28], () => 0);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), good.subarray(0, good.length - 1));
    assert.throws(() => loadFashionMnist(dir, { split: 'train' }), /train-images-idx3-ubyte: .*truncated/);
    assert.throws(() => loadFashionMnist(path.join(tmp, 'no-fmnist'), { split: 'train' }), /no-fmnist does not exist/);
  });
});

describe('image folders (built here)', () => {
  const root = path.join(tmp, 'folder');
  /** A 4×5 PNG whose pixel (y, x) = (10y + x, 50 + c, 200) and returns its RGB. */
  function writePng(file: string, seed: number): Uint8Array {
    const png = new PNG({ width: 5, height: 4 });
    const rgb = new Uint8Array(4 * 5 * 3);
    for (let p = 0; p < 20; p++) {
      const v = [(p * 11 + seed) % 256, (p * 3 + 2 * seed) % 256, 200];
      for (let c = 0; c < 3; c++) { png.data[p * 4 + c] = v[c]; rgb[p * 3 + c] = v[c]; }
      png.data[p * 4 + 3] = 255;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PNG.sync.write(png));
    return rgb;
  }

  it('labels by alphabetical folder order and decodes PNG exactly', () => {
    const b0 = writePng(path.join(root, 'train', 'beta', 'x.png'), 1);
    const a0 = writePng(path.join(root, 'train', 'alpha', 'y.png'), 2);
    const ds = loadImageFolder(root, { split: 'train', cache: false });
    assert.deepStrictEqual(ds.classNames, ['alpha', 'beta']);
    assert.deepStrictEqual(Array.from(ds.labels), [0, 1]);
    assert.deepStrictEqual(Buffer.from(pixelsOf(ds, 0)), Buffer.from(a0));
    assert.deepStrictEqual(Buffer.from(pixelsOf(ds, 1)), Buffer.from(b0));
  });

  it('cache entries change when a source file changes', () => {
    const cacheDir = path.join(tmp, 'cache-folder');
    const first = loadImageFolder(root, { split: 'train', cacheDir });
    const again = loadImageFolder(root, { split: 'train', cacheDir });
    assert.deepStrictEqual(again.images, first.images);
    const changed = writePng(path.join(root, 'train', 'beta', 'x.png'), 9);
    fs.utimesSync(path.join(root, 'train', 'beta', 'x.png'), new Date(), new Date(Date.now() + 5000));
    const after = loadImageFolder(root, { split: 'train', cacheDir });
    assert.deepStrictEqual(Buffer.from(pixelsOf(after, 1)), Buffer.from(changed));
    assert.strictEqual(fs.readdirSync(path.join(cacheDir, 'datasets')).filter((f) => f.endsWith('.bin')).length, 2);
  });

  it('a missing class folder, an empty split and an unreadable image are clear errors', () => {
    const cifarLike = path.join(tmp, 'cifar-folder');
    writePng(path.join(cifarLike, 'train', 'airplane', 'a.png'), 0);
    assert.throws(() => loadCifar10(cifarLike, { split: 'train', cache: false }), /missing class folder .*automobile/);
    assert.throws(() => loadImageFolder(root, { split: 'val', cache: false }), /split "val".*does not exist/);
    fs.writeFileSync(path.join(root, 'train', 'alpha', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    assert.throws(() => loadImageFolder(root, { split: 'train', cache: false }), /cannot decode image .*broken\.jpg/);
    fs.writeFileSync(path.join(root, 'train', 'alpha', 'broken.jpg'), 'not an image');
    assert.throws(() => loadImageFolder(root, { split: 'train', cache: false }), /broken\.jpg: neither a JPEG nor a PNG/);
    fs.rmSync(path.join(root, 'train', 'alpha', 'broken.jpg'));
  });
});

describe('download helper', () => {
  it('offline: the error names the URL and where to put a local copy', async () => {
    const cacheDir = path.join(tmp, 'dl');
    await assert.rejects(
      downloadArchive({ url: 'http://127.0.0.1:9/cifar-10-binary.tar.gz', sha256: '0'.repeat(64), fileName: 'cifar-10-binary.tar.gz' }, { cacheDir }),
      (err: Error) => err.message.includes('http://127.0.0.1:9/cifar-10-binary.tar.gz') && err.message.includes(path.join(cacheDir, 'downloads', 'cifar-10-binary.tar.gz')),
    );
  });

  it('a local copy with the wrong sha256 is refused; the right one is accepted without any network', async () => {
    const cacheDir = path.join(tmp, 'dl2');
    const file = path.join(cacheDir, 'downloads', 'a.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'hello');
    const sha = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'; // sha256("hello")
    assert.strictEqual(await downloadArchive({ url: 'http://127.0.0.1:9/a.bin', sha256: sha, fileName: 'a.bin' }, { cacheDir }), file);
    await assert.rejects(downloadArchive({ url: 'http://127.0.0.1:9/a.bin', sha256: 'f'.repeat(64), fileName: 'a.bin' }, { cacheDir }), /a\.bin has sha256 2cf24dba/);
  });
});
