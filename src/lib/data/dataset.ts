/**
 * The in-memory data set every loader returns, and what training does with it: deterministic
 * per-class subsets, per-channel normalisation, seeded augmentation (random crop with zero padding,
 * horizontal flip) and batching into NHWC float32 tensors.
 *
 * Images stay uint8 HWC in one flat array (60,000 CIFAR images = 184 MB) and become float32 only
 * one batch at a time, inside the training step.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { Rng, permutation } from '../seed';

/** A labelled image set held as uint8 pixels. */
export interface Dataset {
  /** Human-readable name used in results, e.g. "CIFAR-10 (JPEG q75)". */
  name: string;
  /** Which split: "train", "test", "val". */
  split: string;
  /** Number of images N. */
  count: number;
  /** Height, width and channels of every image (all images share one shape). */
  height: number;
  width: number;
  channels: number;
  /** Pixels, N × H × W × C, row-major HWC per image, values 0…255. */
  images: Uint8Array;
  /** Class index per image, N entries in [0, classNames.length). */
  labels: Int32Array;
  /** Class names in index order. */
  classNames: string[];
  /** Source file (relative to the data root) per image, when the images come from files. */
  files?: string[];
  /** Describes a subset taken from the full split, e.g. "200 per class, seed 1". */
  subset?: string;
}

/** Per-channel mean and standard deviation in 0…1 pixel units (x_norm = (p/255 − mean) / std). */
export interface Normalization {
  mean: number[];
  std: number[];
}

/**
 * Documented defaults. CIFAR-10: the training-set statistics quoted by most CIFAR code
 * (mean 0.4914/0.4822/0.4465, std 0.2470/0.2435/0.2616); ImageNet (also used for Tiny ImageNet,
 * whose images are ImageNet crops): 0.485/0.456/0.406, 0.229/0.224/0.225; Fashion-MNIST:
 * training-set mean 0.2860, std 0.3530.
 */
export const NORMALIZATIONS: Record<'cifar10' | 'imagenet' | 'tiny-imagenet' | 'fashion-mnist', Normalization> = {
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  'tiny-imagenet': { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  'fashion-mnist': { mean: [0.286], std: [0.353] },
};

/** Augmentation applied per image while batching. */
export interface Augmentation {
  /** Zero padding (pixels) around the image before a random crop back to H × W; 0 disables. */
  cropPadding?: number;
  /** Mirror left–right with probability 1/2. */
  horizontalFlip?: boolean;
}

/** Standard CIFAR augmentation: pad 4, random 32×32 crop, random horizontal flip. */
export const CIFAR_AUGMENTATION: Augmentation = { cropPadding: 4, horizontalFlip: true };

/** Checks the internal consistency of a data set; throws naming the inconsistent field. */
export function validateDataset(ds: Dataset): void {
  const pixels = ds.height * ds.width * ds.channels;
  if (ds.images.length !== ds.count * pixels) {
    throw new Error(`data set "${ds.name}" (${ds.split}): images hold ${ds.images.length} bytes, expected count ${ds.count} × ${ds.height}×${ds.width}×${ds.channels} = ${ds.count * pixels}`);
  }
  if (ds.labels.length !== ds.count) {
    throw new Error(`data set "${ds.name}" (${ds.split}): ${ds.labels.length} labels for ${ds.count} images`);
  }
  for (let i = 0; i < ds.count; i++) {
    const label = ds.labels[i];
    if (label < 0 || label >= ds.classNames.length) {
      const where = ds.files ? ` (${ds.files[i]})` : '';
      throw new Error(`data set "${ds.name}" (${ds.split}): image ${i}${where} has label ${label}, outside 0…${ds.classNames.length - 1}`);
    }
  }
}

/** A new data set holding the images at `indices`, in that order. */
export function selectIndices(ds: Dataset, indices: ArrayLike<number>, subset?: string): Dataset {
  const pixels = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  const files = ds.files ? new Array<string>(indices.length) : undefined;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) throw new Error(`selectIndices: index ${i} is outside 0…${ds.count - 1}`);
    images.set(ds.images.subarray(i * pixels, (i + 1) * pixels), k * pixels);
    labels[k] = ds.labels[i];
    if (files) files[k] = ds.files![i];
  }
  return { ...ds, count: indices.length, images, labels, files, subset: subset ?? ds.subset };
}

/**
 * Deterministic per-class selection over a label list: for each class, the first `perClass` entries
 * of a seeded shuffle of that class's positions; returned sorted ascending. Loaders use it on file
 * lists (to decode only what is kept), {@link subsetPerClass} on loaded data: both pick the same images.
 */
export function perClassSelection(labels: ArrayLike<number>, classNames: string[], perClass: number, seed: number, what: string): number[] {
  if (!Number.isInteger(perClass) || perClass < 1) throw new InvalidArgumentError(`perClass must be a positive integer, got ${perClass}`);
  const byClass: number[][] = classNames.map(() => []);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classNames.length) {
      throw new Error(`${what}: image ${i} has label ${label}, outside 0…${classNames.length - 1} (${classNames.length} classes); the data are corrupt`);
    }
    byClass[label].push(i);
  }
  const rng = new Rng(seed);
  const chosen: number[] = [];
  const fewest = Math.min(...byClass.map((m) => m.length));
  byClass.forEach((members, c) => {
    if (members.length < perClass) {
      throw new InvalidArgumentError(`perClass = ${perClass} for ${what}: class ${c} "${classNames[c]}" has ${members.length} images; choose perClass ≤ ${fewest} (the smallest class)`);
    }
    chosen.push(...rng.shuffle(members.slice()).slice(0, perClass));
  });
  return chosen.sort((a, b) => a - b);
}

/** Deterministic per-class subset of a loaded data set (see {@link perClassSelection}); keeps the original order. */
export function subsetPerClass(ds: Dataset, perClass: number, seed: number): Dataset {
  const chosen = perClassSelection(ds.labels, ds.classNames, perClass, seed, `${ds.name} (${ds.split})`);
  return selectIndices(ds, chosen, `${perClass} per class, seed ${seed}`);
}

/** Number of images per class, indexed by class. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classNames.length).fill(0);
  for (let i = 0; i < ds.count; i++) counts[ds.labels[i]]++;
  return counts;
}

/** Options for {@link makeBatch}. */
export interface BatchOptions {
  normalization?: Normalization;
  augmentation?: Augmentation;
  /** Required when augmentation is on: draws crops and flips. */
  rng?: Rng;
}

/**
 * Writes image `index` of `ds` into `out` (float32 HWC at `offset`), normalised and augmented.
 * A crop with padding p picks a shift (dy, dx) in [−p, p]² and reads zeros outside the image,
 * which equals padding by p and cropping H × W at (p + dy, p + dx).
 */
export function writeImage(ds: Dataset, index: number, out: Float32Array, offset: number, options: BatchOptions = {}): void {
  const { height: h, width: w, channels: c } = ds;
  const norm = options.normalization;
  const aug = options.augmentation;
  const pad = aug?.cropPadding ?? 0;
  const rng = options.rng;
  if ((pad > 0 || aug?.horizontalFlip) && !rng) throw new Error('makeBatch: augmentation needs a seeded rng (options.rng)');
  const dy = pad > 0 ? rng!.int(2 * pad + 1) - pad : 0;
  const dx = pad > 0 ? rng!.int(2 * pad + 1) - pad : 0;
  const flip = aug?.horizontalFlip ? rng!.next() < 0.5 : false;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    // (p/255 − mean)/std = p · 1/(255·std) − mean/std
    const std = norm ? norm.std[ch % norm.std.length] : 1;
    const mean = norm ? norm.mean[ch % norm.mean.length] : 0;
    scale[ch] = 1 / (255 * std);
    shift[ch] = -mean / std;
  }
  const base = index * h * w * c;
  const src = ds.images;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + dx;
      const o = offset + (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        // Zero padding in pixel space: a black pixel, normalised like any other.
        for (let ch = 0; ch < c; ch++) out[o + ch] = shift[ch];
      } else {
        const s = base + (sy * w + sx) * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = src[s + ch] * scale[ch] + shift[ch];
      }
    }
  }
}

/** A batch: images NHWC float32 and int32 labels; the caller disposes both. */
export interface Batch {
  xs: tf.Tensor4D;
  ys: tf.Tensor1D;
}

/** Builds one batch from the images at `indices` (normalised, optionally augmented). */
export function makeBatch(ds: Dataset, indices: ArrayLike<number>, options: BatchOptions = {}): Batch {
  const per = ds.height * ds.width * ds.channels;
  const data = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    writeImage(ds, indices[k], data, k * per, options);
    labels[k] = ds.labels[indices[k]];
  }
  return {
    xs: tf.tensor4d(data, [indices.length, ds.height, ds.width, ds.channels], 'float32'),
    ys: tf.tensor1d(labels, 'int32'),
  };
}

/**
 * Splits 0 … count−1 into batches of `batchSize`, shuffled by `rng` when given, in order otherwise.
 * `dropLast` drops a final short batch (keeps BatchNorm statistics stable in training).
 */
export function batchIndices(count: number, batchSize: number, rng?: Rng, dropLast = false): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const order = rng ? permutation(count, rng) : Int32Array.from({ length: count }, (_, i) => i);
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (dropLast && end - start < batchSize && batches.length > 0) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}

/** One image as uint8 HWC with its size. */
export interface Image {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Bilinear resize of an HWC uint8 image to `height` × `width` (half-pixel centres, like tf.image.resizeBilinear with halfPixelCenters). */
export function resize(image: Image, height: number, width: number): Image {
  const { data, height: h, width: w, channels: c } = image;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) throw new Error(`resize: target ${height}×${width} must be positive integers`);
  const out = new Uint8Array(height * width * c);
  const sy = h / height;
  const sx = w / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      for (let ch = 0; ch < c; ch++) {
        const top = data[(y0 * w + x0) * c + ch] * (1 - wx) + data[(y0 * w + x1) * c + ch] * wx;
        const bottom = data[(y1 * w + x0) * c + ch] * (1 - wx) + data[(y1 * w + x1) * c + ch] * wx;
        out[(y * width + x) * c + ch] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { data: out, height, width, channels: c };
}

/** Central crop keeping `fraction` (0 < f ≤ 1) of each side, e.g. 0.875 for the TF-slim evaluation crop. */
export function centerCrop(image: Image, fraction: number): Image {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`centerCrop: fraction must be in (0, 1], got ${fraction}`);
  const { data, height: h, width: w, channels: c } = image;
  const ch = Math.max(1, Math.round(h * fraction));
  const cw = Math.max(1, Math.round(w * fraction));
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const out = new Uint8Array(ch * cw * c);
  for (let y = 0; y < ch; y++) {
    out.set(data.subarray(((top + y) * w + left) * c, ((top + y) * w + left + cw) * c), y * cw * c);
  }
  return { data: out, height: ch, width: cw, channels: c };
}
