/**
 * Tiny ImageNet (Stanford CS231n; 64×64 JPEG) in its standard layout: `wnids.txt`, optional `words.txt`,
 * `train/<wnid>/images/*.JPEG`, `val/images/*.JPEG` + `val/val_annotations.txt` (`file wnid x y w h`).
 * Class index = line order of `wnids.txt` (the archive's own class list); `classes` keeps a subset.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CacheOptions, cachedDataset, fingerprintFiles } from './cache';
import { Dataset, perClassSelection } from './dataset';
import { decodeFileList, FileList, listFolder } from './image-folder';
import { isImageFile } from './decode';
import { InvalidArgumentError } from '../errors';

/** Options of {@link loadTinyImageNet}. */
export interface TinyImageNetOptions extends CacheOptions {
  split: 'train' | 'val';
  /** Class subset: the first K wnids of `wnids.txt`, or an explicit wnid list (its order = label order). */
  classes?: number | string[];
  /** Keep `perClass` images per class (seeded); only those are decoded. */
  perClass?: number;
  seed?: number;
}

/** Reads `wnids.txt` (one wnid per line) from `root`; a repeated, empty or malformed list is an error naming the lines. */
export function readWnids(root: string): string[] {
  const file = path.join(root, 'wnids.txt');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${root} is not a Tiny ImageNet folder (expected wnids.txt, train/, val/)`);
  const wnids: string[] = [];
  const lineOf = new Map<string, number>();
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, n) => {
    const wnid = line.trim();
    if (wnid === '') return;
    if (/\s/.test(wnid)) throw new Error(`${file} line ${n + 1}: "${wnid}" is not one wnid (expected one class id per line, e.g. n01443537)`);
    const earlier = lineOf.get(wnid);
    // A repeated class would get two label indices, and its images only the first: the labels would be silently wrong.
    if (earlier !== undefined) throw new Error(`${file}: class ${wnid} is listed twice (lines ${earlier} and ${n + 1}); each class must appear once — remove the repeat`);
    lineOf.set(wnid, n + 1);
    wnids.push(wnid);
  });
  if (wnids.length === 0) throw new Error(`${file} lists no classes; it should hold one wnid per line (Tiny ImageNet: 200)`);
  return wnids;
}

/** Human-readable names from `words.txt` (`wnid<TAB>names`), keyed by wnid; empty when absent. */
export function readWords(root: string): Map<string, string> {
  const file = path.join(root, 'words.txt');
  const words = new Map<string, string>();
  if (!fs.existsSync(file)) return words;
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (tab > 0) words.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return words;
}

function chooseClasses(all: string[], classes: number | string[] | undefined, root: string): string[] {
  if (classes === undefined) return all;
  if (typeof classes === 'number') {
    if (!Number.isInteger(classes) || classes < 1 || classes > all.length) {
      throw new InvalidArgumentError(`Tiny ImageNet classes = ${classes}: must be an integer in 1…${all.length} (wnids.txt of ${root} lists ${all.length})`);
    }
    return all.slice(0, classes);
  }
  for (const w of classes) if (!all.includes(w)) throw new InvalidArgumentError(`Tiny ImageNet class "${w}" is not in ${path.join(root, 'wnids.txt')}`);
  if (new Set(classes).size !== classes.length) throw new InvalidArgumentError(`Tiny ImageNet classes list a wnid twice (${classes.join(', ')}); name each class once`);
  return classes;
}

/** Loads a Tiny ImageNet split as uint8 64×64×3; `classNames` are wnids (see `readWords` for names). Cached. */
export function loadTinyImageNet(root: string, options: TinyImageNetOptions): Dataset {
  const abs = path.resolve(root);
  const { split } = options;
  if (split !== 'train' && split !== 'val') throw new Error(`Tiny ImageNet split must be "train" or "val", got "${split}"`);
  const allWnids = readWnids(abs);
  const classNames = chooseClasses(allWnids, options.classes, abs);
  const index = new Map(classNames.map((w, i) => [w, i]));
  const files: string[] = [];
  const labels: number[] = [];
  if (split === 'train') {
    classNames.forEach((wnid, c) => {
      const dir = path.join(abs, 'train', wnid, 'images');
      if (!fs.existsSync(dir)) throw new Error(`missing class folder ${dir} for wnid ${wnid} (listed in wnids.txt)`);
      for (const f of listFolder(dir, 'class')) {
        if (isImageFile(f)) {
          files.push(path.join('train', wnid, 'images', f));
          labels.push(c);
        }
      }
    });
  } else {
    const annotations = path.join(abs, 'val', 'val_annotations.txt');
    if (!fs.existsSync(annotations)) throw new Error(`${annotations} is missing: the val split needs it (lines "file wnid x y w h")`);
    const all = new Set(allWnids);
    const seen = new Map<string, { line: number; wnid: string }>();
    fs.readFileSync(annotations, 'utf8').split(/\r?\n/).forEach((line, n) => {
      if (line.trim() === '') return;
      const [file, wnid] = line.trim().split(/\s+/);
      if (!file || !wnid) throw new Error(`${annotations} line ${n + 1}: expected "file wnid x y w h", got "${line}"`);
      if (!all.has(wnid)) throw new Error(`${annotations} line ${n + 1}: ${file} is labelled ${wnid}, which wnids.txt does not list; the annotations belong to another class list (to train on fewer classes, keep wnids.txt whole and pass classes)`);
      const before = seen.get(file);
      if (before !== undefined) {
        throw new Error(before.wnid === wnid
          ? `${annotations}: ${file} is listed twice (lines ${before.line} and ${n + 1}); it would count twice in the evaluation — remove the repeat`
          : `${annotations}: ${file} is labelled twice, ${before.wnid} on line ${before.line} and ${wnid} on line ${n + 1}; keep the right one`);
      }
      seen.set(file, { line: n + 1, wnid });
      const c = index.get(wnid);
      if (c === undefined) return; // a class outside the chosen subset
      files.push(path.join('val', 'images', file));
      labels.push(c);
    });
    const missing = files.filter((f) => !fs.existsSync(path.join(abs, f)));
    if (missing.length > 0) {
      throw new Error(`${missing.length} of ${files.length} validation images listed in ${annotations} are missing: ${missing.slice(0, 5).map((f) => path.join(abs, f)).join(', ')}${missing.length > 5 ? ', …' : ''}; restore them from tiny-imagenet-200.zip`);
    }
  }
  let list: FileList = { root: abs, files, labels };
  let subset = options.classes !== undefined ? `${classNames.length} classes` : undefined;
  if (options.perClass !== undefined) {
    const seed = options.seed ?? 0;
    const keep = perClassSelection(labels, classNames, options.perClass, seed, `${abs} (${split})`);
    list = { root: abs, files: keep.map((i) => files[i]), labels: keep.map((i) => labels[i]) };
    subset = `${subset ? subset + ', ' : ''}${options.perClass} per class, seed ${seed}`;
  }
  return cachedDataset(
    { loader: 'tiny-imagenet', source: abs, fingerprint: fingerprintFiles(abs, list.files), options: { split, classNames, perClass: options.perClass, seed: options.seed } },
    () => decodeFileList(list, { name: 'Tiny ImageNet', split, classNames, subset }),
    options,
  );
}
