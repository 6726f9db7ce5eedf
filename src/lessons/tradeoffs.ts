/**
 * The workbook's own trade-off study: every run in the results store on one data set, with its accuracy, size, MACs
 * and measured latency, so that the lessons' experiments can be compared on one chart.
 *
 * Introduced in notebooks/10-trade-offs-and-design-tricks.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { measureLatency } from '../lib/latency';
import { readResults, ResultRecord, resultsFile } from '../lib/results';
import { buildModel, getVariant } from '../models';
import type { TradeoffPoint } from './charts';

/** A recorded run with its measured batch-1 latency (ms) when the model could be rebuilt. */
export interface TradeoffRow {
  record: ResultRecord;
  label: string;
  /** Top-1 accuracy in percent (the record's `top1` is a fraction). */
  top1Percent: number;
  paramsM: number;
  macsM?: number;
  latencyMs?: number;
}

export interface CollectOptions {
  /** Data-set name as recorded (e.g. "CIFAR-10 (JPEG q75)"); runs on other sets are left out. */
  dataset: string;
  /** Results file (default: the store in the cache). */
  file?: string;
  /** Called for each malformed line of the store (default: console.warn). */
  warn?: (message: string) => void;
}

/** Label of a run: model, variant and the model options that distinguish it (e.g. "mobilenet_v2 width=0.5"). */
export function runLabel(record: ResultRecord): string {
  const modelConfig = (record.config as { modelConfig?: Record<string, unknown> }).modelConfig ?? {};
  const options = Object.entries(modelConfig)
    .filter(([k]) => k !== 'dataset' && k !== 'classes')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return [record.model, record.variant, ...options].filter(Boolean).join(' ');
}

/** The latest run of each configuration on `dataset`, oldest configuration first. */
export function collectRuns(options: CollectOptions): TradeoffRow[] {
  const { records, warnings } = readResults(options.file ?? resultsFile());
  for (const w of warnings) (options.warn ?? console.warn)(w);
  const latest = new Map<string, ResultRecord>();
  for (const r of records) if (r.dataset === options.dataset) latest.set(r.configHash, r);
  return [...latest.values()].map((record) => ({
    record,
    label: runLabel(record),
    top1Percent: 100 * record.top1,
    paramsM: record.params / 1e6,
    macsM: record.macs === undefined ? undefined : record.macs / 1e6,
  }));
}

/**
 * Measures the batch-1 latency of each run whose model is in the registry, by rebuilding it from its recorded
 * configuration (custom models of a notebook cannot be rebuilt and keep no latency). Mutates and returns `rows`.
 */
export async function measureRunLatencies(rows: TradeoffRow[], options: { repetitions?: number } = {}): Promise<TradeoffRow[]> {
  for (const row of rows) {
    const config = row.record.config as { custom?: boolean; modelConfig?: Record<string, unknown> };
    if (config.custom || !config.modelConfig) continue;
    let model: tf.LayersModel | undefined;
    try {
      const variant = row.record.variant ? getVariant(row.record.model, row.record.variant).config : {};
      model = buildModel(row.record.model, { ...variant, ...config.modelConfig });
      row.latencyMs = (await measureLatency(model, { batch: 1, repetitions: options.repetitions ?? 5 })).medianMs;
    } catch {
      // A model renamed or removed since the run was recorded: the row keeps its accuracy but no latency.
    } finally {
      model?.dispose();
    }
  }
  return rows;
}

/** Chart points for `x` ∈ {macs, params, latency} against top-1 (%); rows without that value are left out. */
export function tradeoffPoints(rows: TradeoffRow[], x: 'macs' | 'params' | 'latency'): TradeoffPoint[] {
  const value = (r: TradeoffRow) => (x === 'macs' ? r.macsM : x === 'params' ? r.paramsM : r.latencyMs);
  return rows
    .filter((r) => value(r) !== undefined && value(r)! > 0)
    .map((r) => ({ label: r.label, x: value(r)!, y: r.top1Percent, group: r.record.model }));
}
