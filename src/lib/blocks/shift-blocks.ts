/**
 * Shift-family building blocks (docs/sources.md §4.6–4.8, §5.13–5.16).
 *
 * - ShiftNet CSC module (Wu et al., arXiv:1711.08141; authors' CIFAR code `alvinwan/shiftresnet-cifar`
 *   `ShiftConv`): 1×1 → BN → ReLU → shift → 1×1 → BN (→ ReLU), and its two residual wrappers: the CIFAR
 *   post-activation block and the pre-activation ShiftNet-A block of the public reconstruction (§4.6).
 * - AS-ResNet block (Jeon & Kim, arXiv:1806.07370; `jyh2986/Active-Shift` deploy prototxts): pre-activation
 *   1×1 → active shift → 1×1 residual block.
 * - FE-Net units (Chen et al., arXiv:1903.05285; `hikvision-research/SparseShiftLayer` models/basicunits.py,
 *   FEBlock.py): IBSSL, ResIBSSL, IBPool and the "Fully-Exploited" FE-Blocks 3n / 4n.
 *
 * All convs are bias-free and followed by BN (as in every reference).
 */
import * as tf from '@tensorflow/tfjs';
import { activation, Activation, batchNorm, BatchNormConfig, convBnAct } from './conv';
import { avgPool3x3s2 } from './shuffle-units';
import { activeShift, channelSplit, shift, sparseShift } from '../ops';
import type { SparseShiftInitialisation } from '../ops/sparse-shift';

/** Channels (last axis) of an NHWC symbolic tensor. */
function channelsOf(x: tf.SymbolicTensor): number {
  return x.shape[x.shape.length - 1] as number;
}

/** Throws unless `v` is a positive integer; `what` names the quantity in the message. */
function requireChannels(v: number, what: string, name: string): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
}

/** Plain bias-free 1×1 conv (no BN). [N,H,W,C] → [N,⌈H/s⌉,⌈W/s⌉,filters]. */
function conv1x1(x: tf.SymbolicTensor, filters: number, strides: number, name: string): tf.SymbolicTensor {
  return tf.layers.conv2d({ filters, kernelSize: 1, strides, padding: 'valid', useBias: false, name }).apply(x) as tf.SymbolicTensor;
}

/** Element-wise sum of two tensors of equal shape. */
function add(a: tf.SymbolicTensor, b: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.add({ name }).apply([a, b]) as tf.SymbolicTensor;
}

// ---------------------------------------------------------------------------------------------------------------
// ShiftNet

/** Options of {@link cscModule}. */
export interface CscOptions {
  /** Output channels N. */
  outChannels: number;
  /** Expansion ε: the shifted tensor has mid = ε·N channels (SHIFT-CIFAR `mid_planes = int(out_planes * expansion)`). */
  expansion: number;
  /** Shift kernel K (odd; K² shift directions). Default 3. */
  kernelSize?: number;
  /** Stride, applied by the second 1×1 conv (after the shift) as in SHIFT-CIFAR. Default 1. */
  stride?: number;
  /** Activation after the last BN: 'relu' in SHIFT-CIFAR's ShiftConv (before the residual add). Default 'relu'. */
  finalActivation?: Activation;
  bn?: BatchNormConfig;
  /** Layer-name prefix. */
  name: string;
}

/**
 * CSC ("conv-shift-conv") module, post-activation form (SHIFT-CIFAR): 1×1 (M→εN) → BN → ReLU → shift(K) →
 * 1×1 (εN→N, stride) → BN → finalActivation. Params M·εN + εN·N (+BN); the shift has 0 params, 0 MACs (§5.14).
 * [N,H,W,M] → [N,⌈H/s⌉,⌈W/s⌉,N].
 */
export function cscModule(x: tf.SymbolicTensor, o: CscOptions): tf.SymbolicTensor {
  const mid = Math.floor(o.outChannels * o.expansion);
  requireChannels(o.outChannels, 'outChannels', o.name);
  requireChannels(mid, `mid channels ⌊ε·N⌋ (ε = ${o.expansion})`, o.name);
  let y = convBnAct(x, { outChannels: mid, kernelSize: 1, bn: o.bn, name: `${o.name}.conv1` });
  y = shift({ kernelSize: o.kernelSize ?? 3, name: `${o.name}.shift` }).apply(y) as tf.SymbolicTensor;
  return convBnAct(y, {
    outChannels: o.outChannels,
    kernelSize: 1,
    stride: o.stride ?? 1,
    padding: 'valid',
    activation: o.finalActivation ?? 'relu',
    bn: o.bn,
    name: `${o.name}.conv2`,
  });
}

/**
 * ShiftResNet block for CIFAR (SHIFT-CIFAR `ShiftConv`): {@link cscModule} (ReLU before the add) + shortcut, where the
 * shortcut is the identity, or a 1×1 conv (stride) + BN projection when the shape changes. No ReLU after the add.
 * [N,H,W,M] → [N,⌈H/s⌉,⌈W/s⌉,N].
 */
export function shiftResBlock(x: tf.SymbolicTensor, o: CscOptions): tf.SymbolicTensor {
  const stride = o.stride ?? 1;
  const y = cscModule(x, { ...o, finalActivation: 'relu' });
  const needsProjection = stride !== 1 || channelsOf(x) !== o.outChannels;
  const shortcut = needsProjection
    ? convBnAct(x, { outChannels: o.outChannels, kernelSize: 1, stride, padding: 'valid', activation: 'linear', bn: o.bn, name: `${o.name}.shortcut` })
    : x;
  return add(y, shortcut, `${o.name}.add`);
}

/** Options of {@link preActCscBlock}. */
export interface PreActCscOptions {
  /** Output channels of the block (the stage width). */
  outChannels: number;
  /** Expansion ε: mid = ε · (channels the branch outputs). */
  expansion: number;
  kernelSize: number;
  /** 1: identity add (outChannels must equal the input); 2: the branch outputs outChannels − in, concat with a 3×3/2 avg-pooled input. */
  stride: 1 | 2;
  bn?: BatchNormConfig;
  name: string;
}

/**
 * ShiftNet-A block as in the public reconstruction (SHIFTA-RE `CSCBlock`, unit_type 'org'; docs/sources.md §4.6):
 * BN → ReLU → 1×1 (in→mid) → shift(K) → BN → ReLU → 1×1 (mid→out′, stride). The shift precedes BN as in that code.
 * Stride 1: out′ = out, + x. Stride 2: out′ = out − in, mid = ε·out′, concat([branch, avgpool3×3/2(x)]) (its order).
 * [N,H,W,in] → [N,H/s,W/s,outChannels].
 */
export function preActCscBlock(x: tf.SymbolicTensor, o: PreActCscOptions): tf.SymbolicTensor {
  const inChannels = channelsOf(x);
  const branchOut = o.stride === 1 ? o.outChannels : o.outChannels - inChannels;
  if (o.stride === 1 && o.outChannels !== inChannels) {
    throw new Error(`${o.name}: a stride-1 block adds its input, so outChannels (${o.outChannels}) must equal the input channels (${inChannels})`);
  }
  requireChannels(branchOut, 'branch output channels (out − in for a stride-2 block)', o.name);
  const mid = Math.floor(branchOut * o.expansion);
  requireChannels(mid, `mid channels ⌊ε·out′⌋ (ε = ${o.expansion})`, o.name);
  let y = activation(batchNorm(x, `${o.name}.bn1`, o.bn), 'relu', `${o.name}.relu1`);
  y = conv1x1(y, mid, 1, `${o.name}.conv1`);
  y = shift({ kernelSize: o.kernelSize, name: `${o.name}.shift` }).apply(y) as tf.SymbolicTensor;
  y = activation(batchNorm(y, `${o.name}.bn2`, o.bn), 'relu', `${o.name}.relu2`);
  y = conv1x1(y, branchOut, o.stride, `${o.name}.conv2`);
  if (o.stride === 1) return add(y, x, `${o.name}.add`);
  return tf.layers.concatenate({ axis: -1, name: `${o.name}.concat` }).apply([y, avgPool3x3s2(x, `${o.name}.shortcut`)]) as tf.SymbolicTensor;
}

// ---------------------------------------------------------------------------------------------------------------
// AS-ResNet

/** Options of {@link asResBlock}. */
export interface AsResBlockOptions {
  /** Output channels C (expansion 1: both 1×1 convs output C). */
  outChannels: number;
  /** 1, or 2 in the first block of a stage (the ASL itself strides; the shortcut becomes a 1×1/2 projection). */
  stride: 1 | 2;
  /** ASL gradient normalisation (deploy prototxt `normalize: true`). Default true. */
  normalizeGrad?: boolean;
  bn?: BatchNormConfig;
  name: string;
}

/**
 * AS-ResNet pre-activation block (ASL-REPO deploy prototxt; docs/sources.md §4.7): a = ReLU(BN(x)); 1×1 (C_in→C) →
 * BN → ReLU → ASL (stride, pad 0) → 1×1 (C→C); + shortcut, the shortcut being x itself, or a 1×1/s conv of `a`
 * when the shape changes. [N,H,W,C_in] → [N,⌊(H−1)/s⌋+1,⌊(W−1)/s⌋+1,C].
 */
export function asResBlock(x: tf.SymbolicTensor, o: AsResBlockOptions): tf.SymbolicTensor {
  requireChannels(o.outChannels, 'outChannels', o.name);
  const a = activation(batchNorm(x, `${o.name}.bn1`, o.bn), 'relu', `${o.name}.relu1`);
  let y = convBnAct(a, { outChannels: o.outChannels, kernelSize: 1, padding: 'valid', bn: o.bn, name: `${o.name}.conv1` });
  y = activeShift({ stride: o.stride, padding: 0, normalizeGrad: o.normalizeGrad ?? true, name: `${o.name}.asl` }).apply(y) as tf.SymbolicTensor;
  y = conv1x1(y, o.outChannels, 1, `${o.name}.conv2`);
  const needsProjection = o.stride !== 1 || channelsOf(x) !== o.outChannels;
  const shortcut = needsProjection ? conv1x1(a, o.outChannels, o.stride, `${o.name}.shortcut`) : x;
  return add(y, shortcut, `${o.name}.add`);
}

// ---------------------------------------------------------------------------------------------------------------
// FE-Net

/** Where IBPool averages: 'code' between the two 1×1 convs (released code), 'paper' before the first 1×1 (§4.8). */
export type FeDownsampling = 'code' | 'paper';

/** Options of {@link ibssl}. */
export interface IbsslOptions {
  outChannels: number;
  /** Expansion e: mid = ⌊e·out⌋ (SSL-REPO `int(out_planes * expansion)`). */
  expansion: number;
  /** Adds the input (ResIBSSL); needs in = out. Default false. */
  residual?: boolean;
  /** Sparse-shift penalty (coefficient of the L1 term on the offsets). */
  penalty?: number;
  /** How the SSL offsets start (SparseShift `initialisation`; default 'grid'). */
  sslInit?: SparseShiftInitialisation;
  bn?: BatchNormConfig;
  name: string;
}

/**
 * IBSSL / ResIBSSL (SSL-REPO basicunits.py): 1×1 (in→e·out) → BN → ReLU → SSL → 1×1 (→out) → BN, linear output;
 * ResIBSSL adds the input. [N,H,W,in] → [N,H,W,out].
 */
export function ibssl(x: tf.SymbolicTensor, o: IbsslOptions): tf.SymbolicTensor {
  const mid = Math.floor(o.outChannels * o.expansion);
  requireChannels(o.outChannels, 'outChannels', o.name);
  requireChannels(mid, `mid channels ⌊e·out⌋ (e = ${o.expansion})`, o.name);
  if (o.residual && channelsOf(x) !== o.outChannels) {
    throw new Error(`${o.name}: ResIBSSL adds its input, so outChannels (${o.outChannels}) must equal the input channels (${channelsOf(x)})`);
  }
  let y = convBnAct(x, { outChannels: mid, kernelSize: 1, padding: 'valid', bn: o.bn, name: `${o.name}.conv1` });
  y = sparseShift({ stride: 1, penalty: o.penalty, initialisation: o.sslInit, name: `${o.name}.ssl` }).apply(y) as tf.SymbolicTensor;
  y = convBnAct(y, { outChannels: o.outChannels, kernelSize: 1, padding: 'valid', activation: 'linear', bn: o.bn, name: `${o.name}.conv2` });
  return o.residual ? add(y, x, `${o.name}.add`) : y;
}

/** Options of {@link ibPool}. */
export interface IbPoolOptions {
  outChannels: number;
  expansion: number;
  /** Default 'code'. */
  downsampling?: FeDownsampling;
  bn?: BatchNormConfig;
  name: string;
}

/** 2×2 average pool, stride 2 (PyTorch `AvgPool2d(2, 2)`, floor). [N,H,W,C] → [N,⌊H/2⌋,⌊W/2⌋,C]. */
function avgPool2x2(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name }).apply(x) as tf.SymbolicTensor;
}

/**
 * IBPool (SSL-REPO basicunits.py), FE-Net's down-sampling unit: IBSSL with the shift replaced by a 2×2/2 avg pool.
 * 'code': 1×1 → BN → ReLU → pool → 1×1 → BN (released code). 'paper': pool → 1×1 → BN → ReLU → 1×1 → BN — the order
 * whose cost reproduces the published MAdds (docs/sources.md §4.8). [N,H,W,in] → [N,⌊H/2⌋,⌊W/2⌋,out].
 */
export function ibPool(x: tf.SymbolicTensor, o: IbPoolOptions): tf.SymbolicTensor {
  const mid = Math.floor(o.outChannels * o.expansion);
  requireChannels(o.outChannels, 'outChannels', o.name);
  requireChannels(mid, `mid channels ⌊e·out⌋ (e = ${o.expansion})`, o.name);
  const mode = o.downsampling ?? 'code';
  if (mode !== 'code' && mode !== 'paper') throw new Error(`${o.name}: downsampling must be 'code' or 'paper', got ${String(mode)}`);
  let y = mode === 'paper' ? avgPool2x2(x, `${o.name}.pool`) : x;
  y = convBnAct(y, { outChannels: mid, kernelSize: 1, padding: 'valid', bn: o.bn, name: `${o.name}.conv1` });
  if (mode === 'code') y = avgPool2x2(y, `${o.name}.pool`);
  return convBnAct(y, { outChannels: o.outChannels, kernelSize: 1, padding: 'valid', activation: 'linear', bn: o.bn, name: `${o.name}.conv2` });
}

/** Options of {@link feBlock}. */
export interface FeBlockOptions {
  /** '3n': slices [C/2 | C/4 | C/4]; '4n': [C/2 | C/4 | C/8 | C/8]. */
  kind: '3n' | '4n';
  outChannels: number;
  /** true: the closing unit is an IBPool (stride 2); false: an IBSSL. */
  downsample: boolean;
  /** Expansion inside the block. Default 6 (SSL-REPO). */
  expansion?: number;
  downsampling?: FeDownsampling;
  penalty?: number;
  /** How the SSL offsets start (default 'grid'). */
  sslInit?: SparseShiftInitialisation;
  bn?: BatchNormConfig;
  name: string;
}

/**
 * FE-Block (SSL-REPO FEBlock.py): the last slice goes through a ResIBSSL, is concatenated with the slice before it,
 * which doubles the width for the next ResIBSSL, … until all C channels are concatenated; then IBSSL or IBPool (C→out).
 * C must be divisible by 4 ('3n') or 8 ('4n'). [N,H,W,C] → [N,H/s,W/s,out].
 */
export function feBlock(x: tf.SymbolicTensor, o: FeBlockOptions): tf.SymbolicTensor {
  const c = channelsOf(x);
  const parts = o.kind === '3n' ? 4 : 8;
  if (c % parts !== 0) {
    throw new Error(`${o.name}: an FE-Block ${o.kind} splits its ${c} input channels into 1/${parts} slices; use a multiple of ${parts}`);
  }
  const g = c / parts;
  // Slice sizes from the front: [C/2, C/4, G, G] (4n) or [C/2, G, G] (3n); processing starts at the last slice.
  const sizes = o.kind === '3n' ? [2 * g, g, g] : [4 * g, 2 * g, g, g];
  const slices = channelSplit(x, sizes, `${o.name}.split`);
  const expansion = o.expansion ?? 6;
  let y = slices[slices.length - 1];
  for (let i = slices.length - 2, k = 1; i >= 0; i--, k++) {
    y = ibssl(y, { outChannels: channelsOf(y), expansion, residual: true, penalty: o.penalty, sslInit: o.sslInit, bn: o.bn, name: `${o.name}.res${k}` });
    y = tf.layers.concatenate({ axis: -1, name: `${o.name}.cat${k}` }).apply([slices[i], y]) as tf.SymbolicTensor;
  }
  return o.downsample
    ? ibPool(y, { outChannels: o.outChannels, expansion, downsampling: o.downsampling, bn: o.bn, name: `${o.name}.pool` })
    : ibssl(y, { outChannels: o.outChannels, expansion, penalty: o.penalty, sslInit: o.sslInit, bn: o.bn, name: `${o.name}.out` });
}
