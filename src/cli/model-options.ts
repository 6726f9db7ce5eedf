/** Model options on the command line (`cost`, `train`): which flags map to which config keys, and their checks. */
import { numberOption, ParsedArgs, stringOption, UsageError } from './args';
import { checkConfigLimits, CONFIG_LIMITS, getModelEntry, getVariant, ModelConfig, ModelEntry, VariantEntry } from '../models';

/** CLI flag → config key, for the options a model may accept. */
export const CONFIG_FLAGS: Array<{ flag: string; key: keyof ModelConfig & string; kind: 'number' | 'integer' | 'string' }> = [
  { flag: 'width', key: 'width', kind: 'number' },
  { flag: 'groups', key: 'groups', kind: 'integer' },
  { flag: 'base-width', key: 'baseWidth', kind: 'integer' },
  { flag: 'resolution', key: 'resolution', kind: 'integer' },
  { flag: 'classes', key: 'classes', kind: 'integer' },
  { flag: 'dataset', key: 'dataset', kind: 'string' },
];

/** Reads the config flags among `flags` present on the command line, typed, positive and within {@link CONFIG_LIMITS}. */
export function configFromArgs(args: ParsedArgs, flags: string[] = CONFIG_FLAGS.map((f) => f.flag)): ModelConfig {
  const config: ModelConfig = {};
  for (const { flag, key, kind } of CONFIG_FLAGS) {
    if (!flags.includes(flag) || !args.options.has(flag)) continue;
    const limit = CONFIG_LIMITS[key];
    config[key] = kind === 'string'
      ? stringOption(args, flag)
      : numberOption(args, flag, { integer: kind === 'integer', ...(kind === 'integer' ? { min: 1 } : { above: 0 }), max: limit?.max, why: limit?.why });
  }
  return config;
}

/** The registry entry of `name` (and its variant when given); an unknown name is a usage error listing the choices. */
export function modelFromArgs(name: string, variantName: string | undefined): { entry: ModelEntry; variant?: VariantEntry } {
  try {
    return { entry: getModelEntry(name), variant: variantName !== undefined ? getVariant(name, variantName) : undefined };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Rejects options the model does not document (e.g. --groups for mobilenet_v2), values outside an option's accepted
 * list (e.g. --width 0.3 for shufflenet_v2) and values beyond the builders' limits — before anything is built or loaded.
 */
export function checkModelOptions(entry: ModelEntry, config: ModelConfig): void {
  const accepted = entry.options.map((o) => o.name as string);
  for (const [key, value] of Object.entries(config)) {
    const flag = CONFIG_FLAGS.find((f) => f.key === key)?.flag ?? key;
    if (!accepted.includes(key)) {
      const flags = CONFIG_FLAGS.filter((f) => accepted.includes(f.key)).map((f) => `--${f.flag}`);
      throw new UsageError(`${entry.name} does not accept --${flag}; its options: ${flags.join(', ') || '(none)'}`);
    }
    const values = entry.options.find((o) => o.name === key)?.accepted;
    if (values !== undefined && !values.some((v) => String(v) === String(value))) {
      throw new UsageError(`${entry.name}: --${flag} ${String(value)} is not accepted; choose one of ${values.join(', ')}`);
    }
  }
  checkConfigLimits(entry.name, config);
}
