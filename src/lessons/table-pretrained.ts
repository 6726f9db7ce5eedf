/**
 * Pretrained accuracy for the ImageNet table: finds TFLite MobileNets in a folder, matches each to the table
 * row with the same model, width and resolution, and scores it on an ImageNet-style image folder.
 *
 * Introduced in notebooks/09-imagenet-table.ipynb (also `compact-nets table --pretrained`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { evaluateClassifier } from '../lib/eval/evaluate';
import { loadLabelledImages } from '../lib/eval/labels';
import { parseTflite } from '../lib/weights/tflite';
import { inferTfliteMobilenetConfig, TfliteMobilenetConfig } from '../lib/weights/tflite-mobilenet';
import { loadTfliteMobilenet } from '../models';
import type { PretrainedColumns, TableOptions } from './table';
import { InvalidArgumentError } from '../lib/errors';

export interface PretrainedScanEntry {
  file: string;
  config: TfliteMobilenetConfig;
}

/** The TFLite MobileNets in `dir` with the configuration each file implies (files that are not MobileNets are skipped). */
export function scanTfliteMobilenets(dir: string): PretrainedScanEntry[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InvalidArgumentError(`pretrained folder ${dir} does not exist or is not a folder`);
  const entries: PretrainedScanEntry[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.tflite')).sort()) {
    const file = path.join(dir, name);
    try {
      entries.push({ file, config: inferTfliteMobilenetConfig(parseTflite(fs.readFileSync(file), file), file) });
    } catch {
      // Not a MobileNet classifier this importer understands: it simply has no row.
    }
  }
  return entries;
}

export interface PretrainedTableOptions {
  /** Folder with .tflite files (e.g. ../shared/data/pretrained). */
  pretrainedDir: string;
  /** ImageNet-style image folder with labels (e.g. ../shared/data/imagenet-val1300). */
  imagesDir: string;
  /** Score only the first N images (sorted by name); default all. */
  limit?: number;
  /** Name of the image set shown in the table; default the folder name. */
  imageSet?: string;
}

/**
 * A `pretrained` scorer for {@link imagenetTable}: for a row whose model/width/resolution matches a TFLite file,
 * loads the file into our builder and returns top-1/top-5 (%) on the image folder (TF-slim preprocessing).
 * The first matching file per row wins; TF-slim files are preferred over others by name order.
 */
export function tflitePretrainedScorer(options: PretrainedTableOptions): NonNullable<TableOptions['pretrained']> {
  const files = scanTfliteMobilenets(options.pretrainedDir);
  const { images } = loadLabelledImages(options.imagesDir);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new InvalidArgumentError(`limit must be a positive integer, got ${options.limit}`);
  }
  const subset = options.limit === undefined ? images : images.slice(0, options.limit);
  const imageSet = `${options.imageSet ?? path.basename(path.resolve(options.imagesDir))} (${subset.length} images)`;
  return async (entry, variant): Promise<PretrainedColumns | null> => {
    const width = (variant.config.width as number | undefined) ?? 1;
    const resolution = (variant.config.resolution as number | undefined) ?? variant.published?.inputSize;
    const match = files.find((f) => f.config.model === entry.name && Math.abs(f.config.width - width) < 1e-9 && f.config.resolution === resolution);
    if (!match) return null;
    const { model, config } = loadTfliteMobilenet(match.file);
    try {
      const result = await evaluateClassifier(model, subset, {
        preprocessing: 'tfslim', resolution: config.resolution, labelOffset: config.classes - 1000, progress: 'silent',
      });
      return { top1: result.top1, top5: result.top5, n: result.n, imageSet, weights: path.basename(match.file) };
    } finally {
      model.dispose();
    }
  };
}
