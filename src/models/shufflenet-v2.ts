/**
 * ShuffleNet V2 — Ma, Zhang, Zheng, Sun, "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design",
 * ECCV 2018, arXiv:1807.11164 (Table 5). Reference implementation: torchvision `models/shufflenetv2.py` (its layer
 * layout, symmetric padding and FC bias are followed so that torchvision weights can be loaded). docs/sources.md §3.4,
 * §4.5, §5.11. Output: logits (no softmax).
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct, zeroPad } from '../lib/blocks/conv';
import { shuffleDownUnitV2, shuffleUnitV2 } from '../lib/blocks/shuffle-units';
import { choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { DatasetProfile, ModelConfig, registerModel } from './registry';

/** torchvision BatchNorm ε. */
export const BN_EPSILON = 1e-5;
/** Units per stage (torchvision `stages_repeats`): one down-sampling unit, then basic units. */
export const STAGE_REPEATS = [4, 8, 4];
export const SHUFFLENET_V2_WIDTHS = [0.5, 1, 1.5, 2] as const;
export type ShuffleNetV2Width = (typeof SHUFFLENET_V2_WIDTHS)[number];

/** torchvision `stages_out_channels`: [conv1, stage2, stage3, stage4, conv5] per width (= P-SH2 Table 5). */
const STAGE_OUT_CHANNELS: Record<ShuffleNetV2Width, [number, number, number, number, number]> = {
  0.5: [24, 48, 96, 192, 1024],
  1: [24, 116, 232, 464, 1024],
  1.5: [24, 176, 352, 704, 1024],
  2: [24, 244, 488, 976, 2048],
};

export interface ShuffleNetV2Config {
  width: ShuffleNetV2Width;
  channels: [number, number, number, number, number];
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

const MODEL = 'shufflenet_v2';

/** Stem stride and max-pool per profile: imagenet 2 + pool; tiny-imagenet 1 + pool; cifar10 1, no pool. */
function stemPlan(dataset: DatasetProfile): { stride: number; maxPool: boolean } {
  if (dataset === 'cifar10') return { stride: 1, maxPool: false };
  if (dataset === 'tiny-imagenet') return { stride: 1, maxPool: true };
  return { stride: 2, maxPool: true };
}

/** Checks every option before anything is built; errors list the accepted values. */
export function validateShuffleNetV2Config(cfg: ModelConfig): ShuffleNetV2Config {
  const profile = resolveProfile(MODEL, cfg, ['width']);
  const width = choiceOption<number>(MODEL, 'width', cfg.width, SHUFFLENET_V2_WIDTHS, 1) as ShuffleNetV2Width;
  const plan = stemPlan(profile.dataset);
  requireResolution(MODEL, profile, (r) => {
    let s = plan.stride === 2 ? Math.floor((r - 1) / 2) + 1 : r;
    if (plan.maxPool) s = Math.floor((s - 1) / 2) + 1;
    return Math.floor(s / 8); // three stride-2 stages need ≥ 8 real pixels
  });
  return { width, channels: STAGE_OUT_CHANNELS[width], ...profile };
}

/** Builds the network of a validated config. Input [N,r,r,3] → logits [N,classes]. */
function build(cfg: ShuffleNetV2Config): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const plan = stemPlan(cfg.dataset);
  const [stem, ...rest] = cfg.channels;
  const conv5 = rest[3];
  const input = imageInput(cfg);
  let x = convBnAct(input, { outChannels: stem, kernelSize: 3, stride: plan.stride, padding: 1, bn, name: 'conv1' });
  if (plan.maxPool) {
    // torchvision MaxPool2d(3, 2, 1) pads with −∞; after ReLU (≥ 0) zero padding gives the same result.
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(zeroPad(x, 1, 'maxpool.pad')) as tf.SymbolicTensor;
  }
  STAGE_REPEATS.forEach((repeats, s) => {
    const out = rest[s];
    const stage = `stage${s + 2}`;
    x = shuffleDownUnitV2(x, { outChannels: out, bn, name: `${stage}.unit1` });
    for (let u = 1; u < repeats; u++) x = shuffleUnitV2(x, { outChannels: out, bn, name: `${stage}.unit${u + 1}` });
  });
  x = convBnAct(x, { outChannels: conv5, kernelSize: 1, bn, name: 'conv5' });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: `shufflenet_v2_x${cfg.width}` });
}

/**
 * ShuffleNet V2 with `width` ∈ {0.5, 1, 1.5, 2} (default 1).
 * Profiles: 'imagenet' 224² (stem 3×3/2 + max-pool 3×3/2); 'tiny-imagenet' 64² (stem stride 1, max-pool kept);
 * 'cifar10' 32² (stem stride 1, no max-pool).
 */
export function shufflenetV2(config: ModelConfig = {}): tf.LayersModel {
  return build(validateShuffleNetV2Config(config));
}

const SOURCE = 'P-SH2 Table 5 (FLOPs = multiply-adds, "# weights") and Table 8 (top-1 error), arXiv:1807.11164';

registerModel({
  name: MODEL,
  family: 'ShuffleNet',
  description: 'ShuffleNet V2 (arXiv:1807.11164), torchvision layout: channel split, one branch of 1×1 → dw 3×3 → 1×1, concat, shuffle(2). Outputs logits.',
  options: [
    { name: 'width', description: 'width multiplier (torchvision stages_out_channels)', accepted: [...SHUFFLENET_V2_WIDTHS] },
    { name: 'dataset', description: "'imagenet' (224², 1000) | 'cifar10' (32², 10; stem stride 1, no max-pool) | 'tiny-imagenet' (64², 200; stem stride 1)", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { width: 1, dataset: 'imagenet' },
  variants: [
    { name: 'x0.5', config: { width: 0.5 }, published: { top1Percent: 60.3, params: 1.4e6, paramsConvention: 'W+BN2', macs: 41e6, rounding: { params: 0.05 / 1.4, macs: 0.5 / 41 }, inputSize: 224, source: SOURCE, footnote: 'CALC 40.5 M MACs vs published 41 M (≈ 1.3 %, just beyond the ±0.5 M rounding; docs/sources.md §0.1 matches 41/146/299/591 M to CALC 40.5/144.9/295.8/583.3 M).' } },
    {
      name: 'x1.0',
      config: { width: 1 },
      published: { top1Percent: 69.4, params: 2.3e6, paramsConvention: 'W+BN2', macs: 146e6, rounding: { params: 0.05 / 2.3, macs: 0.5 / 146 }, inputSize: 224, source: `${SOURCE}; torchvision num_params 2,278,604`, footnote: 'Our 144.9 M MACs = CALC (docs/sources.md); the published 146 M is ≈ 0.7 % higher (the paper\'s counter is not documented).' },
    },
    { name: 'x1.5', config: { width: 1.5 }, published: { top1Percent: 72.6, params: 3.5e6, paramsConvention: 'W+BN2', macs: 299e6, rounding: { params: 0.05 / 3.5, macs: 0.5 / 299 }, inputSize: 224, source: SOURCE, footnote: 'CALC 295.8 M MACs vs published 299 M (≈ 1 %).' } },
    { name: 'x2.0', config: { width: 2 }, published: { top1Percent: 74.9, params: 7.4e6, paramsConvention: 'W+BN2', macs: 591e6, rounding: { params: 0.05 / 7.4, macs: 0.5 / 591 }, inputSize: 224, source: `${SOURCE}; torchvision num_params 7,393,996`, footnote: 'CALC 583.3 M MACs vs published 591 M (≈ 1.3 %).' } },
  ],
  build: shufflenetV2,
});
