/**
 * Fixed spatial shift (ShiftNet, Wu et al. CVPR 2018; docs/sources.md §4.6, §5.13): every channel is translated by
 * one integer offset with zero fill at the borders. 0 params, 0 MACs — only memory movement.
 *
 * Offset convention (used by every shift op in this folder, and by the ASL/SSL papers): a channel with offset
 * (dy, dx) produces output(h, w) = input(h + dy, w + dx), zero where that pixel lies outside the image — the
 * picture content moves by (−dy, −dx).
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import { BaseLayerArgs, nhwcDims, requirePositiveInt, singleShape } from './validate';

/** Per-channel integer offsets: `[[dy, dx], …]` (one pair per channel) or an Int32Array `[dy0, dx0, dy1, dx1, …]`. */
export type ShiftOffsetsInput = Int32Array | number[][];

/** Throws unless k is an odd positive integer (a shift kernel needs a centre). */
export function requireOddKernel(kernelSize: unknown, who: string): number {
  const k = requirePositiveInt(kernelSize, `${who}: kernelSize`);
  if (k % 2 === 0) {
    throw new Error(`${who}: kernelSize must be odd (it needs a centre direction), got ${k}; use 1, 3, 5, ….`);
  }
  return k;
}

/**
 * ShiftNet's channel→direction assignment for C channels and a K×K shift kernel (dilation d).
 *
 * Channels are cut into K² contiguous groups of q = ⌊C/K²⌋ channels (P-SHIFT's "divided evenly"); group i
 * (0 ≤ i < K²) gets (dy, dx) = d·(⌊i/K⌋ − ⌊K/2⌋, (i mod K) − ⌊K/2⌋), in row-major order, so the centre group
 * (i = ⌊K²/2⌋) is the identity; the C mod K² remainder channels (at the end) get (0, 0), as in SHIFT-CUDA where
 * the last C mod K² channels are not shifted. Contiguous groups (rather than SHIFT-CUDA's round-robin) keep the
 * implementation at one slice per group; between two 1×1 convs the assignment pattern does not matter.
 * Returns C pairs [dy, dx] in pixels.
 */
export function shiftOffsets(channels: number, kernelSize: number, dilation: number = 1): Array<[number, number]> {
  requirePositiveInt(channels, 'shiftOffsets: channels');
  const k = requireOddKernel(kernelSize, 'shiftOffsets');
  requirePositiveInt(dilation, 'shiftOffsets: dilation');
  const directions = k * k;
  const perGroup = Math.floor(channels / directions);
  const half = (k - 1) / 2;
  const out: Array<[number, number]> = [];
  for (let c = 0; c < channels; c++) {
    const group = perGroup === 0 ? directions : Math.floor(c / perGroup);
    if (group >= directions) {
      out.push([0, 0]);
    } else {
      out.push([dilation * (Math.floor(group / k) - half), dilation * ((group % k) - half)]);
    }
  }
  return out;
}

/** Normalises {@link ShiftOffsetsInput} to C pairs, checking the length and that every entry is an integer. */
export function normaliseShiftOffsets(offsets: ShiftOffsetsInput, channels: number, who: string): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  if (offsets instanceof Int32Array) {
    if (offsets.length !== 2 * channels) {
      throw new Error(`${who}: an Int32Array of offsets needs 2·C = ${2 * channels} entries [dy0, dx0, …], got ${offsets.length}.`);
    }
    for (let c = 0; c < channels; c++) pairs.push([offsets[2 * c], offsets[2 * c + 1]]);
  } else {
    if (offsets.length !== channels) {
      throw new Error(`${who}: offsets must list one [dy, dx] pair per channel (C = ${channels}), got ${offsets.length} pairs.`);
    }
    offsets.forEach((p, c) => {
      if (p.length !== 2 || !Number.isInteger(p[0]) || !Number.isInteger(p[1])) {
        throw new Error(`${who}: offsets[${c}] must be an integer pair [dy, dx], got [${p.join(', ')}].`);
      }
      pairs.push([p[0], p[1]]);
    });
  }
  return pairs;
}

/**
 * Kernel name of the one-pass grouped shift on wasm: input x [N, H, W, C], attrs.runs = [c0, c1, dy, dx, …] (runs of
 * channels sharing one offset, tiling 0..C in order) → [N, H, W, C]. Registered on wasm only (a native kernel with a
 * TypeScript fallback, src/lib/kernels/shift/grouped-shift.ts); other backends run the pad/slice/concat composite.
 */
export const GROUPED_SHIFT = 'CompactNetsGroupedShift';

/** Runs of equal offsets as a flat [c0, c1, dy, dx, …] list (the attrs of {@link GROUPED_SHIFT}). */
export function groupedShiftRuns(pairs: ReadonlyArray<readonly [number, number]>): number[] {
  const runs: number[] = [];
  let start = 0;
  while (start < pairs.length) {
    let end = start + 1;
    while (end < pairs.length && pairs[end][0] === pairs[start][0] && pairs[end][1] === pairs[start][1]) end++;
    runs.push(start, end, pairs[start][0], pairs[start][1]);
    start = end;
  }
  return runs;
}

/** Opposite runs of frozen runs, computed once (a training step asks for them every backward pass). */
const oppositeRuns = new WeakMap<readonly number[], readonly number[]>();

// The adjoint of a zero-filled shift by (dy, dx) is the zero-filled shift by (−dy, −dx): the same kernel.
tf.registerGradient({
  kernelName: GROUPED_SHIFT,
  gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const runs = (attrs as unknown as { runs: readonly number[] }).runs;
    let back = oppositeRuns.get(runs);
    if (back === undefined) {
      back = Object.freeze(runs.map((v, i) => (i % 4 >= 2 ? -v : v)));
      if (Object.isFrozen(runs)) oppositeRuns.set(runs, back);
    }
    return { x: () => tf.engine().runKernel(GROUPED_SHIFT, { x: dy as tf.Tensor }, { runs: back } as unknown as tf.NamedAttrMap) as tf.Tensor };
  },
});

/**
 * Integer per-channel shift with zero fill. x: [N, H, W, C] → [N, H, W, C]; offsets in pixels, any magnitude (a
 * channel shifted by ≥ H or ≥ W pixels comes out all zero). On wasm (float32, kernel registered): one pass of
 * {@link GROUPED_SHIFT}, whose gradient is the opposite shift. Elsewhere: pad + one slice per run of equal offsets +
 * concat (no convolution; the gradient is tf's autodiff of pad/slice).
 */
export function shiftTensor(x: tf.Tensor4D, offsets: ShiftOffsetsInput): tf.Tensor4D {
  const pairs = normaliseShiftOffsets(offsets, x.shape[3], 'shiftTensor');
  return shiftByRuns(x, pairs, Object.freeze(groupedShiftRuns(pairs)));
}

/**
 * {@link shiftTensor} with the offsets already checked against x's channels and their runs computed (frozen, so the
 * kernels may cache what they derive from them): the {@link Shift} layer's per-call path.
 */
function shiftByRuns(x: tf.Tensor4D, pairs: ReadonlyArray<readonly [number, number]>, runs: readonly number[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c > 0 && x.dtype === 'float32' && tf.getBackend() === 'wasm' && tf.getKernel(GROUPED_SHIFT, 'wasm') !== undefined) {
    return tf.engine().runKernel(GROUPED_SHIFT, { x }, { runs } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  // Offsets beyond the image only ever read padding, so the padding never needs to exceed the image size.
  const padY = Math.min(h, Math.max(0, ...pairs.map(([dy]) => Math.abs(dy))));
  const padX = Math.min(w, Math.max(0, ...pairs.map(([, dx]) => Math.abs(dx))));
  return tf.tidy(() => {
    const padded = padY === 0 && padX === 0 ? x : tf.pad(x, [[0, 0], [padY, padY], [padX, padX], [0, 0]]);
    const pieces: tf.Tensor4D[] = [];
    let start = 0;
    while (start < c) {
      let end = start + 1;
      while (end < c && pairs[end][0] === pairs[start][0] && pairs[end][1] === pairs[start][1]) end++;
      const [dy, dx] = pairs[start];
      if (Math.abs(dy) >= h || Math.abs(dx) >= w) {
        pieces.push(tf.zeros([n, h, w, end - start]));
      } else {
        pieces.push(tf.slice(padded, [0, padY + dy, padX + dx, start], [n, h, w, end - start]));
      }
      start = end;
    }
    return pieces.length === 1 ? pieces[0] : tf.concat(pieces, 3);
  });
}

/** Arguments of {@link Shift}. */
export interface ShiftArgs extends BaseLayerArgs {
  /** Odd shift-kernel side K: offsets range over {−⌊K/2⌋ … ⌊K/2⌋}². Default 3. */
  kernelSize?: number;
  /** Multiplies every offset (dilated shift). Default 1. */
  dilation?: number;
  /** Layer name. */
  name?: string;
}

/** ShiftNet's zero-parameter shift layer, NHWC; channel assignment as in {@link shiftOffsets}. 0 params, 0 MACs. */
export class Shift extends tf.layers.Layer implements CostAware {
  /** @nocollapse */
  static className = 'Shift';
  readonly kernelSize: number;
  readonly dilation: number;
  private offsets: Array<[number, number]> = [];
  /** Runs of equal offsets, computed at build (frozen: kernels cache their typed copies by identity). */
  private runs: readonly number[] = [];

  constructor(args: ShiftArgs = {}) {
    super(args);
    const who = `Shift '${args.name ?? this.name}'`;
    this.kernelSize = requireOddKernel(args.kernelSize ?? 3, who);
    this.dilation = requirePositiveInt(args.dilation ?? 1, `${who}: dilation`);
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, , c] = nhwcDims(singleShape(inputShape), `Shift '${this.name}'`);
    this.offsets = shiftOffsets(c, this.kernelSize, this.dilation);
    this.runs = Object.freeze(groupedShiftRuns(this.offsets));
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (x.rank !== 4 || x.shape[3] !== this.offsets.length) return shiftTensor(x, this.offsets); // names the mismatch
    return shiftByRuns(x, this.offsets, this.runs);
  }

  /** Pure memory movement: 0 multiply-accumulates. */
  macs(_inputShapes: number[][]): number {
    return 0;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize, dilation: this.dilation };
  }
}
tf.serialization.registerClass(Shift);

/** Factory for {@link Shift}. */
export function shift(args: ShiftArgs = {}): Shift {
  return new Shift(args);
}
