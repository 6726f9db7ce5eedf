/**
 * Grouped convolution on the C addon (native/src/conv.c, the convolution with G groups): one GEMM per group on strided
 * windows of x, the filter and y, in place on the wasm heap, so ShuffleNet's grouped 1×1 convs cost no split / concat.
 * Three custom kernels, served on wasm only when the addon is loaded (native overrides with nothing behind them, so
 * nativeKernelCalls() counts them):
 *   CompactNetsGroupConv2D               x [B,H,W,C], filter [KH,KW,C/g,CO] → y [B,OH,OW,CO]
 *   CompactNetsGroupConv2DBackpropInput  dy, filter → dx [B,H,W,C]
 *   CompactNetsGroupConv2DBackpropFilter x, dy → dW [KH,KW,C/g,CO]
 * plus the forward kernel's gradient (tf.registerGradient), which uses the two backprop kernels when they can run and
 * otherwise the standard Conv2DBackpropInput / Conv2DBackpropFilter kernels group by group (any backend).
 * They decline (and the caller must not use them) for non-float32 tensors, NCHW, empty tensors, groups not dividing
 * the channels; src/lib/ops/group-conv.ts calls groupConv2dNative, which returns null in those cases.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeAddon, NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import { NativeOverride, nativeKernelsEnabled } from '../core/native-override';
import { convAddon, convGeometry } from './native';

/** Kernel names of the grouped convolution. */
export const GROUP_CONV2D = 'CompactNetsGroupConv2D';
export const GROUP_CONV2D_BACKPROP_INPUT = 'CompactNetsGroupConv2DBackpropInput';
export const GROUP_CONV2D_BACKPROP_FILTER = 'CompactNetsGroupConv2DBackpropFilter';

/** Attributes shared by the three kernels (the backprop kernels add inputShape / filterShape). */
interface GroupConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dilations: number | [number, number];
  groups: number;
}

type Shape4 = [number, number, number, number];

/** Conv2DInfo of the grouped conv with x [B,H,W,C] and filter [KH,KW,C/g,CO]; null when the sizes do not fit. */
function groupInfo(xShape: number[], filterShape: number[], attrs: GroupConvAttrs): tf.backend_util.Conv2DInfo | null {
  const g = attrs.groups;
  if (xShape.length !== 4 || filterShape.length !== 4 || !Number.isInteger(g) || g < 1) return null;
  const [, , cg, co] = filterShape;
  if (xShape[3] !== cg * g || co % g !== 0) return null;
  const info = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides,
    attrs.dilations ?? 1, attrs.pad, undefined, false, 'channelsLast');
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.outChannels, info.filterHeight, info.filterWidth];
  if (!sizes.every((n) => n > 0) || info.padInfo.top < 0 || info.padInfo.left < 0) return null;
  return info;
}

/** CompactNetsGroupConv2D: x [B,H,W,C], filter [KH,KW,C/g,CO] → y [B,OH,OW,CO]. */
function forwardImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x, filter } = args.inputs;
  if (x === undefined || filter === undefined || !allFloat32(x, filter)) return null;
  const attrs = args.attrs as unknown as GroupConvAttrs;
  const info = groupInfo(x.shape, filter.shape, attrs);
  if (info === null) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  convAddon(addon).conv2d(heapF32(backend, x), heapF32(backend, filter), null, heapF32(backend, out),
    convGeometry(info, attrs.groups), 0, 0);
  return out;
}

/** CompactNetsGroupConv2DBackpropInput: dy [B,OH,OW,CO], filter [KH,KW,C/g,CO], attrs.inputShape → dx [B,H,W,C]. */
function backpropInputImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { dy, filter } = args.inputs;
  if (dy === undefined || filter === undefined || !allFloat32(dy, filter)) return null;
  const attrs = args.attrs as unknown as GroupConvAttrs & { inputShape: number[] };
  const info = groupInfo(attrs.inputShape, filter.shape, attrs);
  if (info === null || !tf.util.arraysEqual(info.outShape, dy.shape)) return null;
  const out = backend.makeOutput(attrs.inputShape, 'float32');
  convAddon(addon).conv2dBackpropInput(heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, out),
    convGeometry(info, attrs.groups));
  return out;
}

/** CompactNetsGroupConv2DBackpropFilter: x [B,H,W,C], dy [B,OH,OW,CO], attrs.filterShape → dW [KH,KW,C/g,CO]. */
function backpropFilterImpl(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x, dy } = args.inputs;
  if (x === undefined || dy === undefined || !allFloat32(x, dy)) return null;
  const attrs = args.attrs as unknown as GroupConvAttrs & { filterShape: number[] };
  const info = groupInfo(x.shape, attrs.filterShape, attrs);
  if (info === null || !tf.util.arraysEqual(info.outShape, dy.shape)) return null;
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  convAddon(addon).conv2dBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out),
    convGeometry(info, attrs.groups));
  return out;
}

/** The grouped convolution kernels (custom names: nothing to fall back to, the callers check canRunNative). */
export const GROUP_CONV_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: GROUP_CONV2D, impl: forwardImpl },
  { kernelName: GROUP_CONV2D_BACKPROP_INPUT, impl: backpropInputImpl },
  { kernelName: GROUP_CONV2D_BACKPROP_FILTER, impl: backpropFilterImpl },
];

/** Whether `kernelName` can run natively now: wasm backend, addon loaded, kernel registered, native kernels on. */
function canRunNative(kernelName: string, ...tensors: tf.Tensor[]): boolean {
  return tf.getBackend() === 'wasm' && nativeAddon() !== null && tf.getKernel(kernelName, 'wasm') !== undefined &&
    nativeKernelsEnabled() && tensors.every((t) => t.dtype === 'float32');
}

/**
 * Grouped conv through the native kernel: x [B,H,W,C], filter [KH,KW,C/g,CO] → [B,OH,OW,CO], differentiable; null
 * when the kernel cannot run (not wasm, no addon, native kernels off, not float32, sizes it declines).
 */
export function groupConv2dNative(x: tf.Tensor4D, filter: tf.Tensor4D, groups: number, strides: number | [number, number],
  pad: 'same' | 'valid' | number, dilations: number | [number, number] = 1): tf.Tensor4D | null {
  if (!canRunNative(GROUP_CONV2D, x, filter)) return null;
  const attrs: GroupConvAttrs = { strides, pad, dilations, groups };
  if (groupInfo(x.shape, filter.shape, attrs) === null) return null;
  return tf.engine().runKernel(GROUP_CONV2D, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Channels [i·n, (i+1)·n) of a rank-4 tensor's last axis. */
function channelSlice(t: tf.Tensor, i: number, n: number): tf.Tensor4D {
  const [a, b, c] = t.shape;
  return tf.slice(t, [0, 0, 0, i * n], [a, b, c, n]) as tf.Tensor4D;
}

/** Rejects what the standard conv gradient kernels cannot do (tfjs computes no conv2d gradient for dilations > 1). */
function requireUndilated(attrs: GroupConvAttrs, who: string): void {
  const d = attrs.dilations ?? 1;
  if (!tf.backend_util.eitherStridesOrDilationsAreOne(attrs.strides, d) || (Array.isArray(d) ? d[0] !== 1 || d[1] !== 1 : d !== 1)) {
    throw new Error(`${who}: gradients of dilated grouped convolutions need the native kernels (wasm with the addon)`);
  }
}

/** dx [B,H,W,C] of the grouped conv for dy [B,OH,OW,CO] and filter [KH,KW,C/g,CO]: native, else per group. */
function groupBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], attrs: GroupConvAttrs): tf.Tensor4D {
  if (canRunNative(GROUP_CONV2D_BACKPROP_INPUT, dy, filter)) {
    return tf.engine().runKernel(GROUP_CONV2D_BACKPROP_INPUT, { dy, filter },
      { ...attrs, inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  requireUndilated(attrs, GROUP_CONV2D_BACKPROP_INPUT);
  const g = attrs.groups;
  const cg = filter.shape[2];
  const cog = filter.shape[3] / g;
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < g; i++) {
    parts.push(tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: channelSlice(dy, i, cog), filter: channelSlice(filter, i, cog) },
      { strides: attrs.strides, pad: attrs.pad, dataFormat: 'NHWC', inputShape: [inputShape[0], inputShape[1], inputShape[2], cg] } as unknown as tf.NamedAttrMap) as tf.Tensor4D);
  }
  return g === 1 ? parts[0] : tf.concat(parts, 3);
}

/** dW [KH,KW,C/g,CO] of the grouped conv for x [B,H,W,C] and dy [B,OH,OW,CO]: native, else per group. */
function groupBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: GroupConvAttrs): tf.Tensor4D {
  if (canRunNative(GROUP_CONV2D_BACKPROP_FILTER, x, dy)) {
    return tf.engine().runKernel(GROUP_CONV2D_BACKPROP_FILTER, { x, dy },
      { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  requireUndilated(attrs, GROUP_CONV2D_BACKPROP_FILTER);
  const g = attrs.groups;
  const [kh, kw, cg, co] = filterShape;
  const cog = co / g;
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < g; i++) {
    parts.push(tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: channelSlice(x, i, cg), dy: channelSlice(dy, i, cog) },
      { strides: attrs.strides, pad: attrs.pad, dataFormat: 'NHWC', filterShape: [kh, kw, cg, cog] } as unknown as tf.NamedAttrMap) as tf.Tensor4D);
  }
  return g === 1 ? parts[0] : tf.concat(parts, 3);
}

/** Gradient of GROUP_CONV2D for `tf.registerGradient`. */
export const groupConv2dGradConfig: tf.GradConfig = {
  kernelName: GROUP_CONV2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as GroupConvAttrs;
    const d = dy as tf.Tensor4D;
    return {
      x: () => groupBackpropInput(d, filter, x.shape, a),
      filter: () => groupBackpropFilter(x, d, filter.shape, a),
    };
  },
};
