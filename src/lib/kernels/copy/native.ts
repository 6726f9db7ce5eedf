/**
 * Glue of the C addon's data-movement kernels (native/src/copy.c), in place on the wasm heap: Slice, SplitV, Concat, PadV2 and
 * Transpose for float32 tensors of any rank and axis. The wasm backend does these in JavaScript (one typed-array call
 * per innermost run), which is slow for channel-axis slices of NHWC tensors. Each declines (null) other dtypes,
 * empty tensors and malformed attributes, which then run on the kernel registered before it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { product, stridesOf } from '../../shape';
import { heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';

/** Highest rank the addon accepts (tfjs kernels use up to 6). */
const MAX_RANK = 8;
/** Most pieces one concatRows / splitRows call takes. */
const MAX_PARTS = 256;

/** The addon functions of native/src/copy.c (sizes in floats; outputs written in place). */
export interface CopyAddon {
  /** dst[dstOffset + Σ i_k·dstStrides_k] = src[srcOffset + Σ i_k·srcStrides_k] for every index i of shape. */
  copyStrided(src: Float32Array, dst: Float32Array, rank: number, shape: Int32Array, srcStrides: Int32Array,
    srcOffset: number, dstStrides: Int32Array, dstOffset: number): void;
  /** x [xShape] → out [before + xShape + after] with `value` in the borders. */
  padConstant(x: Float32Array, out: Float32Array, rank: number, xShape: Int32Array, before: Int32Array,
    after: Int32Array, value: number): void;
  /** inputs[i] [outer, inners[i]] → out [outer, Σ inners] (row-wise concatenation). */
  concatRows(inputs: Float32Array[], inners: Int32Array, outer: number, out: Float32Array): void;
  /** x [outer, Σ inners] → outputs[i] [outer, inners[i]] (the inverse of concatRows). */
  splitRows(x: Float32Array, outer: number, inners: Int32Array, outputs: Float32Array[]): void;
}

function cp(addon: NativeAddon): CopyAddon {
  return addon as unknown as CopyAddon;
}


function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Slice: x [d0..dr−1] float32, begin/size (size −1 = to the end) → [size]; declines other dtypes, empty results. */
function sliceNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x } = args.inputs;
  if (x === undefined || x.dtype !== 'float32') return null;
  const rank = x.shape.length;
  if (rank < 1 || rank > MAX_RANK || tf.util.sizeFromShape(x.shape) === 0) return null;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  let b: number[];
  let s: number[];
  try {
    [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  } catch {
    return null; // malformed attributes: the previous kernel reports them
  }
  for (let k = 0; k < rank; k++) {
    if (!isCount(b[k]) || !isCount(s[k]) || s[k] === 0 || b[k] + s[k] > x.shape[k]) return null;
  }
  const xStrides = stridesOf(x.shape);
  const offset = b.reduce((acc, bk, k) => acc + bk * xStrides[k], 0);
  const out = backend.makeOutput(s, 'float32');
  cp(addon).copyStrided(heapF32(backend, x), heapF32(backend, out), rank, Int32Array.from(s), Int32Array.from(xStrides),
    offset, Int32Array.from(stridesOf(s)), 0);
  return out;
}

/** SplitV: x float32, numOrSizeSplits (count or sizes, one −1 allowed), axis (negative ok) → the pieces along axis. */
function splitVNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo[] | null {
  const { x } = args.inputs;
  if (x === undefined || x.dtype !== 'float32') return null;
  const rank = x.shape.length;
  if (rank < 1 || tf.util.sizeFromShape(x.shape) === 0) return null;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  let ax: number;
  let sizes: number[];
  try {
    ax = tf.util.parseAxisParam(axis, x.shape)[0];
    sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  } catch {
    return null;
  }
  if (sizes.length < 1 || sizes.length > MAX_PARTS || !sizes.every((v) => isCount(v) && v > 0)) return null;
  if (sizes.reduce((p, v) => p + v, 0) !== x.shape[ax]) return null;
  const outer = product(x.shape.slice(0, ax));
  const after = product(x.shape.slice(ax + 1));
  const outs = sizes.map((v) => backend.makeOutput(x.shape.map((d, k) => (k === ax ? v : d)), 'float32'));
  // Views only after every makeOutput: a heap growth detaches earlier ones.
  cp(addon).splitRows(heapF32(backend, x), outer, Int32Array.from(sizes.map((v) => v * after)),
    outs.map((o) => heapF32(backend, o)));
  return outs;
}

/** Concat: n float32 tensors equal except along axis (negative ok) → their concatenation; declines empty inputs. */
function concatNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const raw = args.inputs as unknown;
  const inputs = (Array.isArray(raw) ? raw : Object.values(args.inputs)) as tf.TensorInfo[];
  if (inputs.length < 1 || inputs.length > MAX_PARTS) return null;
  const first = inputs[0];
  const rank = first.shape.length;
  if (rank < 1) return null;
  let ax: number;
  try {
    ax = tf.util.parseAxisParam((args.attrs as unknown as { axis: number | number[] }).axis, first.shape)[0];
  } catch {
    return null;
  }
  for (const t of inputs) {
    if (t.dtype !== 'float32' || t.shape.length !== rank || tf.util.sizeFromShape(t.shape) === 0) return null;
    for (let k = 0; k < rank; k++) if (k !== ax && t.shape[k] !== first.shape[k]) return null;
  }
  const outShape = first.shape.slice();
  outShape[ax] = inputs.reduce((p, t) => p + t.shape[ax], 0);
  const outer = product(first.shape.slice(0, ax));
  const inners = Int32Array.from(inputs.map((t) => product(t.shape.slice(ax))));
  const out = backend.makeOutput(outShape, 'float32');
  cp(addon).concatRows(inputs.map((t) => heapF32(backend, t)), inners, outer, heapF32(backend, out));
  return out;
}

/** PadV2: x float32 [d], paddings [[before, after]] per axis (≥ 0), constantValue → [before + d + after]. */
function padV2Native(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x } = args.inputs;
  if (x === undefined || x.dtype !== 'float32') return null;
  const rank = x.shape.length;
  if (rank < 1 || rank > MAX_RANK || tf.util.sizeFromShape(x.shape) === 0) return null;
  const { paddings, constantValue } = args.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
  if (!Array.isArray(paddings) || paddings.length !== rank || typeof constantValue !== 'number') return null;
  for (const p of paddings) if (!Array.isArray(p) || !isCount(p[0]) || !isCount(p[1])) return null;
  const outShape = x.shape.map((d, k) => paddings[k][0] + d + paddings[k][1]);
  const out = backend.makeOutput(outShape, 'float32');
  cp(addon).padConstant(heapF32(backend, x), heapF32(backend, out), rank, Int32Array.from(x.shape),
    Int32Array.from(paddings.map((p) => p[0])), Int32Array.from(paddings.map((p) => p[1])), constantValue);
  return out;
}

/** Transpose: x float32 rank 2..6, perm → x with axes permuted; declines identity perms (the wasm kernel shares data). */
function transposeNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x } = args.inputs;
  if (x === undefined || x.dtype !== 'float32') return null;
  const rank = x.shape.length;
  if (rank < 2 || rank > MAX_RANK || tf.util.sizeFromShape(x.shape) === 0) return null;
  const { perm } = args.attrs as unknown as { perm: number[] };
  if (!Array.isArray(perm) || perm.length !== rank) return null;
  const seen = new Array<boolean>(rank).fill(false);
  for (const p of perm) {
    if (!isCount(p) || p >= rank || seen[p]) return null;
    seen[p] = true;
  }
  // Only the order of the axes longer than 1 matters; an order-preserving perm is a plain copy the wasm kernel avoids.
  const moved = perm.filter((p) => x.shape[p] !== 1);
  if (moved.every((p, i) => i === 0 || moved[i - 1] < p)) return null;
  const xStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const out = backend.makeOutput(outShape, 'float32');
  cp(addon).copyStrided(heapF32(backend, x), heapF32(backend, out), rank, Int32Array.from(outShape),
    Int32Array.from(perm.map((p) => xStrides[p])), 0, Int32Array.from(stridesOf(outShape)), 0);
  return out;
}

/** The data-movement kernels served by the addon. */
export const COPY_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: tf.Slice, impl: sliceNative },
  { kernelName: tf.SplitV, impl: splitVNative },
  { kernelName: tf.Concat, impl: concatNative },
  { kernelName: tf.PadV2, impl: padV2Native },
  { kernelName: tf.Transpose, impl: transposeNative },
];
