/**
 * MobileNet V2 — Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018,
 * arXiv:1801.04381 (Table 2). Reference implementations: torchvision `models/mobilenetv2.py`, TF-slim
 * `research/slim/nets/mobilenet/mobilenet_v2.py`, Keras Applications `mobilenet_v2.py`.
 *
 * Channels: `makeDivisible(c·α, 8)` (TF-slim/torchvision); the last 1×1 conv only widens:
 * `makeDivisible(1280·max(1, α), 8)`. Head (torchvision): global average pool → dropout 0.2 → fully connected
 * with bias. The output is logits: no softmax in the model.
 * Padding: 'tf' (default) = TF 'same' with BN ε = 1e-3 (TF-slim/Keras weights); 'torch' = symmetric padding
 * with BN ε = 1e-5 (torchvision weights).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormConfig, convBnAct } from '../lib/blocks/conv';
import { invertedResidual } from '../lib/blocks/inverted-residual';
import { makeDivisible } from '../lib/channels';
import { BaselineProfile, choiceOption, imageInput, logits, requireResolution, resolveProfile, smallProfileBnMomentum } from './baselines-common';
import { ModelConfig, registerModel, VariantEntry } from './registry';

/** Stem filters and last-conv filters at α = 1 (P-MB2 Table 2). */
export const STEM_CHANNELS = 32;
export const LAST_CHANNELS = 1280;
/** Channel counts are multiples of this (TF-slim `divisible_by`, torchvision `round_nearest`). */
export const CHANNEL_DIVISOR = 8;
/** torchvision's classifier dropout. */
export const HEAD_DROPOUT = 0.2;
/** BN per weight source: TF-slim/Keras ε = 1e-3 (Keras momentum 0.999); torchvision ε = 1e-5 (momentum 0.1 → 0.9). */
export const BN_TF: BatchNormConfig = { epsilon: 1e-3, momentum: 0.999 };
export const BN_TORCH: BatchNormConfig = { epsilon: 1e-5, momentum: 0.9 };

/** One row of P-MB2 Table 2: expansion t, output channels c, repeats n, first stride s. */
export interface BottleneckRow {
  t: number;
  c: number;
  n: number;
  s: number;
}

/** P-MB2 Table 2 (17 bottleneck blocks). */
export const MOBILENET_V2_TABLE: readonly BottleneckRow[] = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

export const PADDING_CHOICES = ['tf', 'torch'] as const;
/** Activation after each block's projection: the paper's linear bottleneck, or ReLU6 (ablation, P-MB2 §6.3). */
export const BOTTLENECK_ACTIVATIONS = ['linear', 'relu6'] as const;
export type BottleneckActivation = (typeof BOTTLENECK_ACTIVATIONS)[number];
export type MobileNetV2Padding = (typeof PADDING_CHOICES)[number];

export interface MobileNetV2Config extends BaselineProfile {
  width: number;
  padding: MobileNetV2Padding;
  /** 'linear' (default, the published network) or 'relu6' (linear-bottleneck ablation). */
  bottleneckActivation: BottleneckActivation;
  /** Stem stride: 2 on ImageNet, 1 for the small-image profiles. */
  stemStride: number;
  /** Stride of the first 24-channel block: 2 on ImageNet, 1 for the small-image profiles. */
  stage2Stride: number;
}

/** Width-scaled channels, rounded as TF-slim/torchvision: makeDivisible(c·α, 8). */
export function v2Channels(channels: number, width: number): number {
  return makeDivisible(channels * width, CHANNEL_DIVISOR);
}

/** Channels of the last 1×1 conv: 1280 for α ≤ 1, widened for α > 1. */
export function lastChannels(width: number): number {
  return makeDivisible(LAST_CHANNELS * Math.max(1, width), CHANNEL_DIVISOR);
}

/** The table with the small-image stride change applied. */
function tableFor(cfg: MobileNetV2Config): BottleneckRow[] {
  return MOBILENET_V2_TABLE.map((row, i) => (i === 1 ? { ...row, s: cfg.stage2Stride } : { ...row }));
}

/** Validates a config before building; errors name the value and the accepted values. */
export function validateMobileNetV2Config(cfg: ModelConfig): MobileNetV2Config {
  const profile = resolveProfile('mobilenet_v2', cfg, ['width', 'padding', 'bottleneckActivation']);
  const width = cfg.width ?? 1;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0) {
    throw new Error(`mobilenet_v2: width α must be a positive number (published: 1.4, 1.3, 1.0, 0.75, 0.5, 0.35), got ${String(width)}`);
  }
  const padding = choiceOption('mobilenet_v2', 'padding', cfg.padding, PADDING_CHOICES, 'tf');
  const bottleneckActivation = choiceOption('mobilenet_v2', 'bottleneckActivation', cfg.bottleneckActivation, BOTTLENECK_ACTIVATIONS, 'linear');
  const small = profile.dataset !== 'imagenet';
  const partial: MobileNetV2Config = { ...profile, width, padding, bottleneckActivation, stemStride: small ? 1 : 2, stage2Stride: small ? 1 : 2 };
  const stride = tableFor(partial).reduce((acc, r) => acc * r.s, partial.stemStride);
  requireResolution('mobilenet_v2', profile, (r) => Math.floor(r / stride));
  return partial;
}

/** Builds the network of `table` for a validated config. [N,r,r,3] → logits [N,classes]. */
function build(table: readonly BottleneckRow[], cfg: MobileNetV2Config): tf.LayersModel {
  const base = cfg.padding === 'tf' ? BN_TF : BN_TORCH;
  const bn = { ...base, momentum: smallProfileBnMomentum(cfg.dataset, base.momentum ?? 0.9) };
  const input = imageInput(cfg);
  let x = convBnAct(input, {
    outChannels: v2Channels(STEM_CHANNELS, cfg.width),
    kernelSize: 3,
    stride: cfg.stemStride,
    padding: cfg.padding === 'tf' ? 'same' : 1,
    activation: 'relu6',
    bn,
    name: 'stem',
  });
  table.forEach((row, stage) => {
    for (let i = 0; i < row.n; i++) {
      x = invertedResidual(x, {
        outChannels: v2Channels(row.c, cfg.width),
        stride: i === 0 ? row.s : 1,
        expansion: row.t,
        padding: cfg.padding === 'tf' ? 'same' : 'torch',
        projectActivation: cfg.bottleneckActivation,
        bn,
        name: `stage${stage + 1}.block${i + 1}`,
      });
    }
  });
  x = convBnAct(x, { outChannels: lastChannels(cfg.width), kernelSize: 1, activation: 'relu6', bn, name: 'head.conv' });
  x = tf.layers.globalAveragePooling2d({ name: 'head.pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: HEAD_DROPOUT, name: 'head.dropout' }).apply(x) as tf.SymbolicTensor;
  const output = logits(x, cfg.classes, 'head.fc');
  return tf.model({ inputs: input, outputs: output, name: `mobilenet_v2_${cfg.width}_${cfg.resolution}` });
}

/**
 * MobileNet V2 with width α and input resolution. Small-image profiles (`dataset: 'cifar10'` 32×32,
 * `'tiny-imagenet'` 64×64) change two strides, as kuangliu/pytorch-cifar: the stem conv and the first
 * 24-channel block use stride 1 instead of 2, so the network down-samples by 8 instead of 32.
 */
export function mobilenetV2(config: ModelConfig = {}): tf.LayersModel {
  const cfg = validateMobileNetV2Config(config);
  return build(tableFor(cfg), cfg);
}

// ---------------------------------------------------------------------------------------------------------------
// Registry: published figures from docs/sources.md §3.2 (TF-slim mobilenet/README.md; P-MB2 Table 4).

const SLIM = 'TF-slim research/slim/nets/mobilenet/README.md (MACs, params W, top-1/top-5)';

/** Relative rounding of a figure quoted with `quantum` as its last digit. */
const rel = (value: number, quantum: number) => quantum / 2 / value;

/** A TF-slim variant: MACs (M), params (M, W), top-1/top-5 (%); params are per width (all resolutions share them). */
function slimVariant(width: number, resolution: number, macsM: number, paramsM: number, top1: number, top5: number): VariantEntry {
  return {
    name: `${width.toFixed(2).replace(/0$/, '')}-${resolution}`,
    config: { width, resolution },
    published: {
      top1Percent: top1,
      top5Percent: top5,
      macs: macsM * 1e6,
      params: paramsM * 1e6,
      paramsConvention: 'W',
      // TF-slim truncates MACs to whole millions (300.8 → 300, 153.9 → 153), so the true value lies in [v, v + 1).
      rounding: { macs: 1 / macsM, params: rel(paramsM, 0.01) },
      inputSize: resolution,
      source: SLIM,
      footnote: 'TF-slim truncates MACs to whole millions (our 300.8 M is listed as 300).',
    },
  };
}

/** [width, params M (slim W), [resolution, MACs M, top-1, top-5][]] from docs/sources.md §3.2. */
const SLIM_GRID: Array<[number, number, Array<[number, number, number, number]>]> = [
  [1.4, 6.06, [[224, 582, 75.0, 92.5]]],
  [1.3, 5.34, [[224, 509, 74.4, 92.1]]],
  [1.0, 3.47, [[224, 300, 71.8, 91.0], [192, 221, 70.7, 90.1], [160, 154, 68.8, 89.0], [128, 99, 65.3, 86.9], [96, 56, 60.3, 83.2]]],
  [0.75, 2.61, [[224, 209, 69.8, 89.6], [192, 153, 68.7, 88.9], [160, 107, 66.4, 87.3], [128, 69, 63.2, 85.3], [96, 39, 58.8, 81.6]]],
  [0.5, 1.95, [[224, 97, 65.4, 86.4], [192, 71, 63.9, 85.4], [160, 50, 61.0, 83.2], [128, 32, 57.7, 80.8], [96, 18, 51.2, 75.8]]],
  [0.35, 1.66, [[224, 59, 60.3, 82.9], [192, 43, 58.2, 81.2], [160, 30, 55.7, 79.1], [128, 20, 50.8, 75.0], [96, 11, 45.5, 70.4]]],
];

export const MOBILENET_V2_VARIANTS: VariantEntry[] = SLIM_GRID.flatMap(([width, params, rows]) =>
  rows.map(([res, macs, top1, top5]) => slimVariant(width, res, macs, params, top1, top5)),
);
// The paper's own headline figures (P-MB2 Table 4) for the two widths it tabulates.
MOBILENET_V2_VARIANTS.push(
  {
    name: 'paper-1.0-224',
    config: { width: 1, resolution: 224 },
    published: {
      top1Percent: 72.0,
      params: 3.4e6,
      paramsConvention: 'W',
      macs: 300e6,
      rounding: { params: rel(3.4, 0.1), macs: rel(300, 1) },
      inputSize: 224,
      source: 'Sandler et al. 2018 (arXiv:1801.04381), Table 4',
      footnote: 'torchvision IMAGENET1K_V1: 3,504,872 params (W+BN2), 71.878 % top-1; Keras count_params 3,538,984 (W+BN4).',
    },
  },
  {
    name: 'paper-1.4-224',
    config: { width: 1.4, resolution: 224 },
    published: {
      top1Percent: 74.7,
      params: 6.9e6,
      paramsConvention: 'W',
      macs: 585e6,
      rounding: { params: rel(6.9, 0.1), macs: rel(585, 1) },
      inputSize: 224,
      source: 'Sandler et al. 2018 (arXiv:1801.04381), Table 4',
      footnote: 'The paper\'s 6.9 M exceeds TF-slim\'s 6.06 M and our W count (≈ 6.1 M); TF-slim lists 582 M MACs.',
    },
  },
);

registerModel({
  name: 'mobilenet_v2',
  family: 'MobileNet',
  description: 'MobileNet V2: inverted residuals with linear bottlenecks, width α (makeDivisible 8) and resolution (logits output)',
  options: [
    { name: 'width', description: 'width multiplier α > 0, channels makeDivisible(c·α, 8); last conv 1280·max(1, α) (published: 1.4, 1.3, 1.0, 0.75, 0.5, 0.35)' },
    { name: 'resolution', description: 'input size in pixels (published: 224, 192, 160, 128, 96); ≥ 32 on ImageNet, ≥ 8 for small profiles' },
    { name: 'classes', description: 'classifier outputs (default by dataset)' },
    { name: 'dataset', description: "'imagenet' (224, 1000), 'cifar10' (32, 10) or 'tiny-imagenet' (64, 200); small profiles use stride 1 in the stem and the first 24-channel block", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'padding', description: "'tf' (TF 'same', BN ε 1e-3; default) or 'torch' (symmetric, BN ε 1e-5)", accepted: [...PADDING_CHOICES] },
    { name: 'bottleneckActivation', description: "activation after each projection: 'linear' (default, linear bottleneck) or 'relu6' (ablation, P-MB2 §6.3)", accepted: [...BOTTLENECK_ACTIVATIONS] },
  ],
  defaults: { width: 1, dataset: 'imagenet', padding: 'tf' },
  variants: MOBILENET_V2_VARIANTS,
  build: mobilenetV2,
});
