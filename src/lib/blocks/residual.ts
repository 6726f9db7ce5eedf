/**
 * ResNet blocks after torchvision `models/resnet.py` (He et al., "Deep Residual Learning for Image Recognition",
 * arXiv:1512.03385): BasicBlock (two 3×3) and Bottleneck (1×1 → 3×3 → 1×1, expansion 4).
 *
 * Layer names mirror torchvision's `state_dict` keys (block prefix `name`, e.g. `layer1.0`):
 *   `<name>.conv1.conv` ↔ `<name>.conv1`, `<name>.conv1.bn` ↔ `<name>.bn1` (same for conv2, conv3),
 *   `<name>.downsample.conv` ↔ `<name>.downsample.0`, `<name>.downsample.bn` ↔ `<name>.downsample.1`.
 * Convs pad symmetrically (PyTorch `padding=1`) so that imported weights give PyTorch's outputs exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { activation, BatchNormConfig, convBnAct } from './conv';

/** Bottleneck output channels = its 3×3 width (torchvision's `planes`) × this (torchvision `Bottleneck.expansion`). */
export const BOTTLENECK_EXPANSION = 4;

/**
 * Where a down-sampling Bottleneck strides: 'v1.5' on the 3×3 (torchvision, NVIDIA's "ResNet v1.5"),
 * 'v1' on the first 1×1 (the original paper and Caffe release).
 */
export type BottleneckStride = 'v1.5' | 'v1';

export interface ResidualBlockOptions {
  /**
   * Output channels: BasicBlock's 3×3 width; for a Bottleneck 4 × its 3×3 width (torchvision's `planes`), so a
   * multiple of {@link BOTTLENECK_EXPANSION}.
   */
  outChannels: number;
  /** 1 or 2. */
  stride: number;
  bn?: BatchNormConfig;
  /** Name prefix, e.g. `layer2.0`. */
  name: string;
}

export interface BottleneckOptions extends ResidualBlockOptions {
  /** Default 'v1.5' (torchvision). */
  strideAt?: BottleneckStride;
}

/** Adds the shortcut and applies the final ReLU: `relu(residual + shortcut)`. */
function addAndRelu(residual: tf.SymbolicTensor, shortcut: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const sum = tf.layers.add({ name: `${name}.add` }).apply([residual, shortcut]) as tf.SymbolicTensor;
  return activation(sum, 'relu', `${name}.relu`);
}

/** Identity, or torchvision's projection shortcut (1×1 conv with the block's stride + BN) when the shape changes. */
function shortcut(x: tf.SymbolicTensor, outChannels: number, o: ResidualBlockOptions): tf.SymbolicTensor {
  const inChannels = x.shape[3] as number;
  if (o.stride === 1 && inChannels === outChannels) return x;
  return convBnAct(x, {
    outChannels, kernelSize: 1, stride: o.stride, padding: 'valid', bn: o.bn, activation: 'linear',
    name: `${o.name}.downsample`,
  });
}

function checkOptions(o: ResidualBlockOptions): void {
  if (o.stride !== 1 && o.stride !== 2) throw new Error(`${o.name}: stride must be 1 or 2, got ${o.stride}`);
  if (!Number.isInteger(o.outChannels) || o.outChannels < 1) throw new Error(`${o.name}: outChannels must be a positive integer, got ${o.outChannels}`);
}

/** torchvision BasicBlock: 3×3(stride) → BN → ReLU → 3×3 → BN, + shortcut, ReLU. [N,H,W,Cin] → [N,H/s,W/s,outChannels]. */
export function basicBlock(x: tf.SymbolicTensor, o: ResidualBlockOptions): tf.SymbolicTensor {
  checkOptions(o);
  let y = convBnAct(x, { outChannels: o.outChannels, kernelSize: 3, stride: o.stride, padding: 'torch', bn: o.bn, name: `${o.name}.conv1` });
  y = convBnAct(y, { outChannels: o.outChannels, kernelSize: 3, padding: 'torch', bn: o.bn, activation: 'linear', name: `${o.name}.conv2` });
  return addAndRelu(y, shortcut(x, o.outChannels, o), o.name);
}

/**
 * torchvision Bottleneck: 1×1 → 3×3 → 1×1 (×4), BN after each, ReLU after the first two, + shortcut, ReLU.
 * The stride sits on the 3×3 ('v1.5', default) or on the first 1×1 ('v1'). [N,H,W,Cin] → [N,H/s,W/s,outChannels].
 */
export function bottleneck(x: tf.SymbolicTensor, o: BottleneckOptions): tf.SymbolicTensor {
  checkOptions(o);
  if (o.outChannels % BOTTLENECK_EXPANSION !== 0) {
    throw new Error(`${o.name}: a bottleneck's outChannels must be a multiple of ${BOTTLENECK_EXPANSION} (4 × its 3×3 width), got ${o.outChannels}`);
  }
  const width = o.outChannels / BOTTLENECK_EXPANSION;
  const strideAt = o.strideAt ?? 'v1.5';
  if (strideAt !== 'v1.5' && strideAt !== 'v1') {
    throw new Error(`${o.name}: strideAt must be 'v1.5' or 'v1', got '${String(strideAt)}'`);
  }
  const [s1, s2] = strideAt === 'v1' ? [o.stride, 1] : [1, o.stride];
  let y = convBnAct(x, { outChannels: width, kernelSize: 1, stride: s1, padding: 'valid', bn: o.bn, name: `${o.name}.conv1` });
  y = convBnAct(y, { outChannels: width, kernelSize: 3, stride: s2, padding: 'torch', bn: o.bn, name: `${o.name}.conv2` });
  y = convBnAct(y, { outChannels: o.outChannels, kernelSize: 1, padding: 'valid', bn: o.bn, activation: 'linear', name: `${o.name}.conv3` });
  return addAndRelu(y, shortcut(x, o.outChannels, o), o.name);
}
