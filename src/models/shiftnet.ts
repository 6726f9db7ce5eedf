/**
 * ShiftNet — Wu, Wan, Yue, Jin, Zhao, Golmant, Gholaminejad, Gonzalez, Keutzer, "Shift: A Zero FLOP, Zero Parameter
 * Alternative to Spatial Convolutions", CVPR 2018, arXiv:1711.08141. docs/sources.md §3.6, §4.6, §5.13, §5.14.
 *
 * - `shiftnet_a` is a RECONSTRUCTION: the paper's ImageNet table was not retrieved; the layout follows a public
 *   third-party PyTorch reimplementation (`ShiftNetA`/`CSCBlock`, unit_type 'org': pre-activation CSC blocks, stride-2
 *   blocks concatenated with a 3×3/2 avg-pooled shortcut). Its cost (4.16 M W params, 1.42 G MACs) matches the
 *   published 4.1 M / 1.4 G, so the table is very likely the paper's.
 * - ShiftNet-B / -C: their definitions were NOT found. C is not provided; the variant 'B-inferred' (`width: 0.5`,
 *   every width of A halved) lands on B's figures (1.17 M / 371 M vs 1.1 M / 371 M) — an inference, marked as such.
 * - `shift_resnet20`: the authors' CIFAR ShiftResNet (alvinwan/shiftresnet-cifar `ShiftConv` in a ResNet-20/56/110):
 *   an exact check, 95,642 params at ε = 3.
 * Outputs logits (no softmax).
 */
import * as tf from '@tensorflow/tfjs';
import { activation, batchNorm, convBnAct, zeroPad } from '../lib/blocks/conv';
import { preActCscBlock, shiftResBlock } from '../lib/blocks/shift-blocks';
import { imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { DatasetProfile, ModelConfig, registerModel } from './registry';

/** PyTorch BatchNorm ε (both reference codes are PyTorch). */
export const BN_EPSILON = 1e-5;

// ---------------------------------------------------------------------------------------------------------------
// ShiftNet-A (reconstruction)

/** One stage of ShiftNet-A: output channels, blocks (the first has stride 2), shift kernel, ε of first / other blocks. */
interface ShiftStage {
  channels: number;
  blocks: number;
  kernelSize: number;
  expansion: [number, number];
}

/** Stem of ShiftNet-A: conv 7×7/2, 32 channels, no BN/ReLU (pre-activation network). */
export const SHIFTNET_A_STEM = { channels: 32, kernelSize: 7 };
/** ShiftNet-A table (docs/sources.md §4.6). */
const SHIFTNET_A: ShiftStage[] = [
  { channels: 64, blocks: 5, kernelSize: 5, expansion: [4, 4] },
  { channels: 128, blocks: 6, kernelSize: 5, expansion: [4, 3] },
  { channels: 256, blocks: 7, kernelSize: 3, expansion: [3, 2] },
  { channels: 512, blocks: 3, kernelSize: 3, expansion: [2, 1] },
];

export interface ShiftNetAConfig {
  width: number;
  /** Overrides every stage's shift kernel when set. */
  kernelSize?: number;
  /** Overrides every block's ε when set. */
  expansion?: number;
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

function requirePositive(model: string, option: string, value: unknown, hint: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${model}: ${option} must be a positive number (${hint}), got ${String(value)}`);
  }
  return value;
}

function requireOddKernel(model: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value % 2 === 0) {
    throw new Error(`${model}: kernelSize must be an odd positive integer (e.g. 3 or 5), got ${String(value)}`);
  }
  return value;
}

const MODEL_A = 'shiftnet_a';

/** Channels after scaling by `width` (int() truncation, as the reimplementation's `int(64*mult)`). */
function scaled(c: number, width: number): number {
  return Math.floor(c * width);
}

export function validateShiftNetAConfig(cfg: ModelConfig): ShiftNetAConfig {
  const profile = resolveProfile(MODEL_A, cfg, ['width', 'kernelSize', 'expansion']);
  const width = requirePositive(MODEL_A, 'width', cfg.width ?? 1, 'scales the stem and stage widths; 1 = ShiftNet-A');
  const kernelSize = cfg.kernelSize === undefined ? undefined : requireOddKernel(MODEL_A, cfg.kernelSize);
  const expansion = cfg.expansion === undefined ? undefined : requirePositive(MODEL_A, 'expansion', cfg.expansion, 'ε of every CSC block; default per stage 4/4, 4/3, 3/2, 2/1');
  let previous = scaled(SHIFTNET_A_STEM.channels, width);
  if (previous < 1) throw new Error(`${MODEL_A}: width ${width} leaves the stem with 0 channels; use width ≥ ${1 / SHIFTNET_A_STEM.channels}`);
  for (const [i, s] of SHIFTNET_A.entries()) {
    const c = scaled(s.channels, width);
    if (c <= previous) {
      throw new Error(`${MODEL_A}: width ${width} gives stage ${i + 1} ${c} channels, not more than its input (${previous}); the concat shortcut needs growth — use a larger width`);
    }
    previous = c;
  }
  const stemStride = profile.dataset === 'imagenet' ? 2 : 1;
  requireResolution(MODEL_A, profile, (r) => {
    const s = stemStride === 2 ? Math.floor((r + 6 - 7) / 2) + 1 : r;
    return Math.floor(s / 16); // four stride-2 stages need ≥ 16 real pixels
  });
  return { width, kernelSize, expansion, ...profile };
}

function buildShiftNetA(cfg: ShiftNetAConfig): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const input = imageInput(cfg);
  const stemStride = cfg.dataset === 'imagenet' ? 2 : 1;
  let x = tf.layers
    .conv2d({ filters: scaled(SHIFTNET_A_STEM.channels, cfg.width), kernelSize: SHIFTNET_A_STEM.kernelSize, strides: stemStride, padding: 'valid', useBias: false, name: 'conv1.conv' })
    .apply(zeroPad(input, 3, 'conv1.pad')) as tf.SymbolicTensor;
  SHIFTNET_A.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      x = preActCscBlock(x, {
        outChannels: scaled(stage.channels, cfg.width),
        expansion: cfg.expansion ?? stage.expansion[b === 0 ? 0 : 1],
        kernelSize: cfg.kernelSize ?? stage.kernelSize,
        stride: b === 0 ? 2 : 1,
        bn,
        name: `stage${s + 1}.block${b + 1}`,
      });
    }
  });
  x = activation(batchNorm(x, 'head.bn', bn), 'relu', 'head.relu');
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: 'shiftnet_a' });
}

/**
 * ShiftNet-A (reconstruction, see the header). Options: `kernelSize` (overrides the per-stage 5/5/3/3 shift kernels),
 * `expansion` (overrides every ε), `width` (scales all widths; default 1). Profiles: 'imagenet' 224² (conv1 stride 2);
 * 'cifar10' 32² and 'tiny-imagenet' 64²: conv1 stride 1, everything else unchanged.
 */
export function shiftnetA(config: ModelConfig = {}): tf.LayersModel {
  return buildShiftNetA(validateShiftNetAConfig(config));
}

// ---------------------------------------------------------------------------------------------------------------
// ShiftResNet (CIFAR)

/** Stage widths of the CIFAR ResNet (He et al. 2016 §4.2). */
const CIFAR_RESNET_WIDTHS = [16, 32, 64];
const MODEL_R = 'shift_resnet20';

export interface ShiftResNetConfig {
  depth: number;
  expansion: number;
  kernelSize: number;
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

export function validateShiftResNetConfig(cfg: ModelConfig): ShiftResNetConfig {
  const profile = resolveProfile(MODEL_R, { ...cfg, dataset: cfg.dataset ?? 'cifar10' }, ['depth', 'expansion', 'kernelSize']);
  const depth = cfg.depth ?? 20;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`${MODEL_R}: depth must be 6n + 2 with n ≥ 1 (e.g. 20, 56, 110), got ${String(depth)}`);
  }
  const expansion = requirePositive(MODEL_R, 'expansion', cfg.expansion ?? 3, 'ε; the authors use 1, 3, 6, 9');
  const kernelSize = requireOddKernel(MODEL_R, cfg.kernelSize ?? 3);
  for (const c of CIFAR_RESNET_WIDTHS) {
    if (Math.floor(c * expansion) < 1) throw new Error(`${MODEL_R}: expansion ${expansion} leaves a ${c}-channel block with 0 shifted channels; use expansion ≥ ${1 / c}`);
  }
  requireResolution(MODEL_R, profile, (r) => Math.floor(r / 4)); // two stride-2 stages need ≥ 4 real pixels
  return { depth, expansion, kernelSize, ...profile };
}

function buildShiftResNet(cfg: ShiftResNetConfig): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const n = (cfg.depth - 2) / 6;
  const input = imageInput(cfg);
  let x = convBnAct(input, { outChannels: CIFAR_RESNET_WIDTHS[0], kernelSize: 3, padding: 1, bn, name: 'conv1' });
  CIFAR_RESNET_WIDTHS.forEach((width, s) => {
    for (let b = 0; b < n; b++) {
      x = shiftResBlock(x, {
        outChannels: width,
        expansion: cfg.expansion,
        kernelSize: cfg.kernelSize,
        stride: s > 0 && b === 0 ? 2 : 1,
        bn,
        name: `stage${s + 1}.block${b + 1}`,
      });
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: `shift_resnet${cfg.depth}` });
}

/**
 * ShiftResNet for CIFAR (SHIFT-CIFAR): ResNet-(6n+2) whose 3×3 basic blocks are CSC modules with expansion ε.
 * Default profile 'cifar10' (32², 10 classes); 'tiny-imagenet' / 'imagenet' only change the input size and classes.
 */
export function shiftResNet(config: ModelConfig = {}): tf.LayersModel {
  return buildShiftResNet(validateShiftResNetConfig(config));
}

// ---------------------------------------------------------------------------------------------------------------

const DATASET_DOC = "'imagenet' (224², 1000) | 'cifar10' (32², 10) | 'tiny-imagenet' (64², 200)";

registerModel({
  name: MODEL_A,
  family: 'ShiftNet',
  description: 'ShiftNet-A (arXiv:1711.08141), reconstructed: pre-activation CSC blocks (BN-ReLU-1×1-shift-BN-ReLU-1×1). Outputs logits.',
  reconstruction:
    'Layout from a public third-party PyTorch reimplementation (ShiftNetA / CSCBlock), not from the paper, whose table was not retrieved; ' +
    'its cost 4.16 M W params / 1.42 G MACs matches the published 4.1 M / 1.4 G (docs/sources.md §4.6). ShiftNet-B/C definitions were not found: C is not provided, B only as the marked inference "B-inferred" (A with halved widths).',
  options: [
    { name: 'kernelSize', description: 'shift kernel K for every stage (default per stage: 5, 5, 3, 3)' },
    { name: 'expansion', description: 'ε for every CSC block (default per stage first/others: 4/4, 4/3, 3/2, 2/1)' },
    { name: 'width', description: 'multiplies the stem and stage widths (int truncation); 1 = ShiftNet-A; 0.5 = the inferred ShiftNet-B' },
    { name: 'dataset', description: `${DATASET_DOC}; small profiles use conv1 stride 1`, accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'A',
      config: {},
      published: {
        top1Percent: 70.1, top5Percent: 89.7, params: 4.1e6, paramsConvention: 'W', macs: 1.4e9, rounding: { params: 0.05 / 4.1, macs: 0.05 / 1.4 }, inputSize: 224,
        source: 'P-ASL slide (arXiv:1806.07370 presentation, p.18; MACs computed by the ASL authors); LIU24',
        footnote: 'Reconstruction: our 4.16 M W params / 1.42 G MACs equal the CALC (docs/sources.md) of this layout; the params are 1.5 % above the published 4.1 M (which 4.16 M gives only when truncated).',
      },
    },
    {
      name: 'B-inferred',
      config: { width: 0.5 },
      published: {
        top1Percent: 61.2, top5Percent: 83.6, params: 1.1e6, paramsConvention: 'W', macs: 371e6, rounding: { params: 0.05 / 1.1, macs: 0.5 / 371 }, inputSize: 224,
        source: 'P-ASL slide (ShiftNet-B; MACs computed by the ASL authors)',
        footnote:
          'INFERENCE, not a published definition: ShiftNet-B\'s architecture was not found; halving every ShiftNet-A width (stem included) ' +
          'gives 1.17 M W params / 371.0 M MACs, close to B\'s 1.1 M / 371 M (docs/sources.md §4.6).',
      },
    },
  ],
  build: shiftnetA,
});

registerModel({
  name: MODEL_R,
  family: 'ShiftNet',
  description: 'ShiftResNet for CIFAR (authors\' code alvinwan/shiftresnet-cifar): ResNet-(6n+2) with CSC modules (1×1-BN-ReLU-shift-1×1-BN-ReLU + shortcut). Outputs logits.',
  options: [
    { name: 'depth', description: '6n + 2 (20, 56, 110)' },
    { name: 'expansion', description: 'ε (mid = ε·out); the authors report 1, 3, 6, 9; default 3' },
    { name: 'kernelSize', description: 'shift kernel K; default 3' },
    { name: 'dataset', description: `${DATASET_DOC}; default 'cifar10'`, accepted: ['cifar10', 'tiny-imagenet', 'imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { dataset: 'cifar10', depth: 20, expansion: 3 },
  variants: [
    {
      name: '20-3c',
      config: { depth: 20, expansion: 3 },
      published: { top1Percent: 89.56, params: 95642, paramsConvention: 'W+BN2', rounding: { params: 0 }, inputSize: 32, source: 'SHIFT-CIFAR README (CIFAR-10 top-1, count.py params 95,642)' },
    },
    {
      name: '56-3c',
      config: { depth: 56, expansion: 3 },
      published: { top1Percent: 92.48, params: 0.29e6, paramsConvention: 'W+BN2', rounding: { params: 0.005 / 0.29 }, inputSize: 32, source: 'SHIFT-CIFAR README (CIFAR-10)' },
    },
  ],
  build: shiftResNet,
});
