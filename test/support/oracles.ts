/**
 * Independent oracles for the ops and kernel tests: naive loop references of matrix products, convolutions and shifts,
 * finite differences.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';

/** Plain nested-array view of an NHWC tensor's values, indexable as v[n][h][w][c]. */
export type Nhwc = number[][][][];

/** Row-major op(A)·op(B) in float64: A [M,K] (stored [K,M] when `ta`), B [K,N] (stored [N,K] when `tb`); out [M,N]. */
export function gemmOracle(ta: boolean, tb: boolean, M: number, N: number, K: number, A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const a = ta ? A[k * M + i] : A[i * K + k];
      for (let j = 0; j < N; j++) out[i * N + j] += a * (tb ? B[j * K + k] : B[k * N + j]);
    }
  }
  return out;
}

/** Naive grouped conv in loops (TensorFlow 'same'/'valid' padding). x [N,H,W,Cin], kernel [k,k,Cin/g,Cout]. */
export function naiveGroupConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  stride: number,
  padding: 'same' | 'valid',
): Float32Array {
  const [n, h, w, cin] = x.shape;
  const [k, , kin, cout] = kernel.shape;
  const xv = x.arraySync();
  const kv = kernel.arraySync();
  const oh = padding === 'same' ? Math.ceil(h / stride) : Math.ceil((h - k + 1) / stride);
  const ow = padding === 'same' ? Math.ceil(w / stride) : Math.ceil((w - k + 1) / stride);
  const padTop = padding === 'same' ? Math.floor(Math.max((oh - 1) * stride + k - h, 0) / 2) : 0;
  const padLeft = padding === 'same' ? Math.floor(Math.max((ow - 1) * stride + k - w, 0) / 2) : 0;
  const coutPerGroup = cout / groups;
  const out = new Float32Array(n * oh * ow * cout);
  let idx = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let co = 0; co < cout; co++) {
          const group = Math.floor(co / coutPerGroup);
          let acc = 0;
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const y = i * stride - padTop + u;
              const xx = j * stride - padLeft + v;
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
              for (let ci = 0; ci < kin; ci++) acc += xv[b][y][xx][group * kin + ci] * kv[u][v][ci][co];
            }
          out[idx++] = acc;
        }
  assert.equal(cin, kin * groups);
  return out;
}

/** Reads input pixel (y, x) of channel c of example b, 0 outside the image. */
function at(xv: Nhwc, b: number, y: number, x: number, c: number): number {
  if (y < 0 || y >= xv[0].length || x < 0 || x >= xv[0][0].length) return 0;
  return xv[b][y][x][c];
}

/** Naive integer shift: out(h·s, w·s) reads in(h·s + dy, w·s + dx) per channel, zero outside; pairs are [dy, dx]. */
export function naiveIntegerShift(x: tf.Tensor4D, pairs: number[][], stride = 1): Float32Array {
  const [n, h, w, c] = x.shape;
  const xv = x.arraySync();
  const oh = Math.floor((h - 1) / stride) + 1;
  const ow = Math.floor((w - 1) / stride) + 1;
  const out = new Float32Array(n * oh * ow * c);
  let idx = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) out[idx++] = at(xv, b, i * stride + pairs[ch][0], j * stride + pairs[ch][1], ch);
  return out;
}

/**
 * Naive ASL forward, transcribed from ASL-REPO `Forward_cpu` (docs/sources.md §5): offsets [α, β] per channel (x, y).
 */
export function naiveActiveShift(x: tf.Tensor4D, offsets: number[][], stride: number, pad: number): Float32Array {
  const [n, h, w, c] = x.shape;
  const xv = x.arraySync();
  const oh = Math.floor((h + 2 * pad - 1) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - 1) / stride) + 1;
  const out = new Float32Array(n * oh * ow * c);
  let idx = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          const [alpha, beta] = offsets[ch];
          const x1 = Math.floor(alpha);
          const y1 = Math.floor(beta);
          const dx = alpha - x1;
          const dy = beta - y1;
          const h0 = i * stride - pad;
          const w0 = j * stride - pad;
          out[idx++] =
            (1 - dx) * (1 - dy) * at(xv, b, h0 + y1, w0 + x1, ch) +
            dx * (1 - dy) * at(xv, b, h0 + y1, w0 + x1 + 1, ch) +
            (1 - dx) * dy * at(xv, b, h0 + y1 + 1, w0 + x1, ch) +
            dx * dy * at(xv, b, h0 + y1 + 1, w0 + x1 + 1, ch);
        }
  return out;
}

/** Σ values·weights in float64. */
export function dot(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * weights[i];
  return s;
}

/** Central finite difference of f at `point` along every coordinate (f evaluated in float64 by the caller). */
export function centralDifferences(f: (p: number[]) => number, point: number[], eps: number): number[] {
  return point.map((_, i) => {
    const plus = point.slice();
    const minus = point.slice();
    plus[i] += eps;
    minus[i] -= eps;
    return (f(plus) - f(minus)) / (2 * eps);
  });
}
