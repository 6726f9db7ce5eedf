/**
 * Native dense convolutions and matmuls (native/src/conv.c): im2col + GEMM (OpenBLAS when present) for Conv2D,
 * FusedConv2D (bias, linear/relu/relu6/leakyrelu), Conv2DBackpropInput, Conv2DBackpropFilter, BatchMatMul and
 * _FusedMatMul, NHWC float32, computed in place on the wasm heap. Everything else (NCHW, prelu/elu/sigmoid, other
 * dtypes, broadcast bias shapes, empty tensors) is handed back to the previously registered kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../addon';
import { allFloat32, heapF32, KernelArgs, NativeOverride } from './override';

/** The addon entry points of native/src/conv.c (geometry: Int32Array [B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl]). */
export interface ConvAddon {
  /** y [B,OH,OW,CO] = act(conv(x [B,H,W,C], w [KH,KW,C,CO]) + bias [CO]); act 0 linear, 1 relu, 2 relu6, 3 leakyrelu. */
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
  /** dx [B,H,W,C] = input gradient of the convolution for dy [B,OH,OW,CO]. */
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** dw [KH,KW,C,CO] = filter gradient of the convolution for x [B,H,W,C] and dy [B,OH,OW,CO]. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  /** c [batch,M,N] = act(op(a) · op(b) + bias [N]); a [batchA,M,K] (or [.,K,M]), b [batchB,K,N] (or [.,N,K]); batch 1 broadcasts. */
  batchMatMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array, batchA: number, batchB: number,
    M: number, N: number, K: number, transA: number, transB: number, act: number, alpha: number): void;
}

/** The addon seen through the conv entry points. */
function convAddon(addon: NativeAddon): ConvAddon {
  return addon as unknown as ConvAddon;
}

/** Activation name → addon code; null for activations done elsewhere (prelu, elu, sigmoid…). */
export function activationCode(activation: string | undefined): number | null {
  switch (activation ?? 'linear') {
    case 'linear': return 0;
    case 'relu': return 1;
    case 'relu6': return 2;
    case 'leakyrelu': return 3;
    default: return null;
  }
}

/** Whether a dataFormat attribute means NHWC (undefined counts as the tfjs default, NHWC). */
function channelsLast(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Geometry Int32Array for the addon from a tfjs Conv2DInfo (NHWC). */
export function convGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
  ]);
}

/** Whether every size of the convolution is positive (empty tensors go to the previous kernel). */
function nonEmpty(info: tf.backend_util.Conv2DInfo): boolean {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth].every((n) => n > 0) && info.padInfo.top >= 0 && info.padInfo.left >= 0;
}

/** A bias usable by the addon: its values are one per output channel (shape [..., n] with size n), else undefined. */
function channelBias(bias: tf.TensorInfo | undefined, n: number): tf.TensorInfo | null | undefined {
  if (bias === undefined) return null;
  if (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n) return undefined;
  return bias;
}

/** Conv2D and FusedConv2D: x [B,H,W,Ci], filter [KH,KW,Ci,Co] (+ bias [Co], activation) → y [B,OH,OW,Co]. */
function conv2dImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, fused: boolean): tf.TensorInfo | null {
  const { x, filter } = args.inputs;
  if (x === undefined || filter === undefined || !allFloat32(x, filter) || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf.FusedConv2DAttrs;
  if (!channelsLast(attrs.dataFormat)) return null;
  let act = 0;
  let alpha = 0;
  let bias: tf.TensorInfo | null = null;
  if (fused) {
    if (args.inputs.preluActivationWeights !== undefined) return null;
    const code = activationCode(attrs.activation);
    if (code === null) return null;
    act = code;
    alpha = attrs.leakyreluAlpha ?? 0.2;
    const b = channelBias(args.inputs.bias, filter.shape[3]);
    if (b === undefined) return null;
    bias = b;
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode,
    false, 'channelsLast');
  if (!nonEmpty(info) || info.inChannels !== filter.shape[2]) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  convAddon(addon).conv2d(heapF32(backend, x), heapF32(backend, filter), bias === null ? null : heapF32(backend, bias),
    heapF32(backend, out), convGeometry(info), act, alpha);
  return out;
}

/** Conv2DBackpropInput: dy [B,OH,OW,Co], filter [KH,KW,Ci,Co], attrs.inputShape [B,H,W,Ci] → dx [B,H,W,Ci]. */
function backpropInputImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { dy, filter } = args.inputs;
  if (dy === undefined || filter === undefined || !allFloat32(dy, filter) || dy.shape.length !== 4 || filter.shape.length !== 4) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (!channelsLast(attrs.dataFormat)) return null;
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
  if (!channelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  if (!nonEmpty(info) || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || info.outChannels !== dy.shape[3] ||
    info.batchSize !== dy.shape[0]) return null;
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  convAddon(addon).conv2dBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out), convGeometry(info));
  return out;
}

/**
 * BatchMatMul / _FusedMatMul: a [..., M, K] (or [..., K, M]), b [..., K, N] (or [..., N, K]) → [..., M, N], outer
 * dims equal or one side's all 1 (other broadcasts decline); fused: bias [N] and linear/relu/relu6/leakyrelu.
 */
function matMulImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, fused: boolean): tf.TensorInfo | null {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined || !allFloat32(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const attrs = (args.attrs ?? {}) as unknown as tf._FusedMatMulAttrs;
  const transA = attrs.transposeA === true;
  const transB = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb || M <= 0 || N <= 0 || K <= 0) return null;
  const outerA = a.shape.slice(0, ra - 2);
  const outerB = b.shape.slice(0, rb - 2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // Equal products mean equal (padded) outer shapes; a product of 1 broadcasts whole matrices; anything else declines.
  if (batch <= 0 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  let act = 0;
  let alpha = 0;
  let bias: tf.TensorInfo | null = null;
  if (fused) {
    if (args.inputs.preluActivationWeights !== undefined) return null;
    const code = activationCode(attrs.activation);
    if (code === null) return null;
    act = code;
    alpha = attrs.leakyreluAlpha ?? 0.2;
    const bb = channelBias(args.inputs.bias, N);
    if (bb === undefined) return null;
    bias = bb;
  }
  const out = backend.makeOutput([...outer, M, N], 'float32');
  convAddon(addon).batchMatMul(heapF32(backend, a), heapF32(backend, b), bias === null ? null : heapF32(backend, bias),
    heapF32(backend, out), batchA, batchB, M, N, K, transA ? 1 : 0, transB ? 1 : 0, act, alpha);
  return out;
}

/** The overrides of this module, for NATIVE_OVERRIDES. */
export const CONV_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.Conv2D, impl: (args, addon, backend) => conv2dImpl(args, addon, backend, false) },
  { kernelName: tf.FusedConv2D, impl: (args, addon, backend) => conv2dImpl(args, addon, backend, true) },
  { kernelName: tf.Conv2DBackpropInput, impl: backpropInputImpl },
  { kernelName: tf.Conv2DBackpropFilter, impl: backpropFilterImpl },
  { kernelName: tf.BatchMatMul, impl: (args, addon, backend) => matMulImpl(args, addon, backend, false) },
  { kernelName: tf._FusedMatMul, impl: (args, addon, backend) => matMulImpl(args, addon, backend, true) },
];
