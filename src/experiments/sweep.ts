/**
 * Sweeps: every configuration of a grid × several seeds, each run through {@link runExperiment} (so recorded runs
 * are reused and an interrupted sweep resumes where it stopped), then per configuration n, mean ± sd of the test
 * top-1, and the pairwise verdicts of {@link compare}. Runs that diverge are failed runs: counted, never averaged.
 */
import { loadData } from '../lib/data/load';
import { compare, Comparison, summarize, Summary } from '../lib/stats';
import { OPTIMIZER_NAMES } from '../lib/train/optimizers';
import { getModelEntry } from '../models';
import { buildSeeded, DivergedRunError, experimentConfig, ExperimentResult, ExperimentSpec, runExperiment } from './run';

/** A value a grid may take: numbers, strings (e.g. 'relu6') or booleans. */
export type GridValue = number | string | boolean;

/** Option name → the values to try. */
export type Grid = Record<string, GridValue[]>;

/** Grid keys that set a training option of the spec rather than a model option. */
export const TRAINING_GRID_KEYS = ['learningRate', 'batchSize', 'epochs', 'perClass', 'weightDecay', 'warmupEpochs', 'labelSmoothing', 'optimizer'] as const;
type TrainingKey = (typeof TRAINING_GRID_KEYS)[number];

function parseValue(raw: string): GridValue {
  const t = raw.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/**
 * Parses "key=v1,v2;key2=v3" (the CLI's --grid) into a grid. Numbers and true/false are typed; anything else is a
 * string. Throws naming the malformed part and the expected form.
 */
export function parseGrid(text: string): Grid {
  const grid: Grid = {};
  const form = 'expected "key=v1,v2[;key2=v3,…]", e.g. "width=0.25,0.5;bottleneckActivation=linear,relu6"';
  if (text.trim() === '') throw new Error(`grid is empty; ${form}`);
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`grid part "${part}" has no "key=values"; ${form}`);
    const key = part.slice(0, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new Error(`grid key "${key}" is not an option name (letters and digits, e.g. width); ${form}`);
    if (key in grid) throw new Error(`grid key "${key}" appears twice; give all its values once, comma-separated`);
    const values = part.slice(eq + 1).split(',').map((v) => v.trim());
    if (values.some((v) => v === '')) throw new Error(`grid key "${key}" has an empty value in "${part}"; ${form}`);
    grid[key] = values.map(parseValue);
    const seen = new Set(grid[key].map((v) => JSON.stringify(v)));
    if (seen.size !== values.length) throw new Error(`grid key "${key}" repeats a value in "${part}"; list each value once`);
  }
  if (Object.keys(grid).length === 0) throw new Error(`grid is empty; ${form}`);
  return grid;
}

/** Every combination of the grid's values, the first key varying slowest. */
export function expandGrid(grid: Grid): Array<Record<string, GridValue>> {
  return Object.entries(grid).reduce<Array<Record<string, GridValue>>>(
    (combos, [key, values]) => combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))),
    [{}],
  );
}

/** "width=0.25 bottleneckActivation=relu6": a configuration's label from its grid settings. */
export function settingsLabel(settings: Record<string, GridValue>): string {
  return Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ') || 'base';
}

/** What {@link sweep} trains: a base experiment, a grid over model or training options, and the seeds. */
export interface SweepSpec extends Omit<ExperimentSpec, 'seed' | 'label'> {
  grid: Grid;
  /** A count n (seeds 0 … n−1) or the list of seeds. */
  seeds: number | number[];
}

/** One configuration of a sweep: its settings, finished runs, failed (diverged) runs and the top-1 summary. */
export interface SweepConfig {
  label: string;
  settings: Record<string, GridValue>;
  runs: ExperimentResult[];
  failed: Array<{ seed: number; reason: string }>;
  /** n, mean, sd (fractions) of the finished runs' test top-1; absent when none finished. */
  top1?: Summary;
}

/** A pairwise comparison of two configurations (A − B, top-1 fractions). */
export interface SweepComparison {
  a: string;
  b: string;
  comparison?: Comparison;
  /** Why there is no comparison (fewer than 2 finished runs on a side). */
  skipped?: string;
}

/** What {@link sweep} returns. */
export interface SweepResult {
  model: string;
  seeds: number[];
  configs: SweepConfig[];
  comparisons: SweepComparison[];
}

/** The seeds of a spec: n → 0 … n−1; a list is checked (integers ≥ 0, no repeats). */
export function seedList(seeds: number | number[]): number[] {
  const list = typeof seeds === 'number' ? (Number.isInteger(seeds) && seeds >= 1 ? Array.from({ length: seeds }, (_, i) => i) : null) : seeds;
  if (list === null) throw new Error(`seeds must be a whole number ≥ 1 (how many seeds per configuration), got ${seeds}`);
  if (list.length === 0 || list.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`seeds must be whole numbers ≥ 0, got [${list.join(', ')}]`);
  if (new Set(list).size !== list.length) throw new Error(`seeds repeat a value: [${list.join(', ')}]`);
  return list;
}

/** The experiment spec of one grid point and seed. */
function pointSpec(base: SweepSpec, settings: Record<string, GridValue>, seed: number): ExperimentSpec {
  const { grid: _grid, seeds: _seeds, ...rest } = base;
  const training: Partial<Record<TrainingKey, GridValue>> = {};
  const model: Record<string, GridValue> = {};
  for (const [k, v] of Object.entries(settings)) {
    if ((TRAINING_GRID_KEYS as readonly string[]).includes(k)) training[k as TrainingKey] = v;
    else model[k] = v;
  }
  return { ...rest, ...(training as Partial<ExperimentSpec>), modelConfig: { ...(rest.modelConfig ?? {}), ...model }, seed, label: settingsLabel(settings) };
}

/** Why a grid value of a training option is out of range, or null. */
function trainingValueProblem(key: TrainingKey, v: GridValue): string | null {
  const num = typeof v === 'number' ? v : NaN;
  switch (key) {
    case 'learningRate':
      return num > 0 ? null : 'a learning rate > 0';
    case 'batchSize':
    case 'epochs':
    case 'perClass':
      return Number.isInteger(num) && num >= 1 ? null : 'a whole number ≥ 1';
    case 'weightDecay':
    case 'warmupEpochs':
      return num >= 0 ? null : 'a number ≥ 0';
    case 'labelSmoothing':
      return num >= 0 && num < 1 ? null : 'a number in [0, 1)';
    case 'optimizer':
      return (OPTIMIZER_NAMES as readonly GridValue[]).includes(v) ? null : `one of ${OPTIMIZER_NAMES.join(', ')}`;
  }
}

/** Builds the model of each grid point once (its data profile, seed 0) and disposes it: throws what the builder rejects. */
function builder(): (s: ExperimentSpec) => void {
  const loaded = new Map<string, ReturnType<typeof loadData>>();
  return (s) => {
    const key = JSON.stringify([s.dataset, s.dataDir, s.perClass, s.testPerClass, s.classes]);
    if (!loaded.has(key)) loaded.set(key, loadData(s.dataset, s));
    const data = loaded.get(key)!;
    buildSeeded(s, data, experimentConfig(s, data).modelConfig).dispose();
  };
}

/**
 * Checks a sweep before anything trains: every grid key is a model option of the registry entry or a training
 * option, training values are in range, and every configuration's model builds — so a value the model rejects
 * fails now, naming it, not hours into the sweep. Throws naming the value and what is accepted.
 */
export function validateSweep(spec: SweepSpec, buildCheck: (s: ExperimentSpec) => void = builder()): void {
  seedList(spec.seeds);
  const entry = getModelEntry(spec.model);
  const modelOptions = entry.options.map((o) => o.name as string);
  for (const [key, values] of Object.entries(spec.grid)) {
    const isTraining = (TRAINING_GRID_KEYS as readonly string[]).includes(key);
    if (!modelOptions.includes(key) && !isTraining) {
      throw new Error(`grid key "${key}" is neither an option of ${spec.model} (${modelOptions.join(', ')}) nor a training option (${TRAINING_GRID_KEYS.join(', ')})`);
    }
    if (isTraining) {
      for (const v of values) {
        const problem = trainingValueProblem(key as TrainingKey, v);
        if (problem) throw new Error(`grid value ${key}=${v} is out of range: ${key} must be ${problem}`);
      }
    }
  }
  for (const settings of expandGrid(spec.grid)) {
    try {
      buildCheck(pointSpec(spec, settings, 0));
    } catch (err) {
      throw new Error(`grid configuration ${settingsLabel(settings)} is rejected by ${spec.model}: ${(err as Error).message}`);
    }
  }
}

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** Called after each run (finished, reused or failed), e.g. to print progress. */
  onRun?: (event: { label: string; seed: number; result?: ExperimentResult; failure?: string; index: number; total: number }) => void;
}

/**
 * Runs (or reuses) every configuration of `spec.grid` at every seed, then summarises and compares them. Diverged
 * runs are recorded as failures of their configuration; other errors stop the sweep (finished runs stay recorded,
 * so running it again resumes).
 */
export async function sweep(spec: SweepSpec, options: SweepOptions = {}): Promise<SweepResult> {
  const seeds = seedList(spec.seeds);
  const points = expandGrid(spec.grid);
  const total = points.length * seeds.length;
  const configs: SweepConfig[] = [];
  let index = 0;
  for (const settings of points) {
    const config: SweepConfig = { label: settingsLabel(settings), settings, runs: [], failed: [] };
    for (const seed of seeds) {
      index++;
      try {
        const result = await runExperiment(pointSpec(spec, settings, seed));
        config.runs.push(result);
        options.onRun?.({ label: config.label, seed, result, index, total });
      } catch (err) {
        if (!(err instanceof DivergedRunError)) throw err;
        config.failed.push({ seed, reason: err.reason });
        options.onRun?.({ label: config.label, seed, failure: err.reason, index, total });
      }
    }
    if (config.runs.length > 0) config.top1 = summarize(config.runs.map((r) => r.top1));
    configs.push(config);
  }
  const comparisons: SweepComparison[] = [];
  for (let i = 0; i < configs.length; i++) {
    for (let j = i + 1; j < configs.length; j++) {
      const [a, b] = [configs[i], configs[j]];
      if (a.runs.length < 2 || b.runs.length < 2) {
        comparisons.push({ a: a.label, b: b.label, skipped: `needs 2 finished runs per side (have ${a.runs.length} and ${b.runs.length})` });
      } else {
        comparisons.push({ a: a.label, b: b.label, comparison: compare(a.runs, b.runs) });
      }
    }
  }
  return { model: spec.model, seeds, configs, comparisons };
}
