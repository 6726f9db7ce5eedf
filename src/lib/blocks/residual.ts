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

/** Bottleneck output channels = planes × this (torchvision `Bottleneck.expansion`). */
export const BOTTLENECK_EXPANSION = 4;

/**
 * Where a down-sampling Bottleneck strides: 'v1.5' on the 3×3 (torchvision, NVIDIA's "ResNet v1.5"),
 * 'v1' on the first 1×1 (the original paper and Caffe release).
 */
export type BottleneckStride = 'v1.5' | 'v1';

export interface ResidualBlockOptions {
  /** torchvision's `planes`: width of the block's 3×3 conv(s). */
  planes: number;
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
    filters: outChannels, kernelSize: 1, strides: o.stride, padding: 0, bn: o.bn, activation: 'linear',
    name: `${o.name}.downsample`,
  });
}

function checkStride(o: ResidualBlockOptions): void {
  if (o.stride !== 1 && o.stride !== 2) throw new Error(`${o.name}: stride must be 1 or 2, got ${o.stride}`);
  if (!Number.isInteger(o.planes) || o.planes < 1) throw new Error(`${o.name}: planes must be a positive integer, got ${o.planes}`);
}

/** torchvision BasicBlock: 3×3(stride) → BN → ReLU → 3×3 → BN, + shortcut, ReLU. [N,H,W,Cin] → [N,H/s,W/s,planes]. */
export function basicBlock(x: tf.SymbolicTensor, o: ResidualBlockOptions): tf.SymbolicTensor {
  checkStride(o);
  let y = convBnAct(x, { filters: o.planes, kernelSize: 3, strides: o.stride, padding: 1, bn: o.bn, name: `${o.name}.conv1` });
  y = convBnAct(y, { filters: o.planes, kernelSize: 3, padding: 1, bn: o.bn, activation: 'linear', name: `${o.name}.conv2` });
  return addAndRelu(y, shortcut(x, o.planes, o), o.name);
}

/**
 * torchvision Bottleneck: 1×1 → 3×3 → 1×1 (×4), BN after each, ReLU after the first two, + shortcut, ReLU.
 * The stride sits on the 3×3 ('v1.5', default) or on the first 1×1 ('v1'). [N,H,W,Cin] → [N,H/s,W/s,4·planes].
 */
export function bottleneck(x: tf.SymbolicTensor, o: BottleneckOptions): tf.SymbolicTensor {
  checkStride(o);
  const strideAt = o.strideAt ?? 'v1.5';
  if (strideAt !== 'v1.5' && strideAt !== 'v1') {
    throw new Error(`${o.name}: strideAt must be 'v1.5' or 'v1', got '${String(strideAt)}'`);
  }
  const [s1, s2] = strideAt === 'v1' ? [o.stride, 1] : [1, o.stride];
  let y = convBnAct(x, { filters: o.planes, kernelSize: 1, strides: s1, padding: 0, bn: o.bn, name: `${o.name}.conv1` });
  y = convBnAct(y, { filters: o.planes, kernelSize: 3, strides: s2, padding: 1, bn: o.bn, name: `${o.name}.conv2` });
  y = convBnAct(y, {
    filters: o.planes * BOTTLENECK_EXPANSION, kernelSize: 1, padding: 0, bn: o.bn, activation: 'linear', name: `${o.name}.conv3`,
  });
  return addAndRelu(y, shortcut(x, o.planes * BOTTLENECK_EXPANSION, o), o.name);
}
