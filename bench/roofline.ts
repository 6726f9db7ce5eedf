/**
 * Roofline of the bench (issue #18, part 3): per model and mode, the multiply-accumulates and bytes one unit of work
 * moves (from the cost module), its arithmetic intensity, the rate this machine can attain at that intensity
 * (min(GEMM peak, bandwidth × intensity), both measured by bench/c/probe.c), and the share of it that ours and each
 * peer of a bench JSONL reach.
 *
 * Traffic model (bytes per unit): every layer reads its inputs and writes its outputs once per pass — the cost
 * module's memory access (ShuffleNet V2's MAC) less the parameters, × batch — and reads its parameters once per batch;
 * a training step makes three such passes (forward; input gradient: dy and weights in, dx out; filter gradient: x and
 * dy in, dW out), the same 3× as macsPerUnit. It ignores cache reuse across layers (so it overstates the DRAM traffic of
 * 32² maps that stay in cache) and the optimizer's update (5 parameter-sized streams, small beside the activations).
 *
 * Usage: node dist/bench/roofline.js --bench bench/results/2026-12-03-threads1.jsonl
 *          --machine bench/results/2026-12-08-machine.json [--out bench/results/2026-12-08-roofline.json]
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/models';
import { costOf, CostReport } from '../src/lib/cost';
import { Mode, MODE_SPECS, macsPerUnit, parseMode } from './modes';

/** Bytes per float32 element. */
const FLOAT_BYTES = 4;

/** Elements one image moves in a forward pass, split into activations (scale with the batch) and parameters (do not). */
export interface TrafficPerImage {
  /** Input elements read + output elements written, summed over layers, for one image. */
  activationElements: number;
  /** Parameter elements read (all of them, BN statistics included) per pass. */
  parameterElements: number;
}

/**
 * Traffic of a cost report: its memory access less each layer's parameters, and the parameters once. A layer applied
 * at several nodes has its parameters in memory access once per node; the extra reads would stay in the activation
 * term (none of the bench's eight models shares a weighted layer: checked 2026-12-08).
 */
export function trafficOf(report: Pick<CostReport, 'memoryAccess' | 'layers' | 'params'>): TrafficPerImage {
  const layerParams = report.layers.reduce((a, l) => a + l.params.all, 0);
  return { activationElements: report.memoryAccess - layerParams, parameterElements: report.params.all };
}

/** Bytes moved by one unit of work (a training step of `batch` images or a forward of `batch` images). */
export function bytesPerUnit(t: TrafficPerImage, spec: { batch: number; training: boolean }): number {
  const passes = spec.training ? 3 : 1;
  return FLOAT_BYTES * passes * (spec.batch * t.activationElements + t.parameterElements);
}

/** Arithmetic intensity in MACs per byte. */
export function intensity(macs: number, bytes: number): number {
  if (!(bytes > 0)) throw new Error(`intensity: bytes = ${bytes} must be positive (a unit of work moves some memory)`);
  return macs / bytes;
}

/** The roof at one intensity: min(peak, bandwidth × intensity) in MAC/s, and which side bounds it. */
export function attainable(peakMacsPerSec: number, bytesPerSec: number, macsPerByte: number): { macsPerSec: number; bound: 'compute' | 'memory' } {
  if (!(peakMacsPerSec > 0) || !(bytesPerSec > 0)) {
    throw new Error(`attainable: peak ${peakMacsPerSec} MAC/s and bandwidth ${bytesPerSec} B/s must be positive (measure them with bench/c/probe)`);
  }
  const memory = bytesPerSec * macsPerByte;
  return memory < peakMacsPerSec ? { macsPerSec: memory, bound: 'memory' } : { macsPerSec: peakMacsPerSec, bound: 'compute' };
}

/** What bench/c/probe.c printed: GEMM and bandwidth results per thread count. */
export interface ProbeFile {
  results: Array<{
    threads: number;
    what: 'gemm' | 'bandwidth';
    gemm?: string;
    kernel?: string;
    /** Median and best round, GMAC/s (gemm) or GB/s (bandwidth). */
    gmacPerSec?: number;
    gmacPerSecBest?: number;
    gbPerSec?: number;
    gbPerSecBest?: number;
  }>;
  loadAvg1mBefore?: number;
  loadAvg1mAfter?: number;
}

/** This machine at one thread count: the best measured GEMM and the best streaming kernel. */
export interface MachineRoof {
  threads: number;
  peakMacsPerSec: number;
  peakGemm: string;
  bytesPerSec: number;
  bandwidthKernel: string;
}

/**
 * The roof for `threads` from a probe file: the fastest GEMM and streaming kernel, each at its best round (what the
 * machine can do; on a shared machine the median understates it), else its median. Throws naming the thread counts
 * the file holds when that one is missing.
 */
export function machineRoof(probe: ProbeFile, threads: number): MachineRoof {
  const rows = probe.results.filter((r) => r.threads === threads);
  const rate = (best: number | undefined, median: number | undefined): number => best ?? median ?? NaN;
  const gemms = rows.filter((r) => r.what === 'gemm').map((r) => ({ name: r.gemm ?? '?', v: rate(r.gmacPerSecBest, r.gmacPerSec) }));
  const bws = rows.filter((r) => r.what === 'bandwidth').map((r) => ({ name: r.kernel ?? '?', v: rate(r.gbPerSecBest, r.gbPerSec) }));
  const gemm = gemms.filter((g) => g.v > 0).sort((a, b) => b.v - a.v)[0];
  const bw = bws.filter((g) => g.v > 0).sort((a, b) => b.v - a.v)[0];
  if (!gemm || !bw) {
    const have = [...new Set(probe.results.map((r) => r.threads))].join(', ');
    throw new Error(`machineRoof: the probe file has no GEMM and bandwidth results for ${threads} thread(s) (it has: ${have || 'none'}); rerun bench/c/run.sh`);
  }
  return { threads, peakMacsPerSec: gemm.v * 1e9, peakGemm: gemm.name, bytesPerSec: bw.v * 1e9, bandwidthKernel: bw.name };
}

/** The fields of a bench JSONL line that the roofline reads. */
export interface BenchRates {
  model: string;
  mode: string;
  peerName: string;
  threads: number;
  batch: number;
  macsPerSec: number | null;
  peerMacsPerSec: number | null;
}

/** One model × mode of the roofline; rates in MAC/s, fractions of the attainable rate in [0, ∞). */
export interface RooflineRow {
  model: string;
  mode: Mode;
  threads: number;
  macsPerUnit: number;
  bytesPerUnit: number;
  macsPerByte: number;
  attainableMacsPerSec: number;
  bound: 'compute' | 'memory';
  oursMacsPerSec: number | null;
  oursFraction: number | null;
  peers: Record<string, { macsPerSec: number | null; fraction: number | null }>;
}

/** Roofline rows of bench lines (grouped per model × mode), given each model × mode's forward cost for one image. */
export function rooflineRows(lines: BenchRates[], costOfMode: (model: string, mode: Mode) => { macs: number; traffic: TrafficPerImage }, probe: ProbeFile): RooflineRow[] {
  const rows = new Map<string, RooflineRow>();
  for (const l of lines) {
    const mode = parseMode(l.mode);
    const key = `${l.model}/${mode}/${l.threads}`;
    let row = rows.get(key);
    if (row === undefined) {
      const spec = { ...MODE_SPECS[mode], batch: l.batch };
      const c = costOfMode(l.model, mode);
      const macs = macsPerUnit(c.macs, spec);
      const bytes = bytesPerUnit(c.traffic, spec);
      const roof = machineRoof(probe, l.threads);
      const ai = intensity(macs, bytes);
      const a = attainable(roof.peakMacsPerSec, roof.bytesPerSec, ai);
      row = {
        model: l.model, mode, threads: l.threads, macsPerUnit: macs, bytesPerUnit: bytes, macsPerByte: ai,
        attainableMacsPerSec: a.macsPerSec, bound: a.bound, oursMacsPerSec: l.macsPerSec,
        oursFraction: l.macsPerSec === null ? null : l.macsPerSec / a.macsPerSec, peers: {},
      };
      rows.set(key, row);
    }
    row.peers[l.peerName] = { macsPerSec: l.peerMacsPerSec, fraction: l.peerMacsPerSec === null ? null : l.peerMacsPerSec / row.attainableMacsPerSec };
  }
  return [...rows.values()];
}

/** Markdown table of roofline rows, one column per peer (in order of first appearance). */
export function rooflineTable(rows: RooflineRow[]): string {
  const peers = [...new Set(rows.flatMap((r) => Object.keys(r.peers)))];
  const g = (x: number | null): string => (x === null ? '—' : (x / 1e9).toFixed(1));
  const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(0)} %`);
  const head = ['model', 'mode', 'GMAC/unit', 'MB/unit', 'MAC/B', 'attainable GMAC/s (bound)', 'ours GMAC/s (% of attainable)', ...peers.map((p) => `${p} GMAC/s (%)`)];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    out.push(`| ${[
      r.model, r.mode, (r.macsPerUnit / 1e9).toFixed(2), (r.bytesPerUnit / 1e6).toFixed(0), r.macsPerByte.toFixed(1),
      `${g(r.attainableMacsPerSec)} (${r.bound})`, `${g(r.oursMacsPerSec)} (${pct(r.oursFraction)})`,
      ...peers.map((p) => (r.peers[p] ? `${g(r.peers[p].macsPerSec)} (${pct(r.peers[p].fraction)})` : '—')),
    ].join(' | ')} |`);
  }
  return out.join('\n');
}

/** Reads the bench lines that carry rates (skips the GEMM records and failed lines). */
export function readBenchRates(file: string): BenchRates[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((s) => s.trim() !== '').map((s) => JSON.parse(s) as Partial<BenchRates> & { gemm?: boolean })
    .filter((l): l is BenchRates & { gemm?: boolean } => l.gemm !== true && typeof l.model === 'string' && typeof l.mode === 'string')
    .map((l) => ({ model: l.model, mode: l.mode, peerName: l.peerName, threads: l.threads, batch: l.batch, macsPerSec: l.macsPerSec ?? null, peerMacsPerSec: l.peerMacsPerSec ?? null }));
}

/** Forward cost of one image of `model` built for `mode`'s data-set profile and resolution (cached: 224² modes share). */
function costFromModels(): (model: string, mode: Mode) => { macs: number; traffic: TrafficPerImage } {
  const cache = new Map<string, { macs: number; traffic: TrafficPerImage }>();
  return (model, mode) => {
    const spec = MODE_SPECS[mode];
    const key = `${model}/${spec.dataset}/${spec.resolution}`;
    let c = cache.get(key);
    if (c === undefined) {
      const m = buildModel(model, { dataset: spec.dataset, resolution: spec.resolution });
      const report = costOf(m);
      m.dispose();
      c = { macs: report.macs, traffic: trafficOf(report) };
      cache.set(key, c);
    }
    return c;
  };
}

/** Command line: prints the markdown table, writes the JSON when --out is given. */
async function main(argv: string[]): Promise<void> {
  const known = ['--bench', '--machine', '--out'];
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.includes(argv[i]) || argv[i + 1] === undefined) {
      throw new Error(`roofline: bad argument "${argv[i]}"${argv[i + 1] === undefined ? ' (no value)' : ''}; options: ${known.join(' FILE, ')} FILE`);
    }
  }
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const bench = opt('bench');
  const machine = opt('machine');
  if (bench === undefined || machine === undefined) {
    throw new Error('usage: node dist/bench/roofline.js --bench FILE.jsonl --machine MACHINE.json [--out ROOFLINE.json] (MACHINE.json from sh bench/c/run.sh)');
  }
  await tf.setBackend('cpu'); // shapes only: the cpu backend is always there
  const probe = JSON.parse(fs.readFileSync(machine, 'utf8')) as ProbeFile;
  const rows = rooflineRows(readBenchRates(bench), costFromModels(), probe);
  const threads = [...new Set(rows.map((r) => r.threads))];
  const out = opt('out');
  if (out !== undefined) {
    fs.writeFileSync(out, JSON.stringify({ bench, machine, roofs: threads.map((t) => machineRoof(probe, t)), probeLoadAvg1m: [probe.loadAvg1mBefore, probe.loadAvg1mAfter], rows }, null, 1) + '\n');
  }
  for (const t of threads) {
    const r = machineRoof(probe, t);
    console.log(`${t} thread(s): GEMM peak ${(r.peakMacsPerSec / 1e9).toFixed(1)} GMAC/s (${r.peakGemm}), bandwidth ${(r.bytesPerSec / 1e9).toFixed(1)} GB/s (${r.bandwidthKernel}); ridge ${(r.peakMacsPerSec / r.bytesPerSec).toFixed(2)} MAC/B`);
  }
  console.log(rooflineTable(rows));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
