/**
 * Native depthwise convolution kernels (native/src/depthwise.c) for the wasm backend: forward (plain and fused with
 * bias + linear/relu/relu6/leakyrelu) and both gradients. NHWC float32 only; everything else goes to the previous kernel.
 * Also ShiftNet's fixed grouped shift (GROUPED_SHIFT of ops/shift.ts), natively and as its TypeScript fallback.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../addon';
import { allFloat32, heapF32, KernelArgs, NativeOverride } from './override';
import { GROUPED_SHIFT } from '../../ops/shift';

/** The addon's depthwise entry points (geometry: see `depthwiseGeometry`). */
export interface DepthwiseAddon {
  /** y [B,OH,OW,C·M] = act(conv(x [B,H,W,C], w [KH,KW,C,M]) + bias ([C·M], [1] or null)); act 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha). */
  depthwiseConv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
  /** dx [B,H,W,C] (overwritten) from dy [B,OH,OW,C·M] and w [KH,KW,C,M]. */
  depthwiseBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** dw [KH,KW,C,M] (overwritten) from x [B,H,W,C] and dy [B,OH,OW,C·M]. */
  depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  /** y [N,H,W,C] = x shifted per run: runs = [c0, c1, dy, dx, …] tiling 0..C, y[n,h,w,c] = x[n,h+dy,w+dx,c] (0 outside). */
  groupedShift(x: Float32Array, y: Float32Array, runs: Int32Array, geom: Int32Array): void;
}

/** Activation codes of the native forward kernel; others (prelu, elu, sigmoid…) are declined. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

/** [B,H,W,C,M,OH,OW,KH,KW,strideH,strideW,dilationH,dilationW,padTop,padLeft] from a depthwise Conv2DInfo. */
export function depthwiseGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels / info.inChannels, info.outHeight,
    info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight,
    info.dilationWidth, info.padInfo.top, info.padInfo.left,
  ]);
}

function asDepthwise(addon: NativeAddon): DepthwiseAddon | null {
  const a = addon as unknown as Partial<DepthwiseAddon>;
  return typeof a.depthwiseConv2d === 'function' && typeof a.depthwiseBackpropInput === 'function' &&
    typeof a.depthwiseBackpropFilter === 'function' && typeof a.groupedShift === 'function' ? (a as DepthwiseAddon) : null;
}

function isNhwc(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** computeConv2DInfo(depthwise) or null when tfjs rejects the arguments (the previous kernel then reports the error). */
function convInfo(
  xShape: number[], filterShape: number[], strides: [number, number] | number, dilations: [number, number] | number,
  pad: unknown, dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): tf.backend_util.Conv2DInfo | null {
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return null;
  try {
    const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], filterShape as [number, number, number, number], strides,
      dilations ?? 1, pad as 'same', dimRoundingMode, true,
    );
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
  if (dw === null || x === undefined || filter === undefined || !allFloat32(x, filter) || !isNhwc(attrs.dataFormat)) return null;
  if (fused && args.inputs.preluActivationWeights !== undefined && args.inputs.preluActivationWeights !== null) return null;
  const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
  const act = ACTIVATIONS[activation];
  if (act === undefined) return null;
  const alpha = activation === 'leakyrelu' ? (attrs.leakyreluAlpha ?? 0.2) : 0;
  const info = convInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
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
  const info = convInfo(attrs.inputShape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
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
  const info = convInfo(x.shape, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
  if (info === null || !sameShape(dy.shape, info.outShape)) return null;
  const out = backend.makeOutput(info.filterShape, 'float32');
  dw.depthwiseBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out), depthwiseGeometry(info));
  return out;
}

/** The runs attribute of GROUPED_SHIFT when it tiles 0..channels in order with integer offsets, else null. */
function shiftRuns(attrs: tf.NamedAttrMap | undefined, channels: number): Int32Array | null {
  const runs = (attrs as { runs?: unknown } | undefined)?.runs;
  if (!Array.isArray(runs)) return null;
  // Frozen runs (the Shift layer's) cannot change: their checked typed copy is reused, not rebuilt every call.
  const cached = Object.isFrozen(runs) ? checkedRuns.get(runs) : undefined;
  if (cached !== undefined && cached.channels === channels) return cached.runs;
  const checked = checkRuns(runs, channels);
  if (checked !== null && Object.isFrozen(runs)) checkedRuns.set(runs, { channels, runs: checked });
  return checked;
}

const checkedRuns = new WeakMap<readonly unknown[], { channels: number; runs: Int32Array }>();

/** Validates [c0, c1, dy, dx, …] as runs tiling channels 0..channels in order; their Int32Array, or null. */
function checkRuns(runs: readonly unknown[], channels: number): Int32Array | null {
  if (runs.length === 0 || runs.length % 4 !== 0) return null;
  if (!runs.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31)) return null;
  let next = 0;
  for (let j = 0; j < runs.length; j += 4) {
    if (runs[j] !== next || (runs[j + 1] as number) <= (runs[j] as number)) return null;
    next = runs[j + 1] as number;
  }
  return next === channels ? Int32Array.from(runs as number[]) : null;
}

/**
 * TypeScript GROUPED_SHIFT on wasm: the kernel the native one replaces and hands declined calls to (and the one that
 * runs with the native kernels switched off). x [N,H,W,C] → [N,H,W,C]; one copy per (row, column, run).
 */
export function groupedShiftWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x;
  if (x === undefined || x.dtype !== 'float32' || x.shape.length !== 4) {
    throw new Error(`${GROUPED_SHIFT}: expects one float32 NHWC input x, got ${x === undefined ? 'none' : `${x.dtype} [${x.shape}]`}`);
  }
  const [n, h, w, c] = x.shape;
  const runs = shiftRuns(args.attrs, c);
  if (runs === null) throw new Error(`${GROUPED_SHIFT}: attrs.runs must be [c0, c1, dy, dx, …] tiling channels 0..${c} in order`);
  const out = backend.makeOutput(x.shape, 'float32');
  const xs = heapF32(backend, x);
  const ys = heapF32(backend, out);
  for (let row = 0; row < n * h; row++) {
    const b = Math.floor(row / h);
    const hh = row % h;
    for (let j = 0; j < runs.length; j += 4) {
      const [c0, c1, dy, dx] = [runs[j], runs[j + 1], runs[j + 2], runs[j + 3]];
      const ih = hh + dy;
      for (let ww = 0; ww < w; ww++) {
        const o = (row * w + ww) * c;
        const iw = ww + dx;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) ys.fill(0, o + c0, o + c1);
        else ys.set(xs.subarray(((b * h + ih) * w + iw) * c + c0, ((b * h + ih) * w + iw) * c + c1), o + c0);
      }
    }
  }
  return out;
}

// Registered at import (before registerNativeKernels wraps it) so the native override has a kernel to fall back to.
if (tf.getKernel(GROUPED_SHIFT, 'wasm') === undefined) {
  tf.registerKernel({ kernelName: GROUPED_SHIFT, backendName: 'wasm', kernelFunc: groupedShiftWasm as unknown as tf.KernelFunc });
}

/** Native GROUPED_SHIFT: declines non-float32, non-4-D and malformed runs (the TypeScript kernel then reports them). */
function groupedShift(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const dw = asDepthwise(addon);
  const x = args.inputs.x;
  if (dw === null || x === undefined || !allFloat32(x) || x.shape.length !== 4 || !x.shape.every((d) => d >= 1)) return null;
  const runs = shiftRuns(args.attrs, x.shape[3]);
  if (runs === null) return null;
  const out = backend.makeOutput(x.shape, 'float32');
  dw.groupedShift(heapF32(backend, x), heapF32(backend, out), runs, Int32Array.from(x.shape));
  return out;
}

/** The depthwise overrides (forward, fused forward, both gradients) and the grouped shift. */
export const DEPTHWISE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.DepthwiseConv2dNative, impl: (args, addon, backend) => forward(args, addon, backend, false) },
  { kernelName: tf.FusedDepthwiseConv2D, impl: (args, addon, backend) => forward(args, addon, backend, true) },
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, impl: backpropInput },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, impl: backpropFilter },
  { kernelName: GROUPED_SHIFT, impl: groupedShift },
];
