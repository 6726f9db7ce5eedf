/**
 * SqueezeNet's Fire module (Iandola et al., arXiv:1602.07360 §3.2; torchvision `squeezenet.py::Fire`):
 * squeeze 1×1 (s) → ReLU → [expand 1×1 (e1) ‖ expand 3×3 pad 1 (e3)] → ReLU each → concat (e1 + e3 channels).
 * Every conv has a bias and there is no BatchNorm (as in the paper and torchvision).
 * Bypass (paper §6): 'simple' adds the input when it has e1 + e3 channels; 'complex' adds the input too, through a
 * 1×1 conv (with bias) when the channel counts differ.
 */
import * as tf from '@tensorflow/tfjs';
import { zeroPad } from './conv';

/**
 * He (Kaiming) uniform, fan-in, gain √2: torchvision's SqueezeNet init (`kaiming_uniform_`). SqueezeNet has no BN, and
 * tfjs' default Glorot init shrinks the variance about 5× in each expand layer (fan-out 4× the fan-in): after eight
 * Fire modules the features had vanished and CIFAR training sat at loss ln 10 (measured).
 */
export const FIRE_INIT = 'heUniform';

/** Shortcut around a Fire module (SqueezeNet paper §6). */
export type FireBypass = 'none' | 'simple' | 'complex';

export interface FireOptions {
  /** Squeeze 1×1 filters s. */
  squeeze: number;
  /** Expand 1×1 filters e1. */
  expand1x1: number;
  /** Expand 3×3 filters e3. */
  expand3x3: number;
  /** Default 'none'. 'simple' requires input channels = e1 + e3. */
  bypass?: FireBypass;
  /** Layer-name prefix, e.g. "fire2" → "fire2.squeeze", "fire2.expand3x3", "fire2.concat". */
  name: string;
}

/** Conv with bias followed by ReLU; `pad` pixels of symmetric zero padding first (PyTorch padding). */
function convRelu(x: tf.SymbolicTensor, filters: number, kernelSize: number, pad: number, name: string): tf.SymbolicTensor {
  const padded = zeroPad(x, pad, `${name}.pad`);
  const y = tf.layers.conv2d({ filters, kernelSize, padding: 'valid', useBias: true, kernelInitializer: FIRE_INIT, name }).apply(padded) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}.relu` }).apply(y) as tf.SymbolicTensor;
}

/** Fire module. [N,H,W,M] → [N,H,W,e1+e3]; params M·s + s·e1 + 9·s·e3 + (s + e1 + e3) biases (docs/sources.md §5.8). */
export function fire(x: tf.SymbolicTensor, o: FireOptions): tf.SymbolicTensor {
  for (const key of ['squeeze', 'expand1x1', 'expand3x3'] as const) {
    if (!Number.isInteger(o[key]) || o[key] <= 0) throw new Error(`${o.name}: ${key} must be a positive integer, got ${o[key]}`);
  }
  const bypass = o.bypass ?? 'none';
  if (!['none', 'simple', 'complex'].includes(bypass)) {
    throw new Error(`${o.name}: bypass must be one of none, simple, complex; got "${bypass}"`);
  }
  const inChannels = x.shape[x.shape.length - 1] as number;
  const outChannels = o.expand1x1 + o.expand3x3;
  if (bypass === 'simple' && inChannels !== outChannels) {
    throw new Error(
      `${o.name}: a simple bypass needs input channels = e1 + e3, got ${inChannels} ≠ ${outChannels}; use bypass 'complex' (1×1 conv shortcut) or 'none'`,
    );
  }
  const s = convRelu(x, o.squeeze, 1, 0, `${o.name}.squeeze`);
  const e1 = convRelu(s, o.expand1x1, 1, 0, `${o.name}.expand1x1`);
  const e3 = convRelu(s, o.expand3x3, 3, 1, `${o.name}.expand3x3`);
  const y = tf.layers.concatenate({ axis: -1, name: `${o.name}.concat` }).apply([e1, e3]) as tf.SymbolicTensor;
  if (bypass === 'none') return y;
  const shortcut =
    inChannels === outChannels
      ? x
      : (tf.layers.conv2d({ filters: outChannels, kernelSize: 1, useBias: true, kernelInitializer: FIRE_INIT, name: `${o.name}.bypass` }).apply(x) as tf.SymbolicTensor);
  return tf.layers.add({ name: `${o.name}.add` }).apply([y, shortcut]) as tf.SymbolicTensor;
}
