/**
 * MobileNet V1's depthwise-separable block (Howard et al., arXiv:1704.04861 Fig. 3):
 * dw 3×3 (stride s) → BN → ReLU(6) → pw 1×1 → BN → ReLU(6). Convs are bias-free.
 * Not tfjs `separableConv2d`, which has no BN/activation between its two convs.
 */
import * as tf from '@tensorflow/tfjs';
import { Activation, BatchNormConfig, BlockPadding, convBnAct } from './conv';

export interface SeparableOptions {
  /** Output channels of the pointwise conv. */
  outChannels: number;
  /** Stride of the depthwise conv; default 1. */
  stride?: number;
  /** Depthwise kernel size; default 3. */
  kernelSize?: number;
  /** Padding of the depthwise conv: 'same' (TF, default) or 'torch' (symmetric (k − 1)/2, PyTorch ports). */
  padding?: BlockPadding;
  /** Default 'relu6' (TF-slim / Keras reference weights; the paper says ReLU). */
  activation?: Activation;
  bn?: BatchNormConfig;
  /** Layer-name prefix: "<name>.dw.conv", "<name>.dw.bn", "<name>.pw.conv", … */
  name: string;
}

/** Depthwise-separable block. [N,H,W,M] → [N,H/s,W/s,outChannels]; params K²·M + M·N (+ BN), docs/sources.md §5.5. */
export function depthwiseSeparable(x: tf.SymbolicTensor, o: SeparableOptions): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1] as number;
  const act = o.activation ?? 'relu6';
  const dw = convBnAct(x, {
    outChannels: inChannels,
    kernelSize: o.kernelSize ?? 3,
    stride: o.stride ?? 1,
    padding: o.padding ?? 'same',
    depthwise: true,
    activation: act,
    bn: o.bn,
    name: `${o.name}.dw`,
  });
  return convBnAct(dw, { outChannels: o.outChannels, kernelSize: 1, activation: act, bn: o.bn, name: `${o.name}.pw` });
}
