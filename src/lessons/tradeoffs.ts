/**
 * The workbook's own trade-off study: every configuration of the reference plan (experiments/reference.ts) on one
 * accuracy-versus-cost chart, each as the mean ± sd of its seeds, with the Pareto front computed on the means, and
 * the reader's own CIFAR-10 runs from the results store beside them (marked apart: smaller budgets, one seed, never
 * on the front).
 *
 * Introduced in notebooks/10-trade-offs-and-design-tricks.ipynb.
 */
import { REFERENCE_PLAN, referenceEntry, referenceRuns } from '../experiments/reference';
import { referenceFile, ResultRecord } from '../lib/results';
import { summarize } from '../lib/stats';
import { getModelEntry } from '../models';
import { paretoFront, TradeoffPoint } from './charts';

/** One reference configuration on the chart: its seeds' top-1 summary and its cost. */
export interface StudyEntry {
  /** Plan id, e.g. "fe_net.w0.25.uniform.l0". */
  id: string;
  title: string;
  /** The notebook that trains it, e.g. "08-sparse-shift-fenet". */
  lesson: string;
  model: string;
  /** Survey family of the model (registry), e.g. "FE-Net". */
  family: string;
  /** Recorded seeds. */
  n: number;
  /** Mean and sample sd of the test top-1 over the seeds, fractions. */
  mean: number;
  sd: number;
  /** Parameters (tfjs count: weights and BatchNorm statistics) and MACs per 32×32 image. */
  params: number;
  macs?: number;
  trainImages: number;
  epochs: number;
  testImages: number;
}

/** The ids of the plan's CIFAR-10 entries: the study compares costs per 32×32 image, so Tiny ImageNet entries stay apart. */
export const CIFAR_REFERENCE_IDS: readonly string[] = REFERENCE_PLAN.filter((e) => e.spec.dataset === 'cifar10').map((e) => e.id);

/**
 * The plan entries with recorded runs, in plan order, and the ids still without any (`make reference`); default: every
 * CIFAR-10 entry. Entries of different data sets are refused together (one accuracy axis, one image size per chart).
 */
export function referenceStudy(ids: readonly string[] = CIFAR_REFERENCE_IDS, file = referenceFile()): { entries: StudyEntry[]; missing: string[] } {
  const datasets = new Set(ids.map((id) => referenceEntry(id).spec.dataset));
  if (datasets.size > 1) throw new Error(`referenceStudy: the entries mix data sets (${[...datasets].join(', ')}); study one data set at a time`);
  const entries: StudyEntry[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const entry = referenceEntry(id);
    const runs = referenceRuns(id, file);
    if (runs.length === 0) {
      missing.push(id);
      continue;
    }
    const s = summarize(runs.map((r) => r.top1));
    entries.push({
      id, title: entry.title, lesson: entry.lesson, model: entry.spec.model, family: getModelEntry(entry.spec.model).family,
      n: s.n, mean: s.mean, sd: s.sd, params: runs[0].params, macs: runs[0].macs,
      trainImages: runs[0].trainImages, epochs: runs[0].epochs, testImages: runs[0].testImages,
    });
  }
  return { entries, missing };
}

/** A reader's CIFAR-10 run of a family the plan trains. */
export interface ReaderStudyRun {
  label: string;
  model: string;
  family: string;
  /** Test top-1, fraction. */
  top1: number;
  params: number;
  macs?: number;
  trainImages: number;
  epochs: number;
  testImages: number;
  seed?: number;
}

/** Label of a run: model, variant and the model options that distinguish it (e.g. "mobilenet_v2 width=0.5"). */
export function runLabel(record: ResultRecord): string {
  const modelConfig = (record.config as { modelConfig?: Record<string, unknown> }).modelConfig ?? {};
  const options = Object.entries(modelConfig)
    .filter(([k]) => k !== 'dataset' && k !== 'classes')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return [record.model, record.variant, ...options].filter(Boolean).join(' ');
}

/**
 * The reader's CIFAR-10 runs (`kind` 'reader', latest per configuration) of the models in `models` (default: every
 * model of the plan), and the reader's runs left out with the reason: a notebook's custom model (the plain CNNs of
 * notebooks 00–01 illustrate training and compression, they are not compact designs), another model, another data set.
 */
export function readerStudyRuns(records: ResultRecord[], models: string[] = [...new Set(REFERENCE_PLAN.map((e) => e.spec.model))]): { runs: ReaderStudyRun[]; leftOut: Array<{ label: string; reason: string }> } {
  const latest = new Map<string, ResultRecord>();
  for (const r of records) if ((r.kind ?? 'reader') === 'reader') latest.set(r.configHash, r);
  const runs: ReaderStudyRun[] = [];
  const leftOut: Array<{ label: string; reason: string }> = [];
  for (const r of latest.values()) {
    const label = runLabel(r);
    if ((r.config as { custom?: boolean }).custom) leftOut.push({ label, reason: 'a custom model of a notebook, not a compact family of the plan' });
    else if (!r.dataset.startsWith('CIFAR-10')) leftOut.push({ label, reason: `trained on ${r.dataset}, not CIFAR-10` });
    else if (!models.includes(r.model)) leftOut.push({ label, reason: 'a model the reference plan does not train' });
    else {
      runs.push({
        label, model: r.model, family: getModelEntry(r.model).family, top1: r.top1, params: r.params, macs: r.macs,
        trainImages: r.trainImages, epochs: r.epochs, testImages: r.testImages, seed: r.seed,
      });
    }
  }
  return { runs, leftOut };
}

/** The cost axes of the study: MACs (M per 32×32 image), parameters (M) or a measured latency (ms, from `latencyMs`). */
export type StudyAxis = 'macs' | 'params' | 'latency';

/** The group name of the reader's runs on study charts (drawn hollow, kept off the front). */
export const READER_GROUP = 'your runs (smaller budget, one seed each)';

/** A point's cost on `x`, or undefined when it lacks one. */
function costOf(x: StudyAxis, v: { params: number; macs?: number }, latencyMs?: number): number | undefined {
  const c = x === 'macs' ? (v.macs === undefined ? undefined : v.macs / 1e6) : x === 'params' ? v.params / 1e6 : latencyMs;
  return c !== undefined && Number.isFinite(c) && c > 0 ? c : undefined;
}

/**
 * Chart points: each reference entry at its mean top-1 (%) with a ± 1 sd error bar, grouped by family; each reader run
 * in {@link READER_GROUP}, off the front. For x = 'latency', `latency` gives each entry's [median, min, max] in ms
 * (entries without one are left out, and so are the reader's runs, which were not timed).
 */
export function studyPoints(entries: StudyEntry[], reader: ReaderStudyRun[], x: StudyAxis, latency?: Map<string, { medianMs: number; minMs: number; maxMs: number }>): TradeoffPoint[] {
  if (x === 'latency' && latency === undefined) throw new Error("studyPoints: x = 'latency' needs the measured latencies (referenceLatencies)");
  const points: TradeoffPoint[] = [];
  for (const e of entries) {
    const l = latency?.get(e.id);
    const cost = costOf(x, e, l?.medianMs);
    if (cost === undefined) continue;
    points.push({
      label: e.title, x: cost, y: 100 * e.mean, yError: 100 * e.sd, group: e.family,
      ...(x === 'latency' && l ? { xInterval: [l.minMs, l.maxMs] as [number, number] } : {}),
    });
  }
  if (x !== 'latency') {
    for (const r of reader) {
      const cost = costOf(x, r);
      if (cost !== undefined) points.push({ label: `your run: ${r.label} (${r.trainImages} images × ${r.epochs} epochs)`, x: cost, y: 100 * r.top1, group: READER_GROUP, offFront: true });
    }
  }
  return points;
}

/** The entries on the Pareto front of mean top-1 against `x` (sorted by cost): no other entry is cheaper and better on average. */
export function studyFront(entries: StudyEntry[], x: Exclude<StudyAxis, 'latency'>): StudyEntry[] {
  const pts = entries.map((e) => ({ e, x: costOf(x, e) ?? NaN, y: e.mean }));
  return paretoFront(pts).map((i) => pts[i].e);
}

/** Table rows of the study: configuration, family, seeds, top-1 mean ± sd, cost, budget. */
export function studyTableRows(entries: StudyEntry[]): Array<Record<string, string | number>> {
  return entries.map((e) => ({
    configuration: e.title, family: e.family, lesson: e.lesson, seeds: e.n,
    'top-1 (%, mean ± sd)': `${(100 * e.mean).toFixed(1)} ± ${(100 * e.sd).toFixed(1)}`,
    'params (K)': +(e.params / 1e3).toFixed(1), 'MACs (M)': e.macs === undefined ? '' : +(e.macs / 1e6).toFixed(2),
    'train images × epochs': `${e.trainImages} × ${e.epochs}`,
  }));
}
