/**
 * ShuffleNet V2's four practical guidelines (Ma et al., arXiv:1807.11164 §2, Tables 1–4; docs/sources.md §4.5, §5.12)
 * reproduced as micro-benchmarks on the active backend: each guideline gets a set of small networks with (about)
 * the SAME multiply-accumulates, so any difference in measured time comes from what MACs do not count.
 *
 * - G1: equal channel width minimises memory access cost (MAC). Stacks of 1×1 convs c1→c2→c1 with c1·c2 fixed.
 * - G2: excessive group convolution increases MAC. Stacks of 1×1 group convs with c²/g fixed.
 * - G3: network fragmentation reduces parallelism. One conv vs 2/4 smaller convs in series or in parallel.
 * - G4: element-wise operations are not negligible. A ResNet bottleneck with and without ReLU and shortcut.
 *
 * The benchmark networks are bare (bias-free convs, no BatchNorm) as in the paper, so every layer is the operation
 * under study. "Memory access" here is the per-layer count of {@link costOf}: input + output + weight elements.
 *
 * runGuidelineRuntimes times the same networks on our runtime and, exported to ONNX, on onnxruntime-node: the
 * guidelines are claims about runtimes, and two runtimes can disagree.
 *
 * Introduced in notebooks/05-shufflenet.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { costOf } from '../lib/cost';
import { measureLatency } from '../lib/latency';
import { groupConv2d } from '../lib/ops';
import type { RuntimeLatency } from '../lib/onnx';
import type { PlotlyFigure } from '../lib/display/plotly';
import { checkRuntimeStudy, RuntimeStudyOptions, RuntimeTiming, threadsText, timeBothRuntimes } from './runtime-compare';

/** The four guidelines of P-SH2 §2. */
export type Guideline = 'G1' | 'G2' | 'G3' | 'G4';

/** Sizes of the benchmark networks. */
export interface GuidelineSizes {
  /** Feature-map side H = W in pixels; default 28. */
  side?: number;
  /** Reference width c in channels (G1: c1 = c2 = c at ratio 1; G2: c at g = 1; G3: the 1-fragment width; G4: the bottleneck width, blocks run on 4c); default 64. */
  channels?: number;
  /** Blocks stacked in each network (the paper stacks 10); default 10. */
  blocks?: number;
}

/** One network of a guideline benchmark. */
export interface GuidelineCase {
  guideline: Guideline;
  /** e.g. "c1:c2 = 1:2 (90→180)". */
  label: string;
  /** The knob the guideline varies: the ratio c2/c1 (G1), the groups g (G2), the fragment count (G3), 0–3 (G4). */
  knob: number;
  /** Builds a fresh model [N, side, side, Cin] → feature map. */
  build(): tf.LayersModel;
}

/** Resolved and validated sizes. */
interface Sizes {
  side: number;
  channels: number;
  blocks: number;
}

/** Validates sizes: positive integers, naming the bad value and the fix. */
function resolveSizes(o: GuidelineSizes): Sizes {
  const sizes: Sizes = { side: o.side ?? 28, channels: o.channels ?? 64, blocks: o.blocks ?? 10 };
  const limits: Record<keyof Sizes, [number, number]> = { side: [1, 512], channels: [8, 4096], blocks: [1, 100] };
  for (const key of Object.keys(limits) as Array<keyof Sizes>) {
    const [lo, hi] = limits[key];
    const v = sizes[key];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new Error(`guideline benchmark: ${key} must be an integer in ${lo}..${hi}, got ${String(v)}`);
    }
  }
  return sizes;
}

/** Bias-free k×k conv with `filters` outputs, applied to `x`. */
function conv(x: tf.SymbolicTensor, filters: number, name: string, kernelSize = 1): tf.SymbolicTensor {
  return tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: false, name }).apply(x) as tf.SymbolicTensor;
}

/** Model input [N, side, side, channels]. */
function input(side: number, channels: number): tf.SymbolicTensor {
  return tf.input({ shape: [side, side, channels], name: 'input' });
}

/** The c1:c2 ratios of P-SH2 Table 1. */
export const G1_RATIOS = [1, 2, 6, 12] as const;
/** The group counts of P-SH2 Table 2. */
export const G2_GROUPS = [1, 2, 4, 8] as const;

/** G1 widths at ratio r = c2/c1 with c1·c2 ≈ c² (P-SH2 Table 1: c1 = round(c/√r), c2 = r·c1). */
export function g1Widths(channels: number, ratio: number): [number, number] {
  if (!Number.isInteger(ratio) || ratio < 1) throw new Error(`G1: ratio c2/c1 must be an integer ≥ 1, got ${ratio}`);
  const c1 = Math.max(1, Math.round(channels / Math.sqrt(ratio)));
  return [c1, ratio * c1];
}

/** G1 networks: `blocks` × (1×1 c1→c2, 1×1 c2→c1), one per ratio in {@link G1_RATIOS}. */
export function g1Cases(sizes: GuidelineSizes = {}): GuidelineCase[] {
  const s = resolveSizes(sizes);
  return G1_RATIOS.map((ratio) => {
    const [c1, c2] = g1Widths(s.channels, ratio);
    return {
      guideline: 'G1' as const,
      label: `c1:c2 = 1:${ratio} (${c1}→${c2})`,
      knob: ratio,
      build: () => {
        const x0 = input(s.side, c1);
        let x = x0;
        for (let b = 0; b < s.blocks; b++) x = conv(conv(x, c2, `b${b}.up`), c1, `b${b}.down`);
        return tf.model({ inputs: x0, outputs: x, name: `g1_ratio${ratio}` });
      },
    };
  });
}

/** G2 width at g groups with c²/g ≈ c0² (P-SH2 Table 2: 128, 180, 256, 360): the multiple of g at or below c0·√g. */
export function g2Width(channels: number, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`G2: groups must be an integer ≥ 1, got ${groups}`);
  return Math.max(1, Math.floor((channels * Math.sqrt(groups)) / groups + 1e-9)) * groups;
}

/** G2 networks: `blocks` × two 1×1 group convs c→c with g groups, one per g in {@link G2_GROUPS}. */
export function g2Cases(sizes: GuidelineSizes = {}): GuidelineCase[] {
  const s = resolveSizes(sizes);
  return G2_GROUPS.map((groups) => {
    const c = g2Width(s.channels, groups);
    return {
      guideline: 'G2' as const,
      label: `g = ${groups} (c = ${c})`,
      knob: groups,
      build: () => {
        const x0 = input(s.side, c);
        let x = x0;
        for (let b = 0; b < 2 * s.blocks; b++) {
          x = (groups === 1
            ? conv(x, c, `b${b}.conv`)
            : groupConv2d({ filters: c, kernelSize: 1, padding: 'valid', groups, name: `b${b}.gconv` }).apply(x)) as tf.SymbolicTensor;
        }
        return tf.model({ inputs: x0, outputs: x, name: `g2_groups${groups}` });
      },
    };
  });
}

/** The fragment structures of P-SH2 Appendix Fig. 1 / Table 3. */
export const G3_STRUCTURES = ['1-fragment', '2-fragment-series', '4-fragment-series', '2-fragment-parallel', '4-fragment-parallel'] as const;

/**
 * G3 networks at (about) the MACs of one 1×1 conv c→c per block: n convs of width round(c/√n) in series, or n
 * parallel 1×1 convs c→c/n concatenated back to c channels.
 */
export function g3Cases(sizes: GuidelineSizes = {}): GuidelineCase[] {
  const s = resolveSizes(sizes);
  return G3_STRUCTURES.map((structure) => {
    const n = Number(structure[0]);
    const parallel = structure.endsWith('parallel');
    if (parallel && s.channels % n !== 0) throw new Error(`G3: channels (${s.channels}) must be divisible by ${n} for ${structure}`);
    const width = parallel || n === 1 ? s.channels : Math.round(s.channels / Math.sqrt(n));
    return {
      guideline: 'G3' as const,
      label: parallel ? `${structure} (${n} × ${width}→${width / n})` : `${structure} (${n} × ${width}→${width})`,
      knob: n,
      build: () => {
        const x0 = input(s.side, width);
        let x = x0;
        for (let b = 0; b < s.blocks; b++) {
          if (parallel) {
            const branches = Array.from({ length: n }, (_, i) => conv(x, width / n, `b${b}.branch${i}`));
            x = tf.layers.concatenate({ axis: -1, name: `b${b}.concat` }).apply(branches) as tf.SymbolicTensor;
          } else {
            for (let i = 0; i < n; i++) x = conv(x, width, `b${b}.conv${i}`);
          }
        }
        return tf.model({ inputs: x0, outputs: x, name: `g3_${structure.replace(/-/g, '_')}` });
      },
    };
  });
}

/** The element-wise variants of P-SH2 Table 4: ReLU and shortcut each on or off. */
export const G4_VARIANTS = [
  { relu: true, shortcut: true },
  { relu: false, shortcut: true },
  { relu: true, shortcut: false },
  { relu: false, shortcut: false },
] as const;

/**
 * G4 networks: `blocks` ResNet bottlenecks on 4c channels (1×1 4c→c, 3×3 c→c, 1×1 c→4c) with ReLU after each conv
 * (and after the add) and the identity shortcut each switchable; all four variants have identical MACs.
 */
export function g4Cases(sizes: GuidelineSizes = {}): GuidelineCase[] {
  const s = resolveSizes(sizes);
  const wide = 4 * s.channels;
  return G4_VARIANTS.map((v, i) => ({
    guideline: 'G4' as const,
    label: `ReLU ${v.relu ? 'on' : 'off'}, shortcut ${v.shortcut ? 'on' : 'off'}`,
    knob: i,
    build: () => {
      const relu = (t: tf.SymbolicTensor, name: string) => (v.relu ? (tf.layers.reLU({ name }).apply(t) as tf.SymbolicTensor) : t);
      const x0 = input(s.side, wide);
      let x = x0;
      for (let b = 0; b < s.blocks; b++) {
        let y = relu(conv(x, s.channels, `b${b}.reduce`), `b${b}.relu1`);
        y = relu(conv(y, s.channels, `b${b}.conv3x3`, 3), `b${b}.relu2`);
        y = conv(y, wide, `b${b}.expand`);
        if (v.shortcut) y = tf.layers.add({ name: `b${b}.add` }).apply([x, y]) as tf.SymbolicTensor;
        x = relu(y, `b${b}.relu3`);
      }
      return tf.model({ inputs: x0, outputs: x, name: `g4_relu${v.relu ? 1 : 0}_short${v.shortcut ? 1 : 0}` });
    },
  }));
}

/** The cases of one guideline. */
export function guidelineCases(guideline: Guideline, sizes: GuidelineSizes = {}): GuidelineCase[] {
  switch (guideline) {
    case 'G1':
      return g1Cases(sizes);
    case 'G2':
      return g2Cases(sizes);
    case 'G3':
      return g3Cases(sizes);
    case 'G4':
      return g4Cases(sizes);
    default:
      throw new Error(`unknown guideline ${JSON.stringify(guideline)}; accepted: "G1", "G2", "G3", "G4"`);
  }
}

/** Measured cost of one case. */
export interface GuidelineResult {
  guideline: Guideline;
  label: string;
  knob: number;
  /** Multiply-accumulates per image. */
  macs: number;
  /** Memory access cost per image (elements read + written, {@link costOf}). */
  memoryAccess: number;
  /** Weights (no BN in these networks). */
  params: number;
  batch: number;
  /** Median milliseconds per forward pass of the batch. */
  medianMs: number;
  /** Images per second at the median. */
  imagesPerSec: number;
  /** Time relative to the guideline's first case (1 = same speed). */
  relativeTime: number;
  /** relativeTime divided by the MAC ratio to the first case: removes the few % of MACs that integer widths add or drop. */
  relativeTimePerMac: number;
  backend: string;
}

/** Timing options. */
export interface GuidelineTiming {
  /** Images per forward pass; default 8. */
  batch?: number;
  /** Timed runs per case (median reported); default 7. */
  repetitions?: number;
  /** Untimed runs first; default 2. */
  warmup?: number;
  /** Called before each case is timed. */
  onCase?: (index: number, total: number, label: string) => void;
}

/**
 * Builds and times every case (forward pass, median of `repetitions` after `warmup`), disposing each model after.
 * `relativeTime` is per guideline, against the first case of that guideline in `cases`.
 */
export async function runGuidelineBenchmarks(cases: GuidelineCase[], timing: GuidelineTiming = {}): Promise<GuidelineResult[]> {
  if (!Array.isArray(cases) || cases.length === 0) throw new Error('runGuidelineBenchmarks: cases must be a non-empty array (e.g. g1Cases())');
  const batch = timing.batch ?? 8;
  const results: GuidelineResult[] = [];
  const first = new Map<Guideline, { ms: number; macs: number }>();
  // One untimed pass of the first network first: the backend's one-time set-up would otherwise land on case 1 only.
  const warm = cases[0].build();
  try {
    await measureLatency(warm, { batch, repetitions: 1, warmup: 1 });
  } finally {
    warm.dispose();
  }
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    timing.onCase?.(i, cases.length, `${c.guideline} ${c.label}`);
    const model = c.build();
    try {
      const cost = costOf(model);
      const t = await measureLatency(model, { batch, repetitions: timing.repetitions ?? 7, warmup: timing.warmup ?? 2 });
      if (!first.has(c.guideline)) first.set(c.guideline, { ms: t.medianMs, macs: cost.macs });
      const base = first.get(c.guideline) as { ms: number; macs: number };
      const relativeTime = t.medianMs / base.ms;
      results.push({
        guideline: c.guideline, label: c.label, knob: c.knob, macs: cost.macs, memoryAccess: cost.memoryAccess, params: cost.params.weights,
        batch, medianMs: t.medianMs, imagesPerSec: t.imagesPerSec, relativeTime, relativeTimePerMac: relativeTime / (cost.macs / base.macs), backend: t.backend,
      });
    } finally {
      model.dispose();
    }
  }
  return results;
}

/** One sentence per guideline present in `results`: what the paper says and what this machine measured. */
export function describeGuidelineResults(results: GuidelineResult[]): string {
  const lines: string[] = [];
  const of = (g: Guideline) => results.filter((r) => r.guideline === g);
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${(100 * (x - 1)).toFixed(0)} %`;
  const g1 = of('G1');
  if (g1.length > 1) {
    const last = g1[g1.length - 1];
    lines.push(
      `**G1** (equal widths): at ${(g1[0].macs / 1e6).toPrecision(3)}–${(last.macs / 1e6).toPrecision(3)} M MACs, ${last.label} moves ` +
        `${(last.memoryAccess / g1[0].memoryAccess).toFixed(2)}× the elements of 1:1 and takes ${pct(last.relativeTimePerMac)} time per MAC (paper, GPU/ARM: ≈ +50–60 % at 1:12).`,
    );
  }
  const g2 = of('G2');
  if (g2.length > 1) {
    const last = g2[g2.length - 1];
    lines.push(`**G2** (groups): at (about) equal MACs ${last.label} takes ${pct(last.relativeTimePerMac)} time per MAC vs g = 1 (paper: g = 8 is > 2× slower on GPU, ≈ 30 % on ARM).`);
  }
  const g3 = of('G3');
  if (g3.length > 1) {
    const worst = g3.reduce((a, b) => (b.relativeTimePerMac > a.relativeTimePerMac ? b : a));
    lines.push(`**G3** (fragmentation): the slowest structure per MAC is ${worst.label}, ${pct(worst.relativeTimePerMac)} vs one fragment (paper: 4-fragment ≈ 3× slower on GPU, less on ARM).`);
  }
  const g4 = of('G4');
  if (g4.length > 1) {
    const bare = g4.find((r) => r.label === 'ReLU off, shortcut off');
    if (bare) {
      lines.push(`**G4** (element-wise ops): removing ReLU and shortcut saves ${(100 * (1 - bare.relativeTime)).toFixed(0)} % of the time at identical MACs (paper: ≈ 20 %).`);
    }
  }
  if (lines.length === 0) throw new Error('describeGuidelineResults: need at least two results of one guideline');
  const backend = results[0].backend;
  return [`Measured on the ${backend} backend, batch ${results[0].batch}:`, '', ...lines.map((l) => `- ${l}`)].join('\n');
}

/** One guideline network on both runtimes; times relative to the guideline's first network, per MAC. */
export interface GuidelineRuntimeResult {
  guideline: Guideline;
  label: string;
  knob: number;
  macs: number;
  batch: number;
  /** Both runtimes, interleaved rounds pooled (ms per pass of the batch). */
  timing: RuntimeTiming;
  /** Per runtime: median, first and third quartile of this network's time ÷ the first network's median time, ÷ the MAC ratio. */
  relative: { tfjs: RelativeSpread; onnx: RelativeSpread };
}

/** A time relative to a reference median, per MAC (1 = as fast per MAC as the reference). */
export interface RelativeSpread {
  median: number;
  q1: number;
  q3: number;
}

/**
 * Builds and times every case on tfjs and, exported to ONNX, on onnxruntime (interleaved rounds, batch
 * `timing.batch`, default 8), disposing each model after; relative times are against each guideline's first case.
 */
export async function runGuidelineRuntimes(cases: GuidelineCase[], timing: RuntimeStudyOptions, onCase?: (index: number, total: number, label: string) => void): Promise<GuidelineRuntimeResult[]> {
  if (!Array.isArray(cases) || cases.length === 0) throw new Error('runGuidelineRuntimes: cases must be a non-empty array (e.g. g1Cases())');
  const o = checkRuntimeStudy('runGuidelineRuntimes', { ...timing, batch: timing.batch ?? 8 });
  const results: GuidelineRuntimeResult[] = [];
  const first = new Map<Guideline, { tfjs: number; onnx: number; macs: number }>();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    onCase?.(i, cases.length, `${c.guideline} ${c.label}`);
    const model = c.build();
    try {
      const macs = costOf(model).macs;
      const t = await timeBothRuntimes(model, o);
      if (!first.has(c.guideline)) first.set(c.guideline, { tfjs: t.tfjs.medianMs, onnx: t.onnx.medianMs, macs });
      const base = first.get(c.guideline) as { tfjs: number; onnx: number; macs: number };
      const rel = (l: RuntimeLatency, ref: number): RelativeSpread => {
        const macRatio = macs / base.macs;
        return { median: l.medianMs / ref / macRatio, q1: l.q1Ms / ref / macRatio, q3: l.q3Ms / ref / macRatio };
      };
      results.push({
        guideline: c.guideline, label: c.label, knob: c.knob, macs, batch: o.batch ?? 8, timing: t,
        relative: { tfjs: rel(t.tfjs, base.tfjs), onnx: rel(t.onnx, base.onnx) },
      });
    } finally {
      model.dispose();
    }
  }
  return results;
}

/** Grouped bars of one guideline: time per MAC relative to its first network on each runtime, IQR error bars; pure. */
export function guidelineRuntimeFigure(results: readonly GuidelineRuntimeResult[], guideline: Guideline): PlotlyFigure {
  const rows = results.filter((r) => r.guideline === guideline);
  if (rows.length === 0) throw new Error(`guidelineRuntimeFigure: no results of ${guideline}; measured: ${[...new Set(results.map((r) => r.guideline))].join(', ') || 'none'}`);
  const trace = (name: string, side: 'tfjs' | 'onnx'): Record<string, unknown> => ({
    type: 'bar', name, x: rows.map((r) => r.label), y: rows.map((r) => r.relative[side].median),
    error_y: {
      type: 'data', symmetric: false, visible: true,
      array: rows.map((r) => r.relative[side].q3 - r.relative[side].median),
      arrayminus: rows.map((r) => r.relative[side].median - r.relative[side].q1),
    },
    customdata: rows.map((r) => [r.timing[side].medianMs, r.timing[side].q1Ms, r.timing[side].q3Ms]),
    hovertemplate: `${name}<br>%{x}<br>%{y:.2f}× per MAC<br>median %{customdata[0]:.3f} ms (IQR %{customdata[1]:.3f}–%{customdata[2]:.3f})<extra></extra>`,
  });
  return {
    data: [trace(rows[0].timing.tfjs.runtime, 'tfjs'), trace(rows[0].timing.onnx.runtime, 'onnx')],
    layout: { barmode: 'group', showlegend: true },
  };
}

/** 'slower' / 'faster' when the case's IQR (per MAC) lies wholly above / below 1 (the first case's median), else 'no clear change'. */
function relativeVerdict(r: RelativeSpread): 'slower' | 'faster' | 'no clear change' {
  return r.q1 > 1 ? 'slower' : r.q3 < 1 ? 'faster' : 'no clear change';
}

/**
 * Markdown from the measurements: for each guideline its last network against its first (time per MAC) on both
 * runtimes, and whether the two runtimes agree in direction and size; no claim is fixed in advance.
 */
export function describeGuidelineRuntimes(results: readonly GuidelineRuntimeResult[]): string {
  const guidelines = (['G1', 'G2', 'G3', 'G4'] as const).filter((g) => results.filter((r) => r.guideline === g).length > 1);
  if (guidelines.length === 0) throw new Error('describeGuidelineRuntimes: need at least two results of one guideline');
  const pct = (x: number): string => `${x >= 1 ? '+' : ''}${(100 * (x - 1)).toFixed(0)} %`;
  const agree: string[] = [];
  const differ: string[] = [];
  const unclear: string[] = [];
  const lines = guidelines.map((g) => {
    const rows = results.filter((r) => r.guideline === g);
    const [a, z] = [rows[0], rows[rows.length - 1]];
    const vt = relativeVerdict(z.relative.tfjs);
    const vo = relativeVerdict(z.relative.onnx);
    const size = Math.max(z.relative.tfjs.median, z.relative.onnx.median) / Math.min(z.relative.tfjs.median, z.relative.onnx.median);
    // Differ: one runtime shows a clear effect the other does not (or the opposite one), or both show it in the same
    // direction with relative times more than 1.25× apart. Two unclear results say nothing about either runtime.
    if (vt !== vo) differ.push(g);
    else if (vt === 'no clear change') unclear.push(g);
    else (size > 1.25 ? differ : agree).push(g);
    return `- **${g}**, ${z.label} against ${a.label}, time per MAC: tfjs ${pct(z.relative.tfjs.median)} (IQR ${pct(z.relative.tfjs.q1)} to ${pct(z.relative.tfjs.q3)}; ${vt}), ` +
      `ONNX Runtime ${pct(z.relative.onnx.median)} (IQR ${pct(z.relative.onnx.q1)} to ${pct(z.relative.onnx.q3)}; ${vo}).`;
  });
  const t = results[0].timing;
  const head = `Batch ${results[0].batch}, ${threadsText(t)}, ${t.tfjs.repetitions} passes a side per network (${t.tfjs.runtime}; ${t.onnx.runtime}):`;
  const verb = (gs: string[], one: string, many: string): string => `${gs.join(', ')} ${gs.length === 1 ? one : many}`;
  const rest = [
    agree.length > 0 ? `${verb(agree, 'points', 'point')} the same way on both within 1.25× in size` : '',
    unclear.length > 0 ? `${verb(unclear, 'shows', 'show')} no clear change on either runtime` : '',
  ].filter((x) => x !== '');
  const verdict = differ.length === 0
    ? `No guideline differs between the two runtimes here: ${rest.join('; ')}. Other runtimes and machines may still differ.`
    : `The guideline effects are runtime-dependent: ${verb(differ, 'differs', 'differ')} between the two runtimes (a clear effect on one only, ` +
      `opposite effects, or sizes more than 1.25× apart)${rest.length > 0 ? `, while ${rest.join('; ')}` : ''}. A guideline measured on one runtime is a hypothesis for another.`;
  return [head, '', ...lines, '', verdict].join('\n');
}
