/**
 * Inception module (GoogLeNet, Szegedy et al., "Going Deeper with Convolutions", arXiv:1409.4842) as torchvision
 * `models/googlenet.py` defines it: four parallel branches concatenated on channels.
 *
 *   branch1: 1×1 (c1)
 *   branch2: 1×1 (c3reduce) → 3×3 (c3)
 *   branch3: 1×1 (c5reduce) → 3×3 (c5)   ← the paper uses 5×5 here; torchvision's weights were trained with 3×3
 *                                            (a known torchvision quirk,
 *                                            docs/sources.md §4.10), so we follow it
 *   branch4: 3×3 max pool (stride 1, padding 1, ceil mode) → 1×1 (poolProj)
 * Every conv is torchvision's BasicConv2d: bias-free conv → BN → ReLU (the paper's net has no BN).
 *
 * Layer names equal torchvision's keys: `<name>.branch1.conv` ↔ `<name>.branch1.conv`, `<name>.branch2.0.bn` ↔
 * `<name>.branch2.0.bn`, `<name>.branch4.1.conv` ↔ `<name>.branch4.1.conv`.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormConfig, convBnAct } from './conv';
import { maxPool2dTorch } from './torch-pooling';

/** Channel widths of one Inception module (GoogLeNet paper Table 1 columns). */
export interface InceptionWidths {
  c1: number;
  c3reduce: number;
  c3: number;
  c5reduce: number;
  c5: number;
  poolProj: number;
}

export interface InceptionOptions extends InceptionWidths {
  /** Kernel of branch 3's second conv: 3 (torchvision, default) or 5 (paper). */
  branch3Kernel?: 3 | 5;
  bn?: BatchNormConfig;
  /** Name prefix, e.g. `inception3a`. */
  name: string;
}

/** Inception module; [N,H,W,Cin] → [N,H,W,c1+c3+c5+poolProj]. */
export function inception(x: tf.SymbolicTensor, o: InceptionOptions): tf.SymbolicTensor {
  for (const key of ['c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`${o.name}: ${key} must be a positive integer, got ${o[key]}`);
  }
  const k3 = o.branch3Kernel ?? 3;
  if (k3 !== 3 && k3 !== 5) throw new Error(`${o.name}: branch3Kernel must be 3 or 5, got ${String(k3)}`);
  const conv = (input: tf.SymbolicTensor, filters: number, kernelSize: number, name: string): tf.SymbolicTensor =>
    convBnAct(input, { outChannels: filters, kernelSize, padding: (kernelSize - 1) / 2, bn: o.bn, name });

  const b1 = conv(x, o.c1, 1, `${o.name}.branch1`);
  const b2 = conv(conv(x, o.c3reduce, 1, `${o.name}.branch2.0`), o.c3, 3, `${o.name}.branch2.1`);
  const b3 = conv(conv(x, o.c5reduce, 1, `${o.name}.branch3.0`), o.c5, k3, `${o.name}.branch3.1`);
  // The input is a ReLU output (≥ 0), so maxPool2dTorch's zero padding equals PyTorch's −∞ padding.
  const pooled = maxPool2dTorch(x, { kernelSize: 3, stride: 1, padding: 1, ceilMode: true, name: `${o.name}.branch4.0` });
  const b4 = conv(pooled, o.poolProj, 1, `${o.name}.branch4.1`);
  return tf.layers.concatenate({ axis: -1, name: `${o.name}.concat` }).apply([b1, b2, b3, b4]) as tf.SymbolicTensor;
}
