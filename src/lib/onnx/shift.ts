/**
 * Per-channel spatial shifts as ONNX operators, on NCHW tensors:
 *
 * - integer shifts (ShiftNet's fixed grid, FE-Net's SSL at inference): one zero Pad, then one Slice per run of
 *   channels that share an offset (channels reordered by Gather first when equal offsets are not contiguous, and
 *   put back in order by a second Gather), then Concat. A stride becomes the Slice step.
 * - ASL's bilinear shift: the weighted sum of four integer shifts (⌊α⌋ + {0, 1}, ⌊β⌋ + {0, 1}) with per-channel
 *   weights (1−fx)(1−fy), fx(1−fy), (1−fx)fy, fx·fy — the layer's own forward formula (src/lib/ops/active-shift.ts).
 *   Corners whose weights are all zero (integer offsets) are left out; that is exact.
 */
import { GraphBuilder } from './builder';

/** Geometry of a shift: input [C, H, W] → output [C, outH, outW], out(c, h, w) = in(c, h·s + oy[c], w·s + ox[c]), 0 outside. */
export interface IntegerShiftSpec {
  channels: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
  stride: number;
  /** Per-channel row offsets (pixels). */
  oy: ArrayLike<number>;
  /** Per-channel column offsets (pixels). */
  ox: ArrayLike<number>;
}

/**
 * Offsets that read only zeros are clamped to the nearest offset that still reads only zeros, so the padding never
 * exceeds about one image size (a channel moved by 1000 pixels needs no 1000-pixel pad).
 */
function clampOffset(o: number, size: number, outSize: number, stride: number): number {
  const lowest = -(outSize - 1) * stride - 1; // every sample lands above/left of the image
  return Math.max(lowest, Math.min(size, o));
}

/** Emits the shift of `x` (NCHW) described by `spec`; returns the output tensor name ([N, C, outH, outW]). */
export function emitIntegerShift(b: GraphBuilder, x: string, spec: IntegerShiftSpec, base: string): string {
  const { channels: c, height: h, width: w, outHeight: oh, outWidth: ow, stride: s } = spec;
  const oy = Array.from({ length: c }, (_, i) => clampOffset(Math.trunc(spec.oy[i]), h, oh, s));
  const ox = Array.from({ length: c }, (_, i) => clampOffset(Math.trunc(spec.ox[i]), w, ow, s));
  const spanY = (oh - 1) * s;
  const spanX = (ow - 1) * s;
  // The identity: nothing to emit.
  if (s === 1 && oh === h && ow === w && oy.every((v) => v === 0) && ox.every((v) => v === 0)) return x;

  // Groups of channels with equal offsets, in order of first appearance.
  const groupOf = new Map<string, number>();
  const groups: Array<{ oy: number; ox: number; channels: number[] }> = [];
  for (let ch = 0; ch < c; ch++) {
    const key = `${oy[ch]},${ox[ch]}`;
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groups.length;
      groupOf.set(key, g);
      groups.push({ oy: oy[ch], ox: ox[ch], channels: [] });
    }
    groups[g].channels.push(ch);
  }
  // Runs of consecutive channels with one offset. Few runs (ShiftNet's grid: one per direction, plus the unshifted
  // remainder): one Slice each. Many (trained SSL offsets): Gather the channels group by group, one Slice per group,
  // then Gather them back into order.
  const runsInOrder: Array<{ oy: number; ox: number; count: number }> = [];
  for (let ch = 0; ch < c; ch++) {
    const last = runsInOrder[runsInOrder.length - 1];
    if (last !== undefined && last.oy === oy[ch] && last.ox === ox[ch]) last.count++;
    else runsInOrder.push({ oy: oy[ch], ox: ox[ch], count: 1 });
  }
  const contiguous = runsInOrder.length <= groups.length + 8;
  let source = x;
  const order = groups.flatMap((g) => g.channels);
  if (!contiguous) source = b.node('Gather', [x, b.int64(order)], `${base}.group`, { axis: 1 });
  const runs = contiguous ? runsInOrder : groups.map((g) => ({ oy: g.oy, ox: g.ox, count: g.channels.length }));

  const padTop = Math.max(0, -Math.min(...oy));
  const padLeft = Math.max(0, -Math.min(...ox));
  const padBottom = Math.max(0, Math.max(...oy.map((v) => v + spanY)) - (h - 1));
  const padRight = Math.max(0, Math.max(...ox.map((v) => v + spanX)) - (w - 1));
  let padded: string | null = null;
  const paddedSource = (): string => {
    if (padded === null) {
      padded = b.node('Pad', [source, b.int64([0, 0, padTop, padLeft, 0, 0, padBottom, padRight])], `${base}.pad`, { mode: 'constant' });
    }
    return padded;
  };

  const pieces: string[] = [];
  let start = 0;
  for (const g of runs) {
    const end = start + g.count;
    // Read from the unpadded tensor when every sample of the run lies inside the image.
    const inside = g.oy >= 0 && g.oy + spanY <= h - 1 && g.ox >= 0 && g.ox + spanX <= w - 1;
    const from = inside ? source : paddedSource();
    const y0 = inside ? g.oy : g.oy + padTop;
    const x0 = inside ? g.ox : g.ox + padLeft;
    const wholeChannels = start === 0 && end === c;
    const spatialIdentity = inside && s === 1 && y0 === 0 && x0 === 0 && oh === h && ow === w;
    if (wholeChannels && spatialIdentity) {
      pieces.push(from);
    } else {
      const starts = [start, y0, x0];
      const ends = [end, y0 + spanY + 1, x0 + spanX + 1];
      const inputs = [from, b.int64(starts), b.int64(ends), b.int64([1, 2, 3])];
      if (s !== 1) inputs.push(b.int64([1, s, s]));
      pieces.push(b.node('Slice', inputs, `${base}.slice`));
    }
    start = end;
  }
  let y = pieces.length === 1 ? pieces[0] : b.node('Concat', pieces, `${base}.concat`, { axis: 1 });
  if (!contiguous) {
    const inverse = new Array<number>(c);
    order.forEach((ch, i) => {
      inverse[ch] = i;
    });
    y = b.node('Gather', [y, b.int64(inverse)], `${base}.ungroup`, { axis: 1 });
  }
  return y;
}

/** Rounds half away from zero, as SSL's forward pass does (C's round()). */
function roundHalfAwayFromZero(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** SSL at inference: offsets [C, 2] (column 0 = x, column 1 = y) rounded; out side ⌊(L − 1)/s⌋ + 1. */
export function emitSparseShift(b: GraphBuilder, x: string, dims: { channels: number; height: number; width: number }, offsets: Float32Array, stride: number, base: string): string {
  const c = dims.channels;
  const oy = new Int32Array(c);
  const ox = new Int32Array(c);
  for (let ch = 0; ch < c; ch++) {
    ox[ch] = roundHalfAwayFromZero(offsets[2 * ch]);
    oy[ch] = roundHalfAwayFromZero(offsets[2 * ch + 1]);
  }
  const outHeight = Math.floor((dims.height - 1) / stride) + 1;
  const outWidth = Math.floor((dims.width - 1) / stride) + 1;
  return emitIntegerShift(b, x, { ...dims, outHeight, outWidth, stride, oy, ox }, base);
}

/**
 * ASL: offsets [C, 2] (α = x, β = y, real), stride s, zero padding p; out side ⌊(L + 2p − 1)/s⌋ + 1. The four corner
 * shifts are weighted per channel and summed.
 */
export function emitActiveShift(
  b: GraphBuilder, x: string, dims: { channels: number; height: number; width: number }, offsets: Float32Array, stride: number, padding: number, base: string,
): string {
  const c = dims.channels;
  const outHeight = Math.floor((dims.height + 2 * padding - 1) / stride) + 1;
  const outWidth = Math.floor((dims.width + 2 * padding - 1) / stride) + 1;
  const x1 = new Int32Array(c);
  const y1 = new Int32Array(c);
  const fx = new Float64Array(c);
  const fy = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const a = offsets[2 * ch];
    const bt = offsets[2 * ch + 1];
    x1[ch] = Math.floor(a);
    y1[ch] = Math.floor(bt);
    fx[ch] = a - x1[ch];
    fy[ch] = bt - y1[ch];
  }
  const corners: Array<[number, number, (ch: number) => number]> = [
    [0, 0, (ch) => (1 - fx[ch]) * (1 - fy[ch])],
    [0, 1, (ch) => fx[ch] * (1 - fy[ch])],
    [1, 0, (ch) => (1 - fx[ch]) * fy[ch]],
    [1, 1, (ch) => fx[ch] * fy[ch]],
  ];
  const terms: string[] = [];
  corners.forEach(([i, j, weightOf], k) => {
    const weights = Float32Array.from({ length: c }, (_, ch) => weightOf(ch));
    if (weights.every((v) => v === 0)) return;
    const oy = Int32Array.from({ length: c }, (_, ch) => y1[ch] + i - padding);
    const ox = Int32Array.from({ length: c }, (_, ch) => x1[ch] + j - padding);
    const shifted = emitIntegerShift(b, x, { ...dims, outHeight, outWidth, stride, oy, ox }, `${base}.corner${k}`);
    if (weights.every((v) => v === 1)) {
      terms.push(shifted);
    } else {
      const w = b.floatTensor(`${base}.corner${k}.weight`, weights, [1, c, 1, 1]);
      terms.push(b.node('Mul', [shifted, w], `${base}.corner${k}.weighted`));
    }
  });
  if (terms.length === 0) {
    // Unreachable for finite offsets (the four weights sum to 1); guards against NaN offsets.
    throw new Error(`${base}: every bilinear weight is zero; the offsets are not finite numbers`);
  }
  return terms.length === 1 ? terms[0] : b.node('Sum', terms, `${base}.sum`);
}
