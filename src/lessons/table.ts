/**
 * The survey's ImageNet comparison table, recomputed from our own model definitions:
 * published figures (registry) beside our parameter and MAC counts, optional measured latency on the
 * active backend, and optional pretrained accuracy where weights exist. Also behind `compact-nets table`.
 *
 * Rows are ImageNet rows unless their model is a small-image design (ShiftResNet's CIFAR-10 rows): `dataset` says
 * which, and charts keep the two apart, since a CIFAR-10 accuracy on an ImageNet axis would read as a record.
 *
 * Introduced in notebooks/03-squeezenet.ipynb (one family's rows); the whole table in notebooks/09-imagenet-table.ipynb.
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { costOf, CostReport } from '../lib/cost';
import { measureLatency, LatencyResult } from '../lib/latency';
import { onnxLatency, RuntimeLatency } from '../lib/onnx';
import { planLatency } from '../lib/plan';
import type { ModelEntry, PublishedFigures, VariantEntry } from '../models/registry';
import { InvalidArgumentError } from '../lib/errors';

/** Our counts for one variant, with the comparison against the published figures. */
export interface OursColumns {
  /** Our parameter count under the published figure's convention (W, W+BN2, W+BN3 or W+BN4). */
  params: number;
  paramsConvention: NonNullable<PublishedFigures['paramsConvention']>;
  paramsByConvention: { weights: number; trainable: number; all: number };
  macs: number;
  /** (ours − published) / published, when a published figure exists. */
  paramsRelDiff?: number;
  macsRelDiff?: number;
  /** True when the relative difference exceeds the published rounding. */
  paramsOutsideRounding?: boolean;
  macsOutsideRounding?: boolean;
}

export interface MeasuredColumns {
  backend: string;
  latencyBatch1?: LatencyResult;
  throughputBatch?: LatencyResult;
  /** Why a measurement is missing (e.g. out of memory at batch 32). */
  error?: string;
  /** Batch-1 latency of the exported graph in onnxruntime-node (median and spread, threads stated). */
  onnxBatch1?: RuntimeLatency;
  /** Why the ONNX Runtime column is empty (onnxruntime-node missing, export refused). */
  onnxError?: string;
  /** Batch-1 latency through our inference plan (src/lib/plan: native kernels, no tfjs), same threads as ONNX Runtime. */
  planBatch1?: RuntimeLatency;
  /** Why the plan column is empty (a layer the plan refuses, or no native addon): the tfjs column is that row's figure. */
  planError?: string;
}

export interface PretrainedColumns {
  /** Top-1 accuracy of the pretrained weights on `imageSet`, a fraction in [0, 1]. */
  top1: number;
  /** Top-5 accuracy, a fraction in [0, 1]. */
  top5: number;
  n: number;
  imageSet: string;
  weights: string;
}

export interface TableRow {
  model: string;
  family: string;
  variant: string;
  config: VariantEntry['config'];
  /** The data set the published figures refer to (the variant's `dataset` profile): 'imagenet', 'cifar10', … */
  dataset: string;
  published: PublishedFigures;
  ours: OursColumns;
  measured?: MeasuredColumns;
  pretrained?: PretrainedColumns;
  /** Footnote explaining a difference beyond rounding (from the registry). */
  footnote?: string;
  reconstruction?: string;
}

export interface TableOptions {
  /** Measure latency (batch 1) and throughput (batch `throughputBatch`) of every row. Default false. */
  latency?: boolean;
  /** Batch for the throughput column; default 32. */
  throughputBatch?: number;
  /**
   * Largest work of one throughput run in MACs (default 50e9): a model whose batch would exceed it is measured
   * at a smaller batch (⌊limit / MACs per image⌋, at least 1), so that VGG-16 does not take minutes per run; the
   * row's `throughputBatch.batch` says which batch was used.
   */
  maxThroughputMacs?: number;
  /**
   * Longest expected time of one throughput run in ms (default 2500): with the batch-1 latency measured first, the
   * batch is also capped at ⌊limit / latency⌋, so that slow rows (ShiftNet-A's shifts at 224²) keep the whole
   * table within minutes. The row's `throughputBatch.batch` says which batch was used.
   */
  maxThroughputRunMs?: number;
  /** Timed repetitions per measurement (after one warm-up); default 3 at batch 1, 3 at the throughput batch. */
  repetitions?: number;
  /** Spend at most about this many milliseconds timing one measurement (≥ 1 run always); default 4000. */
  budgetMs?: number;
  /** onnxruntime-node intra-op threads of the ONNX Runtime column; default 1. */
  onnxThreads?: number;
  /** Timed batch-1 runs in onnxruntime-node (after 3 warm-up runs); default 10. */
  onnxRepetitions?: number;
  /** Scores a variant with pretrained weights when the caller has them; returns null when none exist for it. */
  pretrained?: (entry: ModelEntry, variant: VariantEntry, model: tf.LayersModel) => Promise<PretrainedColumns | null>;
  /** Called before each row is computed (progress). */
  onRow?: (index: number, total: number, label: string) => void;
  /** Restrict to these model names. */
  models?: string[];
}

export interface ImagenetTable {
  rows: TableRow[];
  backend: string;
  machine: { cpuModel: string; cores: number; platform: string; node: string };
  /** How the latency columns were measured (repetitions, warm-up, statistic). */
  latencyMethod?: string;
}

/** Our count under the named convention; W+BN3 (TF-slim V1: no γ) = all − BN channels. */
export function paramsUnderConvention(report: CostReport, convention: OursColumns['paramsConvention']): number {
  const { weights, trainable, all } = report.params;
  switch (convention) {
    case 'W':
      return weights;
    case 'W+BN2':
      return trainable;
    case 'W+BN4':
      return all;
    case 'W+BN3':
      return all - (trainable - weights) / 2;
  }
}

/** Compares our cost report with a published variant. */
export function compareWithPublished(report: CostReport, published: PublishedFigures): OursColumns {
  const convention = published.paramsConvention ?? 'W';
  const params = paramsUnderConvention(report, convention);
  const ours: OursColumns = {
    params,
    paramsConvention: convention,
    paramsByConvention: { ...report.params },
    macs: report.macs,
  };
  if (published.params !== undefined) {
    ours.paramsRelDiff = (params - published.params) / published.params;
    ours.paramsOutsideRounding = Math.abs(ours.paramsRelDiff) > (published.rounding?.params ?? 0);
  }
  if (published.macs !== undefined) {
    ours.macsRelDiff = (report.macs - published.macs) / published.macs;
    ours.macsOutsideRounding = Math.abs(ours.macsRelDiff) > (published.rounding?.macs ?? 0);
  }
  return ours;
}

/** Builds the table: one row per published variant of every registered model (all of them by default). */
export async function imagenetTable(entries: ModelEntry[], options: TableOptions = {}): Promise<ImagenetTable> {
  const selected = options.models ? entries.filter((e) => options.models!.includes(e.name)) : entries;
  if (options.models) {
    const unknown = options.models.filter((m) => !entries.some((e) => e.name === m));
    if (unknown.length) {
      throw new InvalidArgumentError(`unknown model(s) ${unknown.join(', ')}; registered: ${entries.map((e) => e.name).join(', ')}`);
    }
  }
  const work: Array<[ModelEntry, VariantEntry & { published: PublishedFigures }]> = [];
  for (const entry of selected) {
    for (const v of entry.variants) if (v.published) work.push([entry, v as VariantEntry & { published: PublishedFigures }]);
  }
  const rows: TableRow[] = [];
  for (let i = 0; i < work.length; i++) {
    const [entry, variant] = work[i];
    options.onRow?.(i, work.length, `${entry.name} ${variant.name}`);
    const model = entry.build({ ...entry.defaults, ...variant.config });
    try {
      const report = costOf(model);
      const row: TableRow = {
        model: entry.name,
        family: entry.family,
        variant: variant.name,
        config: variant.config,
        dataset: String({ ...entry.defaults, ...variant.config }.dataset ?? 'imagenet'),
        published: variant.published,
        ours: compareWithPublished(report, variant.published),
        footnote: variant.published.footnote,
        reconstruction: entry.reconstruction,
      };
      if (options.latency) row.measured = await measureRow(model, report.macs, options);
      if (options.pretrained) row.pretrained = (await options.pretrained(entry, variant, model)) ?? undefined;
      rows.push(row);
    } finally {
      model.dispose();
    }
  }
  const cpus = os.cpus();
  return {
    rows,
    backend: tf.getBackend(),
    machine: { cpuModel: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()} ${os.arch()}`, node: process.version },
    latencyMethod: options.latency
      ? `1 warm-up run, then up to ${options.repetitions ?? 3} timed runs at batch 1 and ${options.repetitions ?? 3} at batch ` +
        `${options.throughputBatch ?? 32} (smaller for models whose batch would exceed ${(options.maxThroughputMacs ?? 50e9) / 1e9} GMACs ` +
        `or, at the measured batch-1 latency, ${(options.maxThroughputRunMs ?? 2500) / 1000} s per run; each row records its batch; ` +
        `each measurement stops early after ~${options.budgetMs ?? 4000} ms); median, min and max reported. ` +
        `ONNX Runtime: the model exported to ONNX (src/lib/onnx), onnxruntime-node CPU with ${options.onnxThreads ?? 1} ` +
        `intra-op thread(s), batch 1, 3 warm-up runs, median and min–max of ${options.onnxRepetitions ?? 10} timed runs`
      : undefined,
  };
}

/** Batch of the throughput column for a model of `macsPerImage`: the requested batch, capped by the work limit. */
export function throughputBatchFor(
  macsPerImage: number,
  options: Pick<TableOptions, 'throughputBatch' | 'maxThroughputMacs' | 'maxThroughputRunMs'> = {},
  latencyBatch1Ms?: number,
): number {
  const requested = options.throughputBatch ?? 32;
  const byMacs = Math.floor((options.maxThroughputMacs ?? 50e9) / Math.max(macsPerImage, 1));
  const byTime = latencyBatch1Ms === undefined ? Infinity : Math.floor((options.maxThroughputRunMs ?? 2500) / Math.max(latencyBatch1Ms, 1e-3));
  return Math.max(1, Math.min(requested, byMacs, byTime));
}

async function measureRow(model: tf.LayersModel, macsPerImage: number, options: TableOptions): Promise<MeasuredColumns> {
  const measured: MeasuredColumns = { backend: tf.getBackend() };
  const budgetMs = options.budgetMs ?? 4000;
  try {
    measured.latencyBatch1 = await measureLatency(model, { batch: 1, repetitions: options.repetitions ?? 3, budgetMs });
    measured.throughputBatch = await measureLatency(model, {
      batch: throughputBatchFor(macsPerImage, options, measured.latencyBatch1.medianMs),
      repetitions: options.repetitions ?? 3,
      budgetMs,
    });
  } catch (err) {
    // A wasm heap exhausted at batch 32 must not lose the whole table: the row says why its column is empty.
    measured.error = err instanceof Error ? err.message : String(err);
  }
  try {
    measured.planBatch1 = await planLatency(model, { threads: options.onnxThreads ?? 1, repetitions: options.onnxRepetitions ?? 10, warmup: 3 });
  } catch (err) {
    // A refused layer or no addon: the tfjs column (the oracle path) still times the model; the footnote says why.
    measured.planError = err instanceof Error ? err.message : String(err);
  }
  try {
    measured.onnxBatch1 = await onnxLatency(model, { threads: options.onnxThreads ?? 1, repetitions: options.onnxRepetitions ?? 10, warmup: 3 });
  } catch (err) {
    // No onnxruntime-node on this machine (or an export refused): the other columns stand, the footnote says why.
    measured.onnxError = err instanceof Error ? err.message : String(err);
  }
  return measured;
}

/** Flattens the table into display records with unit-labelled keys (for text/HTML tables). */
export function tableDisplayRows(table: ImagenetTable): Array<Record<string, unknown>> {
  return table.rows.map((r) => {
    const mark = (outside?: boolean) => (outside ? ' *' : '');
    const pct = (x?: number) => (x === undefined ? '' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`);
    return {
      model: r.model,
      variant: r.variant,
      input: r.published.inputSize,
      'top-1 (%)': r.published.top1Percent,
      'top-5 (%)': r.published.top5Percent,
      'params pub. (M)': r.published.params === undefined ? undefined : r.published.params / 1e6,
      'params ours (M)': r.ours.params / 1e6,
      convention: r.ours.paramsConvention,
      'Δparams': pct(r.ours.paramsRelDiff) + mark(r.ours.paramsOutsideRounding),
      'MACs pub. (M)': r.published.macs === undefined ? undefined : r.published.macs / 1e6,
      'MACs ours (M)': r.ours.macs / 1e6,
      'ΔMACs': pct(r.ours.macsRelDiff) + mark(r.ours.macsOutsideRounding),
      'latency b1 (ms)': r.measured?.latencyBatch1?.medianMs,
      'throughput (img/s)': r.measured?.throughputBatch?.imagesPerSec,
      'throughput batch': r.measured?.throughputBatch?.batch,
      'ours (plan) b1 (ms)': r.measured?.planBatch1?.medianMs,
      'ours (plan) range (ms)': r.measured?.planBatch1 ? `${r.measured.planBatch1.minMs.toFixed(1)}–${r.measured.planBatch1.maxMs.toFixed(1)}` : undefined,
      'ONNX Runtime b1 (ms)': r.measured?.onnxBatch1?.medianMs,
      'ONNX Runtime range (ms)': r.measured?.onnxBatch1 ? `${r.measured.onnxBatch1.minMs.toFixed(1)}–${r.measured.onnxBatch1.maxMs.toFixed(1)}` : undefined,
      'pretrained top-1 (%)': r.pretrained === undefined ? undefined : 100 * r.pretrained.top1,
      'pretrained on': r.pretrained ? `${r.pretrained.imageSet}, ${r.pretrained.weights}` : undefined,
      source: r.published.source,
    };
  });
}

/** Footnotes (one per distinct text, naming every row it applies to), preceded by the legend of the * mark. */
export function tableFootnotes(table: ImagenetTable): string[] {
  const byText = new Map<string, string[]>();
  const add = (text: string, row: TableRow) => {
    const rows = byText.get(text) ?? [];
    rows.push(`${row.model} ${row.variant}`);
    byText.set(text, rows);
  };
  for (const r of table.rows) {
    if (r.footnote) add(r.footnote, r);
    if (r.reconstruction) add(`reconstructed architecture: ${r.reconstruction}`, r);
    if (r.measured?.error) add(`measurement failed: ${r.measured.error}`, r);
    if (r.measured?.onnxError) add(`no ONNX Runtime figure: ${r.measured.onnxError}`, r);
    if (r.measured?.planError) add(`no plan figure (the tfjs column is ours): ${r.measured.planError}`, r);
  }
  return [
    '* = our count differs from the published figure by more than its rounding.',
    ...[...byText].map(([text, rows]) => `${rows.join(', ')}: ${text}`),
  ];
}

/**
 * Axes the table can be plotted on: published top-1 (%), our parameters (M), our MACs (M), measured batch-1 latency
 * on the active tfjs backend and in ONNX Runtime (ms, median; the point carries the min–max spread).
 */
export type TableAxis = 'top1Percent' | 'params' | 'macs' | 'latency' | 'onnxLatency' | 'planLatency';

/** A chart point of the table: label, coordinates, family, and the min–max spread of a latency coordinate. */
export interface TablePoint {
  label: string;
  x: number;
  y: number;
  group: string;
  xInterval?: [number, number];
  yInterval?: [number, number];
}

/** The rows of `table` whose published figures refer to `dataset` ('imagenet', 'cifar10', …), as a table. */
export function tableOn(table: ImagenetTable, dataset: string): ImagenetTable {
  return { ...table, rows: table.rows.filter((r) => r.dataset === dataset) };
}

/** Value of `axis` for a row and, for latency axes, its [min, max]; undefined when the row lacks it. */
function axisValue(r: TableRow, axis: TableAxis): { v?: number; spread?: [number, number] } {
  switch (axis) {
    case 'top1Percent':
      return { v: r.published.top1Percent };
    case 'params':
      return { v: r.ours.params / 1e6 };
    case 'macs':
      return { v: r.ours.macs / 1e6 };
    case 'latency': {
      const l = r.measured?.latencyBatch1;
      return l ? { v: l.medianMs, spread: [l.minMs, l.maxMs] } : {};
    }
    case 'onnxLatency': {
      const l = r.measured?.onnxBatch1;
      return l ? { v: l.medianMs, spread: [l.minMs, l.maxMs] } : {};
    }
    case 'planLatency': {
      const l = r.measured?.planBatch1;
      return l ? { v: l.medianMs, spread: [l.minMs, l.maxMs] } : {};
    }
    default:
      throw new Error(`table axis must be one of top1Percent, params, macs, latency, onnxLatency, planLatency; got ${JSON.stringify(axis)}`);
  }
}

/**
 * Points {label, x, y, group=family} for a chart of the table, latency coordinates with their min–max spread; rows
 * lacking either value are left out, and so are rows on another data set when `options.dataset` is given (an
 * ImageNet chart must not show CIFAR-10 accuracies).
 */
export function tablePoints(table: ImagenetTable, x: TableAxis, y: TableAxis, options: { dataset?: string } = {}): TablePoint[] {
  const points: TablePoint[] = [];
  for (const r of table.rows) {
    if (options.dataset !== undefined && r.dataset !== options.dataset) continue;
    const vx = axisValue(r, x);
    const vy = axisValue(r, y);
    if (vx.v !== undefined && vy.v !== undefined && Number.isFinite(vx.v) && Number.isFinite(vy.v)) {
      points.push({
        label: `${r.model} ${r.variant}`, x: vx.v, y: vy.v, group: r.family,
        ...(vx.spread ? { xInterval: vx.spread } : {}), ...(vy.spread ? { yInterval: vy.spread } : {}),
      });
    }
  }
  return points;
}

/** Spearman rank correlation of two equally long lists (ties get their average rank); NaN for fewer than 2 pairs. */
export function rankCorrelation(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`rankCorrelation: lists differ in length (${a.length} vs ${b.length})`);
  if (a.length < 2) return NaN;
  const ranks = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}
