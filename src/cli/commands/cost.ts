/** `compact-nets cost <model>`: parameters, MACs and memory access of one model configuration, per layer. */
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../main';
import { numberOption, ParsedArgs, parseArgs, stringOption, UsageError } from '../args';
import { costOf, costToJson, formatCostTable } from '../../lib/cost';
import { getModelEntry, getVariant, listModels, ModelConfig, ModelEntry } from '../../models';

/** CLI flag → config key, for the options a model may accept. */
const CONFIG_FLAGS: Array<{ flag: string; key: keyof ModelConfig & string; kind: 'number' | 'integer' | 'string' }> = [
  { flag: 'width', key: 'width', kind: 'number' },
  { flag: 'groups', key: 'groups', kind: 'integer' },
  { flag: 'base-width', key: 'baseWidth', kind: 'integer' },
  { flag: 'resolution', key: 'resolution', kind: 'integer' },
  { flag: 'classes', key: 'classes', kind: 'integer' },
  { flag: 'dataset', key: 'dataset', kind: 'string' },
];

const USAGE = [
  'usage: compact-nets cost <model> [--variant NAME] [--width W] [--groups G] [--base-width B] [--resolution R]',
  '                         [--classes N] [--dataset D] [--json]',
  '',
  'Builds the model (on the cpu backend, no training) and prints per-layer parameters (W, W+BN2, W+BN4),',
  'MACs (multiply-accumulates, one image) and memory access (elements). Options override the variant\'s config;',
  'an option the model does not accept is an error. `compact-nets models` lists models, options and variants.',
  '  --json   one JSON object {model, config, params: {weights, trainable, all}, macs, memoryAccess, layers}',
].join('\n');

/** Reads the config flags present on the command line, typed. */
function configFromArgs(args: ParsedArgs): ModelConfig {
  const config: ModelConfig = {};
  for (const { flag, key, kind } of CONFIG_FLAGS) {
    if (!args.options.has(flag)) continue;
    config[key] = kind === 'string' ? stringOption(args, flag) : numberOption(args, flag, kind === 'integer' ? { integer: true, min: 1 } : undefined);
  }
  return config;
}

/** Rejects flags for options the model does not document (e.g. --groups for mobilenet_v2). */
function checkAccepted(entry: ModelEntry, config: ModelConfig): void {
  const accepted = entry.options.map((o) => o.name as string);
  for (const key of Object.keys(config)) {
    if (!accepted.includes(key)) {
      const flag = CONFIG_FLAGS.find((f) => f.key === key)?.flag ?? key;
      const flags = CONFIG_FLAGS.filter((f) => accepted.includes(f.key)).map((f) => `--${f.flag}`);
      throw new UsageError(`${entry.name} does not accept --${flag}; its options: ${flags.join(', ') || '(none)'}`);
    }
  }
}

export const command: Command = {
  summary: 'parameters, MACs and memory access of a model, per layer',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['variant', ...CONFIG_FLAGS.map((f) => f.flag)], booleans: ['json'] });
    if (args.positional.length !== 1) {
      throw new UsageError(`cost takes exactly one model name (got ${args.positional.length}); models: ${listModels().map((m) => m.name).join(', ')}`);
    }
    const name = args.positional[0];
    let entry: ModelEntry;
    let base: ModelConfig = {};
    const variantName = stringOption(args, 'variant');
    try {
      entry = getModelEntry(name);
      if (variantName !== undefined) base = getVariant(name, variantName).config;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const overrides = configFromArgs(args);
    checkAccepted(entry, overrides);
    const config: ModelConfig = { ...entry.defaults, ...base, ...overrides };
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
