/**
 * Benchmark against PyTorch (issue 9): `npm run bench -- --json [--models a,b] [--modes train32,train224,infer224]
 * [--repetitions N] [--rounds N] [--warmup N] [--threads N] [--profile]`. Each model × mode runs in fresh Node workers
 * (ours, wasm) and fresh Python processes (peer), so peak RSS is per run and an out-of-memory failure only marks its
 * own line. The two sides alternate over `rounds` rounds (ours first in odd rounds, the peer first in even ones) and
 * each side's median is taken over all its timed units: on a shared machine whose speed drifts by ±30 % over minutes,
 * back-to-back single runs compare two different machines.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, numberOption, stringOption, UsageError, ParsedArgs } from '../src/cli/args';
import { initBackend } from '../src/lib/backend';
import { getModelEntry } from '../src/models';
import { buildForMode, timeOurs, OursResult } from './ours';
import { median } from '../src/lib/stats';
import { DEFAULT_MODELS, macsPerUnit, Mode, MODE_SPECS, MODES, parseMode } from './modes';

/** Settings of one benchmark invocation. */
export interface BenchOptions {
  models: string[];
  modes: Mode[];
  /** Timed units per process; 0 = the mode's default. */
  repetitions: number;
  /** Alternations of ours and the peer; 0 = the mode's default. */
  rounds: number;
  /** Untimed units before timing; -1 = the mode's default. */
  warmup: number;
  threads: number;
  json: boolean;
  profile: boolean;
  python: string;
  /** Overrides of the modes' batch and resolution: for smoke tests only (the report says so). */
  batch?: number;
  resolution?: number;
  /** Per-process wall-clock limit, seconds. */
  timeoutS: number;
}

/** One report line (issue 9 schema plus memory, parameter cross-check and error fields). */
export interface BenchLine {
  model: string;
  mode: Mode;
  ours: number | null;
  peer: number | null;
  unit: 'images/s' | 'ms';
  ratio: number | null;
  /** Rounds run (ours and the peer alternating) and the smallest/largest per-round ratio: the noise of the machine. */
  rounds: number;
  ratioRange: [number, number] | null;
  threads: number;
  /** Threads our kernels actually used: the native kernels' count when they run, else 1 (wasm is single-threaded in Node). */
  oursThreads: number;
  /** tfjs backend of ours; `wasm+native` when our native kernels (dist/native) serve the heavy kernels. */
  backend: string;
  /** Our native kernels: BLAS used and kernel names served natively, or why they did not run. */
  native?: { loaded: boolean; blas?: string; threads?: number; kernels?: string[]; reason?: string };
  macsPerSec: number | null;
  peakFraction: number | null;
  peerMacsPerSec: number | null;
  peerPeakFraction: number | null;
  gemmPeakMacsPerSec: number | null;
  batch: number;
  resolution: number;
  oursPeakRssMB: number | null;
  peerPeakRssMB: number | null;
  rssRatio: number | null;
  oursParams: number | null;
  peerParams: number | null;
  error?: string;
  profile?: Array<{ kernel: string; ms: number; calls: number }>;
}

const VALUE_OPTIONS = ['models', 'modes', 'repetitions', 'rounds', 'warmup', 'threads', 'python', 'batch', 'resolution', 'timeout-s', 'worker', 'graph-out'];
const FLAG_OPTIONS = ['json', 'profile'];

/** Parses the command line; every bad value is a UsageError naming it. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const args: ParsedArgs = parseArgs(argv, { values: VALUE_OPTIONS, booleans: FLAG_OPTIONS });
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"; options: --${[...VALUE_OPTIONS, ...FLAG_OPTIONS].join(', --')}`);
  const models = (stringOption(args, 'models') ?? DEFAULT_MODELS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const m of models) getModelEntry(m); // throws listing the registered names
  let modes: Mode[];
  try {
    modes = (stringOption(args, 'modes') ?? MODES.join(',')).split(',').map((s) => parseMode(s.trim()));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    models,
    modes,
    repetitions: numberOption(args, 'repetitions', { integer: true, min: 1 }) ?? 0,
    rounds: numberOption(args, 'rounds', { integer: true, min: 1 }) ?? 0,
    warmup: numberOption(args, 'warmup', { integer: true, min: 0 }) ?? -1,
    threads: numberOption(args, 'threads', { integer: true, min: 1 }) ?? 1,
    json: args.options.get('json') === true,
    profile: args.options.get('profile') === true,
    python: stringOption(args, 'python') ?? '/usr/bin/python3',
    batch: numberOption(args, 'batch', { integer: true, min: 1 }),
    resolution: numberOption(args, 'resolution', { integer: true, min: 8 }),
    timeoutS: numberOption(args, 'timeout-s', { integer: true, min: 1 }) ?? 900,
  };
}

/** Timed units per process when --repetitions is not given: fewer for the slow 224×224 training. */
function repetitionsFor(mode: Mode, opts: BenchOptions): number {
  if (opts.repetitions > 0) return opts.repetitions;
  return mode === 'train224' ? 1 : mode === 'train32' ? 3 : 8;
}

/**
 * Untimed units when --warmup is not given. V8 optimises the engine's JavaScript over the first forward passes: a
 * batch-1 inference still ran 1.5–3× its steady time in reps 2–6 after one warm-up pass and had 2–4× outliers after ten
 * (PyTorch's C++ needs none); a training step runs enough kernels to warm up within a few.
 * Both sides get the same count.
 */
function warmupFor(mode: Mode, opts: BenchOptions): number {
  if (opts.warmup >= 0) return opts.warmup;
  return mode === 'infer224' ? 30 : mode === 'train32' ? 3 : 1;
}

/** Rounds when --rounds is not given: 3 (each side's median then pools 3, 9 or 24 units). */
function roundsFor(opts: BenchOptions): number {
  return opts.rounds > 0 ? opts.rounds : 3;
}

/** Last JSON object printed on stdout by a child process, or null. */
function lastJsonLine(stdout: string): Record<string, unknown> | null {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) return null;
  try {
    return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Why a child produced no result: its exit status, signal or last stderr line. */
function childFailure(res: ReturnType<typeof spawnSync>, who: string): string {
  const stderr = String(res.stderr ?? '').trim().split('\n').filter((l) => l.trim() !== '');
  const tail = stderr.slice(-2).join(' | ').slice(0, 400);
  if (res.error) return `${who}: ${res.error.message}`;
  if (res.signal) return `${who}: killed by ${res.signal}${res.signal === 'SIGTERM' ? ' (timeout)' : ''}${tail ? `; ${tail}` : ''}`;
  return `${who}: exit status ${res.status}${tail ? `; ${tail}` : ''}`;
}

/** Peak fp32 GEMM rate of the peer's BLAS (torch.mm) on `threads` threads, MAC/s; null when the peer cannot run. */
export function measureGemmPeak(python: string, threads: number, size = 2048): { macsPerSec: number | null; error?: string } {
  const res = spawnSync(python, [path.join(peerDir(), 'peer.py'), '--gemm', '--threads', String(threads), '--size', String(size)], {
    encoding: 'utf8', timeout: 300000,
  });
  const out = lastJsonLine(res.stdout ?? '');
  if (out === null || typeof out.gemmMacsPerSec !== 'number') return { macsPerSec: null, error: childFailure(res, 'peer --gemm') };
  return { macsPerSec: out.gemmMacsPerSec };
}

/** bench/ in the source tree (peer.py is not compiled): dist/bench/run.js → ../../bench. */
function peerDir(): string {
  const candidates = [path.resolve(__dirname, '..', '..', 'bench'), __dirname];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'peer.py')));
  if (found === undefined) throw new Error(`bench/peer.py not found (looked in ${candidates.join(', ')})`);
  return found;
}

type OursRecord = OursResult & { ok: boolean; error?: string; backend?: string; native?: BenchLine['native'] };
type PeerRecord = { ok: boolean; error?: string; seconds: number[]; peakRssBytes: number; trainableParams: number };

/** One timing process of ours (a Node worker): its record, or the reason it gave none. Exports the graph to graphFile if given. */
function runOurs(model: string, mode: Mode, opts: BenchOptions, reps: number, graphFile?: string): { ours: OursRecord | null; error?: string } {
  const workerArgs = [__filename, '--worker', `${model}:${mode}`, '--repetitions', String(reps), '--warmup', String(warmupFor(mode, opts))];
  if (opts.batch !== undefined) workerArgs.push('--batch', String(opts.batch));
  if (opts.resolution !== undefined) workerArgs.push('--resolution', String(opts.resolution));
  if (opts.profile) workerArgs.push('--profile');
  if (graphFile !== undefined) workerArgs.push('--graph-out', graphFile);
  // Same thread count as the peer: the native kernels read it at load time.
  const env = { ...process.env, COMPACT_NETS_THREADS: String(opts.threads) };
  const res = spawnSync(process.execPath, workerArgs, { encoding: 'utf8', timeout: opts.timeoutS * 1000, maxBuffer: 64 << 20, env });
  const ours = lastJsonLine(res.stdout ?? '') as OursRecord | null;
  if (ours === null || !ours.ok) return { ours, error: ours?.error !== undefined ? `ours: ${ours.error}` : childFailure(res, 'ours') };
  return { ours };
}

/** One timing process of the peer on a job file (graph and sizes): its record, or the reason it gave none. */
function runPeer(opts: BenchOptions, jobFile: string): { peer: PeerRecord | null; error?: string } {
  const pres = spawnSync(opts.python, [path.join(peerDir(), 'peer.py'), '--job', jobFile], { encoding: 'utf8', timeout: opts.timeoutS * 1000 });
  const peer = lastJsonLine(pres.stdout ?? '') as PeerRecord | null;
  if (peer === null || peer.ok !== true) return { peer: null, error: peer !== null && typeof peer.error === 'string' ? `peer: ${peer.error}` : childFailure(pres, 'peer') };
  return { peer };
}

/** Median over every timed unit of every round (each unit counts once, whichever process timed it). */
function pooledMedian(runs: number[][]): number {
  return median(runs.flat());
}

/** Runs ours and the peer for one model × mode, alternating over the rounds, and assembles the report line. */
export function benchOne(model: string, mode: Mode, opts: BenchOptions, gemm: Map<number, number | null>): BenchLine {
  const spec = MODE_SPECS[mode];
  const batch = opts.batch ?? spec.batch;
  const resolution = opts.resolution ?? spec.resolution;
  const reps = repetitionsFor(mode, opts);
  const rounds = roundsFor(opts);
  const line: BenchLine = {
    model, mode, ours: null, peer: null, unit: spec.unit, ratio: null, rounds: 0, ratioRange: null, threads: opts.threads, oursThreads: 1,
    backend: 'wasm', macsPerSec: null, peakFraction: null, peerMacsPerSec: null, peerPeakFraction: null,
    gemmPeakMacsPerSec: gemm.get(opts.threads) ?? null, batch, resolution, oursPeakRssMB: null, peerPeakRssMB: null, rssRatio: null,
    oursParams: null, peerParams: null,
  };
  const errors: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compact-nets-bench-'));
  let macsPerImage: number | null = null;
  const oursRuns: number[][] = [];
  const peerRuns: number[][] = [];
  const roundRatios: number[] = [];
  const toUnit = (secs: number) => (spec.training ? batch / secs : secs * 1000);
  try {
    const graphFile = path.join(tmp, 'graph.json');
    const jobFile = path.join(tmp, 'job.json');
    for (let round = 0; round < rounds && errors.length === 0; round++) {
      let oursSecs: number[] | null = null;
      let peerSecs: number[] | null = null;
      const doOurs = () => {
        // Only the first round exports the graph; the architecture does not change between rounds.
        const { ours, error } = runOurs(model, mode, opts, reps, round === 0 ? graphFile : undefined);
        if (ours !== null && ours.macsPerImage !== undefined) macsPerImage = ours.macsPerImage;
        if (error !== undefined || ours === null) {
          errors.push(error ?? 'ours: no result');
          return;
        }
        oursSecs = ours.seconds;
        line.oursPeakRssMB = Math.max(line.oursPeakRssMB ?? 0, ours.peakRssBytes / 2 ** 20);
        line.oursParams = ours.trainableParams;
        line.backend = ours.backend ?? 'wasm';
        if (ours.native !== undefined) {
          line.native = ours.native;
          if (ours.native.loaded && (ours.native.kernels?.length ?? 0) > 0) {
            line.backend = `${line.backend}+native`;
            line.oursThreads = ours.native.threads ?? 1;
          }
        }
        if (ours.profile) line.profile = ours.profile;
      };
      const doPeer = () => {
        // The peer runs the graph ours exported (written before timing, so it exists even if ours failed later); the
        // job file is written once and reused by every round.
        if (!fs.existsSync(jobFile)) {
          if (!fs.existsSync(graphFile)) {
            errors.push('peer: not run, the model graph was not exported');
            return;
          }
          const job = { graph: JSON.parse(fs.readFileSync(graphFile, 'utf8')), batch, resolution, training: spec.training, threads: opts.threads, repetitions: reps, warmup: warmupFor(mode, opts) };
          fs.writeFileSync(jobFile, JSON.stringify(job));
        }
        const { peer, error } = runPeer(opts, jobFile);
        if (error !== undefined || peer === null) {
          errors.push(error ?? 'peer: no result');
          return;
        }
        peerSecs = peer.seconds;
        line.peerPeakRssMB = Math.max(line.peerPeakRssMB ?? 0, peer.peakRssBytes / 2 ** 20);
        line.peerParams = peer.trainableParams;
      };
      // The first round needs ours first (it exports the graph); later rounds alternate the order.
      if (round % 2 === 0) { doOurs(); if (errors.length === 0 || fs.existsSync(graphFile)) doPeer(); }
      else { doPeer(); doOurs(); }
      if (oursSecs !== null) oursRuns.push(oursSecs);
      if (peerSecs !== null) peerRuns.push(peerSecs);
      if (oursSecs !== null && peerSecs !== null) roundRatios.push(toUnit(median(oursSecs)) / toUnit(median(peerSecs)));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  line.rounds = Math.min(oursRuns.length, peerRuns.length);
  if (oursRuns.length > 0) {
    const secs = pooledMedian(oursRuns);
    line.ours = toUnit(secs);
    if (macsPerImage !== null) line.macsPerSec = macsPerUnit(macsPerImage, { ...spec, batch }) / secs;
  }
  if (peerRuns.length > 0) {
    const secs = pooledMedian(peerRuns);
    line.peer = toUnit(secs);
    if (macsPerImage !== null) line.peerMacsPerSec = macsPerUnit(macsPerImage, { ...spec, batch }) / secs;
  }
  if (roundRatios.length > 0) line.ratioRange = [Math.min(...roundRatios), Math.max(...roundRatios)];
  if (line.ours !== null && line.peer !== null) line.ratio = line.ours / line.peer;
  const peak = line.gemmPeakMacsPerSec;
  if (peak !== null && line.macsPerSec !== null) line.peakFraction = line.macsPerSec / peak;
  if (peak !== null && line.peerMacsPerSec !== null) line.peerPeakFraction = line.peerMacsPerSec / peak;
  if (line.oursPeakRssMB !== null && line.peerPeakRssMB !== null) line.rssRatio = line.oursPeakRssMB / line.peerPeakRssMB;
  if (errors.length > 0) line.error = errors.join('; ');
  return line;
}

/** Worker: builds and times one model × mode on wasm, prints one JSON line (ok or error). */
async function workerMain(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { values: VALUE_OPTIONS, booleans: FLAG_OPTIONS });
  const [model, modeName] = (stringOption(args, 'worker') ?? '').split(':');
  const mode = parseMode(modeName);
  const graphFile = stringOption(args, 'graph-out');
  let macsPerImage: number | undefined;
  try {
    const info = await initBackend('wasm');
    const resolution = numberOption(args, 'resolution', { integer: true, min: 8 });
    const { model: net, graph } = buildForMode(model, mode, resolution);
    if (graphFile !== undefined) fs.writeFileSync(graphFile, JSON.stringify(graph));
    const result = await timeOurs(net, mode, {
      repetitions: numberOption(args, 'repetitions', { integer: true, min: 1 }) ?? 3,
      warmup: numberOption(args, 'warmup', { integer: true, min: 0 }) ?? 1,
      batch: numberOption(args, 'batch', { integer: true, min: 1 }),
      resolution,
      profile: args.options.get('profile') === true,
    });
    macsPerImage = result.macsPerImage;
    const n = info.native;
    const native = n === undefined ? undefined : n.loaded
      ? { loaded: true, blas: n.blas, threads: n.threads, kernels: n.kernels }
      : { loaded: false, reason: n.reason };
    process.stdout.write(JSON.stringify({ ok: true, backend: info.backend, native, ...result }) + '\n');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stdout.write(JSON.stringify({ ok: false, error: message.slice(0, 500), macsPerImage }) + '\n');
  }
}

/** Formats a line for humans (the default output). */
function formatLine(l: BenchLine): string {
  const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
  return `${l.model.padEnd(14)} ${l.mode.padEnd(9)} ours ${f(l.ours).padStart(8)} peer ${f(l.peer).padStart(8)} ${l.unit.padEnd(8)} ` +
    `ratio ${f(l.ratio, 2).padStart(5)}${l.ratioRange ? ` (${l.ratioRange[0].toFixed(2)}–${l.ratioRange[1].toFixed(2)} over ${l.rounds} rounds)` : ''}  peak ${l.peakFraction === null ? '—' : (100 * l.peakFraction).toFixed(1) + '%'} ` +
    `rss ${f(l.oursPeakRssMB, 0)}/${f(l.peerPeakRssMB, 0)} MB${l.error ? `  ERROR ${l.error}` : ''}`;
}

/** Orchestrator: GEMM peaks, then every model × mode; one JSON line each with --json. */
export async function benchMain(argv: string[], write: (s: string) => void = (s) => process.stdout.write(s)): Promise<BenchLine[]> {
  const opts = parseBenchOptions(argv);
  const gemm = new Map<number, number | null>();
  for (const t of [...new Set([1, 2, opts.threads])]) {
    const g = measureGemmPeak(opts.python, t, opts.batch !== undefined ? 256 : 2048);
    gemm.set(t, g.macsPerSec);
    const record = { gemm: true, threads: t, gemmMacsPerSec: g.macsPerSec, ...(g.error ? { error: g.error } : {}) };
    write((opts.json ? JSON.stringify(record) : `GEMM peak (torch.mm, ${t} thread${t > 1 ? 's' : ''}): ${g.macsPerSec === null ? g.error : (g.macsPerSec / 1e9).toFixed(1) + ' GMAC/s'}`) + '\n');
  }
  const lines: BenchLine[] = [];
  for (const mode of opts.modes) {
    for (const model of opts.models) {
      const line = benchOne(model, mode, opts, gemm);
      lines.push(line);
      write((opts.json ? JSON.stringify(line) : formatLine(line)) + '\n');
    }
  }
  return lines;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const run = argv.includes('--worker') ? workerMain(argv) : benchMain(argv).then(() => undefined);
  run.catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  });
}
