/**
 * SqueezeNet 1.0 and 1.1 — Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
 * <0.5MB model size", arXiv:1602.07360 (Table 1, §6 bypass). Reference implementations: torchvision
 * `models/squeezenet.py` (layout used here) and forresti/SqueezeNet (Caffe; v1.1 = 3×3/64 stem, earlier pools).
 *
 * torchvision layout: conv1 (bias, no padding) → ReLU → ceil-mode 3×3/2 max pools (54×54 after the first at 224²),
 * Fire modules (bias, no BatchNorm), dropout 0.5 → conv10 1×1 (classes, bias) → ReLU → global average pool.
 * The output is the pooled conv10 map (torchvision's "logits", non-negative because of the ReLU): no softmax.
 * Input 224² by default as torchvision; the Caffe models use 227² (variants "…-227").
 */
import * as tf from '@tensorflow/tfjs';
import { fire, FireBypass, FIRE_INIT } from '../lib/blocks/fire';
import { zeroPad } from '../lib/blocks/conv';
import { convOutputSize, maxPool2dTorch, maxPoolOutputSize } from '../lib/blocks/torch-pooling';
import { BaselineProfile, choiceOption, imageInput, requireResolution, resolveProfile } from './baselines-common';
import { ModelConfig, registerModel } from './registry';

/** Max pools: 3×3, stride 2, ceil mode (Caffe / torchvision). */
export const POOL = { kernelSize: 3, stride: 2, ceilMode: true };
/** Dropout before conv10 (P-SQZ, torchvision). */
export const CLASSIFIER_DROPOUT = 0.5;
export const BYPASS_CHOICES: readonly FireBypass[] = ['none', 'simple', 'complex'];

/** conv1 of a version. */
export interface StemSpec {
  filters: number;
  kernelSize: number;
}

/** One step of the body: a max pool or a Fire(s, e1, e3) module named by the paper ("fire2" …). */
export type BodyStep = { kind: 'pool' } | { kind: 'fire'; name: string; squeeze: number; expand1x1: number; expand3x3: number };

export interface SqueezeNetTable {
  stem: StemSpec;
  body: readonly BodyStep[];
}

const f = (name: string, squeeze: number, e: number): BodyStep => ({ kind: 'fire', name, squeeze, expand1x1: e, expand3x3: e });
const pool: BodyStep = { kind: 'pool' };

/** P-SQZ Table 1 / torchvision `version="1_0"`: pools after conv1, fire4, fire8. */
export const SQUEEZENET_1_0: SqueezeNetTable = {
  stem: { filters: 96, kernelSize: 7 },
  body: [pool, f('fire2', 16, 64), f('fire3', 16, 64), f('fire4', 32, 128), pool, f('fire5', 32, 128), f('fire6', 48, 192), f('fire7', 48, 192), f('fire8', 64, 256), pool, f('fire9', 64, 256)],
};

/** forresti SqueezeNet_v1.1 / torchvision `version="1_1"`: 3×3/64 stem, pools after conv1, fire3, fire5. */
export const SQUEEZENET_1_1: SqueezeNetTable = {
  stem: { filters: 64, kernelSize: 3 },
  body: [pool, f('fire2', 16, 64), f('fire3', 16, 64), pool, f('fire4', 32, 128), f('fire5', 32, 128), pool, f('fire6', 48, 192), f('fire7', 48, 192), f('fire8', 64, 256), f('fire9', 64, 256)],
};

export interface SqueezeNetConfig extends BaselineProfile {
  bypass: FireBypass;
  /** ImageNet: conv1 stride 2, no padding, then a max pool. Small profiles: conv1 stride 1, pad (k−1)/2, no first pool. */
  smallImages: boolean;
}

/** The body actually built: small-image profiles drop the max pool that follows conv1. */
function bodyFor(table: SqueezeNetTable, cfg: SqueezeNetConfig): readonly BodyStep[] {
  return cfg.smallImages && table.body[0].kind === 'pool' ? table.body.slice(1) : table.body;
}

/** Spatial size of the last feature map for input `r` (≤ 0 when some layer gets too small a map). */
function finalMapSize(table: SqueezeNetTable, cfg: SqueezeNetConfig, r: number): number {
  const k = table.stem.kernelSize;
  let n = cfg.smallImages ? convOutputSize(r, k, 1, (k - 1) / 2) : convOutputSize(r, k, 2, 0);
  for (const step of bodyFor(table, cfg)) {
    if (n < 1) return n;
    if (step.kind === 'pool') n = maxPoolOutputSize(n, POOL.kernelSize, POOL.stride, 0, POOL.ceilMode);
  }
  return n;
}

/** Validates a config before building; errors name the value and the accepted values. */
export function validateSqueezeNetConfig(model: string, table: SqueezeNetTable, cfg: ModelConfig): SqueezeNetConfig {
  const profile = resolveProfile(model, cfg, ['bypass']);
  const bypass = choiceOption(model, 'bypass', cfg.bypass, BYPASS_CHOICES, 'none');
  const checked: SqueezeNetConfig = { ...profile, bypass, smallImages: profile.dataset !== 'imagenet' };
  requireResolution(model, profile, (r) => finalMapSize(table, checked, r));
  return checked;
}

/** Builds a SqueezeNet from its table. [N,r,r,3] → [N,classes]. */
function build(modelName: string, table: SqueezeNetTable, cfg: SqueezeNetConfig): tf.LayersModel {
  const input = imageInput(cfg);
  const k = table.stem.kernelSize;
  let x = cfg.smallImages ? zeroPad(input, (k - 1) / 2, 'conv1.pad') : input;
  x = tf.layers.conv2d({ filters: table.stem.filters, kernelSize: k, strides: cfg.smallImages ? 1 : 2, padding: 'valid', useBias: true, kernelInitializer: FIRE_INIT, name: 'conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv1.relu' }).apply(x) as tf.SymbolicTensor;
  let pools = 0;
  for (const step of bodyFor(table, cfg)) {
    if (step.kind === 'pool') {
      x = maxPool2dTorch(x, { ...POOL, name: `maxpool${++pools}` });
      continue;
    }
    const inChannels = x.shape[3] as number;
    const sameWidth = inChannels === step.expand1x1 + step.expand3x3;
    // 'simple' bypass only where it is possible (P-SQZ §6: fire3, 5, 7, 9); 'complex' everywhere.
    const bypass: FireBypass = cfg.bypass === 'simple' ? (sameWidth ? 'simple' : 'none') : cfg.bypass;
    x = fire(x, { squeeze: step.squeeze, expand1x1: step.expand1x1, expand3x3: step.expand3x3, bypass, name: step.name });
  }
  x = tf.layers.dropout({ rate: CLASSIFIER_DROPOUT, name: 'classifier.dropout' }).apply(x) as tf.SymbolicTensor;
  // torchvision: the final conv starts at N(0, 0.01), so the first logits are near 0 (loss ≈ ln classes).
  x = tf.layers.conv2d({ filters: cfg.classes, kernelSize: 1, useBias: true, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01 }), name: 'conv10' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv10.relu' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.globalAveragePooling2d({ name: 'pool10' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: modelName });
}

/**
 * SqueezeNet 1.0. Options: `bypass` 'none' | 'simple' | 'complex' (P-SQZ §6). Small-image profiles
 * (`dataset: 'cifar10'` 32×32, `'tiny-imagenet'` 64×64): conv1 stride 1 with padding (k−1)/2 and no max pool
 * after conv1; everything else unchanged.
 */
export function squeezenet1_0(config: ModelConfig = {}): tf.LayersModel {
  return build('squeezenet1_0', SQUEEZENET_1_0, validateSqueezeNetConfig('squeezenet1_0', SQUEEZENET_1_0, config));
}

/** SqueezeNet 1.1 (2.4× fewer MACs than 1.0, same accuracy); same options and small-image changes as 1.0. */
export function squeezenet1_1(config: ModelConfig = {}): tf.LayersModel {
  return build('squeezenet1_1', SQUEEZENET_1_1, validateSqueezeNetConfig('squeezenet1_1', SQUEEZENET_1_1, config));
}

// ---------------------------------------------------------------------------------------------------------------
// Registry: published figures from docs/sources.md §2, §3.5, §6.

const OPTIONS = [
  { name: 'bypass', description: "Fire shortcuts (P-SQZ §6): 'none' (default), 'simple' (identity around fire3/5/7/9), 'complex' (+1×1 conv where widths differ)", accepted: [...BYPASS_CHOICES] },
  { name: 'resolution', description: 'input size in pixels (torchvision 224, Caffe 227)' },
  { name: 'classes', description: 'conv10 filters (default by dataset)' },
  { name: 'dataset', description: "'imagenet' (224, 1000), 'cifar10' (32, 10) or 'tiny-imagenet' (64, 200); small profiles: conv1 stride 1 padded, no first max pool", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
];

registerModel({
  name: 'squeezenet1_0',
  family: 'SqueezeNet',
  description: 'SqueezeNet 1.0: Fire modules (squeeze 1×1 → expand 1×1 ‖ 3×3), conv10 classifier, no BN (torchvision layout)',
  options: OPTIONS,
  defaults: { dataset: 'imagenet', bypass: 'none' },
  variants: [
    {
      name: '1.0-224',
      config: { resolution: 224 },
      published: {
        top1Percent: 58.092,
        top5Percent: 80.42,
        params: 1248424,
        paramsConvention: 'W',
        rounding: { params: 0 },
        inputSize: 224,
        source: 'torchvision squeezenet1_0 IMAGENET1K_V1 (num_params, acc@1, acc@5)',
      },
    },
    {
      name: '1.0-227',
      config: { resolution: 227 },
      published: {
        top1Percent: 57.5,
        top5Percent: 80.3,
        params: 1.25e6,
        paramsConvention: 'W',
        macs: 833e6,
        rounding: { params: 0.005 / 1.25, macs: 0.5 / 833 },
        inputSize: 227,
        source: 'Iandola et al. 2016 (arXiv:1602.07360) Table 2; MACs: ShuffleNet V1 paper Table 6',
        footnote: 'Caffe gives conv10 pad 1 (+28.7 M MACs, 861 M) and its README "1.72 GFLOPS" counts 2 FLOPs per MAC; MobileNet\'s "1700 Mult-Adds" misreads that figure.',
      },
    },
    {
      name: '1.0-simple-bypass-227',
      config: { resolution: 227, bypass: 'simple' },
      published: {
        top1Percent: 60.4,
        params: 1.25e6,
        paramsConvention: 'W',
        rounding: { params: 0.005 / 1.25 },
        inputSize: 227,
        source: 'Iandola et al. 2016 (arXiv:1602.07360) §6 (via a third-party summary: +2.9 points at the same size)',
      },
    },
  ],
  build: squeezenet1_0,
});

registerModel({
  name: 'squeezenet1_1',
  family: 'SqueezeNet',
  description: 'SqueezeNet 1.1: 3×3/64 stem and earlier pools, 2.4× fewer MACs than 1.0 at the same accuracy (torchvision layout)',
  options: OPTIONS,
  defaults: { dataset: 'imagenet', bypass: 'none' },
  variants: [
    {
      name: '1.1-224',
      config: { resolution: 224 },
      published: {
        top1Percent: 58.178,
        top5Percent: 80.624,
        inputSize: 224,
        source: 'torchvision squeezenet1_1 IMAGENET1K_V1 (acc@1, acc@5)',
      },
    },
    {
      name: '1.1-227',
      config: { resolution: 227 },
      published: {
        top5Percent: 80.3,
        inputSize: 227,
        source: 'forresti/SqueezeNet SqueezeNet_v1.1/README.md ("≥ 80.3 % top-5", "0.72 GFLOPS/image")',
        footnote: 'The README quotes 0.72 GFLOPS ≈ 2 × MACs; the layer-by-layer count at 227² is 388 M MACs (2 × 388 = 0.78 G).',
      },
    },
  ],
  build: squeezenet1_1,
});
