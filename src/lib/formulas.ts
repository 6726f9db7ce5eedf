/**
 * Closed-form parameter and multiply-accumulate counts of the survey's operations (docs/sources.md §5),
 * for ONE image, weights only (no bias unless a function says so, no BatchNorm). Spatial sizes are
 * the output H′ = ⌈H/s⌉, W′ = ⌈W/s⌉ of a 'same'-padded layer with stride s.
 */

/** Parameters and multiply-accumulates of one operation for one image. */
export interface OpCost {
  params: number;
  macs: number;
}

/** Shape of an operation's input and its spatial settings. */
export interface ConvShape {
  /** Input channels M. */
  inChannels: number;
  /** Output channels N. */
  outChannels: number;
  /** Input height H and width W in pixels. */
  height: number;
  width: number;
  /** Kernel size K (K×K). */
  kernelSize: number;
  /** Stride s; default 1. */
  stride?: number;
}

function positiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Validated fields and output positions H′·W′ of a ConvShape. */
function resolve(who: string, s: ConvShape): { m: number; n: number; k: number; outPositions: number; inPositions: number } {
  const m = positiveInt(who, 'inChannels', s.inChannels);
  const n = positiveInt(who, 'outChannels', s.outChannels);
  const k = positiveInt(who, 'kernelSize', s.kernelSize);
  const h = positiveInt(who, 'height', s.height);
  const w = positiveInt(who, 'width', s.width);
  const stride = positiveInt(who, 'stride', s.stride ?? 1);
  return { m, n, k, outPositions: Math.ceil(h / stride) * Math.ceil(w / stride), inPositions: h * w };
}

/** §5.1 standard conv: K²·M·N params, K²·M·N·H′W′ MACs. */
export function standardConvCost(s: ConvShape): OpCost {
  const { m, n, k, outPositions } = resolve('standardConvCost', s);
  return { params: k * k * m * n, macs: k * k * m * n * outPositions };
}

/** §5.2 group conv with g groups (M and N divisible by g): K²·M·N/g params, ×H′W′ MACs. */
export function groupConvCost(s: ConvShape & { groups: number }): OpCost {
  const { m, n, k, outPositions } = resolve('groupConvCost', s);
  const g = positiveInt('groupConvCost', 'groups', s.groups);
  if (m % g !== 0 || n % g !== 0) throw new Error(`groupConvCost: groups ${g} must divide inChannels ${m} and outChannels ${n}`);
  return { params: (k * k * m * n) / g, macs: ((k * k * m * n) / g) * outPositions };
}

/** §5.3 depthwise conv (multiplier 1, N = M): K²·M params, K²·M·H′W′ MACs. `outChannels` is ignored. */
export function depthwiseConvCost(s: Omit<ConvShape, 'outChannels'>): OpCost {
  const { m, k, outPositions } = resolve('depthwiseConvCost', { ...s, outChannels: s.inChannels });
  return { params: k * k * m, macs: k * k * m * outPositions };
}

/** §5.4 pointwise (1×1) conv: M·N params, M·N·H′W′ MACs. */
export function pointwiseConvCost(s: Omit<ConvShape, 'kernelSize'>): OpCost {
  return standardConvCost({ ...s, kernelSize: 1 });
}

/** §5.5 depthwise-separable conv (dw K×K with stride, then pw at the output size): (K²·M + M·N) params, ×H′W′ MACs. */
export function separableConvCost(s: ConvShape): OpCost {
  const { m, n, k, outPositions } = resolve('separableConvCost', s);
  return { params: k * k * m + m * n, macs: (k * k * m + m * n) * outPositions };
}

/** §5.5 ratio of separable to standard cost, 1/N + 1/K². */
export function separableToStandardRatio(outChannels: number, kernelSize: number): number {
  positiveInt('separableToStandardRatio', 'outChannels', outChannels);
  positiveInt('separableToStandardRatio', 'kernelSize', kernelSize);
  return 1 / outChannels + 1 / (kernelSize * kernelSize);
}

/** §5.6, §5.7, §5.13 channel shuffle, channel split and shift: no parameters, no MACs (memory movement only). */
export function zeroCost(): OpCost {
  return { params: 0, macs: 0 };
}

/** Shape of a Fire module: squeeze s, expand e1 (1×1) and e3 (3×3), on H×W×M. */
export interface FireShape {
  inChannels: number;
  squeeze: number;
  expand1x1: number;
  expand3x3: number;
  height: number;
  width: number;
  /** Count the s + e1 + e3 biases (SqueezeNet's convs have them); default false. */
  bias?: boolean;
}

/** §5.8 Fire module: M·s + s·e1 + 9·s·e3 (+ s + e1 + e3 biases) params; HW·(M·s + s·e1 + 9·s·e3) MACs. */
export function fireCost(f: FireShape): OpCost {
  const who = 'fireCost';
  const m = positiveInt(who, 'inChannels', f.inChannels);
  const s = positiveInt(who, 'squeeze', f.squeeze);
  const e1 = positiveInt(who, 'expand1x1', f.expand1x1);
  const e3 = positiveInt(who, 'expand3x3', f.expand3x3);
  const hw = positiveInt(who, 'height', f.height) * positiveInt(who, 'width', f.width);
  const weights = m * s + s * e1 + 9 * s * e3;
  return { params: weights + (f.bias ? s + e1 + e3 : 0), macs: hw * weights };
}

/** Shape of an inverted residual block: d′ → d″ with expansion t, dw kernel k, stride s. */
export interface InvertedResidualShape {
  inChannels: number;
  outChannels: number;
  expansion: number;
  height: number;
  width: number;
  /** Default 3. */
  kernelSize?: number;
  /** Default 1. */
  stride?: number;
}

/**
 * §5.9 inverted residual with linear bottleneck (hidden = round(t·d′), expansion conv absent when t = 1):
 * params t·d′² + k²·t·d′ + t·d′·d″; MACs HW·t·d′² + H′W′·t·d′·(k² + d″).
 */
export function invertedResidualCost(b: InvertedResidualShape): OpCost {
  const who = 'invertedResidualCost';
  const d1 = positiveInt(who, 'inChannels', b.inChannels);
  const d2 = positiveInt(who, 'outChannels', b.outChannels);
  if (!(typeof b.expansion === 'number' && b.expansion >= 1)) throw new Error(`${who}: expansion must be a number ≥ 1, got ${b.expansion}`);
  const k = positiveInt(who, 'kernelSize', b.kernelSize ?? 3);
  const stride = positiveInt(who, 'stride', b.stride ?? 1);
  const h = positiveInt(who, 'height', b.height);
  const w = positiveInt(who, 'width', b.width);
  const hidden = Math.round(d1 * b.expansion);
  const expand = b.expansion === 1 ? 0 : d1 * hidden;
  const out = Math.ceil(h / stride) * Math.ceil(w / stride);
  return { params: expand + k * k * hidden + hidden * d2, macs: h * w * expand + out * hidden * (k * k + d2) };
}

/** §5.10 ShuffleNet V1 unit, stride 1, c channels, bottleneck m, g groups: 2·c·m/g + 9·m params, ×HW MACs. */
export function shuffleUnitV1Cost(u: { channels: number; bottleneck: number; groups: number; height: number; width: number }): OpCost {
  const who = 'shuffleUnitV1Cost';
  const c = positiveInt(who, 'channels', u.channels);
  const m = positiveInt(who, 'bottleneck', u.bottleneck);
  const g = positiveInt(who, 'groups', u.groups);
  const hw = positiveInt(who, 'height', u.height) * positiveInt(who, 'width', u.width);
  if (c % g !== 0 || m % g !== 0) throw new Error(`${who}: groups ${g} must divide channels ${c} and bottleneck ${m}`);
  const params = (2 * c * m) / g + 9 * m;
  return { params, macs: hw * params };
}

/** §5.11 ShuffleNet V2 unit, stride 1, c channels (c′ = c/2 per branch): 2c′² + 9c′ params, ×HW MACs. */
export function shuffleUnitV2Cost(u: { channels: number; height: number; width: number }): OpCost {
  const who = 'shuffleUnitV2Cost';
  const c = positiveInt(who, 'channels', u.channels);
  if (c % 2 !== 0) throw new Error(`${who}: channels must be even (split in halves), got ${c}`);
  const half = c / 2;
  const params = 2 * half * half + 9 * half;
  return { params, macs: positiveInt(who, 'height', u.height) * positiveInt(who, 'width', u.width) * params };
}

/** §5.14 CSC module 1×1 (M → εN) → shift → 1×1 (εN → N): M·εN + εN·N params; HW·M·εN + H′W′·εN·N MACs. */
export function cscCost(c: { inChannels: number; outChannels: number; expansion: number; height: number; width: number; stride?: number }): OpCost {
  const who = 'cscCost';
  const m = positiveInt(who, 'inChannels', c.inChannels);
  const n = positiveInt(who, 'outChannels', c.outChannels);
  const mid = Math.round(c.expansion * n);
  if (!(mid >= 1)) throw new Error(`${who}: expansion·outChannels must round to ≥ 1, got ${c.expansion}·${n}`);
  const h = positiveInt(who, 'height', c.height);
  const w = positiveInt(who, 'width', c.width);
  const s = positiveInt(who, 'stride', c.stride ?? 1);
  return { params: m * mid + mid * n, macs: h * w * m * mid + Math.ceil(h / s) * Math.ceil(w / s) * mid * n };
}

/**
 * §5.12 ShuffleNet V2's memory access cost (P-SH2 Eq. 1/2) of a 1×1 conv c1 → c2 on h×w with g groups, in elements:
 * hw(c1 + c2) + c1·c2/g (input + output + weights). Its MACs are hw·c1·c2/g.
 */
export function pointwiseMemoryAccess(m: { inChannels: number; outChannels: number; height: number; width: number; groups?: number }): number {
  const who = 'pointwiseMemoryAccess';
  const c1 = positiveInt(who, 'inChannels', m.inChannels);
  const c2 = positiveInt(who, 'outChannels', m.outChannels);
  const g = positiveInt(who, 'groups', m.groups ?? 1);
  if (c1 % g !== 0 || c2 % g !== 0) throw new Error(`${who}: inChannels (${c1}) and outChannels (${c2}) must be divisible by groups (${g})`);
  const hw = positiveInt(who, 'height', m.height) * positiveInt(who, 'width', m.width);
  return hw * (c1 + c2) + (c1 * c2) / g;
}
