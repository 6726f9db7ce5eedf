/**
 * Glue of the C addon's depthwise convolutions (native/src/depthwise.c) for the wasm backend: forward (plain and fused
 * with bias + linear/relu/relu6/leakyrelu) and both gradients. NHWC float32 only; everything else goes to the
 * previous kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import { activationCode, isChannelsLast, KernelArgs, sameShape } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import { DepthwiseAttrs, depthwiseInfo } from './geometry';

/** The addon's depthwise entry points (geometry: see `depthwiseGeometry`). */
export interface DepthwiseAddon {
  /** y [B,OH,OW,C·M] = act(conv(x [B,H,W,C], w [KH,KW,C,M]) + bias ([C·M], [1] or null)); act 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha). */
  depthwiseConv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
  /** dx [B,H,W,C] (overwritten) from dy [B,OH,OW,C·M] and w [KH,KW,C,M]. */
  depthwiseBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** dw [KH,KW,C,M] (overwritten) from x [B,H,W,C] and dy [B,OH,OW,C·M]. */
  depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
}

/** [B,H,W,C,M,OH,OW,KH,KW,strideH,strideW,dilationH,dilationW,padTop,padLeft] from a depthwise Conv2DInfo. */
function depthwiseGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels / info.inChannels, info.outHeight,
    info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight,
    info.dilationWidth, info.padInfo.top, info.padInfo.left,
  ]);
}

function asDepthwise(addon: NativeAddon): DepthwiseAddon | null {
  const a = addon as unknown as Partial<DepthwiseAddon>;
  return typeof a.depthwiseConv2d === 'function' && typeof a.depthwiseBackpropInput === 'function' &&
    typeof a.depthwiseBackpropFilter === 'function' ? (a as DepthwiseAddon) : null;
}

/** depthwiseInfo, or null when tfjs rejects the arguments (the previous kernel then reports the error). */
function convInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo | null {
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return null;
  try {
    const info = depthwiseInfo(xShape, filterShape, attrs);
    const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.outChannels, info.filterHeight, info.filterWidth];
    // Empty tensors and degenerate geometry: nothing worth a native call.
    if (!sizes.every((v) => Number.isInteger(v) && v >= 1)) return null;
    return info;
  } catch {
    return null;
  }
}

/**
 * Forward depthwise conv (plain or fused): x [B,H,W,C], filter [KH,KW,C,M], bias [C·M]|[1] → y [B,OH,OW,C·M].
 * Declines NCHW, non-float32, prelu and other activations, and biases that do not broadcast along channels only.
 */
function forward(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, fused: boolean): tf.TensorInfo | null {
  const dw = asDepthwise(addon);
  const { x, filter } = args.inputs;
  const bias = fused ? args.inputs.bias : undefined;
  const attrs = (args.attrs ?? {}) as unknown as tf.FusedDepthwiseConv2DAttrs;
  if (dw === null || x === undefined || filter === undefined || !allFloat32(x, filter) || !isChannelsLast(attrs.dataFormat)) return null;
  if (fused && args.inputs.preluActivationWeights !== undefined && args.inputs.preluActivationWeights !== null) return null;
  const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
  const act = activationCode(activation);
  if (act === null) return null;
  const alpha = activation === 'leakyrelu' ? (attrs.leakyreluAlpha ?? 0.2) : 0;
  const info = convInfo(x.shape, filter.shape, attrs);
  if (info === null) return null;
  if (bias !== undefined && bias !== null) {
    if (!allFloat32(bias)) return null;
    const size = tf.util.sizeFromShape(bias.shape);
    const channelsOnly = bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === info.outChannels &&
      bias.shape.slice(0, -1).every((d) => d === 1);
    if (!(size === 1 || channelsOnly)) return null;
  }
  const out = backend.makeOutput(info.outShape, 'float32');
  const hasBias = bias !== undefined && bias !== null;
  dw.depthwiseConv2d(heapF32(backend, x), heapF32(backend, filter), hasBias ? heapF32(backend, bias) : null,
    heapF32(backend, out), depthwiseGeometry(info), act, alpha);
  return out;
}

/** dx [B,H,W,C] = attrs.inputShape from dy [B,OH,OW,C·M] and filter [KH,KW,C,M]; declines shapes that do not match. */
function backpropInput(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const dw = asDepthwise(addon);
  const { dy, filter } = args.inputs;
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  if (dw === null || dy === undefined || filter === undefined || !allFloat32(dy, filter) || !Array.isArray(attrs.inputShape)) return null;
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  if (info === null || !sameShape(dy.shape, info.outShape)) return null;
  const out = backend.makeOutput(info.inShape, 'float32');
  dw.depthwiseBackpropInput(heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, out), depthwiseGeometry(info));
  return out;
}

/** dW [KH,KW,C,M] = attrs.filterShape from x [B,H,W,C] and dy [B,OH,OW,C·M]; declines shapes that do not match. */
function backpropFilter(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const dw = asDepthwise(addon);
  const { x, dy } = args.inputs;
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  if (dw === null || x === undefined || dy === undefined || !allFloat32(x, dy) || !Array.isArray(attrs.filterShape)) return null;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  if (info === null || !sameShape(dy.shape, info.outShape)) return null;
  const out = backend.makeOutput(info.filterShape, 'float32');
  dw.depthwiseBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out), depthwiseGeometry(info));
  return out;
}

/** The depthwise kernels served by the addon: forward, fused forward, both gradients. */
export const DEPTHWISE_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.DepthwiseConv2dNative, impl: (args, addon, backend) => forward(args, addon, backend, false) },
  { kernelName: tf.FusedDepthwiseConv2D, impl: (args, addon, backend) => forward(args, addon, backend, true) },
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, impl: backpropInput },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, impl: backpropFilter },
];
