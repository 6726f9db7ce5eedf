/** `compact-nets cost <model>`: parameters, MACs and memory access of one model configuration, per layer. */
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../main';
import { parseArgs, stringOption, UsageError } from '../args';
import { checkModelOptions, CONFIG_FLAGS, configFromArgs, modelFromArgs } from '../model-options';
import { costOf, costToJson, formatCostTable } from '../../lib/cost';
import { listModels, ModelConfig } from '../../models';

const USAGE = [
  'usage: compact-nets cost <model> [--variant NAME] [--width W] [--groups G] [--base-width B] [--resolution R]',
  '                         [--classes N] [--dataset D] [--json]',
  '',
  'Builds the model (on the cpu backend, no training) and prints per-layer parameters (W, W+BN2, W+BN4),',
  'MACs (multiply-accumulates, one image) and memory access (elements). Options override the variant\'s config;',
  'an option the model does not accept is an error. `compact-nets models` lists models, options and variants.',
  '  --json   one JSON object {model, config, params: {weights, trainable, all}, macs, memoryAccess, layers}',
].join('\n');

export const command: Command = {
  summary: 'parameters, MACs and memory access of a model, per layer',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['variant', ...CONFIG_FLAGS.map((f) => f.flag)], booleans: ['json'] });
    if (args.positional.length !== 1) {
      throw new UsageError(`cost takes exactly one model name (got ${args.positional.length}); models: ${listModels().map((m) => m.name).join(', ')}`);
    }
    const name = args.positional[0];
    const variantName = stringOption(args, 'variant');
    const { entry, variant } = modelFromArgs(name, variantName);
    const overrides = configFromArgs(args);
    checkModelOptions(entry, overrides);
    const config: ModelConfig = { ...entry.defaults, ...(variant?.config ?? {}), ...overrides };
    await tf.setBackend('cpu'); // counting needs shapes only; cpu is always available
    let model: tf.LayersModel;
    try {
      model = entry.build(config);
    } catch (err) {
      throw new UsageError((err as Error).message); // builders validate before building: these are config errors
    }
    try {
      const report = costOf(model);
      if (args.options.has('json')) {
        const { params, macs, memoryAccess, layers, inputShape } = costToJson(report);
        console.log(JSON.stringify({ model: name, variant: variantName ?? null, config, inputShape, params, macs, memoryAccess, layers }));
      } else {
        console.log(`${name}${variantName ? ` (variant ${variantName})` : ''} ${JSON.stringify(config)}\n`);
        console.log(formatCostTable(report));
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};
