/**
 * Ground-truth labels of an ImageNet evaluation folder: from a label file (`<file> <index>` per line, index in
 * 0..999, the sorted-synset order) or, without one, from file names that begin with a synset id
 * (`n01440764_…`) mapped through `synset_words.txt` (the 1,000 synsets in sorted order).
 */
import * as fs from 'fs';
import * as path from 'path';
import { isImageFile } from '../data/decode';

export interface LabelledImage {
  file: string;
  /** Class index 0..999 in the sorted-synset order. */
  label: number;
}

/** Number of ImageNet-1k classes. */
export const IMAGENET_CLASSES = 1000;

/** Parses a `<file> <index>` label file; errors name the line. */
export function parseLabelFile(text: string, source: string): Map<string, number> {
  const labels = new Map<string, number>();
  const lineOf = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const parts = trimmed.split(/\s+/);
    const label = Number(parts[1]);
    if (parts.length !== 2 || !/^\d+$/.test(parts[1]) || label >= IMAGENET_CLASSES) {
      throw new Error(`${source}:${i + 1}: expected "<file> <label 0..${IMAGENET_CLASSES - 1}>", got "${trimmed}"`);
    }
    const before = lineOf.get(parts[0]);
    if (before !== undefined) {
      // Last-one-wins would score the image against whichever label came later: refuse instead.
      throw new Error(labels.get(parts[0]) === label
        ? `${source}: ${parts[0]} is listed twice (lines ${before} and ${i + 1}); remove the repeat`
        : `${source}: ${parts[0]} is labelled twice, ${labels.get(parts[0])} on line ${before} and ${label} on line ${i + 1}; keep the right one`);
    }
    lineOf.set(parts[0], i + 1);
    labels.set(parts[0], label);
  });
  if (labels.size === 0) throw new Error(`${source}: the label file has no entries`);
  return labels;
}

/** Reads the synset ids (first word of each line) of a `synset_words.txt`; must list 1,000 distinct ids. */
export function readSynsets(file: string): string[] {
  const ids = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter((s) => s !== undefined && s !== '');
  if (ids.length !== IMAGENET_CLASSES || new Set(ids).size !== IMAGENET_CLASSES) {
    throw new Error(`${file}: expected ${IMAGENET_CLASSES} distinct synset ids, found ${ids.length} lines (${new Set(ids).size} distinct)`);
  }
  return ids;
}

/** First existing file among `candidates`, or undefined. */
function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

export interface LabelSource {
  images: LabelledImage[];
  /** "label file <path>" or "synset ids in file names (<synset file>)". */
  source: string;
}

/**
 * Lists the images of `dir` (sorted by name) with their labels. `dir` may be the image folder itself or a
 * data-set root holding `images/`. Without `labelFile`, looks for `labels.txt` in the folder or its parent,
 * else reads synset ids from file names with `synset_words.txt` (same places). Throws naming what is missing.
 */
export function loadLabelledImages(dir: string, labelFile?: string): LabelSource {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`image folder ${dir} does not exist or is not a folder`);
  let imageDir = dir;
  if (fs.existsSync(path.join(dir, 'images')) && fs.statSync(path.join(dir, 'images')).isDirectory()) imageDir = path.join(dir, 'images');
  const files = fs.readdirSync(imageDir).filter(isImageFile).sort();
  if (files.length === 0) throw new Error(`image folder ${imageDir} holds no .jpg/.jpeg/.png files`);
  const near = (name: string): string[] => [path.join(imageDir, name), path.join(path.dirname(imageDir), name)];

  const labelPath = labelFile ?? firstExisting(near('labels.txt'));
  if (labelPath !== undefined) {
    if (!fs.existsSync(labelPath)) throw new Error(`label file ${labelPath} does not exist`);
    const labels = parseLabelFile(fs.readFileSync(labelPath, 'utf8'), labelPath);
    const missing = files.filter((f) => !labels.has(f));
    if (missing.length > 0) {
      throw new Error(`label file ${labelPath} has no label for ${missing.length} of ${files.length} images in ${imageDir} (e.g. ${missing.slice(0, 3).join(', ')})`);
    }
    return { images: files.map((f) => ({ file: path.join(imageDir, f), label: labels.get(f)! })), source: `label file ${labelPath}` };
  }

  const synsetFile = firstExisting(near('synset_words.txt'));
  const unlabelled = files.filter((f) => !/^n\d{8}/.test(f));
  if (unlabelled.length > 0 || synsetFile === undefined) {
    throw new Error(
      `image folder ${imageDir} has no labels: no labels.txt there or in its parent (pass --labels FILE with "<file> <index>" lines)` +
        (unlabelled.length > 0
          ? `, and ${unlabelled.length} of ${files.length} file names do not begin with a synset id like n01440764_ (e.g. ${unlabelled[0]})`
          : ', and no synset_words.txt to map the synset ids in the file names'),
    );
  }
  const index = new Map(readSynsets(synsetFile).map((id, i) => [id, i] as [string, number]));
  const images = files.map((f) => {
    const id = f.slice(0, 9);
    const label = index.get(id);
    if (label === undefined) throw new Error(`image ${f}: synset ${id} is not among the 1,000 in ${synsetFile}`);
    return { file: path.join(imageDir, f), label };
  });
  return { images, source: `synset ids in file names (${synsetFile})` };
}
