/**
 * Generic image-folder loader: `<root>/<split>/<class>/*.jpg|jpeg|png`, class index = alphabetical
 * order of the class folders (the torchvision ImageFolder convention).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CacheOptions, cachedDataset, fingerprintFiles } from './cache';
import { Dataset, perClassSelection } from './dataset';
import { decodeImageFile, isImageFile } from './decode';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends CacheOptions {
  /** Sub-folder holding the class folders, e.g. "train"; omit when `root` itself holds them. */
  split?: string;
  /** Expected class folder names in index order; a missing one is an error. Default: the sorted folders found. */
  classNames?: string[];
  /** Keep only `perClass` images per class (seeded, see perClassSelection), decoded alone. */
  perClass?: number;
  /** Seed of the per-class selection (default 0). */
  seed?: number;
  /** Name recorded in the data set, e.g. "CIFAR-10 (JPEG q75)". */
  name?: string;
  /** Loader name in the cache key. */
  loader?: string;
}

/** Lists a folder's entries, throwing an error that names the folder and the fix when it is missing. */
export function listFolder(dir: string, what: string): string[] {
  if (!fs.existsSync(dir)) throw new Error(`${what} folder ${dir} does not exist; check the data path`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${what} ${dir} is not a folder`);
  return fs.readdirSync(dir).sort();
}

/** A list of image files with their class indices, relative to a root. */
export interface FileList {
  root: string;
  files: string[];
  labels: number[];
}

/** Decodes `list` (all images must share one size) into a data set; errors name the offending file. */
export function decodeFileList(list: FileList, meta: { name: string; split: string; classNames: string[]; subset?: string }): Dataset {
  const count = list.files.length;
  if (count === 0) throw new Error(`no images found under ${list.root}`);
  let images: Uint8Array | undefined;
  let height = 0;
  let width = 0;
  let channels = 0;
  for (let i = 0; i < count; i++) {
    const file = path.join(list.root, list.files[i]);
    const img = decodeImageFile(file);
    if (!images) {
      ({ height, width, channels } = img);
      images = new Uint8Array(count * height * width * channels);
    } else if (img.height !== height || img.width !== width || img.channels !== channels) {
      throw new Error(`image ${file} is ${img.height}×${img.width}×${img.channels}, but ${path.join(list.root, list.files[0])} is ${height}×${width}×${channels}; every image of a data set must have one size (resize them first)`);
    }
    images.set(img.data, i * height * width * channels);
  }
  return {
    name: meta.name, split: meta.split, count, height, width, channels, images: images!,
    labels: Int32Array.from(list.labels), classNames: meta.classNames, files: list.files, subset: meta.subset,
  };
}

/** Lists `<root>/<split>/<class>/*` image files with class indices (no decoding); checks the class folders. */
export function listImageFolder(root: string, options: Pick<ImageFolderOptions, 'split' | 'classNames'> = {}): FileList & { classNames: string[] } {
  const absRoot = path.resolve(root);
  const splitDir = options.split ? path.join(absRoot, options.split) : absRoot;
  const found = listFolder(splitDir, `image-folder split "${options.split ?? '.'}"`).filter((d) => fs.statSync(path.join(splitDir, d)).isDirectory());
  const classNames = options.classNames ?? found;
  for (const name of classNames) {
    if (!found.includes(name)) {
      throw new Error(`missing class folder ${path.join(splitDir, name)}: expected one folder per class (${classNames.join(', ')}); found ${found.length ? found.join(', ') : 'none'}`);
    }
  }
  const files: string[] = [];
  const labels: number[] = [];
  classNames.forEach((cls, index) => {
    for (const f of listFolder(path.join(splitDir, cls), 'class')) {
      if (!isImageFile(f)) continue;
      files.push(path.join(cls, f));
      labels.push(index);
    }
  });
  return { root: splitDir, files, labels, classNames };
}

/** Loads `<root>/<split>/<class>/*` as uint8 HWC with labels = class folder index (cached). */
export function loadImageFolder(root: string, options: ImageFolderOptions = {}): Dataset {
  const absRoot = path.resolve(root);
  const full = listImageFolder(absRoot, options);
  const { root: splitDir, files, labels, classNames } = full;
  let list: FileList = { root: splitDir, files, labels };
  let subset: string | undefined;
  if (options.perClass !== undefined) {
    const seed = options.seed ?? 0;
    const keep = perClassSelection(labels, classNames, options.perClass, seed, splitDir);
    list = { root: splitDir, files: keep.map((i) => files[i]), labels: keep.map((i) => labels[i]) };
    subset = `${options.perClass} per class, seed ${seed}`;
  }
  const name = options.name ?? path.basename(absRoot);
  const split = options.split ?? '.';
  return cachedDataset(
    { loader: options.loader ?? 'image-folder', source: splitDir, fingerprint: fingerprintFiles(splitDir, list.files), options: { classNames, perClass: options.perClass, seed: options.seed, name } },
    () => decodeFileList(list, { name, split, classNames, subset }),
    options,
  );
}
