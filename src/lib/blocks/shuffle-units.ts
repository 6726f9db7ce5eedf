/**
 * ShuffleNet building blocks (docs/sources.md §4.4, §4.5, §5.10, §5.11).
 *
 * - V1 unit (Zhang et al., arXiv:1707.01083 Fig. 2; MEGVII `ShuffleNetV1/blocks.py`): pointwise GROUP conv →
 *   channel shuffle → 3×3 depthwise → pointwise group conv, residual add (stride 1) or concat with an
 *   avg-pooled shortcut (stride 2).
 * - V2 units (Ma et al., arXiv:1807.11164 Fig. 3c/3d; torchvision `shufflenetv2.py`): channel split, one
 *   dense branch, concat, shuffle with 2 groups.
 *
 * Every conv is bias-free and followed by BN; padding is symmetric (PyTorch) so that PyTorch weights load.
 */
import * as tf from '@tensorflow/tfjs';
import { activation, batchNorm, BatchNormConfig, convBnAct, zeroPad } from './conv';
import { channelShuffle, channelSplitHalves, groupConv2d } from '../ops';

/** Channels (last axis) of an NHWC symbolic tensor. */
function channelsOf(x: tf.SymbolicTensor): number {
  return x.shape[x.shape.length - 1] as number;
}

/** 1×1 conv with `groups` groups (a plain conv2d when groups = 1) → BN → activation. [N,H,W,Cin] → [N,H,W,outChannels]. */
export function pointwiseGroupBnAct(
  x: tf.SymbolicTensor,
  o: { outChannels: number; groups: number; activation: 'relu' | 'linear'; bn?: BatchNormConfig; name: string },
): tf.SymbolicTensor {
  if (o.groups === 1) {
    return convBnAct(x, { outChannels: o.outChannels, kernelSize: 1, activation: o.activation, bn: o.bn, name: o.name });
  }
  const y = groupConv2d({
    filters: o.outChannels,
    kernelSize: 1,
    strides: 1,
    padding: 'valid',
    groups: o.groups,
    useBias: false,
    name: `${o.name}.conv`,
  }).apply(x) as tf.SymbolicTensor;
  return activation(batchNorm(y, `${o.name}.bn`, o.bn), o.activation, `${o.name}.act`);
}

/**
 * PyTorch `AvgPool2d(3, stride=2, padding=1)` with its default `count_include_pad=True`: zero-pad by 1, then a
 * 'valid' pool, so border windows divide by 9 as in PyTorch (tfjs 'same' would divide by the valid count).
 * [N,H,W,C] → [N,⌊(H−1)/2⌋+1,⌊(W−1)/2⌋+1,C].
 */
export function avgPool3x3s2(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const padded = zeroPad(x, 1, `${name}.pad`);
  return tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'valid', name }).apply(padded) as tf.SymbolicTensor;
}

/** Options of {@link shuffleUnitV1}. */
export interface ShuffleUnitV1Options {
  /** Output channels of the unit (the stage width). Stride 1: must equal the input channels. */
  outChannels: number;
  /** Groups g of both pointwise convs. */
  groups: number;
  /** 1 (residual add) or 2 (concat with a 3×3/2 avg-pooled shortcut). */
  stride: 1 | 2;
  /** Bottleneck channels m (P-SH1: out/4; MEGVII `mid = out // 4`). Must be divisible by g. */
  bottleneck: number;
  /** Dense (g = 1) FIRST pointwise conv: stage 2's first unit, whose input has only 24 channels (P-SH1 Table 1 caption). */
  denseFirstConv?: boolean;
  /**
   * Channel shuffle after the first gconv; default true. false is P-SH1 Table 3's ablation: each group then only
   * ever sees its own channels ("no cross-group information flow").
   */
  shuffle?: boolean;
  bn?: BatchNormConfig;
  /** Layer-name prefix, e.g. "stage2.unit1". */
  name: string;
}

/**
 * ShuffleNet V1 unit (P-SH1 Fig. 2b/c). gconv 1×1 → BN → ReLU → shuffle(g) → dw 3×3 (stride) → BN (no ReLU) →
 * gconv 1×1 → BN; stride 1: + x → ReLU; stride 2: concat([avgpool(x), branch]) → ReLU.
 * The shuffle sits after the first gconv as in the paper (MEGVII shuffles after the dw conv with the inverse
 * permutation: equally good mixing, not weight-compatible — docs/sources.md §4.4).
 * Concat order [shortcut, branch] follows MEGVII. [N,H,W,Cin] → [N,H/s,W/s,outChannels].
 */
export function shuffleUnitV1(x: tf.SymbolicTensor, o: ShuffleUnitV1Options): tf.SymbolicTensor {
  const inChannels = channelsOf(x);
  const branchOut = o.stride === 1 ? o.outChannels : o.outChannels - inChannels;
  const firstGroups = o.denseFirstConv ? 1 : o.groups;
  if (o.stride !== 1 && o.stride !== 2) throw new Error(`${o.name}: stride must be 1 or 2, got ${o.stride}`);
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') {
    throw new Error(`${o.name}: shuffle must be true or false, got ${JSON.stringify(o.shuffle)}`);
  }
  if (o.stride === 1 && o.outChannels !== inChannels) {
    throw new Error(`${o.name}: a stride-1 unit adds its input, so outChannels (${o.outChannels}) must equal the input channels (${inChannels})`);
  }
  if (branchOut <= 0) {
    throw new Error(`${o.name}: a stride-2 unit concatenates its input, so outChannels (${o.outChannels}) must exceed the input channels (${inChannels})`);
  }
  const checks: Array<[string, number, number]> = [
    ['input channels', inChannels, firstGroups],
    ['bottleneck', o.bottleneck, o.groups],
    ['branch output channels', branchOut, o.groups],
  ];
  for (const [what, value, g] of checks) {
    if (!Number.isInteger(value) || value <= 0 || value % g !== 0) {
      throw new Error(`${o.name}: ${what} (${value}) must be a positive multiple of the groups (${g}); choose widths divisible by g`);
    }
  }
  let y = pointwiseGroupBnAct(x, { outChannels: o.bottleneck, groups: firstGroups, activation: 'relu', bn: o.bn, name: `${o.name}.gconv1` });
  if (o.groups > 1 && o.shuffle !== false) y = channelShuffle({ groups: o.groups, name: `${o.name}.shuffle` }).apply(y) as tf.SymbolicTensor;
  y = convBnAct(y, {
    outChannels: o.bottleneck,
    kernelSize: 3,
    stride: o.stride,
    padding: 1,
    depthwise: true,
    activation: 'linear',
    bn: o.bn,
    name: `${o.name}.dw`,
  });
  y = pointwiseGroupBnAct(y, { outChannels: branchOut, groups: o.groups, activation: 'linear', bn: o.bn, name: `${o.name}.gconv2` });
  const merged =
    o.stride === 1
      ? (tf.layers.add({ name: `${o.name}.add` }).apply([x, y]) as tf.SymbolicTensor)
      : (tf.layers.concatenate({ axis: -1, name: `${o.name}.concat` }).apply([avgPool3x3s2(x, `${o.name}.shortcut`), y]) as tf.SymbolicTensor);
  return activation(merged, 'relu', `${o.name}.relu`);
}

/** Options of the ShuffleNet V2 units. */
export interface ShuffleUnitV2Options {
  /** Output channels (= input channels for the basic unit; any even number for the down-sampling unit). */
  outChannels: number;
  bn?: BatchNormConfig;
  /** Layer-name prefix, e.g. "stage2.unit1". */
  name: string;
}

/** Right branch shared by both V2 units: 1×1 → BN → ReLU → dw 3×3 (stride) → BN → 1×1 → BN → ReLU. */
function shuffleV2Branch(x: tf.SymbolicTensor, width: number, stride: number, bn: BatchNormConfig | undefined, name: string): tf.SymbolicTensor {
  let y = convBnAct(x, { outChannels: width, kernelSize: 1, bn, name: `${name}.pw1` });
  y = convBnAct(y, { outChannels: width, kernelSize: 3, stride, padding: 1, depthwise: true, activation: 'linear', bn, name: `${name}.dw` });
  return convBnAct(y, { outChannels: width, kernelSize: 1, bn, name: `${name}.pw2` });
}

/** concat([left, right]) → channel shuffle with 2 groups (torchvision order: concat, then shuffle). */
function concatShuffle(left: tf.SymbolicTensor, right: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const cat = tf.layers.concatenate({ axis: -1, name: `${name}.concat` }).apply([left, right]) as tf.SymbolicTensor;
  return channelShuffle({ groups: 2, name: `${name}.shuffle` }).apply(cat) as tf.SymbolicTensor;
}

/**
 * ShuffleNet V2 basic unit (P-SH2 Fig. 3c): split channels into halves; the left half passes unchanged, the right
 * half goes through {@link shuffleV2Branch}; concat → shuffle(2). [N,H,W,C] → [N,H,W,C], C even.
 */
export function shuffleUnitV2(x: tf.SymbolicTensor, o: ShuffleUnitV2Options): tf.SymbolicTensor {
  const c = channelsOf(x);
  if (o.outChannels !== c || c % 2 !== 0) {
    throw new Error(`${o.name}: the basic unit keeps its (even) channel count; input ${c}, outChannels ${o.outChannels}`);
  }
  const [left, right] = channelSplitHalves(x, `${o.name}.split`);
  return concatShuffle(left, shuffleV2Branch(right, c / 2, 1, o.bn, `${o.name}.branch2`), o.name);
}

/**
 * ShuffleNet V2 down-sampling unit (P-SH2 Fig. 3d): no split; left: dw 3×3/2 → BN → 1×1 → BN → ReLU; right:
 * {@link shuffleV2Branch} with stride 2; each branch outputs outChannels/2; concat → shuffle(2).
 * [N,H,W,Cin] → [N,⌊(H−1)/2⌋+1,⌊(W−1)/2⌋+1,outChannels].
 */
export function shuffleDownUnitV2(x: tf.SymbolicTensor, o: ShuffleUnitV2Options): tf.SymbolicTensor {
  const c = channelsOf(x);
  if (!Number.isInteger(o.outChannels) || o.outChannels <= 0 || o.outChannels % 2 !== 0) {
    throw new Error(`${o.name}: outChannels must be a positive even integer (two equal branches), got ${o.outChannels}`);
  }
  const half = o.outChannels / 2;
  let left = convBnAct(x, { outChannels: c, kernelSize: 3, stride: 2, padding: 1, depthwise: true, activation: 'linear', bn: o.bn, name: `${o.name}.branch1.dw` });
  left = convBnAct(left, { outChannels: half, kernelSize: 1, bn: o.bn, name: `${o.name}.branch1.pw` });
  return concatShuffle(left, shuffleV2Branch(x, half, 2, o.bn, `${o.name}.branch2`), o.name);
}
