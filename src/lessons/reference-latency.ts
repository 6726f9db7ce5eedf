/**
 * Batch-1 latency of the reference configurations (experiments/reference.ts) at their CIFAR-10 size (32×32), on
 * our runtime (tfjs on the active backend, `tfjsLatency`) and on ONNX Runtime (the same model exported, `onnxLatency`),
 * each as the median with its min–max over the timed runs, so that a chart can show the spread.
 *
 * Introduced in notebooks/10-trade-offs-and-design-tricks.ipynb.
 */
import * as tf from '@tensorflow/tfjs';
import { referenceEntry } from '../experiments/reference';
import type { PlotlyFigure } from '../lib/display/plotly';
import { plotly } from '../lib/display/plotly';
import type { ChartOptions } from '../lib/display/plot-options';
import { onnxLatency, RuntimeLatency, tfjsLatency } from '../lib/onnx';
import { buildModel } from '../models';

/** Latency of one reference configuration on both runtimes; a runtime that failed leaves its reason instead. */
export interface EntryLatency {
  id: string;
  title: string;
  tfjs?: RuntimeLatency;
  onnx?: RuntimeLatency;
  tfjsError?: string;
  onnxError?: string;
}

export interface ReferenceLatencyOptions {
  /** Timed forward passes per runtime (≥ 1); default 20. */
  repetitions?: number;
  /** Untimed passes first (≥ 0); default 5. */
  warmup?: number;
  /** Compute threads of both runtimes (≥ 1); default 1, so that the two compare like with like. */
  threads?: number;
  /** Called before each configuration is timed (progress). */
  onEntry?: (index: number, total: number, id: string) => void;
}

/** Times every entry `ids` at batch 1 on a 32×32 input (the model as the plan trains it, untrained weights). */
export async function referenceLatencies(ids: string[], options: ReferenceLatencyOptions = {}): Promise<EntryLatency[]> {
  const timing = { repetitions: options.repetitions ?? 20, warmup: options.warmup ?? 5, threads: options.threads ?? 1, batch: 1 };
  const out: EntryLatency[] = [];
  for (let i = 0; i < ids.length; i++) {
    const entry = referenceEntry(ids[i]);
    options.onEntry?.(i, ids.length, entry.id);
    const row: EntryLatency = { id: entry.id, title: entry.title };
    const model: tf.LayersModel = buildModel(entry.spec.model, { ...(entry.spec.modelConfig ?? {}), dataset: 'cifar10' });
    try {
      try {
        row.tfjs = await tfjsLatency(model, timing);
      } catch (err) {
        row.tfjsError = err instanceof Error ? err.message : String(err);
      }
      try {
        row.onnx = await onnxLatency(model, timing);
      } catch (err) {
        // onnxruntime-node missing or an export refused: our runtime's column still stands, the row says why.
        row.onnxError = err instanceof Error ? err.message : String(err);
      }
    } finally {
      model.dispose();
    }
    out.push(row);
  }
  return out;
}

/** "0.84 ms [0.80–1.10]" from a runtime latency, or the reason it is missing. */
export function latencyText(l: RuntimeLatency | undefined, error?: string): string {
  if (!l) return error ? `not measured: ${error.split('\n')[0].slice(0, 80)}` : 'not measured';
  const f = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return `${f(l.medianMs)} [${f(l.minMs)}–${f(l.maxMs)}]`;
}

/** Table rows: configuration, then each runtime's median [min–max] in ms with its runtime name and threads. */
export function latencyTableRows(rows: EntryLatency[]): Array<Record<string, string>> {
  return rows.map((r) => ({
    configuration: r.title,
    'our runtime: ms, median [min–max]': latencyText(r.tfjs, r.tfjsError),
    'ONNX Runtime: ms, median [min–max]': latencyText(r.onnx, r.onnxError),
  }));
}

/** Runtime name with its threads, e.g. "tfjs wasm + native kernels, 1 thread", from the first row that has it. */
function runtimeName(rows: EntryLatency[], pick: (r: EntryLatency) => RuntimeLatency | undefined, fallback: string): string {
  const l = rows.map(pick).find((x) => x !== undefined);
  return l ? `${l.runtime}, ${l.threads} thread${l.threads === 1 ? '' : 's'}` : fallback;
}

/**
 * A dot plot of the latencies: one row per configuration, x = ms (log axis) with the min–max as error bars, one
 * trace per runtime; no dual axis, every label on the categorical axis.
 */
export function latencyFigure(rows: EntryLatency[]): PlotlyFigure {
  if (rows.length === 0) throw new Error('latencyFigure: no configurations to show');
  const trace = (name: string, pick: (r: EntryLatency) => RuntimeLatency | undefined, symbol: string, color: string) => {
    const rs = rows.filter((r) => pick(r) !== undefined);
    return {
      type: 'scatter', mode: 'markers', name, y: rs.map((r) => r.title), x: rs.map((r) => pick(r)!.medianMs),
      error_x: { type: 'data', symmetric: false, array: rs.map((r) => pick(r)!.maxMs - pick(r)!.medianMs), arrayminus: rs.map((r) => pick(r)!.medianMs - pick(r)!.minMs), visible: true, thickness: 1.5, width: 4 },
      marker: { size: 9, symbol, color }, customdata: rs.map((r) => latencyText(pick(r))),
      hovertemplate: `%{y}<br>${name}: %{customdata} ms<extra></extra>`,
    };
  };
  return {
    data: [
      trace(`our runtime (${runtimeName(rows, (r) => r.tfjs, 'tfjs')})`, (r) => r.tfjs, 'circle', '#1f77b4'),
      trace(`ONNX Runtime (${runtimeName(rows, (r) => r.onnx, 'onnxruntime-node')})`, (r) => r.onnx, 'diamond', '#ff7f0e'),
    ],
    layout: {
      xaxis: { type: 'log', title: { text: 'batch-1 latency of one 32×32 image (ms, log scale; bar = min–max)' } },
      yaxis: { title: { text: 'configuration' }, automargin: true, autorange: 'reversed' },
      legend: { orientation: 'h', y: -0.2 }, showlegend: true, height: 160 + 26 * rows.length,
    },
  };
}

/** Shows {@link latencyFigure}. */
export function latencyChart(rows: EntryLatency[], opts: ChartOptions = {}): void {
  plotly(latencyFigure(rows), opts);
}
