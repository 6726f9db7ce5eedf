/**
 * The data sets the lessons train on, by name: where each lives on disk (`$COMPACT_NETS_DATA/<folder>`, else
 * `../shared/data/<folder>` beside the checkout) and how to load its train and test splits with the normalisation
 * and model profile that fit its images. Nothing is downloaded here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { envFolder } from '../env';
import { InvalidArgumentError } from '../errors';
import { repoRoot } from './cache';
import { loadCifar10 } from './cifar10';
import { CIFAR_AUGMENTATION, Dataset, Normalization, NORMALIZATIONS, subsetPerClass } from './dataset';
import { FASHION_MNIST_DEBIAN_DIR, fashionMnistAsRgb32, loadFashionMnist } from './fashion-mnist';
import type { DatasetProfile } from './profiles';
import { loadTinyImageNet } from './tiny-imagenet';

/** Data sets the lessons train on. */
export const DATASETS = ['cifar10', 'tiny-imagenet', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Folder names under the data root ($COMPACT_NETS_DATA or ../shared/data beside the checkout). */
const DATA_FOLDERS: Record<DatasetName, string> = { cifar10: 'cifar10', 'tiny-imagenet': 'tiny-imagenet-20', 'fashion-mnist': '' };

/**
 * The offline data roots, in search order: `$COMPACT_NETS_DATA` when set, then `../shared/data` beside the checkout.
 * A `$COMPACT_NETS_DATA` that names no folder is an error, not a silent fall-back to the shared data.
 */
function dataRoots(): string[] {
  return [envFolder('COMPACT_NETS_DATA'), path.join(repoRoot(), '..', 'shared', 'data')].filter((r): r is string => !!r);
}

/**
 * Where a data set lives: `$COMPACT_NETS_DATA/<folder>` when set, else `../shared/data/<folder>` beside the
 * checkout (how CI provides it), else an error that says how to get the data. Fashion-MNIST defaults to
 * Debian's `dataset-fashion-mnist` folder.
 */
export function defaultDataDir(dataset: DatasetName): string {
  if (!(DATASETS as readonly string[]).includes(dataset)) {
    throw new InvalidArgumentError(`unknown data set "${dataset}"; accepted: ${DATASETS.join(', ')}`);
  }
  if (dataset === 'fashion-mnist' && envFolder('COMPACT_NETS_DATA') === undefined) return FASHION_MNIST_DEBIAN_DIR;
  const roots = dataRoots();
  for (const root of roots) {
    const dir = path.join(root, DATA_FOLDERS[dataset]);
    if (fs.existsSync(dir)) return dir;
  }
  throw new Error(
    `no ${dataset} data found (looked in ${roots.map((r) => path.join(r, DATA_FOLDERS[dataset])).join(', ')}). ` +
      (dataset === 'cifar10'
        ? 'Download cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html) and pass its path as dataDir, '
        : 'Download tiny-imagenet-200.zip (CS231n), unzip it and pass the folder holding wnids.txt as dataDir, ') +
      'or set COMPACT_NETS_DATA to a folder holding it.',
  );
}

/**
 * A folder of the offline data root (`$COMPACT_NETS_DATA/<name>`, else `../shared/data/<name>` beside the checkout),
 * or undefined when neither exists — for optional extras such as pretrained weights.
 */
export function findDataFolder(name: string): string | undefined {
  return dataRoots().map((r) => path.join(r, name)).find((dir) => fs.existsSync(dir));
}

/** Train and test splits of a data set with its normalisation and the model profile that fits its images. */
export interface LoadedData {
  train: Dataset;
  test: Dataset;
  normalization: Normalization;
  /** Model profile for these images (Fashion-MNIST is padded to 32×32 RGB: the CIFAR profile). */
  profile: DatasetProfile;
  augmentation?: typeof CIFAR_AUGMENTATION;
  source: string;
}

export interface LoadDataOptions {
  /** Path of the data (see {@link defaultDataDir}); default: found automatically. */
  dataDir?: string;
  /** Training images per class (seeded); default all. */
  perClass?: number;
  /** Test images per class (seeded); default all. */
  testPerClass?: number;
  /** Tiny ImageNet: use the first `classes` classes of wnids.txt. */
  classes?: number;
  seed?: number;
}

/** Loads the train and test (Tiny ImageNet: val) splits of `dataset`; images stay uint8, decoded once into the cache. */
export function loadData(dataset: DatasetName, options: LoadDataOptions = {}): LoadedData {
  if (!(DATASETS as readonly string[]).includes(dataset)) throw new InvalidArgumentError(`unknown data set "${dataset}"; accepted: ${DATASETS.join(', ')}`);
  if (options.classes !== undefined && dataset !== 'tiny-imagenet') {
    // Ignoring it would train on every class while the caller believes in a subset.
    throw new InvalidArgumentError(`classes = ${options.classes} applies to tiny-imagenet only (the first C classes of wnids.txt); ${dataset} always trains on all its classes: leave classes out`);
  }
  const dir = options.dataDir ?? defaultDataDir(dataset);
  const seed = options.seed ?? 0;
  const testSubset = (ds: Dataset) => (options.testPerClass === undefined ? ds : subsetPerClass(ds, options.testPerClass, seed));
  if (dataset === 'cifar10') {
    return {
      train: loadCifar10(dir, { split: 'train', perClass: options.perClass, seed }),
      test: testSubset(loadCifar10(dir, { split: 'test' })),
      normalization: NORMALIZATIONS.cifar10, profile: 'cifar10', augmentation: CIFAR_AUGMENTATION, source: path.resolve(dir),
    };
  }
  if (dataset === 'tiny-imagenet') {
    return {
      train: loadTinyImageNet(dir, { split: 'train', classes: options.classes, perClass: options.perClass, seed }),
      test: testSubset(loadTinyImageNet(dir, { split: 'val', classes: options.classes })),
      normalization: NORMALIZATIONS['tiny-imagenet'], profile: 'tiny-imagenet', augmentation: CIFAR_AUGMENTATION, source: path.resolve(dir),
    };
  }
  if (dataset === 'fashion-mnist') {
    let trainSet = loadFashionMnist(dir, { split: 'train' });
    if (options.perClass !== undefined) trainSet = subsetPerClass(trainSet, options.perClass, seed);
    return {
      train: fashionMnistAsRgb32(trainSet),
      test: fashionMnistAsRgb32(testSubset(loadFashionMnist(dir, { split: 'test' }))),
      normalization: NORMALIZATIONS['fashion-mnist'], profile: 'cifar10', source: path.resolve(dir),
    };
  }
  throw new InvalidArgumentError(`unknown data set "${dataset}"; accepted: ${DATASETS.join(', ')}`);
}
