/**
 * Model registry: every family file registers its builder, options and published variants here,
 * so that the CLI, the ImageNet table, notebooks and tests enumerate one list.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DatasetProfile } from '../lib/data/profiles';
import { InvalidArgumentError } from '../lib/errors';

export type { DatasetProfile } from '../lib/data/profiles';

/** Options common to every builder; a family documents which of them it accepts. */
export interface ModelConfig {
  /** Width multiplier: MobileNet's α, ShuffleNet's scale, FE-Net's multiplier. */
  width?: number;
  /** ShuffleNet V1's number of groups g. */
  groups?: number;
  /** AS-ResNet's base width w. */
  baseWidth?: number;
  /** Input height = width in pixels. */
  resolution?: number;
  /** Number of classes of the classifier. */
  classes?: number;
  /** Data-set profile: 'imagenet' (default), 'cifar10' (32×32, 10 classes) or 'tiny-imagenet' (64×64, 200 classes). */
  dataset?: DatasetProfile;
  /** Family-specific options (documented by the family's `options`). */
  [option: string]: unknown;
}

/** Figures published for one variant, quoted from `docs/sources.md`. */
export interface PublishedFigures {
  /** Top-1 accuracy in percent, as published (e.g. 70.6). */
  top1Percent?: number;
  /** Top-5 accuracy in percent, as published. */
  top5Percent?: number;
  /** Parameter count as published (absolute number, e.g. 4.2e6). */
  params?: number;
  /** Which parameter convention the published count follows (docs/sources.md §0.2). */
  paramsConvention?: 'W' | 'W+BN2' | 'W+BN3' | 'W+BN4';
  /** Multiply-accumulates as published (absolute number, e.g. 569e6). */
  macs?: number;
  /** Relative rounding of the published figures (e.g. 0.05 for "4.2 M" quoted to 2 digits). */
  rounding?: { params?: number; macs?: number };
  inputSize: number;
  /** Where the figures come from (paper table, repository, torchvision metadata). */
  source: string;
  /** Why our count may differ (counting convention, typo in a paper, reconstruction). */
  footnote?: string;
}

/** One published (or otherwise named) configuration of a model. */
export interface VariantEntry {
  /** e.g. "1.0-224", "g3-1.0x", "w68". */
  name: string;
  config: ModelConfig;
  published?: PublishedFigures;
}

/** Documentation of one builder option. */
export interface OptionDoc {
  name: keyof ModelConfig & string;
  description: string;
  /** The only values the builder takes, when the option is a fixed set (checked before building). */
  accepted?: Array<number | string>;
  /** Published values of an open option (the builder takes others too): shown to users, never enforced. */
  published?: Array<number | string>;
}

export interface ModelEntry {
  /** Registry name, e.g. "mobilenet_v2". */
  name: string;
  /** Survey family, e.g. "MobileNet", "baseline". */
  family: string;
  description: string;
  options: OptionDoc[];
  /** Defaults applied before `build` (the ImageNet configuration). */
  defaults: ModelConfig;
  variants: VariantEntry[];
  /** Set when the architecture is a reconstruction rather than a published definition. */
  reconstruction?: string;
  /** Builds a fresh model; validates the config and throws a clear error on bad input. */
  build(config: ModelConfig): tf.LayersModel;
}

const REGISTRY = new Map<string, ModelEntry>();

/**
 * Upper bounds every builder enforces before it allocates a weight: far beyond any published configuration, far below
 * what exhausts memory (MobileNet V1 at width 1e9 asks for 8.6·10^11 floats in its first layer; a classifier of
 * 10^9 classes for 4 TB). `integer`: the option takes whole numbers (for the command line's parsing).
 */
export const CONFIG_LIMITS: Record<string, { max: number; integer: boolean; why: string }> = {
  width: { max: 4, integer: false, why: 'published widths lie in 0.25…2' },
  classes: { max: 21841, integer: true, why: 'ImageNet-21k, the largest label set, has 21,841 classes' },
  resolution: { max: 1024, integer: true, why: 'published inputs lie in 32…227 pixels' },
  stemChannels: { max: 8192, integer: true, why: 'the variants\' stems have 6…48 channels' },
  headChannels: { max: 8192, integer: true, why: 'FE-Net\'s heads have 1,380 and 1,932 channels' },
  expansion: { max: 64, integer: false, why: 'ShiftNet\'s authors use 1, 3, 6 and 9' },
  depth: { max: 1202, integer: true, why: 'the deepest CIFAR ResNet published has 1,202 layers' },
  kernelSize: { max: 31, integer: true, why: 'the shift kernels used here are 3×3 and 5×5' },
};

/**
 * Throws an InvalidArgumentError naming the option, its value and its bound when a numeric option of `config`
 * exceeds {@link CONFIG_LIMITS}. Lower bounds, types and accepted lists stay with each builder (its own messages).
 */
export function checkConfigLimits(modelName: string, config: ModelConfig): void {
  for (const [key, limit] of Object.entries(CONFIG_LIMITS)) {
    const value = config[key];
    if (typeof value !== 'number' || !(value > limit.max)) continue; // NaN and the like: the builder's own check
    throw new InvalidArgumentError(
      `${modelName}: ${key} = ${value} is beyond what any builder accepts: at most ${limit.max} (${limit.why}); choose a smaller value`,
    );
  }
}

/** Adds a model to the registry (its builder checks {@link CONFIG_LIMITS} first); a duplicate name is an error. */
export function registerModel(entry: ModelEntry): void {
  if (REGISTRY.has(entry.name)) throw new Error(`model "${entry.name}" is registered twice`);
  const build = entry.build;
  REGISTRY.set(entry.name, {
    ...entry,
    build: (config: ModelConfig) => {
      checkConfigLimits(entry.name, config);
      return build(config);
    },
  });
}

/** All registered models, in registration order. */
export function listModels(): ModelEntry[] {
  return [...REGISTRY.values()];
}

/** The entry for `name`; throws an error that lists the registered names when unknown. */
export function getModelEntry(name: string): ModelEntry {
  const entry = REGISTRY.get(name);
  if (!entry) {
    throw new InvalidArgumentError(`unknown model "${name}"; registered models: ${[...REGISTRY.keys()].join(', ')}`);
  }
  return entry;
}

/** Builds model `name` with `config` merged over its defaults. */
export function buildModel(name: string, config: ModelConfig = {}): tf.LayersModel {
  const entry = getModelEntry(name);
  return entry.build({ ...entry.defaults, ...config });
}

/** Finds a variant by name; the error lists the model's variants. */
export function getVariant(modelName: string, variantName: string): VariantEntry {
  const entry = getModelEntry(modelName);
  const variant = entry.variants.find((v) => v.name === variantName);
  if (!variant) {
    throw new InvalidArgumentError(`model "${modelName}" has no variant "${variantName}"; variants: ${entry.variants.map((v) => v.name).join(', ')}`);
  }
  return variant;
}
