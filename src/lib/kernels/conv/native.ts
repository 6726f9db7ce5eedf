/**
 * Glue of the C addon's convolutions (native/src/conv.c: im2col + GEMM, dense and grouped in one implementation) for
 * Conv2D, FusedConv2D (bias, linear/relu/relu6/leakyrelu), Conv2DBackpropInput and Conv2DBackpropFilter, NHWC
 * float32, computed in place on the wasm heap. Everything else (NCHW, prelu/elu/sigmoid, other dtypes, broadcast
 * bias shapes, empty tensors) is handed back to the previously registered kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import { fusedEpilogue, isChannelsLast, KernelArgs, NO_EPILOGUE } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';

/**
 * The addon entry points of native/src/conv.c. geom: Int32Array [B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G] (see
 * convGeometry) with C and CO the full channel counts; the filter is [KH,KW,C/G,CO] (G = 1: a dense convolution).
 */
export interface ConvAddon {
  /** y [B,OH,OW,CO] = act(conv(x [B,H,W,C], w) + bias [CO]); act 0 linear, 1 relu, 2 relu6, 3 leakyrelu. */
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
  /** dx [B,H,W,C] = input gradient of the convolution for dy [B,OH,OW,CO]. */
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** dw [KH,KW,C/G,CO] = filter gradient of the convolution for x [B,H,W,C] and dy [B,OH,OW,CO]. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
}

/** The addon seen through the conv entry points. */
export function convAddon(addon: NativeAddon): ConvAddon {
  return addon as unknown as ConvAddon;
}

/** Geometry Int32Array for the addon from a tfjs Conv2DInfo (NHWC) and the group count (1: dense). */
export function convGeometry(info: tf.backend_util.Conv2DInfo, groups = 1): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left, groups,
  ]);
}

/** Whether every size of the convolution is positive (empty tensors go to the previous kernel). */
function nonEmpty(info: tf.backend_util.Conv2DInfo): boolean {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth].every((n) => n > 0) && info.padInfo.top >= 0 && info.padInfo.left >= 0;
}

/** Conv2D and FusedConv2D: x [B,H,W,Ci], filter [KH,KW,Ci,Co] (+ bias [Co], activation) → y [B,OH,OW,Co]. */
function conv2dImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, fused: boolean): tf.TensorInfo | null {
  const { x, filter } = args.inputs;
  if (x === undefined || filter === undefined || !allFloat32(x, filter) || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf.FusedConv2DAttrs;
  if (!isChannelsLast(attrs.dataFormat)) return null;
  const epilogue = fused ? fusedEpilogue(args, filter.shape[3]) : NO_EPILOGUE;
  if (epilogue === null) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode,
    false, 'channelsLast');
  if (!nonEmpty(info) || info.inChannels !== filter.shape[2]) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  const { act, alpha, bias } = epilogue;
  convAddon(addon).conv2d(heapF32(backend, x), heapF32(backend, filter), bias === null ? null : heapF32(backend, bias),
    heapF32(backend, out), convGeometry(info), act, alpha);
  return out;
}

/** Conv2DBackpropInput: dy [B,OH,OW,Co], filter [KH,KW,Ci,Co], attrs.inputShape [B,H,W,Ci] → dx [B,H,W,Ci]. */
function backpropInputImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { dy, filter } = args.inputs;
  if (dy === undefined || filter === undefined || !allFloat32(dy, filter) || dy.shape.length !== 4 || filter.shape.length !== 4) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (!isChannelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number],
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  if (!nonEmpty(info) || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || info.outChannels !== dy.shape[3]) return null;
  const out = backend.makeOutput(attrs.inputShape, 'float32');
  convAddon(addon).conv2dBackpropInput(heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, out), convGeometry(info));
  return out;
}

/** Conv2DBackpropFilter: x [B,H,W,Ci], dy [B,OH,OW,Co], attrs.filterShape [KH,KW,Ci,Co] → dW [KH,KW,Ci,Co]. */
function backpropFilterImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x, dy } = args.inputs;
  if (x === undefined || dy === undefined || !allFloat32(x, dy) || x.shape.length !== 4 || dy.shape.length !== 4) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!isChannelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  if (!nonEmpty(info) || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || info.outChannels !== dy.shape[3] ||
    info.batchSize !== dy.shape[0]) return null;
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  convAddon(addon).conv2dBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out), convGeometry(info));
  return out;
}

/** The dense convolution kernels served by the addon. */
export const CONV_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.Conv2D, impl: (args, addon, backend) => conv2dImpl(args, addon, backend, false) },
  { kernelName: tf.FusedConv2D, impl: (args, addon, backend) => conv2dImpl(args, addon, backend, true) },
  { kernelName: tf.Conv2DBackpropInput, impl: backpropInputImpl },
  { kernelName: tf.Conv2DBackpropFilter, impl: backpropFilterImpl },
];
