/**
 * GoogLeNet / Inception-v1 (Szegedy et al., "Going Deeper with Convolutions", arXiv:1409.4842) as torchvision 0.14
 * defines it (`torchvision/models/googlenet.py`). Differences from the paper:
 * - BatchNorm (ε = 1e-3) after every bias-free conv (torchvision's BasicConv2d); the paper has no BN and uses LRN;
 * - branch 3 of every Inception module uses a 3×3 conv instead of the paper's 5×5 (torchvision quirk, kept because
 *   its weights were trained that way; `branch3Kernel: 5` builds the paper's kernel);
 * - the two auxiliary classifiers (training-time only) are left out, as in torchvision with `aux_logits=False`;
 * - max pools use ceil mode (Caffe's rounding) via explicit padding, and dropout before the FC is 0.2 (paper 0.4).
 * torchvision's pretrained weights also set `transform_input=True` (re-normalises ImageNet-normalised input to
 * (x − 0.5)/0.5); that affine input step is not part of this graph: an importer must apply it to the data.
 *
 * Output: logits (no softmax). Layer names equal torchvision keys: `conv1.conv` ↔ `conv1.conv`, `conv1.bn` ↔
 * `conv1.bn`, `inception4a.branch2.1.conv` ↔ `inception4a.branch2.1.conv`, `fc` ↔ `fc`.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { inception, InceptionWidths } from '../lib/blocks/inception';
import { convOutputSize, maxPool2dTorch, maxPoolOutputSize } from '../lib/blocks/torch-pooling';
import { BaselineProfile, choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { ModelConfig, registerModel } from './registry';

/** torchvision BasicConv2d: `nn.BatchNorm2d(eps=0.001)`. */
const BN_EPSILON = 1e-3;
const DROPOUT = 0.2;

/** A stage: optional max pool (name, kernel, stride; ceil mode) then Inception modules (name → widths). */
interface Stage {
  pool?: { name: string; kernel: number; stride: number };
  modules: Array<[string, InceptionWidths]>;
}

const w = (c1: number, c3reduce: number, c3: number, c5reduce: number, c5: number, poolProj: number): InceptionWidths =>
  ({ c1, c3reduce, c3, c5reduce, c5, poolProj });

/** Paper Table 1 / torchvision: Inception 3, 4, 5 stages. */
const STAGES: readonly Stage[] = [
  { modules: [['inception3a', w(64, 96, 128, 16, 32, 32)], ['inception3b', w(128, 128, 192, 32, 96, 64)]] },
  {
    pool: { name: 'maxpool3', kernel: 3, stride: 2 },
    modules: [
      ['inception4a', w(192, 96, 208, 16, 48, 64)], ['inception4b', w(160, 112, 224, 24, 64, 64)],
      ['inception4c', w(128, 128, 256, 24, 64, 64)], ['inception4d', w(112, 144, 288, 32, 64, 64)],
      ['inception4e', w(256, 160, 320, 32, 128, 128)],
    ],
  },
  {
    pool: { name: 'maxpool4', kernel: 2, stride: 2 },
    modules: [['inception5a', w(256, 160, 320, 32, 128, 128)], ['inception5b', w(384, 192, 384, 48, 128, 128)]],
  },
];

/** Stem conv1 and whether maxpool1 follows, per profile. */
interface Stem { kernel: number; stride: number; padding: number; maxpool1: boolean }
/**
 * ImageNet: 7×7/2 conv1 + maxpool1. Small images: a 3×3 conv1 (stride 1 on CIFAR-10, 2 on Tiny-ImageNet, padding 1)
 * and no maxpool1, so conv2/conv3 run at 32×32 and maxpool2 hands 16×16 to Inception 3 (4 and 5: 8×8, 4×4).
 */
const STEMS: Record<BaselineProfile['dataset'], Stem> = {
  imagenet: { kernel: 7, stride: 2, padding: 3, maxpool1: true },
  cifar10: { kernel: 3, stride: 1, padding: 1, maxpool1: false },
  'tiny-imagenet': { kernel: 3, stride: 2, padding: 1, maxpool1: false },
};
/** maxpool1/2/3: 3×3 stride 2 ceil mode. */
const STEM_POOL = { kernel: 3, stride: 2 } as const;

/** Options: `branch3Kernel` (3 torchvision default, 5 paper) plus `dataset`, `resolution`, `classes`. */
export interface GoogLeNetConfig extends Pick<ModelConfig, 'dataset' | 'resolution' | 'classes'> {
  branch3Kernel?: 3 | 5;
}

/** Spatial size after the last stage for input `r` (≤ 0 when too small). */
function finalMapSize(stem: Stem, r: number): number {
  let n = convOutputSize(r, stem.kernel, stem.stride, stem.padding);
  const pool = (k: number, s: number): void => { n = n >= 1 ? maxPoolOutputSize(n, k, s, 0, true) : 0; };
  if (stem.maxpool1) pool(STEM_POOL.kernel, STEM_POOL.stride);
  pool(STEM_POOL.kernel, STEM_POOL.stride); // maxpool2
  for (const stage of STAGES) if (stage.pool) pool(stage.pool.kernel, stage.pool.stride);
  return n;
}

function build(stem: Stem, branch3Kernel: 3 | 5, profile: BaselineProfile): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const input = imageInput(profile);
  let x = convBnAct(input, { outChannels: 64, kernelSize: stem.kernel, stride: stem.stride, padding: stem.padding, bn, name: 'conv1' });
  const pool = (t: tf.SymbolicTensor, name: string, kernelSize: number, stride: number): tf.SymbolicTensor =>
    maxPool2dTorch(t, { kernelSize, stride, ceilMode: true, name }); // inputs are ReLU outputs (≥ 0)
  if (stem.maxpool1) x = pool(x, 'maxpool1', STEM_POOL.kernel, STEM_POOL.stride);
  x = convBnAct(x, { outChannels: 64, kernelSize: 1, padding: 0, bn, name: 'conv2' });
  x = convBnAct(x, { outChannels: 192, kernelSize: 3, padding: 1, bn, name: 'conv3' });
  x = pool(x, 'maxpool2', STEM_POOL.kernel, STEM_POOL.stride);
  for (const stage of STAGES) {
    if (stage.pool) x = pool(x, stage.pool.name, stage.pool.kernel, stage.pool.stride);
    for (const [name, widths] of stage.modules) x = inception(x, { ...widths, branch3Kernel, bn, name });
  }
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: DROPOUT, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, profile.classes, 'fc'), name: `googlenet_${profile.dataset}` });
}

/**
 * torchvision GoogLeNet without aux heads; [N, r, r, 3] → logits [N, classes]. Small profiles: 3×3 conv1
 * (stride 1 CIFAR-10 / 2 Tiny-ImageNet) and no maxpool1 (see STEMS). ImageNet needs resolution ≥ 15 (torchvision's min_size).
 */
export function googlenet(cfg: GoogLeNetConfig = {}): tf.LayersModel {
  const profile = resolveProfile('googlenet', cfg, ['branch3Kernel']);
  const branch3Kernel = choiceOption('googlenet', 'branch3Kernel', cfg.branch3Kernel, [3, 5] as const, 3);
  const stem = STEMS[profile.dataset];
  requireResolution('googlenet', profile, (r) => finalMapSize(stem, r));
  return build(stem, branch3Kernel, profile);
}

registerModel({
  name: 'googlenet',
  family: 'baseline',
  description: 'GoogLeNet (Inception-v1), torchvision definition: BN variant, no aux heads, 3×3 in branch 3; logits output',
  options: [
    { name: 'dataset', description: 'data-set profile; small profiles use a 3×3 conv1 (stride 1 CIFAR, 2 Tiny-ImageNet) and drop maxpool1', accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input height = width (pixels); ImageNet ≥ 15' },
    { name: 'classes', description: 'classifier outputs' },
    { name: 'branch3Kernel', description: 'kernel of the second conv of branch 3: 3 (torchvision) or 5 (paper)', accepted: [3, 5] },
  ],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'imagenet-224',
      config: { dataset: 'imagenet' },
      published: {
        top1Percent: 69.778, top5Percent: 89.53, params: 6_624_904, paramsConvention: 'W+BN2', macs: 1.498e9,
        rounding: { macs: 0.0005 / 1.498 }, inputSize: 224,
        source: 'torchvision 0.14 GoogLeNet_Weights.IMAGENET1K_V1 (docs/sources.md §4.10)',
        footnote: 'Paper (arXiv:1409.4842): 6.8 M params (as quoted), ~1.5 G MACs, top-5 error 10.07 % (1 model, 1 crop); MobileNet T8 quotes 69.8 % top-1 and 1,550 M MACs. torchvision\'s net differs (BN, 3×3 branch 3, no aux heads).',
      },
    },
    { name: 'paper-5x5', config: { dataset: 'imagenet', branch3Kernel: 5 } },
    { name: 'cifar10', config: { dataset: 'cifar10' } },
    { name: 'tiny-imagenet', config: { dataset: 'tiny-imagenet' } },
  ],
  build: (cfg) => googlenet(cfg as GoogLeNetConfig),
});
