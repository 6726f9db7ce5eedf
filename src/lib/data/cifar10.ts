/**
 * CIFAR-10 (Krizhevsky 2009) from any of its usual forms:
 *  - the official `cifar-10-binary.tar.gz` (read directly: gzip + tar, nothing extracted),
 *  - a folder with the extracted `data_batch_1..5.bin` / `test_batch.bin` (or `cifar-10-batches-bin/` inside),
 *  - an image-folder layout `<split>/<class>/*.jpg|png` (e.g. the JPEG quality-75 re-encode described in
 *    data/cifar10/README.md: results on it are labelled "CIFAR-10 (JPEG q75)").
 * Class index = the standard order airplane 0 … truck 9 (= alphabetical folder order).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CacheOptions, cachedDataset } from './cache';
import { Dataset, selectIndices, perClassSelection } from './dataset';
import { loadImageFolder } from './image-folder';
import { readTar } from './tar';

/** The ten classes in label order. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Bytes per record of the binary format: 1 label byte + 3 × 1,024 channel planes (R, G, B) of 32×32. */
export const CIFAR_RECORD_BYTES = 3073;

/** Official archive: where it comes from and its sha256, for {@link download}. */
export const CIFAR10_BINARY_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_BINARY_SHA256 = 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd';

/** Options of {@link loadCifar10}. */
export interface Cifar10Options extends CacheOptions {
  split: 'train' | 'test';
  /** Keep `perClass` images per class (seeded); in folder form only those are decoded. */
  perClass?: number;
  seed?: number;
}

const BATCH_FILES = { train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'], test: ['test_batch.bin'] };

/** Parses binary CIFAR-10 records (label byte + CHW planes) into HWC images; `name` appears in errors. */
export function parseCifarBinary(bytes: Uint8Array, name: string): { images: Uint8Array; labels: Int32Array } {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new Error(`${name}: ${bytes.length} bytes is not a whole number of CIFAR-10 records of ${CIFAR_RECORD_BYTES} bytes (1 label + 3,072 pixels); the file is truncated or not CIFAR-10 binary (CIFAR-100 records are 3,074 bytes)`);
  }
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const images = new Uint8Array(count * 3072);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const rec = n * CIFAR_RECORD_BYTES;
    const label = bytes[rec];
    if (label > 9) throw new Error(`${name}: record ${n} has label ${label}, outside 0…9; not a CIFAR-10 file`);
    labels[n] = label;
    const out = n * 3072;
    for (let p = 0; p < 1024; p++) {
      images[out + p * 3] = bytes[rec + 1 + p];
      images[out + p * 3 + 1] = bytes[rec + 1 + 1024 + p];
      images[out + p * 3 + 2] = bytes[rec + 1 + 2048 + p];
    }
  }
  return { images, labels };
}

/** Concatenates parsed batches into one data set. */
function fromBatches(parts: Array<{ images: Uint8Array; labels: Int32Array }>, split: string): Dataset {
  const count = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Int32Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3072);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return { name: 'CIFAR-10', split, count, height: 32, width: 32, channels: 3, images, labels, classNames: CIFAR10_CLASSES };
}

/** Reads the split from the official tar.gz archive. */
function loadArchive(file: string, split: 'train' | 'test'): Dataset {
  const entries = readTar(fs.readFileSync(file), file);
  const parts = BATCH_FILES[split].map((want) => {
    const entry = entries.find((e) => path.basename(e.name) === want);
    if (!entry) throw new Error(`${file} has no ${want}; it holds ${entries.map((e) => e.name).join(', ') || 'no files'} — is it cifar-10-binary.tar.gz?`);
    return parseCifarBinary(entry.data, `${file}:${entry.name}`);
  });
  return fromBatches(parts, split);
}

/** Reads the split from extracted `.bin` batches in `dir`. */
function loadBinaryFolder(dir: string, split: 'train' | 'test'): Dataset {
  const parts = BATCH_FILES[split].map((want) => {
    const file = path.join(dir, want);
    if (!fs.existsSync(file)) throw new Error(`missing CIFAR-10 batch ${file}; extract cifar-10-binary.tar.gz there or pass the archive itself`);
    return parseCifarBinary(fs.readFileSync(file), file);
  });
  return fromBatches(parts, split);
}

function hashFile(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Loads a CIFAR-10 split as uint8 HWC 32×32×3 with labels 0…9, from `source`: the official
 * `.tar.gz`, a folder of extracted `.bin` batches, or an image folder `<split>/<class>/*`. Cached.
 */
export function loadCifar10(source: string, options: Cifar10Options): Dataset {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new Error(`CIFAR-10 split must be "train" or "test", got "${split}"`);
  const abs = path.resolve(source);
  if (!fs.existsSync(abs)) {
    throw new Error(`CIFAR-10 source ${abs} does not exist; pass cifar-10-binary.tar.gz, a folder of data_batch_N.bin files, or a folder with ${split}/<class>/ images`);
  }
  const subset = (ds: Dataset): Dataset => {
    if (options.perClass === undefined) return ds;
    const seed = options.seed ?? 0;
    return selectIndices(ds, perClassSelection(ds.labels, ds.classNames, options.perClass, seed, `${abs} (${split})`), `${options.perClass} per class, seed ${seed}`);
  };
  if (fs.statSync(abs).isFile()) {
    // The archive is hashed by content once per load (170 MB: ~0.5 s), cheaper than re-parsing.
    return subset(cachedDataset({ loader: 'cifar10-archive', source: abs, fingerprint: hashFile(abs), options: { split } }, () => loadArchive(abs, split), options));
  }
  const binDir = fs.existsSync(path.join(abs, 'cifar-10-batches-bin')) ? path.join(abs, 'cifar-10-batches-bin') : abs;
  if (fs.existsSync(path.join(binDir, BATCH_FILES.test[0])) || fs.existsSync(path.join(binDir, BATCH_FILES.train[0]))) {
    // Binary batches parse in milliseconds: no cache needed.
    return subset(loadBinaryFolder(binDir, split));
  }
  if (!fs.existsSync(path.join(abs, split))) {
    throw new Error(`${abs} holds neither CIFAR-10 binary batches (data_batch_1.bin, test_batch.bin) nor an image folder ${path.join(abs, split)}/<class>/`);
  }
  const ds = loadImageFolder(abs, {
    ...options, split, classNames: CIFAR10_CLASSES, name: 'CIFAR-10 (JPEG q75)', loader: 'cifar10-folder',
  });
  return ds;
}
