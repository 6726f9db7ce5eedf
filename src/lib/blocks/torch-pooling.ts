/**
 * PyTorch pooling semantics in tfjs: `nn.MaxPool2d(kernel, stride, padding, ceil_mode)` and `nn.AdaptiveAvgPool2d`,
 * so that networks defined after torchvision produce PyTorch's feature-map sizes (and, with imported weights,
 * PyTorch's numbers). Reference: torch/nn/modules/pooling.py and ATen's `pooling_output_shape` /
 * `AdaptiveAveragePooling.cpp` (start = ⌊i·H/o⌋, end = ⌈(i+1)·H/o⌉).
 */
import * as tf from '@tensorflow/tfjs';

/** Output length of a conv along one axis (PyTorch and 'valid' after explicit padding): ⌊(n + 2p − k)/s⌋ + 1. */
export function convOutputSize(n: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((n + 2 * padding - kernel) / stride) + 1;
}

/**
 * Output length of PyTorch's MaxPool2d along one axis. With ceil mode the last window may hang over the
 * right edge, but PyTorch drops it when it would start inside the right padding (ATen `pooling_output_shape`).
 */
export function maxPoolOutputSize(n: number, kernel: number, stride: number, padding: number, ceilMode: boolean): number {
  const span = n + 2 * padding - kernel;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= n + padding) out -= 1;
  return out;
}

export interface TorchMaxPoolOptions {
  kernelSize: number;
  /** Default: kernelSize (PyTorch's default). */
  stride?: number;
  /** Symmetric padding in pixels; default 0. */
  padding?: number;
  /** PyTorch's ceil_mode; default false. */
  ceilMode?: boolean;
  /** Layer-name prefix: `<name>.pad` (when any padding is needed) and `<name>.pool`. */
  name: string;
}

/**
 * PyTorch `nn.MaxPool2d` on NHWC: explicit zero padding (p each side, plus what ceil mode needs at the bottom/right),
 * then a 'valid' max pool. [N,H,W,C] → [N,H′,W′,C] with H′ = {@link maxPoolOutputSize}.
 *
 * PyTorch pads with −∞; zero padding gives the same result only when the input is ≥ 0. Every caller in this repo
 * pools a ReLU output, and ceil mode never creates a window made of padding only (PyTorch's rule above), so
 * the outputs are identical. Do not use it on signed inputs with padding > 0.
 */
export function maxPool2dTorch(x: tf.SymbolicTensor, o: TorchMaxPoolOptions): tf.SymbolicTensor {
  const stride = o.stride ?? o.kernelSize;
  const padding = o.padding ?? 0;
  const ceilMode = o.ceilMode ?? false;
  if (padding * 2 > o.kernelSize) {
    throw new Error(`${o.name}: padding ${padding} must be at most half the kernel size ${o.kernelSize} (PyTorch's rule)`);
  }
  const [h, w] = [x.shape[1] as number, x.shape[2] as number];
  const extra = (n: number): number => {
    const out = maxPoolOutputSize(n, o.kernelSize, stride, padding, ceilMode);
    if (out < 1) {
      throw new Error(`${o.name}: a ${n}×${n} map is too small for a ${o.kernelSize}×${o.kernelSize} max pool (padding ${padding}); use a larger input resolution`);
    }
    // Rows beyond the last window are ignored by a 'valid' pool, so only a shortfall needs padding.
    return Math.max(0, (out - 1) * stride + o.kernelSize - (n + 2 * padding));
  };
  const [extraH, extraW] = [extra(h), extra(w)];
  let y = x;
  if (padding > 0 || extraH > 0 || extraW > 0) {
    y = tf.layers
      .zeroPadding2d({ padding: [[padding, padding + extraH], [padding, padding + extraW]], name: `${o.name}.pad` })
      .apply(y) as tf.SymbolicTensor;
  }
  return tf.layers
    .maxPooling2d({ poolSize: o.kernelSize, strides: stride, padding: 'valid', name: `${o.name}.pool` })
    .apply(y) as tf.SymbolicTensor;
}

/** PyTorch's adaptive-pool bins along one axis: bin i covers [⌊i·n/o⌋, ⌈(i+1)·n/o⌉). */
export function adaptivePoolBins(n: number, out: number): Array<[number, number]> {
  const bins: Array<[number, number]> = [];
  for (let i = 0; i < out; i++) bins.push([Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);
  return bins;
}

export interface AdaptiveAvgPool2dArgs {
  /** Output height = width. */
  outputSize: number;
  name?: string;
}

/**
 * PyTorch `nn.AdaptiveAvgPool2d(outputSize)` on NHWC; [N,H,W,C] → [N,o,o,C]. The identity when H = W = o
 * (torchvision AlexNet at 224², VGG at 224²); otherwise the mean over each PyTorch bin (bins may overlap or,
 * for H < o, repeat input pixels). No weights, no MACs (pooling counts 0 in the papers' convention).
 */
export class AdaptiveAvgPool2d extends tf.layers.Layer {
  /** @nocollapse */
  static className = 'AdaptiveAvgPool2d';
  readonly outputSize: number;

  constructor(args: AdaptiveAvgPool2dArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.outputSize) || args.outputSize < 1) {
      throw new Error(`AdaptiveAvgPool2d: outputSize must be a positive integer, got ${args.outputSize}`);
    }
    this.outputSize = args.outputSize;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], this.outputSize, this.outputSize, s[3]];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return poolAxis(poolAxis(x, 1, this.outputSize), 2, this.outputSize);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputSize: this.outputSize };
  }
}
tf.serialization.registerClass(AdaptiveAvgPool2d);

/** Averages axis `axis` (1 = H, 2 = W) of an NHWC tensor into `out` PyTorch bins. */
function poolAxis(x: tf.Tensor4D, axis: 1 | 2, out: number): tf.Tensor4D {
  const n = x.shape[axis];
  if (n === out) return x;
  const parts = adaptivePoolBins(n, out).map(([start, end]) => {
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    begin[axis] = start;
    size[axis] = end - start;
    return tf.mean(tf.slice(x, begin, size), axis, true) as tf.Tensor4D;
  });
  return tf.concat(parts, axis);
}

/** Applies {@link AdaptiveAvgPool2d} named `name`. [N,H,W,C] → [N,o,o,C]. */
export function adaptiveAvgPool2d(x: tf.SymbolicTensor, outputSize: number, name: string): tf.SymbolicTensor {
  return new AdaptiveAvgPool2d({ outputSize, name }).apply(x) as tf.SymbolicTensor;
}

/**
 * Flattens NHWC into PyTorch's NCHW order ([N,H,W,C] → [N, C·H·W]), so that a torchvision classifier's first
 * `Linear` weight loads with a plain transpose (no row permutation).
 */
export function flattenTorchOrder(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const nchw = tf.layers.permute({ dims: [3, 1, 2], name: `${name}.nchw` }).apply(x) as tf.SymbolicTensor;
  return tf.layers.flatten({ name }).apply(nchw) as tf.SymbolicTensor;
}
