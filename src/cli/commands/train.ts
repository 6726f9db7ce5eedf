/** `compact-nets train`: trains a registered model on a real data set, evaluates it and records the result. */
import type { Command } from '../main';
import { parseArgs, stringOption, UsageError } from '../args';
import { EXPERIMENT_USAGE, EXPERIMENT_VALUE_OPTIONS, experimentOptions, seedOption } from '../experiment-options';
import { checkModelOptions, configFromArgs, modelFromArgs } from '../model-options';
import { runExperiment } from '../../experiments';
import { createProgress } from '../../lib/progress';
import { resultsFile } from '../../lib/results';

const USAGE = [
  'usage: compact-nets train <model> --dataset cifar10|tiny-imagenet|fashion-mnist [--data-dir PATH] [options]',
  '',
  'Trains <model> (see `compact-nets models`) from scratch with its family\'s recipe, evaluates it on the test split',
  '(Tiny ImageNet: val) and appends the result to <cache>/results.jsonl. A run with the same configuration and seed',
  'already recorded (there or in results/reference.jsonl) is reused (printed, not retrained) unless --retrain is given.',
  '  --width X             width multiplier of the model (its `width` option)',
  ...EXPERIMENT_USAGE,
  '  --seed S              drives subsets, data order, augmentation, weight initialisation and dropout; default 0',
  '  --resume              continue from the last checkpoint of this configuration',
  '  --retrain             train even when a result with this configuration exists',
  '  --json                print only the final result record (with its history) as JSON (progress goes to stderr)',
].join('\n');

export const command: Command = {
  summary: 'train a model on CIFAR-10, Tiny ImageNet or Fashion-MNIST and record the result',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: [...EXPERIMENT_VALUE_OPTIONS, 'width', 'seed'], booleans: ['json', 'resume', 'retrain'] });
    if (args.positional.length !== 1) throw new UsageError(`train takes exactly one model name, got ${args.positional.length ? `"${args.positional.join(' ')}"` : 'none'}`);
    const options = experimentOptions(args);
    const { entry } = modelFromArgs(args.positional[0], stringOption(args, 'variant'));
    const modelConfig = configFromArgs(args, ['width']);
    checkModelOptions(entry, modelConfig);
    const width = modelConfig.width as number | undefined;
    const json = args.options.has('json');
    const sinks = json ? { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true } : {};
    const record = await runExperiment({
      ...options,
      model: args.positional[0],
      modelConfig: width !== undefined ? { width } : undefined,
      seed: seedOption(args) ?? 0,
      resume: args.options.has('resume'),
      retrain: args.options.has('retrain'),
      progress: createProgress({ title: `train ${args.positional[0]}` }, sinks),
    });
    const { label, reused, ...stored } = record;
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
