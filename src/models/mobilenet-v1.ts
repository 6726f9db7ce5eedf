/**
 * MobileNet V1 — Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
 * Applications", arXiv:1704.04861 (Table 1). Reference implementations: Keras Applications `mobilenet.py`
 * (keras-team/keras-applications) and TF-slim `research/slim/nets/mobilenet_v1.py`.
 *
 * As the reference weights: bias-free convs, BN (ε = 1e-3) and ReLU6 after every conv (the paper says ReLU),
 * TF 'same' padding, width α applied as `int(c·α)` (Keras), resolution via the input size.
 * Head (Keras): global average pool → dropout (1e-3) → fully connected with bias (Keras uses an equivalent
 * 1×1 conv). The output is logits: no softmax in the model.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { depthwiseSeparable } from '../lib/blocks/separable';
import { BaselineProfile, imageInput, logits, requireResolution, resolveProfile, smallProfileBnMomentum } from './baselines-common';
import { ModelConfig, PublishedFigures, registerModel, VariantEntry } from './registry';

/** Keras / TF-slim BatchNorm ε and momentum (Keras' 0.999). */
export const MOBILENET_V1_BN = { epsilon: 1e-3, momentum: 0.999 };
/** Stem filters at α = 1. */
export const STEM_CHANNELS = 32;
/** Keras' dropout before the classifier. */
export const HEAD_DROPOUT = 1e-3;

/** One depthwise-separable layer of P-MB1 Table 1: pointwise output channels and depthwise stride. */
export interface SeparableRow {
  channels: number;
  stride: number;
}

/** P-MB1 Table 1 (rows 2–27; row 26 uses stride 1 as every implementation does — the table's "s2" is a typo). */
export const MOBILENET_V1_TABLE: readonly SeparableRow[] = [
  { channels: 64, stride: 1 },
  { channels: 128, stride: 2 },
  { channels: 128, stride: 1 },
  { channels: 256, stride: 2 },
  { channels: 256, stride: 1 },
  { channels: 512, stride: 2 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 1024, stride: 2 },
  { channels: 1024, stride: 1 },
];

export interface MobileNetV1Config extends BaselineProfile {
  /** Width multiplier α > 0. */
  width: number;
  /** Stem stride: 2 on ImageNet, 1 for the small-image profiles (cifar10, tiny-imagenet). */
  stemStride: number;
  /** BN moving-average momentum (Keras sense): see smallProfileBnMomentum (baselines-common). */
  bnMomentum: number;
}


/** Channels after the width multiplier, as Keras: `int(c·α)`. */
export function scaledChannels(channels: number, width: number): number {
  return Math.floor(channels * width);
}

/** Total down-sampling of the network: the stem stride times the table's stride-2 layers. */
export function totalStride(stemStride: number): number {
  return MOBILENET_V1_TABLE.reduce((acc, r) => acc * r.stride, stemStride);
}

/** Validates a config (all checks before any layer is built); errors name the value and the accepted range. */
export function validateMobileNetV1Config(cfg: ModelConfig): MobileNetV1Config {
  const profile = resolveProfile('mobilenet_v1', cfg, ['width']);
  const width = cfg.width ?? 1;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0) {
    throw new Error(`mobilenet_v1: width α must be a positive number (published: 1, 0.75, 0.5, 0.25), got ${String(width)}`);
  }
  const smallest = Math.min(STEM_CHANNELS, ...MOBILENET_V1_TABLE.map((r) => r.channels));
  if (scaledChannels(smallest, width) < 1) {
    throw new Error(`mobilenet_v1: width ${width} leaves the ${smallest}-channel stem with 0 channels (int(${smallest}·α) = 0); use width ≥ ${1 / smallest}`);
  }
  const stemStride = profile.dataset === 'imagenet' ? 2 : 1;
  // 'same' padding would accept any size, but below the total stride the last maps are made of padding.
  requireResolution('mobilenet_v1', profile, (r) => Math.floor(r / totalStride(stemStride)));
  return { ...profile, width, stemStride, bnMomentum: smallProfileBnMomentum(profile.dataset, MOBILENET_V1_BN.momentum) };
}

/** Builds the network of `table` for a validated config. [N,r,r,3] → logits [N,classes]. */
function build(table: readonly SeparableRow[], cfg: MobileNetV1Config): tf.LayersModel {
  const bn = { ...MOBILENET_V1_BN, momentum: cfg.bnMomentum };
  const input = imageInput(cfg);
  let x = convBnAct(input, {
    outChannels: scaledChannels(STEM_CHANNELS, cfg.width),
    kernelSize: 3,
    stride: cfg.stemStride,
    padding: 'same',
    activation: 'relu6',
    bn,
    name: 'stem',
  });
  table.forEach((row, i) => {
    x = depthwiseSeparable(x, {
      outChannels: scaledChannels(row.channels, cfg.width),
      stride: row.stride,
      activation: 'relu6',
      bn,
      name: `block${i + 1}`,
    });
  });
  x = tf.layers.globalAveragePooling2d({ name: 'head.pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: HEAD_DROPOUT, name: 'head.dropout' }).apply(x) as tf.SymbolicTensor;
  const output = logits(x, cfg.classes, 'head.fc');
  return tf.model({ inputs: input, outputs: output, name: `mobilenet_v1_${cfg.width}_${cfg.resolution}` });
}

/**
 * MobileNet V1 with width α and input resolution (ρ·224). Small-image profiles (`dataset: 'cifar10'` 32×32,
 * `'tiny-imagenet'` 64×64) change one thing: the stem conv has stride 1 instead of 2 (as kuangliu/pytorch-cifar),
 * so the network down-samples by 16 instead of 32.
 */
export function mobilenetV1(config: ModelConfig = {}): tf.LayersModel {
  return build(MOBILENET_V1_TABLE, validateMobileNetV1Config(config));
}

// ---------------------------------------------------------------------------------------------------------------
// Registry: published figures from docs/sources.md §3.1 (P-MB1 Tables 6, 7, 9; TF-slim mobilenet_v1.md).

const PAPER = 'Howard et al. 2017 (arXiv:1704.04861)';
const SLIM = 'TF-slim research/slim/nets/mobilenet_v1.md (2018-02-22 checkpoints)';

/** Relative rounding of a figure quoted with `quantum` as its last digit, e.g. 4.2 M → 0.05/4.2. */
const rel = (value: number, quantum: number) => quantum / 2 / value;

/** A paper-table variant: MACs (M), params (M, W convention), top-1 (%). */
function paperVariant(width: number, resolution: number, macsM: number, paramsM: number, paramsQuantum: number, top1: number, table: string, footnote?: string): VariantEntry {
  const variant: VariantEntry = {
    name: `${width.toFixed(2).replace(/0$/, '')}-${resolution}`,
    config: { width, resolution },
    published: {
      top1Percent: top1,
      macs: macsM * 1e6,
      params: paramsM * 1e6,
      paramsConvention: 'W',
      rounding: { macs: rel(macsM, 1), params: rel(paramsM, paramsQuantum) },
      inputSize: resolution,
      source: `${PAPER}, ${table}`,
    },
  };
  if (footnote && variant.published) variant.published.footnote = footnote;
  return variant;
}

/** A TF-slim variant: MACs (M), params (M, W+BN3 convention: W + β + moving stats), top-1/top-5 (%). */
function slimVariant(width: number, resolution: number, macsM: number, paramsM: number, top1: number, top5: number, footnote?: string): VariantEntry {
  const published: PublishedFigures = {
    top1Percent: top1,
    top5Percent: top5,
    macs: macsM * 1e6,
    params: paramsM * 1e6,
    paramsConvention: 'W+BN3',
    rounding: { macs: rel(macsM, 1), params: rel(paramsM, 0.01) },
    inputSize: resolution,
    source: SLIM,
  };
  if (footnote) published.footnote = footnote;
  return { name: `${width.toFixed(2).replace(/0$/, '')}-${resolution}`, config: { width, resolution }, published };
}

const SLIM_075 = 'TF-slim lists α = 0.75 MACs ~2.6 % below the paper and our count (CALC 325.4 / 239.3 / 166.4 / 106.8 M); docs/sources.md §7.1.';

/** Published variants: the paper's where it gives the figures, TF-slim's for the rest of the α × resolution grid. */
export const MOBILENET_V1_VARIANTS: VariantEntry[] = [
  paperVariant(1.0, 224, 569, 4.2, 0.1, 70.6, 'Tables 6–8'),
  paperVariant(1.0, 192, 418, 4.2, 0.1, 69.1, 'Table 7'),
  paperVariant(1.0, 160, 290, 4.2, 0.1, 67.2, 'Table 7', 'Paper 290 M, TF-slim 291 M; the layer-by-layer count is 290.7 M.'),
  paperVariant(1.0, 128, 186, 4.2, 0.1, 64.4, 'Table 7'),
  paperVariant(0.75, 224, 325, 2.6, 0.1, 68.4, 'Tables 5–6'),
  slimVariant(0.75, 192, 233, 2.59, 67.2, 87.3, SLIM_075),
  slimVariant(0.75, 160, 162, 2.59, 65.3, 86.0, SLIM_075),
  slimVariant(0.75, 128, 104, 2.59, 62.1, 83.9, SLIM_075),
  paperVariant(0.5, 224, 149, 1.3, 0.1, 63.7, 'Table 6'),
  slimVariant(0.5, 192, 110, 1.34, 61.7, 83.6),
  paperVariant(0.5, 160, 76, 1.32, 0.01, 60.2, 'Table 9', 'Paper 76 M, TF-slim 77 M; the layer-by-layer count is 76.5 M.'),
  slimVariant(0.5, 128, 49, 1.34, 56.3, 79.4),
  paperVariant(0.25, 224, 41, 0.5, 0.1, 50.6, 'Table 6'),
  slimVariant(0.25, 192, 34, 0.47, 47.7, 72.3, 'TF-slim lists 34 M MACs; our count (and CALC) is 30.2 M — docs/sources.md §7.1.'),
  slimVariant(0.25, 160, 21, 0.47, 45.5, 70.3),
  slimVariant(0.25, 128, 14, 0.47, 41.5, 66.3),
];

registerModel({
  name: 'mobilenet_v1',
  family: 'MobileNet',
  description: 'MobileNet V1: depthwise-separable convs, width α and resolution ρ (Keras/TF-slim layout, ReLU6, logits output)',
  options: [
    { name: 'width', description: 'width multiplier α > 0, channels int(c·α) (published: 1, 0.75, 0.5, 0.25)' },
    { name: 'resolution', description: 'input size in pixels (published: 224, 192, 160, 128); ≥ 32 on ImageNet, ≥ 16 for small profiles' },
    { name: 'classes', description: 'classifier outputs (default by dataset)' },
    { name: 'dataset', description: "'imagenet' (224, 1000), 'cifar10' (32, 10) or 'tiny-imagenet' (64, 200); small profiles use a stride-1 stem", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
  ],
  defaults: { width: 1, dataset: 'imagenet' },
  variants: MOBILENET_V1_VARIANTS,
  build: mobilenetV1,
});
