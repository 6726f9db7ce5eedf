/**
 * VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
 * arXiv:1409.1556) as torchvision 0.14 defines it (`torchvision/models/vgg.py`): configurations A/B/D/E
 * = VGG-11/13/16/19, 3×3 convs with bias and padding 1, 2×2 max pools, an adaptive average pool to 7×7 (the
 * identity at 224²) and the 4096-4096 classifier with dropout 0.5. Differences from the paper: the adaptive pool
 * (the paper evaluates fully-convolutionally on larger images), and the optional BatchNorm (`batchNorm: true`,
 * torchvision's `vgg16_bn`; the paper has none). The paper's VGG-16 has 138 M params and ~15.5 G MACs.
 *
 * Output: logits (no softmax). Layer names ↔ torchvision `state_dict` keys:
 *   `features.<i>.conv` ↔ `features.<i>` (i = torchvision's Sequential index of the conv),
 *   `features.<i>.bn` ↔ `features.<i+1>` (batchNorm: true), `classifier.<i>` ↔ `classifier.<i>` (i = 0, 3, 6).
 * Features are flattened in PyTorch's C·H·W order, so `classifier.0` loads with a plain transpose.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { adaptiveAvgPool2d, flattenTorchOrder, maxPool2dTorch } from '../lib/blocks/torch-pooling';
import { BaselineProfile, choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { ModelConfig, registerModel } from './registry';

/** 'M' = 2×2 max pool, stride 2; a number = 3×3 conv with that many filters. torchvision `cfgs`. */
type VggRow = number | 'M';

/** VGG configurations by depth (paper Table 1 columns A, B, D, E). */
export const VGG_TABLES: Readonly<Record<11 | 13 | 16 | 19, readonly VggRow[]>> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};
export type VggDepth = keyof typeof VGG_TABLES;
export const VGG_DEPTHS: readonly VggDepth[] = [11, 13, 16, 19];

const CONV_KERNEL = 3;
const CONV_PADDING = 1;
const POOL_SIZE = 2;
const FC_WIDTH = 4096;
const DROPOUT = 0.5;
/** BN ε of torchvision's vgg*_bn (nn.BatchNorm2d default). */
const BN_EPSILON = 1e-5;
/** Number of 2× down-samplings (one per 'M'). */
const DOWNSAMPLINGS = 5;
/**
 * Adaptive-pool output per profile: torchvision's 7 on ImageNet; on small images the map the five pools leave at
 * the profile's size (32/32 = 1 on CIFAR-10, 64/32 = 2 on Tiny-ImageNet), so classifier.0 has 512·s² inputs instead
 * of 25,088. The convs are unchanged (already 3×3, stride 1).
 */
const POOL_OUTPUT = { imagenet: 7, cifar10: 1, 'tiny-imagenet': 2 } as const;

/** Options: `depth` (11, 13, 16, 19; default 16), `batchNorm` (default false), plus `dataset`, `resolution`, `classes`. */
export interface VggConfig extends Pick<ModelConfig, 'dataset' | 'resolution' | 'classes'> {
  depth?: VggDepth;
  batchNorm?: boolean;
}

function build(table: readonly VggRow[], batchNorm: boolean, profile: BaselineProfile, name: string): tf.LayersModel {
  const input = imageInput(profile);
  let x = input;
  let index = 0; // torchvision Sequential index: conv, [bn,] relu per conv; one per pool
  for (const row of table) {
    if (row === 'M') {
      x = maxPool2dTorch(x, { kernelSize: POOL_SIZE, stride: POOL_SIZE, name: `features.${index}` });
      index += 1;
    } else {
      x = convBnAct(x, {
        outChannels: row, kernelSize: CONV_KERNEL, padding: CONV_PADDING, useBias: true, batchNorm,
        bn: { epsilon: BN_EPSILON }, name: `features.${index}`,
      });
      index += batchNorm ? 3 : 2;
    }
  }
  x = adaptiveAvgPool2d(x, POOL_OUTPUT[profile.dataset], 'avgpool');
  x = flattenTorchOrder(x, 'flatten');
  x = tf.layers.dense({ units: FC_WIDTH, activation: 'relu', name: 'classifier.0' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: DROPOUT, name: 'classifier.2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: FC_WIDTH, activation: 'relu', name: 'classifier.3' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: DROPOUT, name: 'classifier.5' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, profile.classes, 'classifier.6'), name });
}

/**
 * torchvision VGG-`depth` (optionally with BN); [N, r, r, 3] → logits [N, classes]. Needs resolution ≥ 32 (five 2×2
 * pools). Small profiles change only the adaptive pool's output (see POOL_OUTPUT).
 */
export function vgg(cfg: VggConfig = {}): tf.LayersModel {
  const model = 'vgg';
  const profile = resolveProfile(model, cfg, ['depth', 'batchNorm']);
  const depth = choiceOption(model, 'depth', cfg.depth, VGG_DEPTHS, 16);
  const batchNorm = choiceOption(model, 'batchNorm', cfg.batchNorm, [false, true], false);
  requireResolution(`vgg${depth}`, profile, (r) => Math.floor(r / 2 ** DOWNSAMPLINGS));
  return build(VGG_TABLES[depth], batchNorm, profile, `vgg${depth}${batchNorm ? '_bn' : ''}_${profile.dataset}`);
}

/** torchvision `vgg16` (config D). */
export function vgg16(cfg: Omit<VggConfig, 'depth'> = {}): tf.LayersModel {
  const depth = (cfg as VggConfig).depth;
  if (depth !== undefined && depth !== 16) {
    throw new Error(`vgg16: depth is fixed at 16, got ${String(depth)}; call vgg({ depth }) for VGG-${VGG_DEPTHS.join('/')}`);
  }
  return vgg({ ...cfg, depth: 16 });
}

registerModel({
  name: 'vgg16',
  family: 'baseline',
  description: 'VGG-16 (config D), torchvision definition: 13 3×3 convs with bias, 5 max pools, adaptive 7×7 pool, 4096-4096 classifier; logits output',
  options: [
    { name: 'dataset', description: 'data-set profile; small profiles shrink the adaptive pool to the final map (1×1 CIFAR, 2×2 Tiny-ImageNet)', accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input height = width (pixels), ≥ 32' },
    { name: 'classes', description: 'classifier outputs' },
    { name: 'batchNorm', description: 'BN after every conv (torchvision vgg*_bn)', accepted: ['false', 'true'] },
  ],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'imagenet-224',
      config: { dataset: 'imagenet' },
      published: {
        top1Percent: 71.592, top5Percent: 90.382, params: 138_357_544, paramsConvention: 'W', macs: 15.47e9,
        rounding: { macs: 0.005 / 15.47 }, inputSize: 224,
        source: 'torchvision 0.14 VGG16_Weights.IMAGENET1K_V1 (docs/sources.md §4.10)',
        footnote: 'No BN, so W = W+BN2. Paper (arXiv:1409.1556 Table 5, multi-crop & dense): 24.4 / 7.2 % error; MobileNet T8 quotes 71.5 % top-1, 138 M params, 15,300 M MACs.',
      },
    },
    { name: 'cifar10', config: { dataset: 'cifar10' } },
    { name: 'tiny-imagenet', config: { dataset: 'tiny-imagenet' } },
  ],
  build: (cfg) => vgg16(cfg as Omit<VggConfig, 'depth'>),
});
