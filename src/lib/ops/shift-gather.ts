/**
 * Gather machinery shared by the learnable shifts (ASL, SSL): per-channel integer translations realised as one
 * `tf.gather` over the flattened NHWC tensor with an extra zero slot, so that every channel can move by a
 * different amount (of any magnitude) in a single op, and the adjoint (the input gradient) is again a gather.
 *
 * Geometry (ASL-REPO `Forward_cpu`): output pixel (ho, wo) of channel c, corner (i, j) ∈ {0,1}², reads input pixel
 * (ho·s − pad + baseY[c] + i, wo·s − pad + baseX[c] + j); out-of-range reads give 0.
 * Output size ⌊(H + 2·pad − 1)/s⌋ + 1 per axis.
 */
import * as tf from '@tensorflow/tfjs';

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
