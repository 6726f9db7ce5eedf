/**
 * Config handling shared by the conventional baselines (AlexNet, VGG, GoogLeNet, ResNet): data-set profiles,
 * option checking and the minimum input resolution, all checked before any layer is built.
 */
import * as tf from '@tensorflow/tfjs';
import { DATASET_PROFILE_NAMES, DATASET_PROFILES, DatasetProfile } from '../lib/data/profiles';
import type { ModelConfig } from './registry';

/** Largest resolution searched when reporting a family's minimum input size. */
const MAX_SEARCHED_RESOLUTION = 1024;

export interface BaselineProfile {
  dataset: DatasetProfile;
  /** Input height = width, pixels. */
  resolution: number;
  classes: number;
}

/** Options every baseline accepts. */
export const COMMON_OPTION_NAMES = ['dataset', 'resolution', 'classes'] as const;

/**
 * Resolves `dataset` / `resolution` / `classes` and rejects options the model does not know (a typo must not be
 * ignored). `familyOptions` lists the model's own option names.
 */
export function resolveProfile(
  model: string,
  cfg: Pick<ModelConfig, 'dataset' | 'resolution' | 'classes'>,
  familyOptions: readonly string[] = [],
): BaselineProfile {
  const known = [...COMMON_OPTION_NAMES, ...familyOptions];
  for (const [key, value] of Object.entries(cfg)) {
    if (value !== undefined && !known.includes(key)) {
      throw new Error(`${model}: unknown option "${key}"; accepted options: ${known.join(', ')}`);
    }
  }
  const dataset = cfg.dataset ?? 'imagenet';
  if (!DATASET_PROFILE_NAMES.includes(dataset)) {
    throw new Error(`${model}: unknown dataset "${String(dataset)}"; accepted: ${DATASET_PROFILE_NAMES.join(', ')}`);
  }
  const resolution = cfg.resolution ?? DATASET_PROFILES[dataset].resolution;
  const classes = cfg.classes ?? DATASET_PROFILES[dataset].classes;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new Error(`${model}: resolution must be a positive integer (pixels), got ${String(resolution)}`);
  }
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`${model}: classes must be a positive integer, got ${String(classes)}`);
  }
  return { dataset, resolution, classes };
}

/**
 * Throws when `finalMapSize(resolution)` (the spatial size the last down-sampling leaves, ≤ 0 or NaN when some
 * layer would get an empty or too-small map) is not ≥ 1; the message gives the smallest resolution that works.
 */
export function requireResolution(
  model: string,
  profile: BaselineProfile,
  finalMapSize: (resolution: number) => number,
): void {
  const ok = (r: number): boolean => finalMapSize(r) >= 1;
  if (ok(profile.resolution)) return;
  let minimum = profile.resolution + 1;
  while (minimum <= MAX_SEARCHED_RESOLUTION && !ok(minimum)) minimum++;
  throw new Error(
    `${model}: resolution ${profile.resolution} is too small for the network's down-sampling (dataset '${profile.dataset}'); ` +
      `use resolution ≥ ${minimum}`,
  );
}

/** Parses a fixed-choice option: undefined → `fallback`; unknown values throw and list `accepted`. */
export function choiceOption<T extends string | number | boolean>(model: string, option: string, value: unknown, accepted: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!accepted.includes(value as T)) {
    throw new Error(`${model}: unknown ${option} ${JSON.stringify(value)}; accepted: ${accepted.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** Model input `[N, r, r, 3]` named `input`. */
export function imageInput(profile: BaselineProfile): tf.SymbolicTensor {
  return tf.input({ shape: [profile.resolution, profile.resolution, 3], name: 'input' });
}

/** Classifier output (logits, no softmax) `[N, classes]`: a Dense with bias named `name`. */
export function logits(x: tf.SymbolicTensor, classes: number, name: string): tf.SymbolicTensor {
  return tf.layers.dense({ units: classes, name }).apply(x) as tf.SymbolicTensor;
}

/**
 * BN moving-average momentum for a data profile: Keras/TF-slim's 0.999 on ImageNet (long training, pretrained weights),
 * 0.9 (PyTorch's default 0.1) on the small-image profiles, which the lessons train from scratch for a few hundred
 * steps: with 0.999 the test-time statistics would still be 74 % the initial 0/1 after 300 steps (measured: a
 * separable CIFAR net at chance in inference mode while 32 % in training mode).
 */
export function smallProfileBnMomentum(dataset: string, imagenetMomentum: number): number {
  return dataset === 'imagenet' ? imagenetMomentum : 0.9;
}
