/**
 * Results store: one JSON line per finished training run. A reader's runs go to `<cache>/results.jsonl`; the
 * committed reference runs (`compact-nets reference`) to `results/reference.jsonl` in the checkout. Records carry
 * `kind` ('reader' | 'reference'), so a notebook can plot both, and notebooks and the CLI reuse a finished run (by
 * configuration hash, seed included) instead of retraining.
 *
 * Lines are appended with a single `appendFileSync` of the whole line (with O_APPEND one write
 * lands in one piece); a run killed while writing leaves at most one partial last line, which the
 * reader reports by line number and skips, keeping every other line.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheRoot, repoRoot } from './data/cache';

/** Per-epoch figures of a recorded run (the training loop's EpochRecord, kept as plain JSON). */
export interface HistoryEntry {
  epoch: number;
  /** Mean training loss of the epoch (nats, including regularisation). */
  loss: number;
  /** Training accuracy of the epoch, fraction. */
  accuracy: number;
  /** Learning rate at the epoch's last step. */
  learningRate: number;
  seconds: number;
  imagesPerSec?: number;
  /** Test top-1/top-5 after the epoch (fractions), where it was evaluated. */
  valTop1?: number;
  valTop5?: number;
}

/** Who made a record: a reader's run (the local store) or a committed reference run (results/reference.jsonl). */
export type RunKind = 'reader' | 'reference';

/** One finished run. Accuracies are fractions in [0, 1]. */
export interface ResultRecord {
  /** 'reader' (default for records written before the field existed) or 'reference'. */
  kind?: RunKind;
  model: string;
  variant?: string;
  /** The configuration that was trained (model config + training options), as plain JSON. */
  config: Record<string, unknown>;
  /** {@link configHash} of `config` (the seed included). */
  configHash: string;
  /** Hash of the configuration without the seed: the runs of one configuration across seeds share it. */
  setupHash?: string;
  dataset: string;
  /** Subset description, e.g. "200 per class, seed 1" (absent = the full split). */
  subset?: string;
  trainImages: number;
  testImages: number;
  backend: string;
  /** What computed it, in words (backend, SIMD, native kernels with BLAS and threads): see backendSummary. */
  computedWith?: string;
  epochs: number;
  top1: number;
  top5: number;
  /** Parameter count (tfjs countParams convention: all weights incl. BN statistics). */
  params: number;
  /** Multiply-accumulates per image from costOf(model), when available. */
  macs?: number;
  wallSeconds: number;
  imagesPerSec: number;
  /** ISO date of the end of the run. */
  date: string;
  /** The seed that drove subsets, data order, augmentation, initialisation and dropout. */
  seed?: number;
  /** Reference runs: the id of their entry in the reference plan (experiments/reference.ts). */
  referenceId?: string;
  /** Per-epoch history. */
  history?: HistoryEntry[];
  /** Commit, command, backend, threads, machine, date and training seconds (experiments/provenance.ts). */
  provenance?: { commit: string; command: string; backend: string; threads: number; machine: string; date: string; wallSeconds: number };
}

/** Default file of a reader's runs: `<cache>/results.jsonl`. */
export function resultsFile(cacheDir = cacheRoot()): string {
  return path.join(cacheDir, 'results.jsonl');
}

/** The committed reference runs: `results/reference.jsonl` in the checkout. */
export function referenceFile(root = repoRoot()): string {
  return path.join(root, 'results', 'reference.jsonl');
}

/** JSON with object keys sorted at every level, so equal configurations hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 16-hex-digit sha256 prefix of the canonical JSON of `config`. */
export function configHash(config: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/** Appends `record` as one line to `file` (default {@link resultsFile}). */
export function appendResult(record: ResultRecord, file = resultsFile()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let prefix = '';
  if (fs.existsSync(file)) {
    // A previous writer killed mid-line left no newline: start on a fresh line so this record stays intact.
    const size = fs.statSync(file).size;
    if (size > 0) {
      const fd = fs.openSync(file, 'r');
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      fs.closeSync(fd);
      if (last[0] !== 0x0a) prefix = '\n';
    }
  }
  fs.appendFileSync(file, `${prefix}${JSON.stringify(record)}\n`);
}

/** Records of a results file plus warnings for lines that could not be read. */
export interface ReadResults {
  records: ResultRecord[];
  /** e.g. "results.jsonl line 7: Unexpected end of JSON input; line skipped". */
  warnings: string[];
}

/** What each field of a record must be; a line that breaks one is reported and skipped like a corrupt line. */
const FIELD_CHECKS: Array<[keyof ResultRecord, 'required' | 'optional', (v: unknown) => boolean, string]> = [
  ['model', 'required', (v) => typeof v === 'string' && v !== '', 'a non-empty string'],
  ['configHash', 'required', (v) => typeof v === 'string' && v !== '', 'a non-empty string'],
  ['dataset', 'required', (v) => typeof v === 'string', 'a string'],
  ['top1', 'required', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a fraction in [0, 1]'],
  ['date', 'required', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), 'an ISO date'],
  ['top5', 'optional', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a fraction in [0, 1]'],
  ['epochs', 'optional', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number'],
  ['trainImages', 'optional', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number'],
  ['testImages', 'optional', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number'],
  ['params', 'optional', (v) => typeof v === 'number' && v >= 0, 'a number ≥ 0'],
  ['macs', 'optional', (v) => typeof v === 'number' && v >= 0, 'a number ≥ 0'],
  ['wallSeconds', 'optional', (v) => typeof v === 'number' && v >= 0, 'a number ≥ 0'],
  ['imagesPerSec', 'optional', (v) => typeof v === 'number' && v >= 0, 'a number ≥ 0'],
  ['seed', 'optional', (v) => Number.isInteger(v), 'an integer'],
  ['kind', 'optional', (v) => v === 'reader' || v === 'reference', '"reader" or "reference"'],
  ['config', 'optional', (v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'an object'],
  ['history', 'optional', (v) => Array.isArray(v) && v.every((h) => h !== null && typeof h === 'object' && typeof (h as HistoryEntry).loss === 'number' && Number.isInteger((h as HistoryEntry).epoch)), 'a list of {epoch, loss, …}'],
];

/** Why `rec` is not a usable record, or null. */
function recordProblem(rec: unknown): string | null {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 'not a JSON object';
  const r = rec as Record<string, unknown>;
  const missing = FIELD_CHECKS.filter(([k, need]) => need === 'required' && r[k] === undefined).map(([k]) => k);
  if (missing.length > 0) return `missing field(s) ${missing.join(', ')}`;
  for (const [k, , ok, expected] of FIELD_CHECKS) {
    if (r[k] !== undefined && !ok(r[k])) return `field ${k} is ${JSON.stringify(r[k])?.slice(0, 60)}, expected ${expected}`;
  }
  return null;
}

/** Reads every record; corrupt, partial or ill-typed lines are skipped with a warning naming the line number and the fault. */
export function readResults(file = resultsFile()): ReadResults {
  const out: ReadResults = { records: [], warnings: [] };
  if (!fs.existsSync(file)) return out;
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const rec = JSON.parse(line) as unknown;
      const problem = recordProblem(rec);
      if (problem) throw new Error(problem);
      out.records.push(rec as ResultRecord);
    } catch (err) {
      out.warnings.push(`${file} line ${i + 1}: ${(err as Error).message}; line skipped`);
    }
  });
  return out;
}

/**
 * The latest record with `hash` in the first of `files` that has one (default: the reader's store, then the
 * committed reference results), or undefined. Warnings about unreadable lines go to `warn` (default
 * console.warn) so that a damaged store is never silently half-read.
 */
export function findResult(hash: string, files: string | string[] = [resultsFile(), referenceFile()], warn: (message: string) => void = console.warn): ResultRecord | undefined {
  for (const file of Array.isArray(files) ? files : [files]) {
    const { records, warnings } = readResults(file);
    warnings.forEach((w) => warn(w));
    for (let i = records.length - 1; i >= 0; i--) if (records[i].configHash === hash) return records[i];
  }
  return undefined;
}

/** Every record of the reader's store and the reference results (kind filled in: 'reader' when a record predates it). */
export function readRuns(files: { reader?: string; reference?: string } = {}, warn: (message: string) => void = console.warn): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const [kind, file] of [['reader', files.reader ?? resultsFile()], ['reference', files.reference ?? referenceFile()]] as const) {
    const { records, warnings } = readResults(file);
    warnings.forEach((w) => warn(w));
    out.push(...records.map((r) => ({ ...r, kind: r.kind ?? kind })));
  }
  return out;
}
