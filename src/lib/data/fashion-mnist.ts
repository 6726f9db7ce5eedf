/**
 * Fashion-MNIST (Xiao et al. 2017) from IDX files, gzip-compressed or plain. Debian's
 * `dataset-fashion-mnist` installs them in /usr/share/datasets/fashion-mnist.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from './dataset';
import { gunzip, isGzip } from './tar';

/** Default folder of Debian's `dataset-fashion-mnist` package. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** IDX magic numbers: 0x00000803 = unsigned bytes, 3 dimensions (images); 0x00000801 = unsigned bytes, 1 dimension (labels). */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed IDX ubyte array: its dimensions and data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX file's bytes (gunzipping first when needed), checking the magic and the length. */
export function parseIdx(raw: Uint8Array, name: string, expectedMagic: number): IdxArray {
  const bytes = isGzip(raw) ? gunzip(raw, name) : raw;
  if (bytes.length < 8) throw new Error(`${name}: ${bytes.length} bytes is too short for an IDX header; the file is truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw new Error(`${name}: wrong IDX magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')} (${expectedMagic === IDX_IMAGES_MAGIC ? 'ubyte images, 3 dims' : 'ubyte labels, 1 dim'}); is this the right file?`);
  }
  const rank = magic & 0xff;
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const start = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== start + size) {
    throw new Error(`${name}: header says ${dims.join('×')} = ${size} bytes of data, the file holds ${bytes.length - start}; the file is truncated or corrupt`);
  }
  return { dims, data: bytes.subarray(start) };
}

/** Throws naming the file, the first offending index and how many labels lie outside 0…classes−1. */
export function checkLabels(labels: ArrayLike<number>, classes: number, file: string): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    throw new Error(`${file}: label ${labels[first]} at index ${first} is outside 0…${classes - 1} (${bad} of ${labels.length} labels are); the file is corrupt or not Fashion-MNIST labels`);
  }
}

function findIdx(dir: string, base: string): string {
  for (const candidate of [`${base}.gz`, base]) {
    const file = path.join(dir, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`missing ${path.join(dir, base)}(.gz); install Debian's dataset-fashion-mnist (files in ${FASHION_MNIST_DEBIAN_DIR}) or download the IDX files from https://github.com/zalandoresearch/fashion-mnist`);
}

/** Loads a Fashion-MNIST split ("train" or "test" = t10k) as uint8 28×28×1. No cache: parsing takes milliseconds. */
export function loadFashionMnist(dir: string = FASHION_MNIST_DEBIAN_DIR, options: { split: 'train' | 'test' }): Dataset {
  const prefix = options.split === 'train' ? 'train' : options.split === 'test' ? 't10k' : undefined;
  if (!prefix) throw new Error(`Fashion-MNIST split must be "train" or "test", got "${options.split}"`);
  if (!fs.existsSync(dir)) throw new Error(`Fashion-MNIST folder ${dir} does not exist; install Debian's dataset-fashion-mnist or pass the folder holding the IDX files`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`Fashion-MNIST source ${dir} is a file; pass the folder holding the IDX files (train-images-idx3-ubyte.gz …)`);
  const imageFile = findIdx(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = findIdx(dir, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(fs.readFileSync(imageFile), imageFile, IDX_IMAGES_MAGIC);
  const labels = parseIdx(fs.readFileSync(labelFile), labelFile, IDX_LABELS_MAGIC);
  if (images.dims[0] !== labels.dims[0]) throw new Error(`${imageFile} holds ${images.dims[0]} images but ${labelFile} ${labels.dims[0]} labels`);
  if (images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new Error(`${imageFile} holds ${images.dims[1]}×${images.dims[2]} images; Fashion-MNIST's are 28×28: the file is not Fashion-MNIST`);
  }
  checkLabels(labels.data, FASHION_MNIST_CLASSES.length, labelFile);
  return {
    name: 'Fashion-MNIST', split: options.split, count: images.dims[0], height: images.dims[1], width: images.dims[2], channels: 1,
    images: images.data, labels: Int32Array.from(labels.data), classNames: FASHION_MNIST_CLASSES,
  };
}

/**
 * Fashion-MNIST shaped like CIFAR-10 for the CIFAR model profile: 28×28×1 zero-padded by 2 pixels to
 * 32×32 and the gray channel replicated to RGB (normalise with the 1-channel statistics; they apply per channel).
 */
export function fashionMnistAsRgb32(ds: Dataset): Dataset {
  if (ds.height !== 28 || ds.width !== 28 || ds.channels !== 1) throw new Error(`fashionMnistAsRgb32 expects 28×28×1 images, got ${ds.height}×${ds.width}×${ds.channels}`);
  const images = new Uint8Array(ds.count * 32 * 32 * 3);
  for (let i = 0; i < ds.count; i++) {
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      const v = ds.images[(i * 28 + y) * 28 + x];
      const o = ((i * 32 + y + 2) * 32 + x + 2) * 3;
      images[o] = v;
      images[o + 1] = v;
      images[o + 2] = v;
    }
  }
  return { ...ds, height: 32, width: 32, channels: 3, images, subset: ds.subset ? `${ds.subset}, padded to 32×32 RGB` : 'padded to 32×32 RGB' };
}
