/**
 * ResNet (He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", arXiv:1512.03385) as torchvision 0.14
 * defines it (`torchvision/models/resnet.py`): BasicBlock for 18/34, Bottleneck for 50/101/152, projection
 * shortcuts (option B) only where the shape changes, BN ε = 1e-5, global average pool and one FC.
 * Difference from the paper: torchvision's Bottleneck is "ResNet v1.5" — a down-sampling block strides on its 3×3
 * conv, while the paper (and the Caffe release) stride on the first 1×1. v1.5 costs more (ResNet-50: 4,089 M vs
 * 3,858 M MACs) and is ~0.5 % more accurate; `stride: 'v1'` builds the original. BasicBlock nets are unaffected.
 *
 * Output: logits (no softmax). Layer names ↔ torchvision `state_dict` keys:
 *   `conv1.conv` ↔ `conv1`, `conv1.bn` ↔ `bn1`,
 *   `layer<s>.<b>.conv<k>.conv` ↔ `layer<s>.<b>.conv<k>`, `layer<s>.<b>.conv<k>.bn` ↔ `layer<s>.<b>.bn<k>`,
 *   `layer<s>.<b>.downsample.conv` ↔ `layer<s>.<b>.downsample.0`, `…downsample.bn` ↔ `…downsample.1`, `fc` ↔ `fc`.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { basicBlock, bottleneck, BOTTLENECK_EXPANSION, BottleneckStride } from '../lib/blocks/residual';
import { convOutputSize, maxPool2dTorch, maxPoolOutputSize } from '../lib/blocks/torch-pooling';
import { BaselineProfile, choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { ModelConfig, OptionDoc, registerModel } from './registry';

/** torchvision `nn.BatchNorm2d` default. */
const BN_EPSILON = 1e-5;
/** 3×3 width (torchvision's `planes`) of the four stages; stages 2–4 start with a stride-2 block. */
const STAGE_PLANES = [64, 128, 256, 512] as const;
const STEM_CHANNELS = 64;

/** Block type and blocks per stage (paper Table 1). */
export const RESNET_TABLES = {
  18: { block: 'basic', blocks: [2, 2, 2, 2] },
  34: { block: 'basic', blocks: [3, 4, 6, 3] },
  50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
  101: { block: 'bottleneck', blocks: [3, 4, 23, 3] },
  152: { block: 'bottleneck', blocks: [3, 8, 36, 3] },
} as const;
export type ResNetDepth = keyof typeof RESNET_TABLES;
export const RESNET_DEPTHS: readonly ResNetDepth[] = [18, 34, 50, 101, 152];
export const RESNET_STRIDES: readonly BottleneckStride[] = ['v1.5', 'v1'];

/** Stem conv and whether the 3×3/2 max pool (padding 1) follows, per profile. */
interface Stem { kernel: number; stride: number; padding: number; maxpool: boolean }
/**
 * ImageNet: 7×7/2 conv (padding 3) + 3×3/2 max pool. CIFAR-10: 3×3/1 conv (padding 1), no max pool (the usual
 * CIFAR ResNet stem) → stages at 32, 16, 8, 4. Tiny-ImageNet: 3×3/2 conv (padding 1), no max pool → the same sizes.
 */
const STEMS: Record<BaselineProfile['dataset'], Stem> = {
  imagenet: { kernel: 7, stride: 2, padding: 3, maxpool: true },
  cifar10: { kernel: 3, stride: 1, padding: 1, maxpool: false },
  'tiny-imagenet': { kernel: 3, stride: 2, padding: 1, maxpool: false },
};
const STEM_POOL = { kernel: 3, stride: 2, padding: 1 } as const;

/** Options: `depth` (18, 34, 50, 101, 152), `stride` ('v1.5' default, 'v1'), plus `dataset`, `resolution`, `classes`. */
export interface ResNetConfig extends Pick<ModelConfig, 'dataset' | 'resolution' | 'classes'> {
  depth?: ResNetDepth;
  stride?: BottleneckStride;
}

/** Spatial size after stage 4 for input `r` (≤ 0 when too small). */
function finalMapSize(stem: Stem, r: number): number {
  let n = convOutputSize(r, stem.kernel, stem.stride, stem.padding);
  if (stem.maxpool && n >= 1) n = maxPoolOutputSize(n, STEM_POOL.kernel, STEM_POOL.stride, STEM_POOL.padding, false);
  for (let s = 1; s < STAGE_PLANES.length && n >= 1; s++) n = convOutputSize(n, 3, 2, 1);
  return n;
}

function build(depth: ResNetDepth, strideAt: BottleneckStride, stem: Stem, profile: BaselineProfile): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const table = RESNET_TABLES[depth];
  const input = imageInput(profile);
  let x = convBnAct(input, { outChannels: STEM_CHANNELS, kernelSize: stem.kernel, stride: stem.stride, padding: stem.padding, bn, name: 'conv1' });
  if (stem.maxpool) {
    // After a ReLU (≥ 0), so zero padding equals PyTorch's −∞ padding.
    x = maxPool2dTorch(x, { kernelSize: STEM_POOL.kernel, stride: STEM_POOL.stride, padding: STEM_POOL.padding, name: 'maxpool' });
  }
  table.blocks.forEach((count, s) => {
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const name = `layer${s + 1}.${b}`;
      x = table.block === 'basic'
        ? basicBlock(x, { outChannels: STAGE_PLANES[s], stride, bn, name })
        : bottleneck(x, { outChannels: STAGE_PLANES[s] * BOTTLENECK_EXPANSION, stride, strideAt, bn, name });
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  const suffix = table.block === 'bottleneck' && strideAt === 'v1' ? '_v1' : '';
  return tf.model({ inputs: input, outputs: logits(x, profile.classes, 'fc'), name: `resnet${depth}${suffix}_${profile.dataset}` });
}

/**
 * torchvision ResNet-`depth` (default 18); [N, r, r, 3] → logits [N, classes]. `stride`: where Bottleneck blocks
 * stride ('v1.5' torchvision, 'v1' paper; no effect on 18/34). Small profiles use a 3×3 stem without max pool (see STEMS).
 */
export function resnet(cfg: ResNetConfig = {}): tf.LayersModel {
  const profile = resolveProfile('resnet', cfg, ['depth', 'stride']);
  const depth = choiceOption('resnet', 'depth', cfg.depth, RESNET_DEPTHS, 18);
  const strideAt = choiceOption(`resnet${depth}`, 'stride', cfg.stride, RESNET_STRIDES, 'v1.5');
  const stem = STEMS[profile.dataset];
  requireResolution(`resnet${depth}`, profile, (r) => finalMapSize(stem, r));
  return build(depth, strideAt, stem, profile);
}

/** Builder for one fixed depth; a conflicting `depth` in the config is an error, not silently replaced. */
function fixedDepth(depth: ResNetDepth): (cfg?: Omit<ResNetConfig, 'depth'>) => tf.LayersModel {
  return (cfg = {}) => {
    const given = (cfg as ResNetConfig).depth;
    if (given !== undefined && given !== depth) {
      throw new Error(`resnet${depth}: depth is fixed at ${depth}, got ${String(given)}; call resnet({ depth }) for ResNet-${RESNET_DEPTHS.join('/')}`);
    }
    return resnet({ ...cfg, depth });
  };
}

/** torchvision `resnet18`. */
export const resnet18 = fixedDepth(18);
/** torchvision `resnet34`. */
export const resnet34 = fixedDepth(34);
/** torchvision `resnet50` (v1.5 unless `stride: 'v1'`). */
export const resnet50 = fixedDepth(50);
/** torchvision `resnet101`. */
export const resnet101 = fixedDepth(101);
/** torchvision `resnet152`. */
export const resnet152 = fixedDepth(152);

const COMMON_OPTIONS: OptionDoc[] = [
  { name: 'dataset', description: 'data-set profile; small profiles use a 3×3 stem conv (stride 1 CIFAR, 2 Tiny-ImageNet) without max pool', accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
  { name: 'resolution', description: 'input height = width (pixels), any ≥ 1 as in torchvision (every map stays ≥ 1×1)' },
  { name: 'classes', description: 'classifier outputs' },
];

registerModel({
  name: 'resnet18',
  family: 'baseline',
  description: 'ResNet-18, torchvision definition (BasicBlock [2,2,2,2]); logits output',
  options: [...COMMON_OPTIONS],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'imagenet-224',
      config: { dataset: 'imagenet' },
      published: {
        top1Percent: 69.758, top5Percent: 89.078, params: 11_689_512, paramsConvention: 'W+BN2', macs: 1.814e9,
        rounding: { macs: 0.0005 / 1.814 }, inputSize: 224,
        source: 'torchvision 0.14 ResNet18_Weights.IMAGENET1K_V1 (docs/sources.md §4.10)',
        footnote: 'Paper (arXiv:1512.03385, 10-crop): 27.88 % top-1 error, 11.7 M params; CALC (docs/sources.md): 1,814 M MACs.',
      },
    },
    { name: 'cifar10', config: { dataset: 'cifar10' } },
    { name: 'tiny-imagenet', config: { dataset: 'tiny-imagenet' } },
  ],
  build: (cfg) => resnet18(cfg as Omit<ResNetConfig, 'depth'>),
});

registerModel({
  name: 'resnet50',
  family: 'baseline',
  description: 'ResNet-50, torchvision definition (Bottleneck [3,4,6,3], v1.5 stride on the 3×3; stride: \'v1\' for the paper); logits output',
  options: [
    ...COMMON_OPTIONS,
    { name: 'stride', description: "where a down-sampling Bottleneck strides: 'v1.5' on the 3×3 (torchvision) or 'v1' on the first 1×1 (paper)", accepted: [...RESNET_STRIDES] },
  ],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'imagenet-224',
      config: { dataset: 'imagenet' },
      published: {
        top1Percent: 76.13, top5Percent: 92.862, params: 25_557_032, paramsConvention: 'W+BN2', macs: 4.089e9,
        rounding: { macs: 0.0005 / 4.089 }, inputSize: 224,
        source: 'torchvision 0.14 ResNet50_Weights.IMAGENET1K_V1 (docs/sources.md §4.10)',
        footnote: 'torchvision is ResNet v1.5 (stride on the 3×3). Paper (arXiv:1512.03385 T3, 10-crop): 22.85 / 6.71 % error, 25.6 M params, "3.8 G FLOPs" (multiply-adds) for v1.',
      },
    },
    {
      name: 'v1-imagenet-224',
      config: { dataset: 'imagenet', stride: 'v1' },
      published: {
        top1Percent: 77.15, top5Percent: 93.29, params: 25.6e6, paramsConvention: 'W+BN2', macs: 3_858e6,
        rounding: { params: 0.05 / 25.6, macs: 0.5 / 3858 }, inputSize: 224,
        source: 'He et al. arXiv:1512.03385 Table 3 (10-crop accuracy); MACs: docs/sources.md §4.10 CALC for v1',
        footnote: 'The paper rounds the MACs to "3.8 G FLOPs" (multiply-adds; quoted by ShuffleNet V2 T6); the exact v1 count is 3,858 M. Accuracy is 10-crop, not single-crop.',
      },
    },
    { name: 'cifar10', config: { dataset: 'cifar10' } },
    { name: 'tiny-imagenet', config: { dataset: 'tiny-imagenet' } },
  ],
  build: (cfg) => resnet50(cfg as Omit<ResNetConfig, 'depth'>),
});
