/**
 * FE-Net — Chen, Xie, Zhang, Pu, "All You Need is a Few Shifts: Designing Efficient Convolutional Neural Networks for
 * Image Classification", CVPR 2019, arXiv:1903.05285. Reference implementation: hikvision-research/SparseShiftLayer
 * `models/{FENet,FEBlock,basicunits,SSL}.py` (PyTorch). docs/sources.md §3.6, §4.8, §5.16. Output: logits (no softmax).
 *
 * Choices:
 * - `downsampling: 'code'` (default) builds the released code: IBPool averages BETWEEN its two 1×1 convs (410.5 M MACs
 *   at 1.0×). `'paper'` averages BEFORE the first 1×1, the order whose cost reproduces the published MAdds (299.7 M vs
 *   301 M; 563.7 M vs 563 M at 1.375×) — the paper's table was not retrieved, so this is an inference from the figures.
 * - Head width: the code hard-codes 1932 (= the 1.375× training log); the 1.0× log uses 1380. Default by width
 *   (1380 at 1.0×, 1932 at 1.375×); other widths must set `headChannels`.
 * - Widths: base 16 × width truncated with int() as the code does (1.375 → 22); every FE-Block split needs it even.
 * - SSL sparsity: the paper adds an L1 "shift operation penalty"; the released code uses weight decay 4e-5 on the
 *   offsets instead. `penalty` (default 0) sets the L1 coefficient λ of each SSL layer.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { feBlock, FeDownsampling, ibPool, ibssl } from '../lib/blocks/shift-blocks';
import type { SparseShiftInitialisation } from '../lib/ops/sparse-shift';
import { choiceOption, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { DatasetProfile, ModelConfig, registerModel } from './registry';

/** PyTorch BatchNorm ε. */
export const BN_EPSILON = 1e-5;
/** Base width (stem channels at 1.0×). */
export const BASE_CHANNELS = 16;
/** Published width multipliers. */
export const FE_NET_WIDTHS = [1, 1.375] as const;
/** Head widths of the released training logs, per width. */
export const HEAD_CHANNELS: Record<string, number> = { '1': 1380, '1.375': 1932 };
/** Dropout before the classifier (FENet.py). */
export const DROPOUT = 0.2;

/** One row of the FE-Net body after the stem (FENet.py), widths as multiples of the base width. */
type Row =
  | { unit: 'ibssl'; out: number; expansion: number }
  | { unit: 'ibpool'; out: number; expansion: number }
  | { unit: 'feblock'; kind: '3n' | '4n'; out: number; downsample: boolean };

const BODY: Row[] = [
  { unit: 'ibssl', out: 1, expansion: 4 },
  { unit: 'ibpool', out: 2, expansion: 5 },
  { unit: 'feblock', kind: '3n', out: 4, downsample: true },
  { unit: 'feblock', kind: '4n', out: 8, downsample: true },
  { unit: 'feblock', kind: '4n', out: 8, downsample: false },
  { unit: 'feblock', kind: '4n', out: 16, downsample: true },
  { unit: 'feblock', kind: '3n', out: 16, downsample: false },
];

export interface FeNetConfig {
  width: number;
  base: number;
  headChannels: number;
  downsampling: FeDownsampling;
  penalty: number;
  sslInit: SparseShiftInitialisation;
  dataset: DatasetProfile;
  resolution: number;
  classes: number;
}

const MODEL = 'fe_net';

export function validateFeNetConfig(cfg: ModelConfig): FeNetConfig {
  const profile = resolveProfile(MODEL, cfg, ['width', 'headChannels', 'downsampling', 'penalty', 'sslInit']);
  const width = cfg.width ?? 1;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0) {
    throw new Error(`${MODEL}: width must be a positive number (published: ${FE_NET_WIDTHS.join(', ')}), got ${String(width)}`);
  }
  const base = Math.floor(BASE_CHANNELS * width);
  if (base < 2 || base % 2 !== 0) {
    throw new Error(
      `${MODEL}: width ${width} gives int(16·width) = ${base} base channels; FE-Block splits need an even base ≥ 2 ` +
        `(published widths: ${FE_NET_WIDTHS.join(', ')})`,
    );
  }
  const headDefault = HEAD_CHANNELS[String(width)];
  const headChannels = cfg.headChannels ?? headDefault;
  if (headChannels === undefined) {
    throw new Error(`${MODEL}: width ${width} has no released head width; set headChannels (released: 1380 at 1.0×, 1932 at 1.375×)`);
  }
  if (typeof headChannels !== 'number' || !Number.isInteger(headChannels) || headChannels < 1) {
    throw new Error(`${MODEL}: headChannels must be a positive integer (released: 1380 at 1.0×, 1932 at 1.375×), got ${String(headChannels)}`);
  }
  const downsampling = choiceOption<FeDownsampling>(MODEL, 'downsampling', cfg.downsampling, ['code', 'paper'], 'code');
  const penalty = cfg.penalty ?? 0;
  if (typeof penalty !== 'number' || !Number.isFinite(penalty) || penalty < 0) {
    throw new Error(`${MODEL}: penalty must be a number ≥ 0 (L1 coefficient on the shift offsets), got ${String(penalty)}`);
  }
  const sslInit = choiceOption<SparseShiftInitialisation>(MODEL, 'sslInit', cfg.sslInit, ['grid', 'uniform', 'zero'], 'grid');
  const stemStride = profile.dataset === 'imagenet' ? 2 : 1;
  requireResolution(MODEL, profile, (r) => {
    const s = stemStride === 2 ? Math.floor((r - 1) / 2) + 1 : r;
    return Math.floor(s / 16); // four 2×2/2 pools (floor) need ≥ 16 pixels
  });
  return { width, base, headChannels, downsampling, penalty, sslInit, ...profile };
}

function build(cfg: FeNetConfig): tf.LayersModel {
  const bn = { epsilon: BN_EPSILON };
  const input = imageInput(cfg);
  const stemStride = cfg.dataset === 'imagenet' ? 2 : 1;
  // Stem: conv 3×3/2 → BN, no ReLU (FENet.py forward: `x = self.bn1(self.conv1(x))`).
  let x = convBnAct(input, { outChannels: cfg.base, kernelSize: 3, stride: stemStride, padding: 1, activation: 'linear', bn, name: 'conv1' });
  let feIndex = 0;
  for (const row of BODY) {
    const out = row.out * cfg.base;
    if (row.unit === 'ibssl') x = ibssl(x, { outChannels: out, expansion: row.expansion, penalty: cfg.penalty, sslInit: cfg.sslInit, bn, name: 'ibssl' });
    else if (row.unit === 'ibpool') x = ibPool(x, { outChannels: out, expansion: row.expansion, downsampling: cfg.downsampling, bn, name: 'ibpool' });
    else {
      feIndex++;
      x = feBlock(x, { kind: row.kind, outChannels: out, downsample: row.downsample, downsampling: cfg.downsampling, penalty: cfg.penalty, sslInit: cfg.sslInit, bn, name: `feblock${feIndex}` });
    }
  }
  x = convBnAct(x, { outChannels: cfg.headChannels, kernelSize: 1, padding: 'valid', bn, name: 'conv2' });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: DROPOUT, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  // FENet.py's classifier is a 1×1 conv with bias on the pooled 1×1 map — a Dense layer with bias.
  return tf.model({ inputs: input, outputs: logits(x, cfg.classes, 'fc'), name: `fe_net_${cfg.width}x` });
}

/**
 * FE-Net at `width` (default 1). Profiles: 'imagenet' 224² (stem stride 2); 'cifar10' 32² and 'tiny-imagenet' 64²:
 * stem stride 1, the four IBPool down-samplings unchanged.
 */
export function feNet(config: ModelConfig = {}): tf.LayersModel {
  return build(validateFeNetConfig(config));
}

const SOURCE = 'SSL-REPO README (hikvision-research/SparseShiftLayer) and P-SSL (arXiv:1903.05285); LIU24';

registerModel({
  name: MODEL,
  family: 'FE-Net',
  description: 'FE-Net (arXiv:1903.05285): sparse-shift (SSL) inverted bottlenecks in "fully-exploited" FE-Blocks; avg-pool down-sampling. Outputs logits.',
  options: [
    { name: 'width', description: 'multiplier of the base width 16 (int truncation; must give an even base)', published: [...FE_NET_WIDTHS] },
    { name: 'downsampling', description: "'code' (released code: pool between the 1×1 convs, default) | 'paper' (pool first: reproduces the published MAdds)", accepted: ['code', 'paper'] },
    { name: 'headChannels', description: 'width of the last 1×1 conv; default 1380 at 1.0×, 1932 at 1.375× (training logs)' },
    { name: 'penalty', description: 'L1 coefficient λ on every SSL layer\'s offsets; default 0 (the released code uses weight decay instead)' },
    { name: 'sslInit', description: "SSL offset start: 'grid' (default: 9 groups at {−1,0,1}², the intended SSL2d init) | 'uniform' (U[−1, 1] per offset: the released code's float division spreads them continuously, so channels cross the rounding threshold one by one under the penalty) | 'zero'", accepted: ['grid', 'uniform', 'zero'] },
    { name: 'dataset', description: "'imagenet' (224², 1000) | 'cifar10' (32², 10) | 'tiny-imagenet' (64², 200); small profiles use stem stride 1", accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input side in pixels (overrides the data-set profile)' },
    { name: 'classes', description: 'classifier outputs (overrides the data-set profile)' },
  ],
  defaults: { width: 1, downsampling: 'code', dataset: 'imagenet' },
  variants: [
    {
      name: '1.0x',
      config: { width: 1, downsampling: 'paper' },
      published: {
        top1Percent: 72.9, params: 3.7e6, paramsConvention: 'W', macs: 301e6, rounding: { params: 0.05 / 3.7, macs: 0.5 / 301 }, inputSize: 224, source: `${SOURCE} (top-1 paper; repo retrain 73.6)`,
        footnote: "MAdds reproduced (to 0.44 %) only with pool-first down-sampling ('paper': 299.7 M); the released code ('code') costs 410.5 M. Params: ours 3,907,064 W = 3,896,376 conv/FC (CALC (docs/sources.md)) + 10,688 SSL offsets (2 × 5,344 channels; integer constants at inference) vs published 3.7 M — unexplained (§4.8).",
      },
    },
    {
      name: '1.375x',
      config: { width: 1.375, downsampling: 'paper' },
      published: {
        top1Percent: 75.0, params: 5.9e6, paramsConvention: 'W', macs: 563e6, rounding: { params: 0.05 / 5.9, macs: 0.5 / 563 }, inputSize: 224, source: `${SOURCE} (top-1 paper; repo retrain 75.7)`,
        footnote: "MAdds reproduced only with pool-first down-sampling ('paper': 563.7 M); the released code costs 773.2 M. Params: ours 6,715,250 W = 6,700,554 conv/FC (CALC) + 14,696 SSL offsets, with the 1932 head (a 1380 head would give ≈ 5.95 M — speculative).",
      },
    },
  ],
  build: feNet,
});
