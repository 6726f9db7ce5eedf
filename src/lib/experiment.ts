/**
 * Experiments for the lessons: load a real data set by name, build a registered model (or a custom
 * one), train, evaluate, and record the result — or reuse a recorded run with the same configuration.
 * Shared by the notebooks and `compact-nets train`, so a notebook re-run is free once trained.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { backendSummary, initBackend } from './backend';
import { cacheRoot, repoRoot } from './data/cache';
import { loadCifar10 } from './data/cifar10';
import { CIFAR_AUGMENTATION, Dataset, Normalization, NORMALIZATIONS, subsetPerClass } from './data/dataset';
import { FASHION_MNIST_DEBIAN_DIR, fashionMnistAsRgb32, loadFashionMnist } from './data/fashion-mnist';
import { loadTinyImageNet } from './data/tiny-imagenet';
import type { ProgressMode, ProgressReporter } from './progress';
import { appendResult, configHash, findResult, ResultRecord } from './results';
import { evaluate, train, EpochRecord } from './train';
import { OPTIMIZER_NAMES, OptimizerName } from './train/optimizers';
import type { DatasetProfile, ModelConfig } from '../models/registry';

/** Data sets the lessons train on. */
export const DATASETS = ['cifar10', 'tiny-imagenet', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Folder names under the data root ($COMPACT_NETS_DATA or ../shared/data beside the checkout). */
const DATA_FOLDERS: Record<DatasetName, string> = { cifar10: 'cifar10', 'tiny-imagenet': 'tiny-imagenet-20', 'fashion-mnist': '' };

/** Environment variable that selects quick mode (CI): notebooks shrink data and epochs. */
export const QUICK_ENV_VAR = 'COMPACT_NETS_QUICK';

/** True when `COMPACT_NETS_QUICK` is set to 1/true (the headless CI run). */
export function isQuickMode(): boolean {
  const v = (process.env[QUICK_ENV_VAR] ?? '').toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}

/** `full` in a reader's run, `quick` in quick mode. */
export function byMode<T>(full: T, quick: T): T {
  return isQuickMode() ? quick : full;
}

/**
 * Where a data set lives: `$COMPACT_NETS_DATA/<folder>` when set, else `../shared/data/<folder>` beside the
 * checkout (how CI provides it), else an error that says how to get the data. Fashion-MNIST defaults to
 * Debian's `dataset-fashion-mnist` folder.
 */
export function defaultDataDir(dataset: DatasetName): string {
  if (!(DATASETS as readonly string[]).includes(dataset)) {
    throw new Error(`unknown data set "${dataset}"; accepted: ${DATASETS.join(', ')}`);
  }
  if (dataset === 'fashion-mnist' && !process.env.COMPACT_NETS_DATA) return FASHION_MNIST_DEBIAN_DIR;
  const roots = [process.env.COMPACT_NETS_DATA, path.join(repoRoot(), '..', 'shared', 'data')].filter((r): r is string => !!r);
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
  const roots = [process.env.COMPACT_NETS_DATA, path.join(repoRoot(), '..', 'shared', 'data')].filter((r): r is string => !!r);
  return roots.map((r) => path.join(r, name)).find((dir) => fs.existsSync(dir));
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
  throw new Error(`unknown data set "${dataset}"; accepted: ${DATASETS.join(', ')}`);
}

/** What to train: a registered model (by name) or a custom builder, on a data set, with training options. */
export interface ExperimentSpec extends LoadDataOptions {
  /** Registry name (e.g. "mobilenet_v2"), or a label for a custom `build`. */
  model: string;
  /** A published variant whose config is the starting point. */
  variant?: string;
  /** Model options merged over the variant's; `dataset`/`classes` are set from the data. */
  modelConfig?: ModelConfig;
  /**
   * Custom model instead of the registry: called with the data profile and number of classes. Its
   * configuration must be fully described by `model` + `modelConfig`, which key the result store.
   */
  build?: (profile: DatasetProfile, classes: number) => tf.LayersModel;
  dataset: DatasetName;
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 0.05 for SGD, 0.001 for Adam/RMSProp (cosine decay). */
  learningRate?: number;
  /** Default 'sgd' (momentum 0.9, Nesterov). */
  optimizer?: OptimizerName;
  /** L2 on kernels; default 5e-4 for SGD, 0 otherwise. */
  weightDecay?: number;
  /** Label for charts; default `model` (+ variant). */
  label?: string;
  /** Train even when a recorded run has the same configuration. */
  retrain?: boolean;
  /** Continue an interrupted run from its checkpoint. */
  resume?: boolean;
  progress?: ProgressReporter | ProgressMode;
  /** Backend name for `initBackend` (default: $COMPACT_NETS_BACKEND, tfjs-node, else wasm). */
  backend?: string;
  /** Called with the trained model before it is disposed (e.g. to read learned shift offsets). */
  inspect?: (model: tf.LayersModel) => void | Promise<void>;
}

/** A recorded run, plus whether it was reused and its label. */
export interface ExperimentResult extends ResultRecord {
  label: string;
  reused: boolean;
  /** Per-epoch history of this run (absent when the record was reused). */
  history?: EpochRecord[];
}

/** The configuration that keys the results store (everything that changes the outcome). */
export function experimentConfig(spec: ExperimentSpec, data: LoadedData) {
  const optimizer = spec.optimizer ?? 'sgd';
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizer}"`);
  const training = {
    epochs: spec.epochs,
    batchSize: spec.batchSize ?? 64,
    learningRate: spec.learningRate ?? (optimizer === 'sgd' ? 0.05 : 0.001),
    optimizer: { name: optimizer, ...(optimizer === 'sgd' ? { momentum: 0.9, nesterov: true } : {}) },
    weightDecay: spec.weightDecay ?? (optimizer === 'sgd' ? 5e-4 : 0),
    schedule: { kind: 'cosine' as const },
    seed: spec.seed ?? 0,
    augmentation: data.augmentation,
  };
  const modelConfig: ModelConfig = { ...(spec.modelConfig ?? {}), dataset: data.profile, classes: data.train.classNames.length };
  return {
    model: spec.model, variant: spec.variant, custom: spec.build !== undefined, modelConfig,
    dataset: data.train.name, subset: data.train.subset ?? null, testSubset: data.test.subset ?? null, source: data.source, training,
  };
}

/** Trains and evaluates one configuration, or returns the recorded run with the same configuration. */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentResult> {
  const backend = await initBackend(spec.backend);
  const data = loadData(spec.dataset, spec);
  const config = experimentConfig(spec, data);
  const hash = configHash(config);
  const label = spec.label ?? (spec.variant ? `${spec.model} ${spec.variant}` : spec.model);
  if (!spec.retrain && !spec.resume) {
    const existing = findResult(hash);
    if (existing) return { ...existing, label, reused: true };
  }
  // Loaded lazily: the registry imports every model family.
  const models = require('../models') as typeof import('../models');
  const model = spec.build
    ? spec.build(data.profile, data.train.classNames.length)
    : models.buildModel(spec.model, { ...(spec.variant ? models.getVariant(spec.model, spec.variant).config : {}), ...config.modelConfig });
  try {
    const result = await train(model, data.train, {
      ...config.training,
      normalization: data.normalization,
      checkpointDir: path.join(cacheRoot(), 'runs', hash),
      resume: spec.resume,
      progress: spec.progress,
      title: `train ${label} on ${data.train.name}`,
    });
    const evaluation = evaluate(model, data.test, { normalization: data.normalization });
    let macs: number | undefined;
    try {
      macs = (require('./cost') as typeof import('./cost')).costOf(model).macs;
    } catch {
      macs = undefined; // a layer the cost counter does not know: the record has no MACs rather than a wrong one
    }
    if (spec.inspect) await spec.inspect(model);
    const record: ResultRecord = {
      model: spec.model, variant: spec.variant, config: config as unknown as Record<string, unknown>, configHash: hash,
      dataset: data.train.name, subset: data.train.subset, trainImages: data.train.count, testImages: data.test.count,
      backend: backend.backend, computedWith: backendSummary(backend), epochs: result.epochs, top1: evaluation.top1, top5: evaluation.top5, params: model.countParams(),
      macs, wallSeconds: result.wallSeconds, imagesPerSec: result.imagesPerSec, date: new Date().toISOString(),
    };
    appendResult(record);
    return { ...record, label, reused: false, history: result.history };
  } finally {
    model.dispose();
  }
}
