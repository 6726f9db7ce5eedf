/** `compact-nets train`: trains a registered model on a real data set, evaluates it and records the result. */
import * as path from 'path';
import type { Command } from '../main';
import { numberOption, parseArgs, stringOption, UsageError } from '../args';
import { initBackend } from '../../lib/backend';
import { cacheRoot } from '../../lib/data/cache';
import { loadCifar10 } from '../../lib/data/cifar10';
import { CIFAR_AUGMENTATION, Dataset, Normalization, NORMALIZATIONS, subsetPerClass } from '../../lib/data/dataset';
import { FASHION_MNIST_DEBIAN_DIR, fashionMnistAsRgb32, loadFashionMnist } from '../../lib/data/fashion-mnist';
import { loadTinyImageNet } from '../../lib/data/tiny-imagenet';
import { createProgress } from '../../lib/progress';
import { appendResult, configHash, findResult, ResultRecord, resultsFile } from '../../lib/results';
import { evaluate, train } from '../../lib/train';
import { OPTIMIZER_NAMES, OptimizerName } from '../../lib/train/optimizers';

const DATASETS = ['cifar10', 'tiny-imagenet', 'fashion-mnist'] as const;
type DatasetName = (typeof DATASETS)[number];

const USAGE = [
  'usage: compact-nets train <model> --dataset cifar10|tiny-imagenet|fashion-mnist --data-dir PATH [options]',
  '',
  'Trains <model> (see `compact-nets models`) from scratch, evaluates it on the test split (Tiny ImageNet: val)',
  'and appends the result to <cache>/results.jsonl. A run with the same configuration already recorded is',
  'reused (printed, not retrained) unless --retrain is given.',
  '  --data-dir PATH       CIFAR-10: cifar-10-binary.tar.gz, a folder of data_batch_N.bin, or <split>/<class>/ images;',
  '                        Tiny ImageNet: the folder with wnids.txt; Fashion-MNIST: the IDX folder',
  `                        (default ${FASHION_MNIST_DEBIAN_DIR})`,
  '  --width X             width multiplier of the model (its `width` option)',
  '  --variant NAME        a published variant of the model (its config, then the options above)',
  '  --epochs N            default 10',
  '  --batch B             default 64',
  '  --per-class K         train on K images per class (seeded); default all',
  '  --classes C           Tiny ImageNet: the first C classes of wnids.txt',
  '  --lr X                base learning rate; default 0.05 (sgd) or 0.001 (adam, rmsprop); cosine decay',
  '  --optimizer NAME      sgd (momentum 0.9, Nesterov), adam or rmsprop; default sgd',
  '  --weight-decay X      L2 on kernels, default 5e-4 (sgd) or 0',
  '  --seed S              seed of subsets, shuffling and augmentation; default 0',
  '  --backend NAME        wasm (default here), cpu, or tensorflow when tfjs-node is installed',
  '  --resume              continue from the last checkpoint of this configuration',
  '  --retrain             train even when a result with this configuration exists',
  '  --json                print only the final result record as JSON (progress goes to stderr)',
].join('\n');

/** Loads the train and evaluation splits of `dataset`, plus its normalisation and model profile. */
function loadData(dataset: DatasetName, dataDir: string | undefined, perClass: number | undefined, seed: number, classes: number | undefined) {
  if (dataset === 'cifar10') {
    if (!dataDir) throw new UsageError('--data-dir is required for cifar10 (the archive, the .bin folder or the image folder)');
    return {
      train: loadCifar10(dataDir, { split: 'train', perClass, seed }),
      test: loadCifar10(dataDir, { split: 'test' }),
      normalization: NORMALIZATIONS.cifar10, profile: 'cifar10' as const,
    };
  }
  if (dataset === 'tiny-imagenet') {
    if (!dataDir) throw new UsageError('--data-dir is required for tiny-imagenet (the folder holding wnids.txt)');
    return {
      train: loadTinyImageNet(dataDir, { split: 'train', classes, perClass, seed }),
      test: loadTinyImageNet(dataDir, { split: 'val', classes }),
      normalization: NORMALIZATIONS['tiny-imagenet'], profile: 'tiny-imagenet' as const,
    };
  }
  const dir = dataDir ?? FASHION_MNIST_DEBIAN_DIR;
  let trainSet: Dataset = loadFashionMnist(dir, { split: 'train' });
  if (perClass !== undefined) trainSet = subsetPerClass(trainSet, perClass, seed);
  return {
    train: fashionMnistAsRgb32(trainSet),
    test: fashionMnistAsRgb32(loadFashionMnist(dir, { split: 'test' })),
    normalization: NORMALIZATIONS['fashion-mnist'] as Normalization, profile: 'cifar10' as const,
  };
}

export const command: Command = {
  summary: 'train a model on CIFAR-10, Tiny ImageNet or Fashion-MNIST and record the result',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, {
      values: ['dataset', 'data-dir', 'width', 'variant', 'epochs', 'batch', 'per-class', 'classes', 'lr', 'optimizer', 'weight-decay', 'seed', 'backend'],
      booleans: ['json', 'resume', 'retrain'],
    });
    if (args.positional.length !== 1) throw new UsageError(`train takes exactly one model name, got ${args.positional.length ? `"${args.positional.join(' ')}"` : 'none'}`);
    const modelName = args.positional[0];
    const dataset = stringOption(args, 'dataset');
    if (!dataset || !(DATASETS as readonly string[]).includes(dataset)) throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${dataset === undefined ? 'nothing' : `"${dataset}"`}`);
    const optimizerName = (stringOption(args, 'optimizer') ?? 'sgd') as OptimizerName;
    if (!OPTIMIZER_NAMES.includes(optimizerName)) throw new UsageError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizerName}"`);
    const epochs = numberOption(args, 'epochs', { integer: true, min: 1 }) ?? 10;
    const batchSize = numberOption(args, 'batch', { integer: true, min: 1 }) ?? 64;
    const perClass = numberOption(args, 'per-class', { integer: true, min: 1 });
    const classes = numberOption(args, 'classes', { integer: true, min: 1 });
    const seed = numberOption(args, 'seed', { integer: true, min: 0 }) ?? 0;
    const width = numberOption(args, 'width');
    if (width !== undefined && !(width > 0)) throw new UsageError(`--width must be > 0, got ${width}`);
    const learningRate = numberOption(args, 'lr') ?? (optimizerName === 'sgd' ? 0.05 : 0.001);
    if (!(learningRate > 0)) throw new UsageError(`--lr must be > 0, got ${learningRate}`);
    const weightDecay = numberOption(args, 'weight-decay', { min: 0 }) ?? (optimizerName === 'sgd' ? 5e-4 : 0);
    const json = args.options.has('json');

    const backend = await initBackend(stringOption(args, 'backend'));
    // Loaded lazily: the registry imports every model family.
    const models = require('../../models') as typeof import('../../models');
    const variantName = stringOption(args, 'variant');
    const data = loadData(dataset as DatasetName, stringOption(args, 'data-dir'), perClass, seed, classes);
    const modelConfig = {
      ...(variantName ? models.getVariant(modelName, variantName).config : {}),
      dataset: data.profile, classes: data.train.classNames.length, ...(width !== undefined ? { width } : {}),
    };
    const trainingConfig = {
      epochs, batchSize, learningRate, optimizer: { name: optimizerName, ...(optimizerName === 'sgd' ? { momentum: 0.9, nesterov: true } : {}) },
      weightDecay, schedule: { kind: 'cosine' as const }, seed, augmentation: dataset === 'fashion-mnist' ? undefined : CIFAR_AUGMENTATION,
    };
    const fullConfig = { model: modelName, variant: variantName, modelConfig, dataset: data.train.name, subset: data.train.subset ?? null, source: path.resolve(stringOption(args, 'data-dir') ?? FASHION_MNIST_DEBIAN_DIR), training: trainingConfig };
    const hash = configHash(fullConfig);
    const existing = args.options.has('retrain') || args.options.has('resume') ? undefined : findResult(hash);
    if (existing) {
      if (json) console.log(JSON.stringify(existing));
      else console.log(`already trained (${existing.date}): top-1 ${(100 * existing.top1).toFixed(2)} %, top-5 ${(100 * existing.top5).toFixed(2)} %; pass --retrain to train again`);
      return 0;
    }

    const model = models.buildModel(modelName, modelConfig);
    const sinks = json ? { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true } : {};
    const progress = createProgress({ title: `train ${modelName} on ${data.train.name}` }, sinks);
    const checkpointDir = path.join(cacheRoot(), 'runs', hash);
    const result = await train(model, data.train, {
      ...trainingConfig, normalization: data.normalization, checkpointDir, resume: args.options.has('resume'), progress,
    });
    const evaluation = evaluate(model, data.test, { normalization: data.normalization });
    let macs: number | undefined;
    try {
      macs = (require('../../lib/cost') as typeof import('../../lib/cost')).costOf(model).macs;
    } catch {
      macs = undefined; // a layer the cost counter does not know: the record simply has no MACs
    }
    const record: ResultRecord = {
      model: modelName, variant: variantName, config: fullConfig, configHash: hash, dataset: data.train.name, subset: data.train.subset,
      trainImages: data.train.count, testImages: data.test.count, backend: backend.backend, epochs: result.epochs,
      top1: evaluation.top1, top5: evaluation.top5, params: model.countParams(), macs, wallSeconds: result.wallSeconds,
      imagesPerSec: result.imagesPerSec, date: new Date().toISOString(),
    };
    appendResult(record);
    if (json) console.log(JSON.stringify(record));
    else {
      console.log(`${modelName} on ${record.dataset}${record.subset ? ` (${record.subset})` : ''}, ${record.epochs} epochs on ${record.backend}: ` +
        `top-1 ${(100 * record.top1).toFixed(2)} %, top-5 ${(100 * record.top5).toFixed(2)} %, ${record.imagesPerSec.toFixed(1)} images/s; recorded in ${resultsFile()}`);
    }
    return 0;
  },
};
