/** `compact-nets train`: trains a registered model on a real data set, evaluates it and records the result. */
import type { Command } from '../main';
import { backendOption, numberOption, parseArgs, pathOption, stringOption, UsageError } from '../args';
import { checkModelOptions, configFromArgs, modelFromArgs } from '../model-options';
import { DATASETS, DatasetName } from '../../lib/data/load';
import { runExperiment } from '../../experiments';
import { FASHION_MNIST_DEBIAN_DIR } from '../../lib/data/fashion-mnist';
import { createProgress } from '../../lib/progress';
import { resultsFile } from '../../lib/results';
import { OPTIMIZER_NAMES, OptimizerName } from '../../lib/train/optimizers';

const USAGE = [
  'usage: compact-nets train <model> --dataset cifar10|tiny-imagenet|fashion-mnist [--data-dir PATH] [options]',
  '',
  'Trains <model> (see `compact-nets models`) from scratch, evaluates it on the test split (Tiny ImageNet: val)',
  'and appends the result to <cache>/results.jsonl. A run with the same configuration already recorded is',
  'reused (printed, not retrained) unless --retrain is given.',
  '  --data-dir PATH       CIFAR-10: cifar-10-binary.tar.gz, a folder of data_batch_N.bin, or <split>/<class>/ images;',
  '                        Tiny ImageNet: the folder with wnids.txt; Fashion-MNIST: the IDX folder',
  `                        (default: $COMPACT_NETS_DATA/<set>, ../shared/data/<set>, Fashion-MNIST ${FASHION_MNIST_DEBIAN_DIR})`,
  '  --width X             width multiplier of the model (its `width` option)',
  '  --variant NAME        a published variant of the model (its config, then the options above)',
  '  --epochs N            default 10',
  '  --batch B             default 64',
  '  --per-class K         train on K images per class (seeded); default all',
  '  --test-per-class K    evaluate on K test images per class (seeded); default all',
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

/** What --data-dir must name, per data set (for the message when it does not exist). */
const DATA_DIR_EXPECTED: Record<DatasetName, string> = {
  cifar10: 'cifar-10-binary.tar.gz, a folder of data_batch_N.bin files, or a folder with train/<class>/ images',
  'tiny-imagenet': 'the Tiny ImageNet folder holding wnids.txt',
  'fashion-mnist': 'the folder holding the Fashion-MNIST IDX files (train-images-idx3-ubyte.gz …)',
};

export const command: Command = {
  summary: 'train a model on CIFAR-10, Tiny ImageNet or Fashion-MNIST and record the result',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, {
      values: ['dataset', 'data-dir', 'width', 'variant', 'epochs', 'batch', 'per-class', 'test-per-class', 'classes', 'lr', 'optimizer', 'weight-decay', 'seed', 'backend'],
      booleans: ['json', 'resume', 'retrain'],
    });
    if (args.positional.length !== 1) throw new UsageError(`train takes exactly one model name, got ${args.positional.length ? `"${args.positional.join(' ')}"` : 'none'}`);
    const dataset = stringOption(args, 'dataset');
    if (!dataset || !(DATASETS as readonly string[]).includes(dataset)) throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${dataset === undefined ? 'nothing' : `"${dataset}"`}`);
    const optimizer = (stringOption(args, 'optimizer') ?? 'sgd') as OptimizerName;
    if (!OPTIMIZER_NAMES.includes(optimizer)) throw new UsageError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizer}"`);
    // Everything is checked before the data load and the training: a bad name or value costs no time.
    const { entry } = modelFromArgs(args.positional[0], stringOption(args, 'variant'));
    const modelConfig = configFromArgs(args, ['width']);
    checkModelOptions(entry, modelConfig);
    const width = modelConfig.width as number | undefined;
    if (args.options.has('classes') && dataset !== 'tiny-imagenet') {
      throw new UsageError(`--classes applies to tiny-imagenet only (the first C classes of wnids.txt); ${dataset} trains on all its classes: leave --classes out`);
    }
    const learningRate = numberOption(args, 'lr', { above: 0, max: 10 });
    pathOption(args, 'data-dir', dataset === 'fashion-mnist' ? 'folder' : 'any', DATA_DIR_EXPECTED[dataset as DatasetName]);
    const backend = backendOption(args);
    const json = args.options.has('json');
    const sinks = json ? { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true } : {};
    const record = await runExperiment({
      model: args.positional[0],
      variant: stringOption(args, 'variant'),
      modelConfig: width !== undefined ? { width } : undefined,
      dataset: dataset as DatasetName,
      dataDir: stringOption(args, 'data-dir'),
      epochs: numberOption(args, 'epochs', { integer: true, min: 1, max: 10000 }) ?? 10,
      batchSize: numberOption(args, 'batch', { integer: true, min: 1, max: 4096 }) ?? 64,
      perClass: numberOption(args, 'per-class', { integer: true, min: 1, max: 1e6 }),
      testPerClass: numberOption(args, 'test-per-class', { integer: true, min: 1, max: 1e6 }),
      classes: numberOption(args, 'classes', { integer: true, min: 1, max: 21841 }),
      seed: numberOption(args, 'seed', { integer: true, min: 0, max: 2 ** 32 - 1, why: 'seeds are 32-bit: larger ones repeat smaller ones' }) ?? 0,
      learningRate,
      optimizer,
      weightDecay: numberOption(args, 'weight-decay', { min: 0, max: 1 }),
      backend,
      resume: args.options.has('resume'),
      retrain: args.options.has('retrain'),
      progress: createProgress({ title: `train ${args.positional[0]}` }, sinks),
    });
    const { label, reused, history, ...stored } = record;
    if (json) {
      console.log(JSON.stringify(stored));
    } else if (reused) {
      console.log(`already trained (${record.date}): top-1 ${(100 * record.top1).toFixed(2)} %, top-5 ${(100 * record.top5).toFixed(2)} %; pass --retrain to train again`);
    } else {
      console.log(`${label} on ${record.dataset}${record.subset ? ` (${record.subset})` : ''}, ${record.epochs} epochs on ${record.backend}: ` +
        `top-1 ${(100 * record.top1).toFixed(2)} %, top-5 ${(100 * record.top5).toFixed(2)} %, ${record.imagesPerSec.toFixed(1)} images/s; recorded in ${resultsFile()}`);
    }
    return 0;
  },
};
