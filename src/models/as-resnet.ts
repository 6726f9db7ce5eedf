/**
 * AS-ResNet — Jeon & Kim, "Constructing Fast Network through Deconstruction of Convolution", NeurIPS 2018,
 * arXiv:1806.07370. Reference: jyh2986/Active-Shift `models/ASL_Model/ImageNet/test_model/w{32,50,68}/*deploy.prototxt`
 * (Caffe; read exactly, docs/sources.md §4.7). Pre-activation residual network whose spatial convs are replaced by
 * 1×1 → active shift (ASL) → 1×1. Output: logits (no softmax).
 *
 * Cost: the ASL's bilinear interpolation (≈ 4·C·H′W′ multiplies) is NOT counted (project convention: conv/FC MACs only),
 * which is why our MACs (166.8 / 397.6 / 726.9 M) sit below the published 171 / 404 / 729 M. ASL offsets α, β are
 * learned parameters (2 per channel) and are included in the parameter counts, as the authors count them.
 */
import * as tf from '@tensorflow/tfjs';
import { activation, batchNorm, zeroPad } from '../lib/blocks/conv';
import { asResBlock } from '../lib/blocks/shift-blocks';
import { ActiveShift, shiftOffsets } from '../lib/ops';
import { choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { DatasetProfile, ModelConfig, registerModel } from './registry';

/** BN ε. The deploy prototxts have BN merged into Scale layers; Caffe's BatchNorm default is 1e-5. */
export const BN_EPSILON = 1e-5;
/** Base widths of the published networks (AS-ResNet-w32/w50/w68). */
export const AS_RESNET_BASE_WIDTHS = [32, 50, 68] as const;

/** Stage table (docs/sources.md §4.7): blocks, width multiple of w, stride of the first block. */
const STAGES: Array<{ blocks: number; widthFactor: number; stride: 1 | 2 }> = [
  { blocks: 1, widthFactor: 1, stride: 1 }, // stage0 at the stem's resolution
  { blocks: 3, widthFactor: 1, stride: 2 },
  { blocks: 4, widthFactor: 2, stride: 2 },
  { blocks: 6, widthFactor: 4, stride: 2 },
  { blocks: 3, widthFactor: 8, stride: 2 },
];

/** 'learned': active shifts train their offsets (AS-ResNet); 'fixed': offsets frozen at ShiftNet's 3×3 grid (a baseline). */
export type AsResNetShift = 'learned' | 'fixed';

export interface AsResNetConfig {
  baseWidth: number;
  normalizeGrad: boolean;
  shift: AsResNetShift;
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

const MODEL = 'as_resnet';

/** Size after a stride-2 layer with pad p, kernel k (Caffe floor arithmetic). */
const down = (n: number, k: number, p: number): number => Math.floor((n + 2 * p - k) / 2) + 1;

export function validateAsResNetConfig(cfg: ModelConfig): AsResNetConfig {
  const profile = resolveProfile(MODEL, cfg, ['baseWidth', 'normalizeGrad', 'shift']);
  const baseWidth = cfg.baseWidth ?? 68;
  if (typeof baseWidth !== 'number' || !Number.isInteger(baseWidth) || baseWidth < 1) {
    throw new Error(`${MODEL}: baseWidth must be a positive integer (published: ${AS_RESNET_BASE_WIDTHS.join(', ')}), got ${String(baseWidth)}`);
  }
  const normalizeGrad = cfg.normalizeGrad ?? true;
  if (typeof normalizeGrad !== 'boolean') throw new Error(`${MODEL}: normalizeGrad must be true or false, got ${String(normalizeGrad)}`);
  const shift = choiceOption<AsResNetShift>(MODEL, 'shift', cfg.shift, ['learned', 'fixed'], 'learned');
  const stemStride = profile.dataset === 'imagenet' ? 2 : 1;
  requireResolution(MODEL, profile, (r) => {
    const s = stemStride === 2 ? down(r, 3, 1) : r;
    return Math.floor(s / 16); // four stride-2 stages need ≥ 16 real pixels
  });
  return { baseWidth, normalizeGrad, shift, ...profile };
}

function build(cfg: AsResNetConfig): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const input = imageInput(cfg);
  const stemStride = cfg.dataset === 'imagenet' ? 2 : 1;
  // Stem: conv 3×3 (pad 1), no BN/ReLU after it — the first block's pre-activation BN-ReLU follows.
  let x = tf.layers
    .conv2d({ filters: cfg.baseWidth, kernelSize: 3, strides: stemStride, padding: 'valid', useBias: false, name: 'conv1.conv' })
    .apply(zeroPad(input, 1, 'conv1.pad')) as tf.SymbolicTensor;
  STAGES.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      x = asResBlock(x, {
        outChannels: cfg.baseWidth * stage.widthFactor,
        stride: b === 0 ? stage.stride : 1,
        normalizeGrad: cfg.normalizeGrad,
        bn,
        name: `stage${s}.block${b + 1}`,
      });
    }
  });
  x = activation(batchNorm(x, 'head.bn', bn), 'relu', 'head.relu');
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: `as_resnet_w${cfg.baseWidth}${cfg.shift === 'fixed' ? '_fixed' : ''}` });
  if (cfg.shift === 'fixed') freezeAtGrid(model);
  return model;
}

/**
 * Sets every active shift of `model` to ShiftNet's 3×3 grid of integer offsets (shiftOffsets(C, 3); at integer offsets
 * the bilinear sampling is an exact shift) and stops it training: the same network with fixed shifts, the baseline
 * that isolates what learning the offsets buys. The offsets stay in the weights (non-trainable), so counts are unchanged.
 */
function freezeAtGrid(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (!(layer instanceof ActiveShift)) continue;
    const channels = layer.getWeights()[0].shape[0];
    // The layer stores (x, y) = (dx, dy) per channel; shiftOffsets returns [dy, dx].
    const grid = shiftOffsets(channels, 3).map(([dy, dx]) => [dx, dy]);
    layer.setWeights([tf.tensor2d(grid, [channels, 2])]);
    layer.trainable = false;
  }
}

/**
 * AS-ResNet-w`baseWidth` (default 68). Profiles: 'imagenet' 224² (stem stride 2); 'cifar10' 32² and 'tiny-imagenet'
 * 64²: stem stride 1, the four stride-2 stages unchanged. `normalizeGrad` (default true, prototxt `normalize: true`).
 * `shift: 'fixed'` freezes every shift at the 3×3 grid (baseline; default 'learned').
 */
export function asResNet(config: ModelConfig = {}): tf.LayersModel {
  return build(validateAsResNetConfig(config));
}

const SOURCE = 'P-ASL slide (presentation_rev2.pdf p.18) and ASL-REPO test_model/Readme.md';
const FOOTNOTE =
  'Our MACs exclude the ASL bilinear interpolation (project convention); CALC of the deploy prototxt gives 166.8 / 397.6 / 726.9 M. ' +
  'Params include BN γ,β (deploy Scale layers) and ASL α,β.';

registerModel({
  name: MODEL,
  family: 'AS-ResNet',
  description: 'AS-ResNet (arXiv:1806.07370): pre-activation ResNet with 1×1 → active shift → 1×1 blocks (17 ASLs). Outputs logits.',
  options: [
    { name: 'baseWidth', description: 'base width w (stages w, w, 2w, 4w, 8w); any positive integer', published: [...AS_RESNET_BASE_WIDTHS] },
    { name: 'normalizeGrad', description: 'ASL per-channel gradient normalisation; default true (prototxt)' },
    { name: 'shift', description: "'learned' (default: AS-ResNet) | 'fixed' (offsets frozen at ShiftNet's 3×3 grid: the fixed-shift baseline)", accepted: ['learned', 'fixed'] },
    { name: 'dataset', description: "'imagenet' (224², 1000) | 'cifar10' (32², 10) | 'tiny-imagenet' (64², 200); small profiles use stem stride 1", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { baseWidth: 68, dataset: 'imagenet' },
  variants: [
    { name: 'w32', config: { baseWidth: 32 }, published: { top1Percent: 64.1, top5Percent: 85.4, params: 0.9e6, paramsConvention: 'W+BN2', macs: 171e6, rounding: { params: 0.05 / 0.9, macs: 0.5 / 171 }, inputSize: 224, source: SOURCE, footnote: FOOTNOTE } },
    { name: 'w50', config: { baseWidth: 50 }, published: { top1Percent: 69.9, top5Percent: 89.3, params: 1.96e6, paramsConvention: 'W+BN2', macs: 404e6, rounding: { params: 0.005 / 1.96, macs: 0.5 / 404 }, inputSize: 224, source: SOURCE, footnote: FOOTNOTE } },
    { name: 'w68', config: { baseWidth: 68 }, published: { top1Percent: 72.2, top5Percent: 90.7, params: 3.42e6, paramsConvention: 'W+BN2', macs: 729e6, rounding: { params: 0.005 / 3.42, macs: 0.5 / 729 }, inputSize: 224, source: SOURCE, footnote: FOOTNOTE } },
  ],
  build: asResNet,
});
