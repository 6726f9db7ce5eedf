/**
 * Benchmark against PyTorch and onnxruntime (issues 9, 17): `npm run bench -- --json [--models a,b]
 * [--modes train32,train224,infer224] [--peers pytorch-graph,torchvision,onnxruntime] [--repetitions N] [--rounds N]
 * [--warmup N] [--threads N] [--profile] [--engine tfjs|plan]` (plan: ours in infer224 is the inference plan of src/lib/plan). Each model × mode runs in fresh Node workers (ours, wasm) and fresh peer
 * processes, so peak RSS is per run and an out-of-memory failure only marks its own line. Peers (the line's
 * `peerName`): `pytorch-graph` (PyTorch running our exported layer graph, every mode), `torchvision` (torchvision's own
 * model of the same architecture, train224 and infer224, where a twin exists; inference: eager or TorchScript-frozen,
 * whichever is faster) and `onnxruntime` (our model exported to ONNX in onnxruntime-node, infer224). Ours and every
 * peer alternate over `rounds` rounds (ours first in odd rounds, the peers first in even ones) and each side's median
 * is taken over all its timed units: on a shared machine whose speed drifts by ±30 % over minutes, back-to-back single
 * runs compare two different machines. One line per model × mode × peer.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, numberOption, stringOption, UsageError, ParsedArgs } from '../src/cli/args';
import { initBackend } from '../src/lib/backend';
import { getModelEntry, ModelConfig } from '../src/models';
import { exportOnnx } from '../src/lib/onnx';
import { TORCHVISION_MODELS } from '../src/lib/weights/torch-map';
import { buildForMode, Engine, parseEngine, timeOurs, OursResult } from './ours';
import { median } from '../src/lib/stats';
import { DEFAULT_MODELS, macsPerUnit, Mode, MODE_SPECS, MODES, parseMode } from './modes';

/** The peers ours is compared with; each bench line names one in `peerName`. */
export const PEERS = ['pytorch-graph', 'torchvision', 'onnxruntime'] as const;
export type PeerName = (typeof PEERS)[number];

/** Settings of one benchmark invocation. */
export interface BenchOptions {
  models: string[];
  modes: Mode[];
  /** Peers to run where they apply (torchvision: train224/infer224 with a twin; onnxruntime: infer224). */
  peers: PeerName[];
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
  /** What runs ours in inference modes: the tfjs path (default) or our inference plan (src/lib/plan, native kernels only). */
  engine: Engine;
}

/** One report line (issue 9 schema plus memory, parameter cross-check and error fields). */
export interface BenchLine {
  model: string;
  mode: Mode;
  /** Who `peer` is: PyTorch on our graph, torchvision's own model, or our ONNX export in onnxruntime-node. */
  peerName: PeerName;
  /** What exactly ran as the peer, e.g. "torchvision shufflenet_v2_x1_0 (torchscript-frozen)", "onnxruntime-node 1.30.0". */
  peerDetail?: string;
  /** Options ours was built with beyond the mode's profile (the torchvision twin's, e.g. mobilenet_v2 padding 'torch'). */
  oursConfig?: ModelConfig;
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

const VALUE_OPTIONS = ['engine', 'models', 'modes', 'peers', 'repetitions', 'rounds', 'warmup', 'threads', 'python', 'batch', 'resolution', 'timeout-s', 'worker', 'graph-out', 'onnx-out', 'config'];
const FLAG_OPTIONS = ['json', 'profile', 'export-only'];

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
  const peers = (stringOption(args, 'peers') ?? PEERS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of peers) {
    if (!(PEERS as readonly string[]).includes(p)) throw new UsageError(`unknown peer "${p}"; choose from ${PEERS.join(', ')} (comma-separated in --peers)`);
  }
  return {
    models,
    modes,
    peers: peers as PeerName[],
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
    engine: engineOption(stringOption(args, 'engine')),
  };
}

/** parseEngine with its error as a UsageError (a bad --engine is the caller's value). */
function engineOption(value: string | undefined): Engine {
  try {
    return parseEngine(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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

/**
 * One timing process of ours (a Node worker) with `config` over the mode's profile: its record, or the reason it gave
 * none. Exports the layer graph to graphFile when given.
 */
function runOurs(
  model: string, mode: Mode, opts: BenchOptions, reps: number, config: ModelConfig, graphFile?: string,
): { ours: OursRecord | null; error?: string } {
  const workerArgs = [__filename, '--worker', `${model}:${mode}`, '--repetitions', String(reps), '--warmup', String(warmupFor(mode, opts))];
  if (Object.keys(config).length > 0) workerArgs.push('--config', JSON.stringify(config));
  if (opts.batch !== undefined) workerArgs.push('--batch', String(opts.batch));
  if (opts.resolution !== undefined) workerArgs.push('--resolution', String(opts.resolution));
  if (opts.profile) workerArgs.push('--profile');
  if (opts.engine !== 'tfjs') workerArgs.push('--engine', opts.engine);
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

/**
 * Exports the model of `mode` to ONNX in a worker of its own (so that no timed process pays its memory); the reason
 * when it fails.
 */
function exportOnnxFile(model: string, mode: Mode, opts: BenchOptions, onnxFile: string): string | undefined {
  const args = [__filename, '--worker', `${model}:${mode}`, '--export-only', '--onnx-out', onnxFile];
  if (opts.resolution !== undefined) args.push('--resolution', String(opts.resolution));
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: opts.timeoutS * 1000, maxBuffer: 64 << 20 });
  const out = lastJsonLine(res.stdout ?? '');
  if (out === null || out.ok !== true) return `onnxruntime: export failed: ${typeof out?.error === 'string' ? out.error : childFailure(res, 'export')}`;
  return undefined;
}

/** One timing process of the onnxruntime peer on our exported ONNX file (bench/onnx-peer.ts). */
function runOnnxPeer(opts: BenchOptions, onnxFile: string, reps: number, warmup: number, batch: number, resolution: number): { peer: PeerRecord | null; error?: string } {
  const script = path.join(__dirname, 'onnx-peer.js');
  const args = [script, '--model', onnxFile, '--threads', String(opts.threads), '--repetitions', String(reps), '--warmup', String(warmup), '--batch', String(batch), '--resolution', String(resolution)];
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: opts.timeoutS * 1000 });
  const peer = lastJsonLine(res.stdout ?? '') as (PeerRecord & { runtime?: string }) | null;
  if (peer === null || peer.ok !== true) return { peer: null, error: peer !== null && typeof peer.error === 'string' ? `onnxruntime: ${peer.error}` : childFailure(res, 'onnxruntime') };
  return { peer };
}

/** The torchvision twin of `model` (name and the options ours needs to match it), or null when it has none. */
export function torchvisionTwin(model: string): { name: string; config: ModelConfig } | null {
  const found = Object.entries(TORCHVISION_MODELS).find(([, t]) => t.builder === model && (t.builder !== 'shufflenet_v2' || t.config.width === 1));
  return found === undefined ? null : { name: found[0], config: found[1].config as ModelConfig };
}

/** Peers of `opts.peers` that apply to `model` in `mode`. */
export function peersFor(model: string, mode: Mode, opts: Pick<BenchOptions, 'peers'>): PeerName[] {
  return opts.peers.filter((p) => {
    if (p === 'torchvision') return (mode === 'train224' || mode === 'infer224') && torchvisionTwin(model) !== null;
    if (p === 'onnxruntime') return mode === 'infer224';
    return true;
  });
}

/** Median over every timed unit of every round (each unit counts once, whichever process timed it). */
function pooledMedian(runs: number[][]): number {
  return median(runs.flat());
}

/** Timings of one side (ours in one configuration, or one peer) over the rounds. */
interface SideRuns {
  runs: number[][];
  peakRssMB: number | null;
  params: number | null;
  errors: string[];
  /** Per-round median seconds (null where the round failed), aligned with the rounds. */
  perRound: Array<number | null>;
}

function emptySide(): SideRuns {
  return { runs: [], peakRssMB: null, params: null, errors: [], perRound: [] };
}

/**
 * Runs ours and every applicable peer for one model × mode, alternating over the rounds, and assembles one report line
 * per peer. Ours runs once per round per configuration it needs (the mode's, and the torchvision twin's where that
 * differs, e.g. mobilenet_v2 with padding 'torch'); the first ours run exports the graph (pytorch-graph) and the ONNX
 * file (onnxruntime).
 */
export function benchOne(model: string, mode: Mode, opts: BenchOptions, gemm: Map<number, number | null>): BenchLine[] {
  const spec = MODE_SPECS[mode];
  const batch = opts.batch ?? spec.batch;
  const resolution = opts.resolution ?? spec.resolution;
  const reps = repetitionsFor(mode, opts);
  const warmup = warmupFor(mode, opts);
  const rounds = roundsFor(opts);
  const peers = peersFor(model, mode, opts);
  const twin = torchvisionTwin(model);
  // Ours configurations: '' = the mode's profile; 'twin' = with the torchvision twin's options, when they change ours.
  const twinConfig: ModelConfig = twin === null ? {} : Object.fromEntries(Object.entries(twin.config).filter(([k, v]) => getModelEntry(model).defaults[k] !== v));
  const needsTwinBuild = peers.includes('torchvision') && Object.keys(twinConfig).length > 0;
  const oursKeys = needsTwinBuild ? ['', 'twin'] : [''];
  const oursKeyOf = (p: PeerName): string => (p === 'torchvision' && needsTwinBuild ? 'twin' : '');
  const ours = new Map(oursKeys.map((k) => [k, emptySide()]));
  const oursInfo = new Map<string, OursRecord>();
  const peerSides = new Map(peers.map((p) => [p, emptySide()]));
  const peerDetail = new Map<PeerName, string>();
  const fatal: string[] = []; // failures that stop the rounds (ours could not run)
  let macsPerImage: number | null = null;
  const toUnit = (secs: number) => (spec.training ? batch / secs : secs * 1000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compact-nets-bench-'));
  try {
    const graphFile = path.join(tmp, 'graph.json');
    const onnxFile = path.join(tmp, 'model.onnx');
    const jobFile = path.join(tmp, 'job.json');
    const tvJobFile = path.join(tmp, 'torchvision-job.json');
    let onnxExportError: string | undefined;
    const doOurs = (key: string, round: number) => {
      const side = ours.get(key)!;
      const first = round === 0 && key === '';
      const { ours: rec, error } = runOurs(model, mode, opts, reps, key === 'twin' ? twinConfig : {}, first ? graphFile : undefined);
      if (rec !== null && rec.macsPerImage !== undefined && key === '') macsPerImage = rec.macsPerImage;
      if (error !== undefined || rec === null) {
        side.errors.push(error ?? 'ours: no result');
        side.perRound.push(null);
        if (key === '') fatal.push(error ?? 'ours: no result');
        return;
      }
      side.runs.push(rec.seconds);
      side.perRound.push(median(rec.seconds));
      side.peakRssMB = Math.max(side.peakRssMB ?? 0, rec.peakRssBytes / 2 ** 20);
      side.params = rec.trainableParams;
      oursInfo.set(key, rec);
    };
    const doPeer = (p: PeerName) => {
      const side = peerSides.get(p)!;
      let result: { peer: (PeerRecord & { variant?: string; runtime?: string }) | null; error?: string };
      if (p === 'onnxruntime') {
        if (!fs.existsSync(onnxFile) && onnxExportError === undefined) onnxExportError = exportOnnxFile(model, mode, opts, onnxFile);
        result = fs.existsSync(onnxFile) ? runOnnxPeer(opts, onnxFile, reps, warmup, batch, resolution) : { peer: null, error: onnxExportError ?? 'onnxruntime: not run, the ONNX model was not exported' };
      } else {
        const file = p === 'torchvision' ? tvJobFile : jobFile;
        // Job files are written once and reused by every round; the graph job needs the graph ours exported.
        if (!fs.existsSync(file)) {
          const common = { batch, resolution, training: spec.training, threads: opts.threads, repetitions: reps, warmup };
          if (p === 'torchvision') fs.writeFileSync(file, JSON.stringify({ torchvision: twin!.name, ...common }));
          else if (fs.existsSync(graphFile)) fs.writeFileSync(file, JSON.stringify({ graph: JSON.parse(fs.readFileSync(graphFile, 'utf8')), ...common }));
        }
        result = fs.existsSync(file) ? runPeer(opts, file) : { peer: null, error: 'peer: not run, the model graph was not exported' };
      }
      const { peer, error } = result;
      if (error !== undefined || peer === null) {
        side.errors.push(error ?? `${p}: no result`);
        side.perRound.push(null);
        return;
      }
      side.runs.push(peer.seconds);
      side.perRound.push(median(peer.seconds));
      side.peakRssMB = Math.max(side.peakRssMB ?? 0, peer.peakRssBytes / 2 ** 20);
      side.params = p === 'onnxruntime' ? null : peer.trainableParams;
      if (p === 'torchvision') peerDetail.set(p, `torchvision ${twin!.name} (${peer.variant ?? 'eager'})`);
      if (p === 'onnxruntime') peerDetail.set(p, `${peer.runtime ?? 'onnxruntime-node'}, ${opts.threads} intra-op thread(s), our graph exported to ONNX`);
      if (p === 'pytorch-graph') peerDetail.set(p, 'PyTorch on our layer graph (bench/peer.py)');
    };
    for (let round = 0; round < rounds && fatal.length === 0; round++) {
      // The first round runs ours first (it exports the graph and the ONNX file); later rounds alternate the order.
      if (round % 2 === 0) {
        for (const k of oursKeys) doOurs(k, round);
        if (fatal.length === 0 || fs.existsSync(graphFile)) for (const p of peers) doPeer(p);
      } else {
        for (const p of peers) doPeer(p);
        for (const k of oursKeys) doOurs(k, round);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return peers.map((p) => {
    const o = ours.get(oursKeyOf(p))!;
    const q = peerSides.get(p)!;
    const rec = oursInfo.get(oursKeyOf(p)) ?? oursInfo.get('');
    const line: BenchLine = {
      model, mode, peerName: p, ours: null, peer: null, unit: spec.unit, ratio: null, rounds: 0, ratioRange: null, threads: opts.threads,
      oursThreads: 1, backend: 'wasm', macsPerSec: null, peakFraction: null, peerMacsPerSec: null, peerPeakFraction: null,
      gemmPeakMacsPerSec: gemm.get(opts.threads) ?? null, batch, resolution, oursPeakRssMB: o.peakRssMB, peerPeakRssMB: q.peakRssMB, rssRatio: null,
      oursParams: o.params, peerParams: q.params,
    };
    if (peerDetail.has(p)) line.peerDetail = peerDetail.get(p);
    if (oursKeyOf(p) === 'twin') line.oursConfig = twinConfig;
    if (rec !== undefined) {
      line.backend = rec.backend ?? 'wasm';
      if (rec.native !== undefined) {
        line.native = rec.native;
        if (rec.native.loaded && (rec.native.kernels?.length ?? 0) > 0) {
          line.backend = `${line.backend}+native`;
          line.oursThreads = rec.native.threads ?? 1;
        }
      }
      if (rec.profile) line.profile = rec.profile;
    }
    const roundRatios: number[] = [];
    o.perRound.forEach((os_, i) => {
      const ps = q.perRound[i];
      if (os_ !== null && ps !== null && ps !== undefined) roundRatios.push(toUnit(os_) / toUnit(ps));
    });
    line.rounds = Math.min(o.runs.length, q.runs.length);
    if (o.runs.length > 0) {
      const secs = pooledMedian(o.runs);
      line.ours = toUnit(secs);
      if (macsPerImage !== null) line.macsPerSec = macsPerUnit(macsPerImage, { ...spec, batch }) / secs;
    }
    if (q.runs.length > 0) {
      const secs = pooledMedian(q.runs);
      line.peer = toUnit(secs);
      if (macsPerImage !== null) line.peerMacsPerSec = macsPerUnit(macsPerImage, { ...spec, batch }) / secs;
    }
    if (roundRatios.length > 0) line.ratioRange = [Math.min(...roundRatios), Math.max(...roundRatios)];
    if (line.ours !== null && line.peer !== null) line.ratio = line.ours / line.peer;
    const peak = line.gemmPeakMacsPerSec;
    if (peak !== null && line.macsPerSec !== null) line.peakFraction = line.macsPerSec / peak;
    if (peak !== null && line.peerMacsPerSec !== null) line.peerPeakFraction = line.peerMacsPerSec / peak;
    if (line.oursPeakRssMB !== null && line.peerPeakRssMB !== null) line.rssRatio = line.oursPeakRssMB / line.peerPeakRssMB;
    const errors = [...new Set([...o.errors, ...q.errors])];
    if (errors.length > 0) line.error = errors.join('; ');
    return line;
  });
}

/** Worker: builds and times one model × mode on wasm, prints one JSON line (ok or error). */
async function workerMain(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { values: VALUE_OPTIONS, booleans: FLAG_OPTIONS });
  const [model, modeName] = (stringOption(args, 'worker') ?? '').split(':');
  const mode = parseMode(modeName);
  const graphFile = stringOption(args, 'graph-out');
  const onnxFile = stringOption(args, 'onnx-out');
  const config = JSON.parse(stringOption(args, 'config') ?? '{}') as ModelConfig;
  let macsPerImage: number | undefined;
  try {
    const info = await initBackend('wasm');
    const resolution = numberOption(args, 'resolution', { integer: true, min: 8 });
    const { model: net, graph } = buildForMode(model, mode, resolution, config);
    if (graphFile !== undefined) fs.writeFileSync(graphFile, JSON.stringify(graph));
    if (args.options.get('export-only') === true) {
      // The onnxruntime peer's file: the same architecture as ours (randomly initialised like it), exported once per model × mode.
      if (onnxFile === undefined) throw new Error('--export-only needs --onnx-out FILE');
      fs.writeFileSync(onnxFile, exportOnnx(net).bytes);
      process.stdout.write(JSON.stringify({ ok: true, onnx: onnxFile }) + '\n');
      return;
    }
    const result = await timeOurs(net, mode, {
      repetitions: numberOption(args, 'repetitions', { integer: true, min: 1 }) ?? 3,
      warmup: numberOption(args, 'warmup', { integer: true, min: 0 }) ?? 1,
      batch: numberOption(args, 'batch', { integer: true, min: 1 }),
      resolution,
      profile: args.options.get('profile') === true,
      engine: parseEngine(stringOption(args, 'engine')),
    });
    macsPerImage = result.macsPerImage;
    const n = info.native;
    const native = n === undefined ? undefined : n.loaded
      ? { loaded: true, blas: n.blas, threads: n.threads, kernels: n.kernels }
      : { loaded: false, reason: n.reason };
    const backend = result.engine === 'plan' ? 'plan' : info.backend;
    process.stdout.write(JSON.stringify({ ok: true, backend, native, ...result }) + '\n');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stdout.write(JSON.stringify({ ok: false, error: message.slice(0, 500), macsPerImage }) + '\n');
  }
}

/** Formats a line for humans (the default output). */
function formatLine(l: BenchLine): string {
  const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
  return `${l.model.padEnd(14)} ${l.mode.padEnd(9)} ${l.peerName.padEnd(13)} ours ${f(l.ours).padStart(8)} peer ${f(l.peer).padStart(8)} ${l.unit.padEnd(8)} ` +
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
      for (const line of benchOne(model, mode, opts, gemm)) {
        lines.push(line);
        write((opts.json ? JSON.stringify(line) : formatLine(line)) + '\n');
      }
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
