/** The data and training options shared by `train` and `sweep`: their usage lines and their parsing. */
import { backendOption, numberOption, ParsedArgs, pathOption, stringOption, UsageError } from './args';
import { DATASETS, DatasetName } from '../lib/data/load';
import { FASHION_MNIST_DEBIAN_DIR } from '../lib/data/fashion-mnist';
import { OPTIMIZER_NAMES, OptimizerName } from '../lib/train/optimizers';
import type { ExperimentSpec } from '../experiments';

/** Option names that take a value. */
export const EXPERIMENT_VALUE_OPTIONS = [
  'dataset', 'data-dir', 'variant', 'epochs', 'batch', 'per-class', 'test-per-class', 'classes', 'lr', 'optimizer', 'weight-decay', 'warmup', 'label-smoothing', 'backend',
];

/** Usage lines of the shared options. */
export const EXPERIMENT_USAGE = [
  '  --dataset NAME        cifar10, tiny-imagenet or fashion-mnist (required)',
  '  --data-dir PATH       CIFAR-10: cifar-10-binary.tar.gz, a folder of data_batch_N.bin, or <split>/<class>/ images;',
  '                        Tiny ImageNet: the folder with wnids.txt; Fashion-MNIST: the IDX folder',
  `                        (default: $COMPACT_NETS_DATA/<set>, ../shared/data/<set>, Fashion-MNIST ${FASHION_MNIST_DEBIAN_DIR})`,
  '  --variant NAME        a published variant of the model (its config first)',
  '  --epochs N            default 10',
  '  --per-class K         train on K images per class (seeded); default all',
  '  --test-per-class K    evaluate on K test images per class (seeded); default all',
  '  --classes C           Tiny ImageNet: the first C classes of wnids.txt',
  '  Training recipe (default: the model family\'s, see README "Recipes"):',
  '  --optimizer NAME      sgd (Nesterov momentum 0.9), adam or rmsprop',
  '  --lr X                peak learning rate after the warm-up (cosine decay to 0 follows)',
  '  --batch B             images per step',
  '  --weight-decay X      on convolution and dense kernels only',
  '  --warmup E            linear warm-up in epochs',
  '  --label-smoothing X   in [0, 1)',
  '  --backend NAME        wasm (default here), cpu, or tensorflow when tfjs-node is installed',
];

/** What --data-dir must name, per data set (for the message when it does not exist). */
const DATA_DIR_EXPECTED: Record<DatasetName, string> = {
  cifar10: 'cifar-10-binary.tar.gz, a folder of data_batch_N.bin files, or a folder with train/<class>/ images',
  'tiny-imagenet': 'the Tiny ImageNet folder holding wnids.txt',
  'fashion-mnist': 'the folder holding the Fashion-MNIST IDX files (train-images-idx3-ubyte.gz …)',
};

/**
 * Reads the shared options into the parts of an experiment spec; throws a UsageError naming a bad value. Everything
 * is checked here, before any data load or training: a bad name or value costs no time.
 */
export function experimentOptions(args: ParsedArgs): Omit<ExperimentSpec, 'model'> {
  const dataset = stringOption(args, 'dataset');
  if (!dataset || !(DATASETS as readonly string[]).includes(dataset)) {
    throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${dataset === undefined ? 'nothing' : `"${dataset}"`}`);
  }
  const optimizer = stringOption(args, 'optimizer') as OptimizerName | undefined;
  if (optimizer !== undefined && !OPTIMIZER_NAMES.includes(optimizer)) throw new UsageError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizer}"`);
  if (args.options.has('classes') && dataset !== 'tiny-imagenet') {
    throw new UsageError(`--classes applies to tiny-imagenet only (the first C classes of wnids.txt); ${dataset} trains on all its classes: leave --classes out`);
  }
  const labelSmoothing = numberOption(args, 'label-smoothing', { min: 0 });
  if (labelSmoothing !== undefined && !(labelSmoothing < 1)) throw new UsageError(`--label-smoothing must be in [0, 1), got ${labelSmoothing}`);
  pathOption(args, 'data-dir', dataset === 'fashion-mnist' ? 'folder' : 'any', DATA_DIR_EXPECTED[dataset as DatasetName]);
  return {
    dataset: dataset as DatasetName,
    dataDir: stringOption(args, 'data-dir'),
    variant: stringOption(args, 'variant'),
    epochs: numberOption(args, 'epochs', { integer: true, min: 1, max: 10000 }) ?? 10,
    batchSize: numberOption(args, 'batch', { integer: true, min: 1, max: 4096 }),
    perClass: numberOption(args, 'per-class', { integer: true, min: 1, max: 1e6 }),
    testPerClass: numberOption(args, 'test-per-class', { integer: true, min: 1, max: 1e6 }),
    classes: numberOption(args, 'classes', { integer: true, min: 1, max: 21841 }),
    learningRate: numberOption(args, 'lr', { above: 0, max: 10 }),
    optimizer,
    weightDecay: numberOption(args, 'weight-decay', { min: 0, max: 1 }),
    warmupEpochs: numberOption(args, 'warmup', { min: 0, max: 10000 }),
    labelSmoothing,
    backend: backendOption(args),
  };
}

/** The --seed option: an integer in [0, 2³²). */
export function seedOption(args: ParsedArgs, name = 'seed'): number | undefined {
  return numberOption(args, name, { integer: true, min: 0, max: 2 ** 32 - 1, why: 'seeds are 32-bit: larger ones repeat smaller ones' });
}
