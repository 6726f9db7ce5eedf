/**
 * Glue of the C addon's channel shifts (native/src/shift.c) for the ActiveShift/SparseShift kernels of
 * ./channel-shift.ts, in place on the wasm heap; each declines (null) attributes that do not fit the tensors, which
 * then run on the TypeScript kernel (and fail there with a named error).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import {
  CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, ChannelShiftAttrs,
} from './channel-shift';

/** The addon functions of native/src/shift.c for the channel shifts (sizes in floats; outputs written in place). */
export interface ChannelShiftAddon {
  /** x [n,h,w,c], weights/offY/offX [k,c] → out [n,oh,ow,c] (see ./channel-shift.ts). */
  channelShift(x: Float32Array, weights: Float32Array, offY: Int32Array, offX: Int32Array, n: number, h: number,
    w: number, c: number, oh: number, ow: number, stride: number, k: number, out: Float32Array): void;
  /** dy [n,oh,ow,c], weights/offY/offX [k,c] → dx [n,h,w,c] (the adjoint of channelShift). */
  channelShiftAdjoint(dy: Float32Array, weights: Float32Array, offY: Int32Array, offX: Int32Array, n: number,
    h: number, w: number, c: number, oh: number, ow: number, stride: number, k: number, dx: Float32Array): void;
  /** x [n,h,w,c], dy [n,oh,ow,c], offY/offX [k,c] → out [k,c] = Σ dy · shifted x per tap. */
  channelShiftCornerDots(x: Float32Array, dy: Float32Array, offY: Int32Array, offX: Int32Array, n: number, h: number,
    w: number, c: number, oh: number, ow: number, stride: number, k: number, out: Float32Array): void;
}

function cs(addon: NativeAddon): ChannelShiftAddon {
  return addon as unknown as ChannelShiftAddon;
}

/**
 * Per (tap, channel) offsets as in channel-shift.ts (input row = ho·s + offY[k·C + c]); null when the attributes do
 * not fit the tensors (then the TypeScript kernel runs and reports the problem).
 */
function shiftOffsets(a: ChannelShiftAttrs, channels: number): { offY: Int32Array; offX: Int32Array } | null {
  const k = a.cornerY.length;
  if (k === 0 || a.cornerX.length !== k || a.baseY.length !== channels || a.baseX.length !== channels) return null;
  if (!Number.isInteger(a.stride) || a.stride < 1 || !Number.isInteger(a.pad)) return null;
  const offY = new Int32Array(k * channels);
  const offX = new Int32Array(k * channels);
  for (let t = 0; t < k; t++) {
    for (let c = 0; c < channels; c++) {
      const y = a.baseY[c] + a.cornerY[t] - a.pad;
      const x = a.baseX[c] + a.cornerX[t] - a.pad;
      if (!Number.isInteger(y) || !Number.isInteger(x) || Math.abs(y) > 2 ** 30 || Math.abs(x) > 2 ** 30) return null;
      offY[t * channels + c] = y;
      offX[t * channels + c] = x;
    }
  }
  return { offY, offX };
}

/** Which channel-shift kernel: inputs (a, b), output shape and addon function. */
type ShiftMode = 'forward' | 'adjoint' | 'dots';

function channelShiftNative(mode: ShiftMode) {
  return (args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null => {
    const a = args.attrs as unknown as ChannelShiftAttrs;
    const [first, second] = mode === 'forward' ? [args.inputs.x, args.inputs.weights]
      : mode === 'adjoint' ? [args.inputs.dy, args.inputs.weights] : [args.inputs.x, args.inputs.dy];
    if (first === undefined || second === undefined || !allFloat32(first, second) || first.shape.length !== 4) return null;
    const [n, h0, w0, c] = first.shape;
    const k = a.cornerY.length;
    const { height: h, width: w, outHeight: oh, outWidth: ow } = a;
    // The image side of the shift must match the tensors: x is [n, h, w, c], dy is [n, oh, ow, c].
    if (mode === 'adjoint' ? h0 !== oh || w0 !== ow : h0 !== h || w0 !== w) return null;
    if (mode === 'dots') {
      if (!tf.util.arraysEqual(second.shape, [n, oh, ow, c])) return null;
    } else if (tf.util.sizeFromShape(second.shape) !== k * c) return null;
    if (n * c * Math.max(h * w, oh * ow) === 0) return null;
    const offsets = shiftOffsets(a, c);
    if (offsets === null) return null;
    const out = backend.makeOutput(mode === 'forward' ? [n, oh, ow, c] : mode === 'adjoint' ? [n, h, w, c] : [k, c], 'float32');
    const fn = mode === 'forward' ? cs(addon).channelShift : mode === 'adjoint' ? cs(addon).channelShiftAdjoint
      : cs(addon).channelShiftCornerDots;
    fn(heapF32(backend, first), heapF32(backend, second), offsets.offY, offsets.offX, n, h, w, c, oh, ow, a.stride, k,
      heapF32(backend, out));
    return out;
  };
}

/** CHANNEL_SHIFT: x [N,H,W,C], weights [K,C] → [N,outHeight,outWidth,C]; declines attrs that do not fit the tensors. */
const channelShiftForwardNative = channelShiftNative('forward');

/** CHANNEL_SHIFT_ADJOINT: dy [N,outHeight,outWidth,C], weights [K,C] → dx [N,H,W,C]. */
const channelShiftAdjointNative = channelShiftNative('adjoint');

/** CHANNEL_SHIFT_CORNER_DOTS: x [N,H,W,C], dy [N,outHeight,outWidth,C] → [K,C]. */
const channelShiftCornerDotsNative = channelShiftNative('dots');

/** The channel shifts served by the addon. */
export const CHANNEL_SHIFT_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: CHANNEL_SHIFT, impl: channelShiftForwardNative },
  { kernelName: CHANNEL_SHIFT_ADJOINT, impl: channelShiftAdjointNative },
  { kernelName: CHANNEL_SHIFT_CORNER_DOTS, impl: channelShiftCornerDotsNative },
];
