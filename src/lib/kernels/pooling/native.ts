/**
 * Glue of the C addon's 2-D pooling kernels (native/src/pooling.c) for the wasm backend: MaxPool and AvgPool forward, MaxPoolGrad
 * and AvgPoolGrad, with the tfjs cpu backend's semantics (first maximum in row-major window order gets the gradient;
 * the average gradient divides by KH·KW, padding counted). NHWC float32, dilation 1 only; everything else goes to
 * the previous kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import { KernelArgs, sameShape } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';

/** The addon's pooling entry points (geometry: see `poolGeometry`). */
export interface PoolingAddon {
  /** y [B,OH,OW,C] = max over each window's cells inside x [B,H,W,C] (NaN never wins; −inf for an empty window). */
  maxPool(x: Float32Array, y: Float32Array, geom: Int32Array): void;
  /** y [B,OH,OW,C] = mean over each window's cells inside x [B,H,W,C] (padding not counted). */
  avgPool(x: Float32Array, y: Float32Array, geom: Int32Array): void;
  /** dx [B,H,W,C] (overwritten): dy [B,OH,OW,C] to the first maximum of each window of x [B,H,W,C]. */
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** dx [B,H,W,C] (overwritten): Σ over the windows covering each cell of dy [B,OH,OW,C] / (KH·KW). */
  avgPoolGrad(dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
}

/** Attributes shared by the four pooling kernels (AvgPoolGrad has no dimRoundingMode). */
interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** [B,H,W,C,OH,OW,KH,KW,strideH,strideW,padTop,padLeft] from a Conv2DInfo of computePool2DInfo. */
function poolGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight,
    info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  ]);
}

function asPool(addon: NativeAddon): PoolingAddon | null {
  const a = addon as unknown as Partial<PoolingAddon>;
  return typeof a.maxPool === 'function' && typeof a.avgPool === 'function' && typeof a.maxPoolGrad === 'function' &&
    typeof a.avgPoolGrad === 'function' ? (a as PoolingAddon) : null;
}

/**
 * computePool2DInfo for x [B,H,W,C], or null when tfjs rejects the arguments (the previous kernel then reports the
 * error) or the geometry is degenerate (empty tensors, dilation ≠ 1, channels-first).
 */
function poolInfo(xShape: number[], attrs: PoolAttrs, withRounding: boolean): tf.backend_util.Conv2DInfo | null {
  if (xShape.length !== 4) return null;
  try {
    const info = tf.backend_util.computePool2DInfo(
      xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad,
      withRounding ? attrs.dimRoundingMode : undefined,
    );
    const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
    if (!sizes.every((v) => Number.isInteger(v) && v >= 1)) return null;
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') return null;
    if (info.inChannels !== info.outChannels) return null;
    if (![info.padInfo.top, info.padInfo.left].every((p) => Number.isInteger(p) && Math.abs(p) < 2 ** 20)) return null;
    return info;
  } catch {
    return null;
  }
}

/** MaxPool / AvgPool: x [B,H,W,C] → y [B,OH,OW,C]; declines non-float32 and anything poolInfo declines. */
function forward(args: KernelArgs, addon: NativeAddon, backend: BackendWasm, avg: boolean): tf.TensorInfo | null {
  const pool = asPool(addon);
  const x = args.inputs.x;
  if (pool === null || x === undefined || !allFloat32(x)) return null;
  const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs, true);
  if (info === null) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  (avg ? pool.avgPool : pool.maxPool)(heapF32(backend, x), heapF32(backend, out), poolGeometry(info));
  return out;
}

/** MaxPoolGrad: dx [B,H,W,C] from dy [B,OH,OW,C] and input x [B,H,W,C] (`output` is not needed); declines mismatched dy. */
function maxPoolGrad(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const pool = asPool(addon);
  const { dy, input } = args.inputs;
  if (pool === null || dy === undefined || input === undefined || !allFloat32(dy, input)) return null;
  const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs, true);
  if (info === null || !sameShape(dy.shape, info.outShape)) return null;
  const out = backend.makeOutput(input.shape, 'float32');
  pool.maxPoolGrad(heapF32(backend, dy), heapF32(backend, input), heapF32(backend, out), poolGeometry(info));
  return out;
}

/**
 * AvgPoolGrad: dx [B,H,W,C] (shape of `input`) from dy [B,OH,OW,C]. Like the cpu and wasm kernels it sizes the
 * windows without dimRoundingMode; declines a dy whose shape does not match.
 */
function avgPoolGrad(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const pool = asPool(addon);
  const { dy, input } = args.inputs;
  if (pool === null || dy === undefined || input === undefined || !allFloat32(dy)) return null;
  const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs, false);
  if (info === null || !sameShape(dy.shape, info.outShape)) return null;
  const out = backend.makeOutput(input.shape, 'float32');
  pool.avgPoolGrad(heapF32(backend, dy), heapF32(backend, out), poolGeometry(info));
  return out;
}

/** The pooling kernels served by the addon: both gradients and both forward kernels (the native forward beats XNNPACK on the CIFAR shapes). */
export const POOLING_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.MaxPoolGrad, impl: maxPoolGrad },
  { kernelName: tf.AvgPoolGrad, impl: avgPoolGrad },
  { kernelName: tf.MaxPool, impl: (args, addon, backend) => forward(args, addon, backend, false) },
  { kernelName: tf.AvgPool, impl: (args, addon, backend) => forward(args, addon, backend, true) },
];
