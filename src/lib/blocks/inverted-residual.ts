/**
 * MobileNet V2's inverted residual with linear bottleneck (Sandler et al., arXiv:1801.04381 Table 1;
 * torchvision `mobilenetv2.py::InvertedResidual`): expand 1×1 (×t) → BN → ReLU6 → dw k×k stride s → BN → ReLU6 →
 * project 1×1 → BN, no activation. The expansion conv is absent when t = 1; the residual add is derived:
 * present iff stride = 1 and input channels = output channels.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormConfig, BlockPadding, convBnAct } from './conv';

export interface InvertedResidualOptions {
  /** Output channels d″. */
  outChannels: number;
  /** Depthwise stride s (1 or 2). */
  stride: number;
  /** Expansion factor t (hidden = round(d′·t), as torchvision). */
  expansion: number;
  /** Depthwise kernel k; default 3. */
  kernelSize?: number;
  /** 'same' (TF, default) or 'torch' (symmetric pad (k−1)/2, PyTorch-exact). */
  padding?: BlockPadding;
  bn?: BatchNormConfig;
  /**
   * Activation after the projection: 'linear' (default, the paper's linear bottleneck) or 'relu6' (the ablation of
   * P-MB2 §6.3 / Fig. 6a: a ReLU6 on the thin bottleneck destroys information and costs accuracy).
   */
  projectActivation?: 'linear' | 'relu6';
  /** Layer-name prefix: "<name>.expand.conv", "<name>.dw.conv", "<name>.project.conv", "<name>.add". */
  name: string;
}

/** True when the block adds its input: stride 1 and unchanged channel count. */
export function hasResidual(inChannels: number, outChannels: number, stride: number): boolean {
  return stride === 1 && inChannels === outChannels;
}

/** Inverted residual block. [N,H,W,d′] → [N,H/s,W/s,d″]; params t·d′² (t>1) + k²·t·d′ + t·d′·d″ (+BN), docs/sources.md §5.9. */
export function invertedResidual(x: tf.SymbolicTensor, o: InvertedResidualOptions): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1] as number;
  if (!(o.expansion >= 1)) throw new Error(`${o.name}: expansion t must be ≥ 1, got ${o.expansion}`);
  if (o.stride !== 1 && o.stride !== 2) throw new Error(`${o.name}: stride must be 1 or 2, got ${o.stride}`);
  const projectActivation = o.projectActivation ?? 'linear';
  if (projectActivation !== 'linear' && projectActivation !== 'relu6') {
    throw new Error(`${o.name}: projectActivation must be 'linear' (linear bottleneck) or 'relu6', got ${JSON.stringify(projectActivation)}`);
  }
  const k = o.kernelSize ?? 3;
  const hidden = Math.round(inChannels * o.expansion);
  let y = x;
  if (o.expansion !== 1) {
    y = convBnAct(y, { outChannels: hidden, kernelSize: 1, activation: 'relu6', bn: o.bn, name: `${o.name}.expand` });
  }
  y = convBnAct(y, { outChannels: hidden, kernelSize: k, stride: o.stride, padding: o.padding ?? 'same', depthwise: true, activation: 'relu6', bn: o.bn, name: `${o.name}.dw` });
  y = convBnAct(y, { outChannels: o.outChannels, kernelSize: 1, activation: projectActivation, bn: o.bn, name: `${o.name}.project` });
  if (!hasResidual(inChannels, o.outChannels, o.stride)) return y;
  return tf.layers.add({ name: `${o.name}.add` }).apply([x, y]) as tf.SymbolicTensor;
}
