/**
 * Deploying compact nets: export registered networks to ONNX, verify each file in onnxruntime-node against our tfjs
 * model, show what the graph contains and what each tfjs layer became, time batch-1 latency on both runtimes alike
 * (interleaved rounds, medians with quartiles), and measure what BatchNorm folding and onnxruntime's graph optimiser
 * change. Differences are stated only when the interquartile ranges of the two sides do not overlap.
 *
 * Introduced in notebooks/11-deploying-compact-nets.ipynb.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  checkGraphOptimizationLevel, createSession, exportOnnx, GraphOptimizationLevel, LayerClassConversion, loadOnnxRuntime,
  onnxLatency, optimizedOpCounts, RuntimeLatency, verifyOnnx, VerifyResult, writeFileNoPartial,
} from '../lib/onnx';
import { plotly, PlotlyFigure } from '../lib/display/plotly';
import type { ChartOptions } from '../lib/display/plot-options';
import { buildModel, ModelConfig } from '../models';
import {
  checkRuntimeStudy, compareLatency, formatMs, interleavedRounds, latencyBarFigure, poolLatencies, RuntimeStudyOptions, threadsText, timeBothRuntimes,
} from './runtime-compare';

/** Timing of the lesson's latency studies (batch 1). */
export type LatencyStudyOptions = Omit<RuntimeStudyOptions, 'batch'>;

/** A network of the lesson: registry name, builder options (a published variant) and the label tables show. */
export interface DeployModelSpec {
  key: string;
  label: string;
  model: string;
  config: ModelConfig;
}

/** The compact networks the lesson deploys: spatial-convolution families and the three shift families. */
export const DEPLOY_MODELS: readonly DeployModelSpec[] = [
  { key: 'mobilenet_v2', label: 'MobileNet V2 1.0', model: 'mobilenet_v2', config: { width: 1 } },
  { key: 'shufflenet_v2', label: 'ShuffleNet V2 1.0×', model: 'shufflenet_v2', config: { width: 1 } },
  { key: 'squeezenet1_1', label: 'SqueezeNet 1.1', model: 'squeezenet1_1', config: {} },
  { key: 'shiftnet_a', label: 'ShiftNet-A', model: 'shiftnet_a', config: {} },
  { key: 'as_resnet', label: 'AS-ResNet w50', model: 'as_resnet', config: { baseWidth: 50 } },
  { key: 'fe_net', label: 'FE-Net 1.0×', model: 'fe_net', config: { width: 1 } },
];

/** The lesson's networks by key, in the order given; an unknown key is an error listing the known ones. */
export function deployModels(keys: readonly string[]): DeployModelSpec[] {
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`deployModels: pass a non-empty list of keys from ${DEPLOY_MODELS.map((m) => m.key).join(', ')}`);
  return keys.map((k) => {
    const spec = DEPLOY_MODELS.find((m) => m.key === k);
    if (spec === undefined) throw new Error(`deployModels: unknown network "${k}"; choose from ${DEPLOY_MODELS.map((m) => m.key).join(', ')}`);
    return spec;
  });
}

/** Data-set profiles the lesson exports at: ImageNet (224², 1000 classes) and CIFAR-10 (32², 10 classes). */
export type DeployProfile = 'imagenet' | 'cifar10';
const PROFILE_RESOLUTION: Record<DeployProfile, number> = { imagenet: 224, cifar10: 32 };

/** Options of {@link exportForDeployment}. */
export interface DeployExportOptions {
  profile: DeployProfile;
  /** Input side in pixels; default the profile's (224 or 32). */
  resolution?: number;
  /** Folder of the .onnx files; created when missing. */
  outDir: string;
  /** ONNX opset; default the exporter's. */
  opset?: number;
}

/** One exported network: the tfjs model, the written file, what the graph holds and its verification. */
export interface DeployedModel {
  spec: DeployModelSpec;
  profile: DeployProfile;
  resolution: number;
  /** Our tfjs model (NHWC input); free it with {@link disposeDeployed}. */
  model: tf.LayersModel;
  /** The .onnx file written (BatchNorm folded). */
  file: string;
  bytes: Uint8Array;
  opset: number;
  inputShape: Array<number | string>;
  outputShape: Array<number | string>;
  opCounts: Record<string, number>;
  /** Nodes of the exported graph. */
  nodes: number;
  /** BatchNormalization layers of the tfjs model, and how many were folded into the convolution before them. */
  batchNorms: number;
  foldedBatchNorms: number;
  byLayerClass: Record<string, LayerClassConversion>;
  /** Our tfjs model and onnxruntime on the same random batch of 2. */
  verify: VerifyResult;
  exportSeconds: number;
}

function nodeTotal(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function checkPositiveInteger(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Seeded uniform numbers in [lo, hi) (mulberry32): the same statistics on every run. */
function seededUniform(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

/** Ranges of the BatchNorm state {@link setBatchNormStatistics} draws from (per channel, uniform). */
export const BN_STATISTICS_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  gamma: [0.5, 1.5], beta: [-0.2, 0.2], moving_mean: [-0.2, 0.2], moving_variance: [0.5, 2],
};

/**
 * Gives every BatchNormalization layer of `model` per-channel scale, shift, mean and variance drawn from
 * BN_STATISTICS_RANGES (seeded), as after training. Why: freshly built, a BatchNorm is the identity (or scales by
 * zero where a block zero-initialises its last γ), so folding it would change nothing and logits can vanish (1e-13),
 * which makes a logit comparison meaningless. Returns the number of layers set.
 */
export function setBatchNormStatistics(model: tf.LayersModel, seed = 1): number {
  const u = seededUniform(seed);
  let n = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    for (const w of layer.weights) {
      const range = BN_STATISTICS_RANGES[w.originalName.split('/').pop() ?? ''];
      if (range === undefined) continue;
      const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      w.write(tf.tensor(Float32Array.from({ length: size }, () => u(range[0], range[1])), w.shape as number[]));
    }
    n++;
  }
  return n;
}

/**
 * Builds each network at `profile` (random weights, BatchNorm statistics from {@link setBatchNormStatistics}),
 * exports it with BatchNorm folded, writes
 * `<outDir>/<key>-<profile>-<resolution>.onnx` and verifies it in onnxruntime beside our tfjs model.
 */
export async function exportForDeployment(specs: readonly DeployModelSpec[], options: DeployExportOptions): Promise<DeployedModel[]> {
  if (options.profile !== 'imagenet' && options.profile !== 'cifar10') throw new Error(`exportForDeployment: profile must be 'imagenet' or 'cifar10', got ${JSON.stringify(options.profile)}`);
  const resolution = checkPositiveInteger('exportForDeployment', 'resolution', options.resolution ?? PROFILE_RESOLUTION[options.profile]);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new Error('exportForDeployment: outDir must name a folder, e.g. "build/onnx"');
  fs.mkdirSync(options.outDir, { recursive: true });
  const deployed: DeployedModel[] = [];
  try {
    for (const spec of specs) {
      const model = buildModel(spec.model, { ...spec.config, dataset: options.profile, resolution });
      try {
        deployed.push(await exportOne(spec, model, options.profile, resolution, options));
      } catch (err) {
        model.dispose(); // not in `deployed` yet, so the cleanup below would miss it
        throw err;
      }
    }
  } catch (err) {
    disposeDeployed(deployed);
    throw err;
  }
  return deployed;
}

/** Exports, writes and verifies one built network (see {@link exportForDeployment}). */
async function exportOne(spec: DeployModelSpec, model: tf.LayersModel, profile: DeployProfile, resolution: number, options: DeployExportOptions): Promise<DeployedModel> {
  setBatchNormStatistics(model, 1);
  const start = process.hrtime.bigint();
  const result = exportOnnx(model, { opset: options.opset, metadata: { model: spec.model, config: JSON.stringify({ ...spec.config, dataset: profile, resolution }), weights: 'random initialisation, BatchNorm statistics drawn at random' } });
  const exportSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const file = path.join(options.outDir, `${spec.key}-${profile}-${resolution}.onnx`);
  writeFileNoPartial(file, result.bytes);
  const verify = await verifyOnnx(model, result.bytes, { batch: 2, seed: 0 });
  return {
    spec, profile, resolution, model, file, bytes: result.bytes, opset: result.opset,
    inputShape: result.inputShape, outputShape: result.outputShape, opCounts: result.opCounts, nodes: nodeTotal(result.opCounts),
    batchNorms: model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length,
    foldedBatchNorms: result.foldedBatchNorms, byLayerClass: result.byLayerClass, verify, exportSeconds,
  };
}

/** Frees the tfjs models of {@link exportForDeployment}. */
export function disposeDeployed(deployed: readonly DeployedModel[]): void {
  for (const d of deployed) d.model.dispose();
}

/** A small number in scientific notation with 2 digits ("2.4e-6"); 0 as "0". */
function sci(x: number): string {
  return x === 0 ? '0' : x.toExponential(1);
}

/** Table rows: one per exported network (file, size, nodes, BatchNorms folded, largest logit difference). */
export function exportRows(deployed: readonly DeployedModel[]): Array<Record<string, string | number>> {
  return deployed.map((d) => ({
    network: d.spec.label,
    'input (NCHW)': d.inputShape.join('×'),
    file: d.file,
    'size (MB)': Number((d.bytes.byteLength / 1e6).toFixed(2)),
    'ONNX nodes': d.nodes,
    'BatchNorm layers': d.batchNorms,
    'folded into convs': d.foldedBatchNorms,
    'max |Δ logit| (ours vs ORT)': sci(d.verify.maxAbsDiff),
    'max |logit|': Number(d.verify.maxAbsOutput.toPrecision(3)),
  }));
}

/** Table rows: one per ONNX operator type, one column per network (node counts; blank where absent), most frequent first. */
export function opCountRows(deployed: readonly DeployedModel[]): Array<Record<string, string | number>> {
  const ops = new Map<string, number>();
  for (const d of deployed) for (const [op, n] of Object.entries(d.opCounts)) ops.set(op, (ops.get(op) ?? 0) + n);
  const rows = [...ops.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op]) => {
    const row: Record<string, string | number> = { operator: op };
    for (const d of deployed) row[d.spec.label] = d.opCounts[op] ?? '';
    return row;
  });
  const total: Record<string, string | number> = { operator: 'all nodes' };
  for (const d of deployed) total[d.spec.label] = d.nodes;
  return [...rows, total];
}

/** Why a layer class becomes what it becomes in the graph (README "What becomes what"). */
export const LAYER_CLASS_NOTES: Readonly<Record<string, string>> = {
  BatchNormalization: 'a BatchNorm right after a convolution without activation is folded into its weights and bias; one after an addition, a shift or a ReLU (pre-activation) stays a BatchNormalization node',
  Conv2D: 'one Conv each (the folded BatchNorm in its weights)',
  DepthwiseConv2D: 'a Conv with group = channels',
  GroupConv2D: 'a Conv with its group attribute',
  ReLU: 'Relu, or Clip(0, 6) for ReLU6',
  ChannelShuffle: 'Reshape to [N, g, C/g, H, W], Transpose of the two channel axes, Reshape back',
  ChannelSlice: 'a Slice on the channel axis (ShuffleNet V2\'s channel split)',
  Shift: 'one zero Pad, then a Slice per group of channels that share an offset, concatenated (Gather regroups scattered channels)',
  SparseShift: 'as fixed shifts, with each learned offset rounded half away from zero as in training',
  ActiveShift: 'the bilinear form: four integer shifts (Pad + Slice) per offset group, each weighted per channel (Mul) and summed',
  ZeroPadding2D: 'absorbed by the max pool after it, or a Pad',
  MaxPooling2D: 'MaxPool; after a zero padding also a Max with the padding\'s zeros',
};

/** Markdown bullets, one per network: BatchNorms folded or kept, and what the shuffle, split and shift layers became. */
export function conversionNotes(deployed: readonly DeployedModel[]): string {
  const lines: string[] = [];
  for (const d of deployed) {
    const parts: string[] = [];
    const bn = d.byLayerClass.BatchNormalization;
    if (bn === undefined) parts.push('no BatchNorm to fold');
    else parts.push(`${bn.layers} BatchNorms: ${bn.absorbed} folded into the convolution before them, ${bn.layers - bn.absorbed} kept as BatchNormalization nodes`);
    for (const cls of ['ChannelShuffle', 'ChannelSlice', 'Shift', 'SparseShift', 'ActiveShift']) {
      const c = d.byLayerClass[cls];
      if (c === undefined) continue;
      const ops = Object.entries(c.ops).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${n} ${op}`).join(' + ');
      parts.push(`${c.layers} ${cls} layers → ${ops} (${LAYER_CLASS_NOTES[cls]})`);
    }
    lines.push(`- **${d.spec.label}** (${d.nodes} nodes): ${parts.join('; ')}.`);
  }
  return lines.join('\n');
}

/** Batch-1 latency of one network on both runtimes. */
export interface RuntimePair {
  label: string;
  profile: DeployProfile;
  resolution: number;
  /** tfjs (our runtime) and onnxruntime (optimiser 'all'), every round pooled. */
  tfjs: RuntimeLatency;
  onnx: RuntimeLatency;
  /** Per round: tfjs median / onnxruntime median (> 1: onnxruntime faster in that round). */
  roundRatios: number[];
}

/** Times every exported network on tfjs and on onnxruntime (its default optimiser 'all'), interleaved, at batch 1. */
export async function runtimeLatencies(deployed: readonly DeployedModel[], options: LatencyStudyOptions): Promise<RuntimePair[]> {
  const o = checkRuntimeStudy('runtimeLatencies', options);
  const pairs: RuntimePair[] = [];
  for (const d of deployed) {
    const t = await timeBothRuntimes(d.model, { ...o, batch: 1 }, d.bytes, 'all');
    pairs.push({ label: d.spec.label, profile: d.profile, resolution: d.resolution, ...t });
  }
  return pairs;
}

function profileText(p: { profile: DeployProfile; resolution: number }): string {
  return `${p.resolution}² (${p.profile === 'imagenet' ? 'ImageNet' : 'CIFAR-10'} profile)`;
}

/** Markdown bullets, one per network: the runtime comparison from the measured medians and quartiles. */
export function describeRuntimeLatencies(pairs: readonly RuntimePair[]): string {
  if (pairs.length === 0) throw new Error('describeRuntimeLatencies: no measurements');
  return pairs.map((p) => {
    const k = compareLatency('ONNX Runtime', p.onnx, 'tfjs', p.tfjs);
    const rounds = p.roundRatios.length > 1
      ? `; tfjs/ORT per round ${Math.min(...p.roundRatios).toFixed(2)}–${Math.max(...p.roundRatios).toFixed(2)}×`
      : '';
    const threads = p.tfjs.threads !== p.onnx.threads ? ` (not like for like: tfjs computed on ${p.tfjs.threads} thread(s), ORT on ${p.onnx.threads})` : '';
    return `- **${p.label}** at ${profileText(p)}: ${k.text}${rounds}, ${p.tfjs.repetitions} passes a side${threads}.`;
  }).join('\n');
}

/** Table rows of the runtime comparison: median, quartiles and range per runtime (ms), ratio of the medians. */
export function runtimeLatencyRows(pairs: readonly RuntimePair[]): Array<Record<string, string | number>> {
  return pairs.map((p) => ({
    network: p.label,
    input: `${p.resolution}²`,
    'tfjs median (ms)': Number(formatMs(p.tfjs.medianMs)),
    'tfjs IQR (ms)': `${formatMs(p.tfjs.q1Ms)}–${formatMs(p.tfjs.q3Ms)}`,
    'tfjs min–max (ms)': `${formatMs(p.tfjs.minMs)}–${formatMs(p.tfjs.maxMs)}`,
    'ORT median (ms)': Number(formatMs(p.onnx.medianMs)),
    'ORT IQR (ms)': `${formatMs(p.onnx.q1Ms)}–${formatMs(p.onnx.q3Ms)}`,
    'ORT min–max (ms)': `${formatMs(p.onnx.minMs)}–${formatMs(p.onnx.maxMs)}`,
    'tfjs / ORT': Number((p.tfjs.medianMs / p.onnx.medianMs).toFixed(2)),
    passes: p.tfjs.repetitions,
    threads: threadsText(p),
  }));
}

/** Figure of the runtime comparison: per network, tfjs and onnxruntime medians with quartile error bars; pure. */
export function runtimeLatencyFigure(pairs: readonly RuntimePair[]): PlotlyFigure {
  const category = (p: RuntimePair): string => (new Set(pairs.map((q) => q.resolution)).size > 1 ? `${p.label} ${p.resolution}²` : p.label);
  return latencyBarFigure([
    { name: pairs[0]?.tfjs.runtime ?? 'tfjs', points: pairs.map((p) => ({ category: category(p), latency: p.tfjs })) },
    { name: pairs[0]?.onnx.runtime ?? 'onnxruntime', points: pairs.map((p) => ({ category: category(p), latency: p.onnx })) },
  ]);
}

/** Shows {@link runtimeLatencyFigure} in the notebook. */
export function runtimeLatencyChart(pairs: readonly RuntimePair[], options: ChartOptions = {}): void {
  plotly(runtimeLatencyFigure(pairs), options);
}

/** What onnxruntime ran of one graph at one optimisation level. */
export interface OptimizedGraph {
  level: GraphOptimizationLevel;
  folded: Record<string, number>;
  unfolded: Record<string, number>;
}

/** One timed configuration of the folding study. */
export interface FoldingLatency {
  graph: 'folded' | 'unfolded';
  level: GraphOptimizationLevel;
  latency: RuntimeLatency;
}

/** BatchNorm folding and onnxruntime's optimiser on one network. */
export interface FoldingRow {
  label: string;
  profile: DeployProfile;
  resolution: number;
  batchNorms: number;
  foldedBatchNorms: number;
  /** Nodes of our exported graphs, with and without folding. */
  nodes: { folded: number; unfolded: number };
  /** Operator counts of the graphs onnxruntime runs after its optimiser, per level. */
  optimized: OptimizedGraph[];
  /** Largest |logit| difference of the folded and the unfolded graph, both run without the optimiser on one input. */
  foldedVsUnfolded: { maxAbsDiff: number; maxAbsOutput: number };
  /** Largest |logit| difference of the unfolded graph and our tfjs model (the folded one's is in the export table). */
  unfoldedVsTfjs: number;
  /** Empty when nothing was folded (the two graphs are the same). */
  latencies: FoldingLatency[];
}

/** Options of {@link foldingStudy}: the timing, and the onnxruntime optimisation levels to compare. */
export interface FoldingStudyOptions extends LatencyStudyOptions {
  levels: GraphOptimizationLevel[];
}

/** Runs both graphs in onnxruntime without its optimiser on one seeded input; returns the largest logit difference. */
async function graphDifference(a: Uint8Array, b: Uint8Array, inputShape: number[]): Promise<{ maxAbsDiff: number; maxAbsOutput: number }> {
  const ort = loadOnnxRuntime();
  let seed = 7;
  const data = Float32Array.from({ length: inputShape.reduce((x, y) => x * y, 1) }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648; // deterministic pixels in [0, 1)
    return seed / 2147483648;
  });
  const outputs: Float32Array[] = [];
  for (const bytes of [a, b]) {
    const session = await createSession(bytes, 1, 'disabled');
    try {
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, inputShape) });
      outputs.push(Float32Array.from(out[session.outputNames[0]].data as Float32Array));
    } finally {
      await session.release();
    }
  }
  let maxAbsDiff = 0;
  let maxAbsOutput = 0;
  for (let i = 0; i < outputs[0].length; i++) {
    const d = Math.abs(outputs[0][i] - outputs[1][i]);
    maxAbsDiff = Number.isNaN(d) ? NaN : Math.max(maxAbsDiff, d);
    maxAbsOutput = Math.max(maxAbsOutput, Math.abs(outputs[0][i]));
  }
  return { maxAbsDiff, maxAbsOutput };
}

/**
 * For each network: exports it again without folding, counts the nodes of both graphs and of what onnxruntime runs
 * after its optimiser at each level, checks that folding changes the logits only by float rounding, and times both
 * graphs at each level (interleaved rounds) where folding changed the graph.
 */
export async function foldingStudy(deployed: readonly DeployedModel[], options: FoldingStudyOptions): Promise<FoldingRow[]> {
  const o = checkRuntimeStudy('foldingStudy', options);
  if (!Array.isArray(o.levels) || o.levels.length === 0) throw new Error('foldingStudy: levels must list at least one onnxruntime optimisation level, e.g. ["disabled", "all"]');
  const levels = o.levels.map((l) => checkGraphOptimizationLevel(l, 'foldingStudy'));
  const rows: FoldingRow[] = [];
  for (const d of deployed) {
    const unfolded = exportOnnx(d.model, { opset: d.opset, foldBatchNorm: false });
    const optimized: OptimizedGraph[] = [];
    for (const level of levels) optimized.push({ level, folded: await optimizedOpCounts(d.bytes, level), unfolded: await optimizedOpCounts(unfolded.bytes, level) });
    const input = [1, ...d.inputShape.slice(1)] as number[];
    const latencies: FoldingLatency[] = [];
    if (d.foldedBatchNorms > 0) {
      const configs = levels.flatMap((level) => (['folded', 'unfolded'] as const).map((graph) => ({ graph, level })));
      const timing = { threads: o.threads, repetitions: o.repetitions, warmup: o.warmup };
      const rounds = await interleavedRounds(configs.map((c) => () => onnxLatency(c.graph === 'folded' ? d.bytes : unfolded.bytes, { ...timing, graphOptimization: c.level })), o.rounds);
      configs.forEach((c, i) => latencies.push({ ...c, latency: poolLatencies(rounds[i]) }));
    }
    rows.push({
      label: d.spec.label, profile: d.profile, resolution: d.resolution, batchNorms: d.batchNorms, foldedBatchNorms: d.foldedBatchNorms,
      nodes: { folded: d.nodes, unfolded: nodeTotal(unfolded.opCounts) }, optimized,
      foldedVsUnfolded: await graphDifference(d.bytes, unfolded.bytes, input),
      unfoldedVsTfjs: (await verifyOnnx(d.model, unfolded.bytes, { batch: 2, seed: 0 })).maxAbsDiff,
      latencies,
    });
  }
  return rows;
}

/** Table rows of the folding study's graphs: our node counts and onnxruntime's after its optimiser, per level. */
export function foldingGraphRows(rows: readonly FoldingRow[]): Array<Record<string, string | number>> {
  return rows.map((r) => {
    const row: Record<string, string | number> = {
      network: r.label,
      'BN layers': r.batchNorms,
      folded: r.foldedBatchNorms,
      'nodes folded / unfolded': `${r.nodes.folded} / ${r.nodes.unfolded}`,
    };
    for (const g of r.optimized) {
      const bn = (c: Record<string, number>): number => c.BatchNormalization ?? 0;
      row[`ORT '${g.level}': nodes (BN nodes) folded / unfolded`] = `${nodeTotal(g.folded)} (${bn(g.folded)}) / ${nodeTotal(g.unfolded)} (${bn(g.unfolded)})`;
    }
    row['max |Δ logit| folded vs unfolded'] = sci(r.foldedVsUnfolded.maxAbsDiff);
    row['max |logit|'] = Number(r.foldedVsUnfolded.maxAbsOutput.toPrecision(3));
    return row;
  });
}

/** Operator counts of the graph onnxruntime runs at one level (what its fusions made), one column per network. */
export function optimizedOpRows(rows: readonly FoldingRow[], level: GraphOptimizationLevel, graph: 'folded' | 'unfolded' = 'folded'): Array<Record<string, string | number>> {
  const graphs = rows.map((r) => {
    const g = r.optimized.find((x) => x.level === level);
    if (g === undefined) throw new Error(`optimizedOpRows: level '${level}' was not studied; studied: ${r.optimized.map((x) => x.level).join(', ')}`);
    return { label: r.label, counts: g[graph] };
  });
  const ops = [...new Set(graphs.flatMap((g) => Object.keys(g.counts)))].sort();
  return ops.map((op) => {
    const row: Record<string, string | number> = { operator: op };
    for (const g of graphs) row[g.label] = g.counts[op] ?? '';
    return row;
  });
}

function configName(c: { graph: string; level: string }): string {
  return `${c.graph}, ORT optimiser '${c.level}'`;
}

/** Figure of the folding study: per network, one bar per graph × optimiser level (median, quartile error bars); pure. */
export function foldingFigure(rows: readonly FoldingRow[]): PlotlyFigure {
  const timed = rows.filter((r) => r.latencies.length > 0);
  if (timed.length === 0) throw new Error('foldingFigure: no network had BatchNorms to fold, so nothing was timed');
  const names = [...new Set(timed.flatMap((r) => r.latencies.map(configName)))];
  return latencyBarFigure(names.map((name) => ({
    name,
    points: timed.flatMap((r) => r.latencies.filter((l) => configName(l) === name).map((l) => ({ category: r.label, latency: l.latency }))),
  })));
}

/** Shows {@link foldingFigure} in the notebook. */
export function foldingChart(rows: readonly FoldingRow[], options: ChartOptions = {}): void {
  plotly(foldingFigure(rows), options);
}

/**
 * Markdown bullets, one per network: folded vs unfolded at each optimiser level, the first level against the last for
 * the folded graph, all from medians and quartiles; and the exactness of folding.
 */
export function describeFolding(rows: readonly FoldingRow[]): string {
  return rows.map((r) => {
    const exact = `folded vs unfolded logits differ by at most ${sci(r.foldedVsUnfolded.maxAbsDiff)} (largest |logit| ${r.foldedVsUnfolded.maxAbsOutput.toPrecision(3)})`;
    if (r.latencies.length === 0) {
      const why = r.batchNorms === 0 ? 'it has no BatchNorm' : `none of its ${r.batchNorms} BatchNorms follows a convolution directly`;
      return `- **${r.label}**: nothing to fold (${why}): both exports are the same graph; ${exact}.`;
    }
    const find = (graph: 'folded' | 'unfolded', level: string): RuntimeLatency => r.latencies.find((l) => l.graph === graph && l.level === level)!.latency;
    const levels = [...new Set(r.latencies.map((l) => l.level))];
    const parts = levels.map((level) => `optimiser '${level}': ${compareLatency('folded', find('folded', level), 'unfolded', find('unfolded', level)).text}`);
    if (levels.length > 1) {
      const first = levels[0];
      const last = levels[levels.length - 1];
      parts.push(`folded graph, optimiser '${last}' against '${first}': ${compareLatency(`'${last}'`, find('folded', last), `'${first}'`, find('folded', first)).text}`);
    }
    return `- **${r.label}** (${r.foldedBatchNorms} of ${r.batchNorms} BatchNorms folded, ${r.nodes.unfolded} → ${r.nodes.folded} nodes): ${parts.join('; ')}. Exactness: ${exact}.`;
  }).join('\n');
}

/** Whether onnxruntime's optimiser at `level` left the unfolded graphs with more BatchNormalization nodes than the folded ones. */
function optimiserVerdict(rows: readonly FoldingRow[], level: GraphOptimizationLevel): string {
  const bn = (r: FoldingRow, graph: 'folded' | 'unfolded'): number => r.optimized.find((g) => g.level === level)?.[graph].BatchNormalization ?? 0;
  const extra = rows.map((r) => bn(r, 'unfolded') - bn(r, 'folded'));
  if (extra.every((e) => e === 0)) {
    return `After onnxruntime's '${level}' optimiser the folded and unfolded graphs hold the same number of BatchNormalization nodes ` +
      `(${rows.map((r) => `${bn(r, 'folded')} in ${r.label}`).join(', ')}): onnxruntime folds them itself, so folding at export spares it that work.`;
  }
  return `After onnxruntime's '${level}' optimiser the unfolded graphs still hold ${rows.map((r, i) => `${extra[i]} more (${r.label})`).join(', ')} ` +
    'BatchNormalization nodes than the folded ones: there, folding at export removes work the runtime would do.';
}

/**
 * The lesson's conclusions, every figure taken from the measurements: the largest logit difference of any export,
 * the tfjs/onnxruntime ratios, what folding removed and whether it changed onnxruntime's latency. Markdown bullets.
 */
export function deploySummary(deployed: readonly DeployedModel[], pairs: readonly RuntimePair[], folding: readonly FoldingRow[]): string {
  if (deployed.length === 0 || pairs.length === 0) throw new Error('deploySummary: pass the exports and the runtime latencies of at least one network');
  const worst = deployed.reduce((a, b) => (b.verify.maxAbsDiff > a.verify.maxAbsDiff ? b : a));
  const lines = [
    `- **Export and verify:** ${deployed.length} networks exported; the largest logit difference between our model and onnxruntime is ` +
      `${sci(worst.verify.maxAbsDiff)} (${worst.spec.label}, largest |logit| ${worst.verify.maxAbsOutput.toPrecision(3)}), ` +
      (worst.verify.maxAbsDiff <= 1e-3 ? 'within the 1e-3 that the export tests accept.' : 'ABOVE the 1e-3 that the export tests accept: an export is wrong.'),
  ];
  const verdicts = pairs.map((p) => ({ p, k: compareLatency('ONNX Runtime', p.onnx, 'tfjs', p.tfjs) }));
  const ortFaster = verdicts.filter((v) => v.k.faster === 'ONNX Runtime');
  const tfjsFaster = verdicts.filter((v) => v.k.faster === 'tfjs');
  const ratios = pairs.map((p) => p.tfjs.medianMs / p.onnx.medianMs);
  lines.push(
    `- **Batch-1 latency** (${threadsText(pairs[0])}, ${pairs[0].tfjs.repetitions} passes a side): tfjs / onnxruntime median ratio ` +
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×; onnxruntime faster beyond the interquartile ranges for ` +
      `${ortFaster.length} of ${pairs.length} networks${tfjsFaster.length > 0 ? `, tfjs for ${tfjsFaster.map((v) => v.p.label).join(', ')}` : ''}` +
      `${pairs.length - ortFaster.length - tfjsFaster.length > 0 ? `, within noise for ${pairs.length - ortFaster.length - tfjsFaster.length}` : ''}.`,
  );
  const foldedRows = folding.filter((r) => r.foldedBatchNorms > 0);
  if (foldedRows.length > 0) {
    const foldEffects = foldedRows.flatMap((r) => {
      const levels = [...new Set(r.latencies.map((l) => l.level))];
      return levels.map((level) => {
        const get = (graph: 'folded' | 'unfolded'): RuntimeLatency => r.latencies.find((l) => l.graph === graph && l.level === level)!.latency;
        return { r, level, k: compareLatency('folded', get('folded'), 'unfolded', get('unfolded')) };
      });
    });
    const describe = (level: string): string => {
      const at = foldEffects.filter((e) => e.level === level);
      const faster = at.filter((e) => e.k.faster === 'folded').map((e) => e.r.label);
      const slower = at.filter((e) => e.k.faster === 'unfolded').map((e) => e.r.label);
      const parts = [`folded faster for ${faster.length === 0 ? 'none' : faster.join(', ')}`];
      if (slower.length > 0) parts.push(`unfolded faster for ${slower.join(', ')}`);
      parts.push(`within noise for ${at.length - faster.length - slower.length} of ${at.length}`);
      return `optimiser '${level}': ${parts.join(', ')}`;
    };
    const bnLeft = (r: FoldingRow, level: string, graph: 'folded' | 'unfolded'): number => r.optimized.find((g) => g.level === level)?.[graph].BatchNormalization ?? 0;
    const levels = [...new Set(foldEffects.map((e) => e.level))];
    const last = levels[levels.length - 1];
    lines.push(
      `- **BatchNorm folding** removed ${foldedRows.map((r) => `${r.nodes.unfolded - r.nodes.folded} of ${r.nodes.unfolded} nodes (${r.label})`).join(', ')}. ` +
        `Latency, folded against unfolded graph: ${levels.map(describe).join('; ')}. ` +
        (last !== undefined ? optimiserVerdict(foldedRows, last) : ''),
    );
  }
  return lines.join('\n');
}
