/**
 * ImageNet-style validation folder with a label list: `labels.txt` lines `<file> <index>` (index 0…999 in
 * sorted-synset order), images beside it or under `images/`, optional `synset_words.txt` (`wnid names`,
 * one per class in index order). Images are loaded as they are (no resizing unless `size` is given);
 * evaluation crops belong to the evaluation code (see `centerCrop`/`resize` in dataset.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CacheOptions, cachedDataset, fingerprintFiles } from './cache';
import { Dataset, resize } from './dataset';
import { decodeImageFile } from './decode';

/** Options of {@link loadImageNetFolder}. */
export interface ImageNetFolderOptions extends CacheOptions {
  /** Label list file name inside the folder (default "labels.txt"). */
  labelsFile?: string;
  /** Number of classes (default 1000); labels must lie in 0…classes−1. */
  classes?: number;
  /** Resize every image (bilinear) to size × size; required when image sizes differ. */
  size?: number;
  /** Load only the first `limit` entries of the label list. */
  limit?: number;
}

/** Parses `<file> <index>` lines; errors name the line. */
export function readLabelList(file: string, classes: number): Array<{ file: string; label: number }> {
  if (!fs.existsSync(file)) throw new Error(`label list ${file} does not exist; expected lines "<image file> <class index>"`);
  const entries: Array<{ file: string; label: number }> = [];
  const seen = new Map<string, { line: number; label: number }>();
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '') return;
    const parts = line.trim().split(/\s+/);
    const label = Number(parts[1]);
    if (parts.length !== 2 || !/^\d+$/.test(parts[1]) || label >= classes) {
      throw new Error(`${file} line ${n + 1}: expected "<file> <index 0…${classes - 1}>", got "${line}"`);
    }
    const before = seen.get(parts[0]);
    if (before !== undefined) {
      throw new Error(before.label === label
        ? `${file}: ${parts[0]} is listed twice (lines ${before.line} and ${n + 1}); it would count twice — remove the repeat`
        : `${file}: ${parts[0]} is labelled twice, ${before.label} on line ${before.line} and ${label} on line ${n + 1}; keep the right one`);
    }
    seen.set(parts[0], { line: n + 1, label });
    entries.push({ file: parts[0], label });
  });
  return entries;
}

/** Loads the folder's labelled images as uint8 HWC (optionally resized to `size`²). Cached. */
export function loadImageNetFolder(root: string, options: ImageNetFolderOptions = {}): Dataset {
  const abs = path.resolve(root);
  if (!fs.existsSync(abs)) throw new Error(`ImageNet folder ${abs} does not exist; check the data path`);
  const classes = options.classes ?? 1000;
  let entries = readLabelList(path.join(abs, options.labelsFile ?? 'labels.txt'), classes);
  if (options.limit !== undefined) entries = entries.slice(0, options.limit);
  const imageDir = fs.existsSync(path.join(abs, 'images')) ? 'images' : '.';
  const files = entries.map((e) => path.join(imageDir, e.file));
  for (const f of files) if (!fs.existsSync(path.join(abs, f))) throw new Error(`image ${path.join(abs, f)} is listed in the label list but missing`);
  const synsetFile = path.join(abs, 'synset_words.txt');
  const classNames = fs.existsSync(synsetFile)
    ? fs.readFileSync(synsetFile, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.trim())
    : Array.from({ length: classes }, (_, i) => `class ${i}`);
  if (classNames.length !== classes) throw new Error(`${synsetFile} lists ${classNames.length} classes, expected ${classes}`);
  if (new Set(classNames).size !== classNames.length) throw new Error(`${synsetFile} lists a class twice (${classNames.length} lines, ${new Set(classNames).size} distinct); each class must appear once`);
  const build = (): Dataset => {
    let images: Uint8Array | undefined;
    let shape: [number, number, number] = [0, 0, 0];
    files.forEach((f, i) => {
      let img = decodeImageFile(path.join(abs, f));
      if (options.size !== undefined) img = resize(img, options.size, options.size);
      if (!images) {
        shape = [img.height, img.width, img.channels];
        images = new Uint8Array(files.length * img.data.length);
      } else if (img.height !== shape[0] || img.width !== shape[1]) {
        throw new Error(`image ${path.join(abs, f)} is ${img.height}×${img.width}, the first is ${shape[0]}×${shape[1]}; pass size to resize all`);
      }
      images.set(img.data, i * img.data.length);
    });
    return {
      name: 'ImageNet', split: 'val', count: files.length, height: shape[0], width: shape[1], channels: shape[2],
      images: images!, labels: Int32Array.from(entries.map((e) => e.label)), classNames, files,
      subset: `${files.length} images of ${path.basename(abs)}`,
    };
  };
  return cachedDataset({ loader: 'imagenet-folder', source: abs, fingerprint: fingerprintFiles(abs, files), options: { size: options.size, classes, limit: options.limit } }, build, options);
}
