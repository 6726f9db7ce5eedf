/**
 * Convolution + batch norm + activation: the unit every family is assembled from.
 * Layer names are deterministic (`<name>.conv`, `<name>.bn`, `<name>.act`) so that weight files map by name.
 */
import * as tf from '@tensorflow/tfjs';

/** Activations used by the survey's networks; 'linear' means none (MobileNetV2's projection, ShuffleNet's dw). */
export type Activation = 'relu' | 'relu6' | 'linear';

/** Batch-norm settings; families differ (TF-slim ε = 1e-3, PyTorch ε = 1e-5). */
export interface BatchNormConfig {
  /** Added to the variance; default 1e-5 (PyTorch). */
  epsilon?: number;
  /** Moving-average momentum in Keras' sense (PyTorch's 0.1 = 0.9 here); default 0.9. */
  momentum?: number;
}

/**
 * How a convolution pads: 'same' like TensorFlow (asymmetric at stride 2), 'valid' not at all, 'torch' symmetrically by
 * (k − 1)/2 pixels like PyTorch's usual `padding=k//2`, or a number: that many pixels on each side (PyTorch's
 * `padding=p`). Symmetric padding is explicit zero padding followed by a 'valid' conv, which lets PyTorch weights
 * load exactly.
 */
export type ConvPadding = 'same' | 'valid' | 'torch' | number;

/** The paddings a block of several convolutions accepts: each of its k×k convs pads 'same' or 'torch'. */
export type BlockPadding = 'same' | 'torch';

export interface ConvBnActOptions {
  /** Output channels (for a depthwise conv: equal to the input channels). */
  outChannels: number;
  kernelSize: number;
  /** Default 1. */
  stride?: number;
  /** Default 'same'. */
  padding?: ConvPadding;
  /** Depthwise when true (filters must equal the input channels; channel multiplier 1). */
  depthwise?: boolean;
  /** Default false: every survey network puts BN after a bias-free conv. */
  useBias?: boolean;
  /** Default true. */
  batchNorm?: boolean;
  bn?: BatchNormConfig;
  /** Default 'relu'. */
  activation?: Activation;
  /** Layer-name prefix, required so that names stay deterministic. */
  name: string;
}

/** Applies an activation layer named `name` (no layer for 'linear'). Shapes: any → same. */
export function activation(x: tf.SymbolicTensor, kind: Activation, name: string): tf.SymbolicTensor {
  if (kind === 'linear') return x;
  if (kind === 'relu') return tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
  return tf.layers.reLU({ maxValue: 6, name }).apply(x) as tf.SymbolicTensor;
}

/** Batch normalisation over the channel axis of NHWC (or the last axis of [N, C]). */
export function batchNorm(x: tf.SymbolicTensor, name: string, bn: BatchNormConfig = {}): tf.SymbolicTensor {
  return tf.layers
    .batchNormalization({ axis: -1, epsilon: bn.epsilon ?? 1e-5, momentum: bn.momentum ?? 0.9, name })
    .apply(x) as tf.SymbolicTensor;
}

/** Symmetric zero padding of `pad` pixels on each side (PyTorch's `padding=pad`). [N,H,W,C] → [N,H+2p,W+2p,C]. */
export function zeroPad(x: tf.SymbolicTensor, pad: number, name: string): tf.SymbolicTensor {
  if (pad === 0) return x;
  return tf.layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]], name }).apply(x) as tf.SymbolicTensor;
}

/** Symmetric padding in pixels for `padding` and kernel size k; undefined for 'same'/'valid' (the conv pads itself). */
function symmetricPad(padding: ConvPadding, kernelSize: number, name: string): number | undefined {
  if (typeof padding === 'number') {
    if (!Number.isInteger(padding) || padding < 0) throw new Error(`${name}: padding must be 'same', 'valid', 'torch' or an integer ≥ 0, got ${padding}`);
    return padding;
  }
  if (padding === 'torch') {
    if (kernelSize % 2 !== 1) throw new Error(`${name}: padding 'torch' pads (k − 1)/2 and needs an odd kernel size, got ${kernelSize}`);
    return (kernelSize - 1) / 2;
  }
  if (padding !== 'same' && padding !== 'valid') throw new Error(`${name}: padding must be 'same', 'valid', 'torch' or an integer ≥ 0, got ${JSON.stringify(padding)}`);
  return undefined;
}

/** conv (or depthwise conv) → BN → activation. [N,H,W,Cin] → [N,H/s,W/s,outChannels]. */
export function convBnAct(x: tf.SymbolicTensor, o: ConvBnActOptions): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1] as number;
  if (!Number.isInteger(o.outChannels) || o.outChannels <= 0) {
    throw new Error(`${o.name}: outChannels must be a positive integer, got ${o.outChannels}`);
  }
  if (o.depthwise && o.outChannels !== inChannels) {
    throw new Error(`${o.name}: a depthwise conv keeps the channel count (${inChannels}), but outChannels = ${o.outChannels}`);
  }
  const pad = symmetricPad(o.padding ?? 'same', o.kernelSize, o.name);
  let y = x;
  let padding: 'same' | 'valid' = o.padding === 'valid' ? 'valid' : 'same';
  if (pad !== undefined) {
    y = zeroPad(y, pad, `${o.name}.pad`);
    padding = 'valid';
  }
  const common = { kernelSize: o.kernelSize, strides: o.stride ?? 1, padding, useBias: o.useBias ?? false, name: `${o.name}.conv` };
  y = (o.depthwise
    ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1 })
    : tf.layers.conv2d({ ...common, filters: o.outChannels })
  ).apply(y) as tf.SymbolicTensor;
  if (o.batchNorm ?? true) y = batchNorm(y, `${o.name}.bn`, o.bn);
  return activation(y, o.activation ?? 'relu', `${o.name}.act`);
}
