/**
 * ShuffleNet V1 — Zhang, Zhou, Lin, Sun, "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile
 * Devices", CVPR 2018, arXiv:1707.01083 (Table 1 = the architecture below). Reference implementation:
 * megvii-model/ShuffleNet-Series `ShuffleNetV1/{network,blocks}.py` (PyTorch). docs/sources.md §3.3, §4.4, §5.10.
 *
 * Choices (where paper and code differ):
 * - Stem: 24 channels for every width (P-SH1 Table 1) by default; MEGVII uses 12/16 (0.5×) and 48 (2×): option
 *   `stemChannels`. The paper's 2× complexity (524 M) is only reached with the 48-channel stem.
 * - Scaled widths: P-SH1 only says "s× multiplies the number of filters by s". Every Table 1 width is a multiple of
 *   4g (the bottleneck out/4 must split into g groups), and every MEGVII channel list is base·s exactly; for the
 *   published scales (0.25, 0.5, 1, 1.5, 2) we round base·s to the NEAREST multiple of 4g (ties upward) — an
 *   inference that changes nothing where base·s already is one (all MEGVII configs). Other scales are accepted only
 *   when base·s is already such a multiple.
 * - Shuffle after the first group conv (paper Fig. 2); MEGVII's is after the dw conv with the inverse permutation.
 * - FC with bias (the project's convention; MEGVII has none: −1,000 params).
 * Output: logits (no softmax).
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct, zeroPad } from '../lib/blocks/conv';
import { shuffleUnitV1 } from '../lib/blocks/shuffle-units';
import { choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { DatasetProfile, ModelConfig, registerModel } from './registry';

/** PyTorch BatchNorm ε (MEGVII code). */
export const BN_EPSILON = 1e-5;
/** Stem conv channels of P-SH1 Table 1. */
export const STEM_CHANNELS = 24;
/** Group counts of P-SH1 Table 1. */
export const SHUFFLENET_V1_GROUPS = [1, 2, 3, 4, 8] as const;
export type ShuffleNetV1Groups = (typeof SHUFFLENET_V1_GROUPS)[number];
/** Scales of P-SH1 Table 2 / Table 5 ("s×"). */
export const SHUFFLENET_V1_WIDTHS = [0.25, 0.5, 1, 1.5, 2] as const;

/** One stage of Table 1: output channels at 1× per group count, number of units (first one strided). The builder reads every column. */
interface StageRow {
  name: string;
  repeats: number;
  channels: Record<ShuffleNetV1Groups, number>;
}

/** P-SH1 Table 1 (1×). */
const STAGES: StageRow[] = [
  { name: 'stage2', repeats: 4, channels: { 1: 144, 2: 200, 3: 240, 4: 272, 8: 384 } },
  { name: 'stage3', repeats: 8, channels: { 1: 288, 2: 400, 3: 480, 4: 544, 8: 768 } },
  { name: 'stage4', repeats: 4, channels: { 1: 576, 2: 800, 3: 960, 4: 1088, 8: 1536 } },
];

/** Validated configuration. */
export interface ShuffleNetV1Config {
  groups: ShuffleNetV1Groups;
  width: number;
  stemChannels: number;
  /** Channel shuffle in every unit (default true; false = P-SH1 Table 3 ablation). */
  shuffle: boolean;
  /** Stage output channels after scaling. */
  stageChannels: number[];
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

const MODEL = 'shufflenet_v1';
const OPTIONS = ['groups', 'width', 'stemChannels', 'shuffle'] as const;

/** Scaled stage width: see the header (nearest multiple of 4g for published scales; exact otherwise). */
function scaledChannels(base: number, width: number, groups: number, published: boolean): number {
  const unit = 4 * groups;
  const exact = base * width;
  if (published) return Math.max(1, Math.round(exact / unit)) * unit;
  if (!Number.isInteger(exact) || exact % unit !== 0) {
    throw new Error(
      `${MODEL}: width ${width} gives ${exact} channels in ${STAGES[0].name} (g = ${groups}), not a multiple of 4·g = ${unit} ` +
        `(bottleneck = out/4 must split into g groups); use one of ${SHUFFLENET_V1_WIDTHS.join(', ')} or a width that keeps channels divisible`,
    );
  }
  return exact;
}

/** Stem stride and whether the max-pool is kept, per data-set profile (see the builder's JSDoc). */
function stemPlan(dataset: DatasetProfile): { stride: number; maxPool: boolean } {
  if (dataset === 'cifar10') return { stride: 1, maxPool: false };
  if (dataset === 'tiny-imagenet') return { stride: 1, maxPool: true };
  return { stride: 2, maxPool: true };
}

/** Checks every option before anything is built; errors list the accepted values. */
export function validateShuffleNetV1Config(cfg: ModelConfig): ShuffleNetV1Config {
  const profile = resolveProfile(MODEL, cfg, OPTIONS);
  const groups = choiceOption<number>(MODEL, 'groups', cfg.groups, SHUFFLENET_V1_GROUPS, 3) as ShuffleNetV1Groups;
  const width = cfg.width ?? 1;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0) {
    throw new Error(`${MODEL}: width must be a positive number (published: ${SHUFFLENET_V1_WIDTHS.join(', ')}), got ${String(width)}`);
  }
  const published = (SHUFFLENET_V1_WIDTHS as readonly number[]).includes(width);
  // Stage 2 is scaled (and rounded) once; every stage keeps its Table 1 ratio to stage 2 (×1, ×2, ×4 for every g), so
  // the scaled widths stay in Table 1's proportions and remain multiples of 4g.
  const c2 = scaledChannels(STAGES[0].channels[groups], width, groups, published);
  const stageChannels = STAGES.map((stage) => (c2 * stage.channels[groups]) / STAGES[0].channels[groups]);
  const stemChannels = cfg.stemChannels ?? STEM_CHANNELS;
  if (typeof stemChannels !== 'number' || !Number.isInteger(stemChannels) || stemChannels <= 0 || stemChannels % groups !== 0 || stemChannels >= c2) {
    throw new Error(
      `${MODEL}: stemChannels must be a positive multiple of groups (${groups}) below ${c2} (stage2's width), got ${String(stemChannels)}; default ${STEM_CHANNELS}`,
    );
  }
  const shuffle = choiceOption<boolean>(MODEL, 'shuffle', cfg.shuffle, [true, false], true);
  const plan = stemPlan(profile.dataset);
  requireResolution(MODEL, profile, (r) => {
    let s = plan.stride === 2 ? Math.floor((r - 1) / 2) + 1 : r;
    if (plan.maxPool) s = Math.floor((s - 1) / 2) + 1;
    return s >= 8 ? Math.floor(s / 8) : 0; // three stride-2 stages need ≥ 8 real pixels
  });
  return { groups, width, stemChannels, shuffle, stageChannels, ...profile };
}

/** Builds the network of a validated config. Input [N,r,r,3] → logits [N,classes]. */
function build(cfg: ShuffleNetV1Config): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const plan = stemPlan(cfg.dataset);
  const input = imageInput(cfg);
  let x = convBnAct(input, { outChannels: cfg.stemChannels, kernelSize: 3, stride: plan.stride, padding: 1, bn, name: 'conv1' });
  if (plan.maxPool) {
    // PyTorch MaxPool2d(3, 2, padding=1) pads with −∞; the input is a ReLU output (≥ 0), so zero padding is equivalent.
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(zeroPad(x, 1, 'maxpool.pad')) as tf.SymbolicTensor;
  }
  STAGES.forEach((stage, s) => {
    const out = cfg.stageChannels[s];
    for (let u = 0; u < stage.repeats; u++) {
      x = shuffleUnitV1(x, {
        outChannels: out,
        groups: cfg.groups,
        stride: u === 0 ? 2 : 1,
        bottleneck: out / 4,
        denseFirstConv: s === 0 && u === 0,
        shuffle: cfg.shuffle,
        bn,
        name: `${stage.name}.unit${u + 1}`,
      });
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: `shufflenet_v1_g${cfg.groups}_${cfg.width}x` });
}

/**
 * ShuffleNet V1 with `groups` g ∈ {1,2,3,4,8} (default 3) and scale `width` (default 1).
 * Data-set profiles: 'imagenet' 224² (stem 3×3/2 + max-pool 3×3/2, output stride 32); 'tiny-imagenet' 64² (stem
 * stride 1, max-pool kept: output stride 16); 'cifar10' 32² (stem stride 1, no max-pool: output stride 8).
 */
export function shufflenetV1(config: ModelConfig = {}): tf.LayersModel {
  return build(validateShuffleNetV1Config(config));
}

const SOURCE_T1 = 'P-SH1 Table 1 (arXiv:1707.01083), complexity in MFLOPs = multiply-adds';
const FOOTNOTE_T1 =
  'Table 1 complexity appears to exclude the FC layer: our MACs minus the FC MACs (classes × stage4 width) fall within the rounding ' +
  '(docs/sources.md §3.3: CALC with FC 143.1/140.8/137.5/134.3/138.4 M).';
const FOOTNOTE_STEM =
  'Reproduced with the MEGVII stem (24·s rounded up to a multiple of g: 12 for g = 3, 16 for g = 8); the default 24-channel stem ' +
  'adds ≈ 5 M MACs at 0.5× (docs/sources.md §3.3).';
const FOOTNOTE_NOMINAL =
  'P-SH1 Table 2 gives ONE nominal complexity per scale for all g; with the MEGVII-style 12-channel stem and our nearest-multiple-of-4g ' +
  'widths (136 → 144 channels in stage 2; the paper states no rounding) this config costs ≈ 40.7 M MACs, like MEGVII 0.5× g = 8 (40 M).';
const FOOTNOTE_QUARTER =
  'Not reproduced: the paper does not give its 0.25× channel or stem choices (MEGVII ships no 0.25× model). With the stem scaled like ' +
  'MEGVII does at 0.5× our count is ≈ 11.0 M (g = 3) / 12.4 M (g = 8); with the 24-channel stem ≈ 17.9 M / 19.0 M.';

registerModel({
  name: MODEL,
  family: 'ShuffleNet',
  description:
    'ShuffleNet V1 (arXiv:1707.01083): pointwise group convs + channel shuffle + 3×3 depthwise; stride-2 units concatenate a 3×3/2 avg-pooled shortcut. Outputs logits.',
  options: [
    { name: 'groups', description: 'groups g of the pointwise convs (P-SH1 Table 1)', accepted: [...SHUFFLENET_V1_GROUPS] },
    {
      name: 'width',
      description: 'scale s× of every stage width; published 0.25/0.5/1/1.5/2 (nearest multiple of 4g); others must give multiples of 4g',
      published: [...SHUFFLENET_V1_WIDTHS],
    },
    { name: 'stemChannels', description: 'stem conv channels; default 24 (paper); MEGVII uses 12/16 at 0.5× and 48 at 2×' },
    { name: 'shuffle', description: 'channel shuffle after the first gconv of every unit; true (default) or false (P-SH1 Table 3 ablation: no cross-group mixing)' },
    { name: 'dataset', description: "'imagenet' (224², 1000) | 'cifar10' (32², 10; stem stride 1, no max-pool) | 'tiny-imagenet' (64², 200; stem stride 1)", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { groups: 3, width: 1, dataset: 'imagenet' },
  variants: [
    { name: 'g1-1.0x', config: { groups: 1, width: 1 }, published: { top1Percent: 66.4, macs: 143e6, rounding: { macs: 0.5 / 143 }, inputSize: 224, source: `${SOURCE_T1}; top-1 = 100 − 33.6 (Table 2)`, footnote: FOOTNOTE_T1 } },
    { name: 'g2-1.0x', config: { groups: 2, width: 1 }, published: { top1Percent: 67.3, macs: 140e6, rounding: { macs: 0.5 / 140 }, inputSize: 224, source: `${SOURCE_T1}; top-1 = 100 − 32.7 (Table 2)`, footnote: FOOTNOTE_T1 } },
    {
      name: 'g3-1.0x',
      config: { groups: 3, width: 1 },
      published: {
        top1Percent: 67.4, params: 1.87e6, paramsConvention: 'W+BN2', macs: 137e6, rounding: { params: 0.005 / 1.87, macs: 0.5 / 137 }, inputSize: 224,
        source: `${SOURCE_T1}; top-1 = 100 − 32.6 (Table 2); params from MMClassification (1.87 M, P-SH1 gives none)`, footnote: FOOTNOTE_T1,
      },
    },
    { name: 'g4-1.0x', config: { groups: 4, width: 1 }, published: { top1Percent: 67.2, macs: 133e6, rounding: { macs: 0.5 / 133 }, inputSize: 224, source: `${SOURCE_T1}; top-1 = 100 − 32.8 (Table 2)`, footnote: FOOTNOTE_T1 } },
    { name: 'g8-1.0x', config: { groups: 8, width: 1 }, published: { top1Percent: 67.6, macs: 137e6, rounding: { macs: 0.5 / 137 }, inputSize: 224, source: `${SOURCE_T1}; top-1 = 100 − 32.4 (Table 2)`, footnote: FOOTNOTE_T1 } },
    {
      name: 'g3-0.5x',
      config: { groups: 3, width: 0.5, stemChannels: 12 },
      published: { top1Percent: 56.8, macs: 38e6, rounding: { macs: 0.5 / 38 }, inputSize: 224, source: 'P-SH1 Table 2 (error 43.2 %, 38 MFLOPs)', footnote: FOOTNOTE_STEM },
    },
    {
      name: 'g4-0.5x',
      config: { groups: 4, width: 0.5, stemChannels: 12 },
      published: { top1Percent: 58.4, macs: 38e6, rounding: { macs: 0.5 / 38 }, inputSize: 224, source: 'P-SH1 Table 2/5 (error 41.6 %, 38 MFLOPs)', footnote: FOOTNOTE_NOMINAL },
    },
    {
      name: 'g8-0.5x',
      config: { groups: 8, width: 0.5, stemChannels: 16 },
      published: {
        top1Percent: 58.8, params: 1.0e6, paramsConvention: 'W+BN2', macs: 40e6, rounding: { params: 0.05 / 1.0, macs: 0.5 / 40 }, inputSize: 224,
        source: 'MEGVII ShuffleNet-Series README (PyTorch retrain: 40 MFLOPs, 1.0 M params, top-1 error 41.2 %); P-SH1 Table 2 lists the row as 38 MFLOPs (error 42.3 %)',
        footnote: FOOTNOTE_STEM,
      },
    },
    {
      name: 'g3-0.25x',
      config: { groups: 3, width: 0.25, stemChannels: 6 },
      published: { top1Percent: 45.0, macs: 13e6, rounding: { macs: 0.5 / 13 }, inputSize: 224, source: 'P-SH1 Table 2 (error 55.0 %, 13 MFLOPs)', footnote: FOOTNOTE_QUARTER },
    },
    {
      name: 'g8-0.25x',
      config: { groups: 8, width: 0.25, stemChannels: 8 },
      published: { top1Percent: 47.3, macs: 13e6, rounding: { macs: 0.5 / 13 }, inputSize: 224, source: 'P-SH1 Table 2 (error 52.7 %, 13 MFLOPs)', footnote: FOOTNOTE_QUARTER },
    },
    {
      name: 'g3-1.5x',
      config: { groups: 3, width: 1.5 },
      published: { top1Percent: 71.5, params: 3.4e6, paramsConvention: 'W+BN2', macs: 292e6, rounding: { params: 0.05 / 3.4, macs: 0.5 / 292 }, inputSize: 224, source: 'P-SH1 Table 5 (error 28.5 %, 292 MFLOPs); params 3.4 M from P-MB2 Table 4' },
    },
    {
      name: 'g3-2.0x',
      config: { groups: 3, width: 2, stemChannels: 48 },
      published: {
        top1Percent: 73.7, params: 5.4e6, paramsConvention: 'W+BN2', macs: 524e6, rounding: { params: 0.05 / 5.4, macs: 0.5 / 524 }, inputSize: 224,
        source: 'P-SH1 Table 5 (error 26.3 %, 524 MFLOPs); params 5.4 M from P-MB2 Table 4',
        footnote:
          'The 524 M complexity needs the 48-channel stem of the MEGVII code (docs/sources.md §3.3); the default 24-channel stem gives ≈ 508 M. ' +
          'Params: 5.4 M matches MEGVII\'s bias-free FC (5,449,776); our FC bias adds 1,000 (5,450,776 rounds to 5.5 M).',
      },
    },
  ],
  build: shufflenetV1,
});
