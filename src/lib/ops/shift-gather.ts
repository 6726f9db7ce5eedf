/**
 * Gather machinery shared by the learnable shifts (ASL, SSL): per-channel integer translations realised as one
 * `tf.gather` over the flattened NHWC tensor with an extra zero slot, so that every channel can move by a
 * different amount (of any magnitude) in a single op, and the adjoint (the input gradient) is again a gather.
 *
 * Geometry (ASL-REPO `Forward_cpu`): output pixel (ho, wo) of channel c, corner (i, j) ∈ {0,1}², reads input pixel
 * (ho·s − pad + baseY[c] + i, wo·s − pad + baseX[c] + j); out-of-range reads give 0.
 * Output size ⌊(H + 2·pad − 1)/s⌋ + 1 per axis.
 *
 * shiftWeighted / shiftWeightedAdjoint / cornerDots are what the layers call: on wasm they run single-pass kernels
 * (kernels/shift/channel-shift.ts); on other backends they fall back to the gathers below.
 */
import * as tf from '@tensorflow/tfjs';
import { CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS, type ChannelShiftAttrs } from '../kernels/shift';

/** The four bilinear corners as (i, j) = (row step, column step), in the order 00, 01, 10, 11. */
export const BILINEAR_CORNERS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
/** A single corner: the integer shift itself. */
export const INTEGER_CORNER: ReadonlyArray<readonly [number, number]> = [[0, 0]];

/** Spatial geometry of one shift call. */
export interface ShiftGeometry {
  height: number;
  width: number;
  channels: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

/** Output side ⌊(L + 2·pad − 1)/s⌋ + 1 of a strided, padded shift (ASL convention). */
export function shiftOutputLength(length: number, stride: number, pad: number): number {
  return Math.floor((length + 2 * pad - 1) / stride) + 1;
}

/** Builds the geometry for an [N, H, W, C] input. */
export function shiftGeometry(shape: number[], stride: number, pad: number): ShiftGeometry {
  const [, height, width, channels] = shape;
  return {
    height,
    width,
    channels,
    stride,
    pad,
    outHeight: shiftOutputLength(height, stride, pad),
    outWidth: shiftOutputLength(width, stride, pad),
  };
}

/**
 * Forward gather indices, laid out [corner, ho, wo, c], into the flattened input [H·W·C] + zero slot (= H·W·C).
 * baseY/baseX: per-channel integer offsets (pixels).
 */
export function forwardIndex(
  g: ShiftGeometry,
  baseY: Int32Array,
  baseX: Int32Array,
  corners: ReadonlyArray<readonly [number, number]>,
): Int32Array {
  const { height: h, width: w, channels: c, stride: s, pad, outHeight: oh, outWidth: ow } = g;
  const zero = h * w * c;
  const idx = new Int32Array(corners.length * oh * ow * c);
  let k = 0;
  for (const [ci, cj] of corners) {
    for (let ho = 0; ho < oh; ho++) {
      for (let wo = 0; wo < ow; wo++) {
        for (let ch = 0; ch < c; ch++) {
          const y = ho * s - pad + baseY[ch] + ci;
          const x = wo * s - pad + baseX[ch] + cj;
          idx[k++] = y >= 0 && y < h && x >= 0 && x < w ? (y * w + x) * c + ch : zero;
        }
      }
    }
  }
  return idx;
}

/**
 * Adjoint gather indices, laid out [corner, h, w, c], into the flattened output gradient [H′·W′·C] + zero slot:
 * input pixel (y, x) of corner (i, j) receives dy(ho, wo) iff y = ho·s − pad + base + i (at most one (ho, wo),
 * since the stride map is injective).
 */
export function adjointIndex(
  g: ShiftGeometry,
  baseY: Int32Array,
  baseX: Int32Array,
  corners: ReadonlyArray<readonly [number, number]>,
): Int32Array {
  const { height: h, width: w, channels: c, stride: s, pad, outHeight: oh, outWidth: ow } = g;
  const zero = oh * ow * c;
  const idx = new Int32Array(corners.length * h * w * c);
  let k = 0;
  for (const [ci, cj] of corners) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const ty = y + pad - baseY[ch] - ci;
          const tx = x + pad - baseX[ch] - cj;
          const ho = ty / s;
          const wo = tx / s;
          const hit = ty % s === 0 && tx % s === 0 && ho >= 0 && ho < oh && wo >= 0 && wo < ow;
          idx[k++] = hit ? (ho * ow + wo) * c + ch : zero;
        }
      }
    }
  }
  return idx;
}

/**
 * Gathers `index` (length K·A·B·C, laid out [corner, a, b, c]) from t: [N, …, C] flattened per example with a
 * trailing zero slot. Returns K tensors [N, A, B, C] — one gather per corner, so that no rank-5 tensor (whose
 * slicing falls back to slow generic paths on the cpu/wasm backends) is ever formed.
 */
export function gatherCorners(t: tf.Tensor, index: Int32Array, corners: number, a: number, b: number, c: number): tf.Tensor4D[] {
  return tf.tidy(() => {
    const n = t.shape[0];
    const flat = tf.reshape(t, [n, -1]);
    const withZero = tf.concat([flat, tf.zeros([n, 1], t.dtype)], 1);
    const per = a * b * c;
    const out: tf.Tensor4D[] = [];
    for (let k = 0; k < corners; k++) {
      const gathered = tf.gather(withZero, tf.tensor1d(index.subarray(k * per, (k + 1) * per), 'int32'), 1);
      out.push(tf.reshape(gathered, [n, a, b, c]) as tf.Tensor4D);
    }
    return out;
  });
}

/** Σ_k weights[k]·corners[k], with per-channel weights [C] broadcast over [N, H, W, C]. */
export function weightedSum(corners: tf.Tensor4D[], weights: tf.Tensor1D[]): tf.Tensor4D {
  return tf.tidy(() => tf.addN(corners.map((s, k) => tf.mul(s, weights[k]))) as tf.Tensor4D);
}

/** Per-channel integer floors (⌊α⌋, ⌊β⌋) of real offsets [C, 2] = (α = x, β = y), flattened row-major. */
export function offsetFloors(offsets: Float32Array | Int32Array | Uint8Array, channels: number): {
  baseX: Int32Array;
  baseY: Int32Array;
} {
  const baseX = new Int32Array(channels);
  const baseY = new Int32Array(channels);
  for (let ch = 0; ch < channels; ch++) {
    baseX[ch] = Math.floor(offsets[2 * ch]);
    baseY[ch] = Math.floor(offsets[2 * ch + 1]);
  }
  return { baseX, baseY };
}

/** The four bilinear weights per channel ([C] each) in corner order 00, 01, 10, 11, from fractions fx, fy: [C]. */
export function bilinearWeights(fx: tf.Tensor1D, fy: tf.Tensor1D): tf.Tensor1D[] {
  return tf.tidy(() => {
    const gx = tf.sub(1, fx);
    const gy = tf.sub(1, fy);
    return [tf.mul(gx, gy), tf.mul(fx, gy), tf.mul(gx, fy), tf.mul(fx, fy)] as tf.Tensor1D[];
  });
}

/** Fractional parts (fx, fy) = (α − ⌊α⌋, β − ⌊β⌋) of offsets [C, 2] as tensors [C]. */
export function fractions(offsets: tf.Tensor2D): { fx: tf.Tensor1D; fy: tf.Tensor1D } {
  return tf.tidy(() => {
    const frac = tf.sub(offsets, tf.floor(offsets));
    const [fx, fy] = tf.unstack(frac, 1) as tf.Tensor1D[];
    return { fx, fy };
  });
}

/**
 * Bilinear offset gradients (ASL backward): for corners S = 4 × [N, H′, W′, C] (order 00, 01, 10, 11) and dy
 * [N, H′, W′, C], ∂L/∂α_c = Σ dy·[(1−fy)(S01 − S00) + fy(S11 − S10)], ∂L/∂β_c = Σ dy·[(1−fx)(S10 − S00) + fx(S11 − S01)],
 * summed over batch and positions. Returns [C, 2] (α, β); with `normalize`, each channel's pair has unit length.
 */
export function bilinearOffsetGrad(
  corners: tf.Tensor4D[],
  dy: tf.Tensor4D,
  fx: tf.Tensor1D,
  fy: tf.Tensor1D,
  normalize: boolean,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [s00, s01, s10, s11] = corners;
    const dAlpha = tf.add(tf.mul(tf.sub(1, fy), tf.sub(s01, s00)), tf.mul(fy, tf.sub(s11, s10)));
    const dBeta = tf.add(tf.mul(tf.sub(1, fx), tf.sub(s10, s00)), tf.mul(fx, tf.sub(s11, s01)));
    const gAlpha = tf.sum(tf.mul(dy, dAlpha), [0, 1, 2]);
    const gBeta = tf.sum(tf.mul(dy, dBeta), [0, 1, 2]);
    const grad = tf.stack([gAlpha, gBeta], 1) as tf.Tensor2D;
    if (!normalize) return grad;
    // Caffe ASL `normalize: true`: scale each channel's (∂α, ∂β) to unit length; a zero gradient stays zero.
    const norm = tf.sqrt(tf.sum(tf.square(grad), 1, true));
    return tf.div(grad, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
  });
}

/** Geometry attributes of the single-pass shift kernels for one call (see kernels/shift/channel-shift.ts). */
function kernelAttrs(g: ShiftGeometry, baseY: Int32Array, baseX: Int32Array, corners: ReadonlyArray<readonly [number, number]>): ChannelShiftAttrs {
  return {
    baseY: Array.from(baseY),
    baseX: Array.from(baseX),
    cornerY: corners.map(([i]) => i),
    cornerX: corners.map(([, j]) => j),
    stride: g.stride,
    pad: g.pad,
    height: g.height,
    width: g.width,
    outHeight: g.outHeight,
    outWidth: g.outWidth,
  };
}

/** Whether the single-pass kernel `name` runs for these float32 tensors (wasm only; elsewhere the gather path). */
function shiftKernelApplies(name: string, tensors: tf.Tensor[]): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') !== undefined && tensors.every((t) => t.dtype === 'float32');
}

/** Runs kernel `name` with the geometry attributes (the kernels are registered by registerWasmKernels). */
function runShiftKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: ChannelShiftAttrs): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Weighted per-channel shift Σ_k weights[k, c]·S_k with S_k the corner-k shift of x: x [N, H, W, C], weights [K, C]
 * (K = corners.length) → [N, H′, W′, C]. One pass on wasm; gathers elsewhere.
 */
export function shiftWeighted(
  x: tf.Tensor4D, g: ShiftGeometry, baseY: Int32Array, baseX: Int32Array,
  corners: ReadonlyArray<readonly [number, number]>, weights: tf.Tensor2D,
): tf.Tensor4D {
  if (shiftKernelApplies(CHANNEL_SHIFT, [x, weights])) {
    return runShiftKernel(CHANNEL_SHIFT, { x, weights }, kernelAttrs(g, baseY, baseX, corners)) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const shifted = gatherCorners(x, forwardIndex(g, baseY, baseX, corners), corners.length, g.outHeight, g.outWidth, g.channels);
    return weightedSum(shifted, tf.unstack(weights, 0) as tf.Tensor1D[]);
  });
}

/**
 * Adjoint of {@link shiftWeighted} (the input gradient): dy [N, H′, W′, C], weights [K, C] → [N, H, W, C].
 * One scatter pass on wasm; adjoint gathers elsewhere.
 */
export function shiftWeightedAdjoint(
  dy: tf.Tensor4D, g: ShiftGeometry, baseY: Int32Array, baseX: Int32Array,
  corners: ReadonlyArray<readonly [number, number]>, weights: tf.Tensor2D,
): tf.Tensor4D {
  if (shiftKernelApplies(CHANNEL_SHIFT_ADJOINT, [dy, weights])) {
    return runShiftKernel(CHANNEL_SHIFT_ADJOINT, { dy, weights }, kernelAttrs(g, baseY, baseX, corners)) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const back = gatherCorners(dy, adjointIndex(g, baseY, baseX, corners), corners.length, g.height, g.width, g.channels);
    return weightedSum(back, tf.unstack(weights, 0) as tf.Tensor1D[]);
  });
}

/** Per-channel corner dot products T[k, c] = Σ_{n, h′, w′} dy·S_k: x [N, H, W, C], dy [N, H′, W′, C] → [K, C]. */
export function cornerDots(
  x: tf.Tensor4D, dy: tf.Tensor4D, g: ShiftGeometry, baseY: Int32Array, baseX: Int32Array,
  corners: ReadonlyArray<readonly [number, number]>,
): tf.Tensor2D {
  if (shiftKernelApplies(CHANNEL_SHIFT_CORNER_DOTS, [x, dy])) {
    return runShiftKernel(CHANNEL_SHIFT_CORNER_DOTS, { x, dy }, kernelAttrs(g, baseY, baseX, corners)) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const shifted = gatherCorners(x, forwardIndex(g, baseY, baseX, corners), corners.length, g.outHeight, g.outWidth, g.channels);
    return tf.stack(shifted.map((s) => tf.sum(tf.mul(s, dy), [0, 1, 2]))) as tf.Tensor2D;
  });
}

/** The four bilinear weights as one [4, C] tensor (corner order 00, 01, 10, 11), from fractions fx, fy: [C]. */
export function bilinearWeightMatrix(fx: tf.Tensor1D, fy: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.stack(bilinearWeights(fx, fy)) as tf.Tensor2D);
}

/**
 * Bilinear offset gradients from corner dot products T [4, C] = Σ dy·S_k (order 00, 01, 10, 11): by linearity
 * ∂L/∂α = (1−fy)(T01 − T00) + fy(T11 − T10), ∂L/∂β = (1−fx)(T10 − T00) + fx(T11 − T01) — the same values as
 * {@link bilinearOffsetGrad} without full-size temporaries. Returns [C, 2]; `normalize` as there.
 */
export function bilinearOffsetGradFromDots(dots: tf.Tensor2D, fx: tf.Tensor1D, fy: tf.Tensor1D, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const [t00, t01, t10, t11] = tf.unstack(dots, 0);
    const gAlpha = tf.add(tf.mul(tf.sub(1, fy), tf.sub(t01, t00)), tf.mul(fy, tf.sub(t11, t10)));
    const gBeta = tf.add(tf.mul(tf.sub(1, fx), tf.sub(t10, t00)), tf.mul(fx, tf.sub(t11, t01)));
    const grad = tf.stack([gAlpha, gBeta], 1) as tf.Tensor2D;
    if (!normalize) return grad;
    const norm = tf.sqrt(tf.sum(tf.square(grad), 1, true));
    return tf.div(grad, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
  });
}
