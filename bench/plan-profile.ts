/**
 * Per-step profile of inference plans, and an interleaved A/B of two builds of the addon on the same plans.
 * `node dist/bench/plan-profile.js [--models a,b] [--passes N] [--resolution R] [--addons A.node,B.node] [--out F.json]`:
 * per model, the plan's steps (BN folded, fusions as compilePlan makes them) are bound to each addon build (default:
 * the one the library loads) over one arena; passes alternate between builds (A, B, A, B …), every step timed on its
 * own; prints per step its kind, shape, MACs, median µs per build, GMAC/s and the B/A time ratio, then totals per kind.
 * A build given as PATH:nopack runs without its packed-filter entry points (conv2d for every convolution).
 * One native thread.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/lib/backend';
import { nativeAddon, setNativeThreads } from '../src/lib/kernels/core/addon';
import { bindStep } from '../src/lib/plan/compile';
import { PlanAddon } from '../src/lib/plan/addon';
import { fuseGraph } from '../src/lib/plan/fuse';
import { lowerModel } from '../src/lib/plan/lower';
import { planMemory } from '../src/lib/plan/memory';
import { Step } from '../src/lib/plan/steps';
import { buildModel } from '../src/models';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** Multiply-accumulates of a convolution step (0 for the others) and a short shape label. */
function describe(s: Step): { macs: number; shape: string } {
  if (s.kind === 'conv') {
    const [B, H, W, C, OH, OW, CO, KH, KW, sh, , , , , , G] = Array.from(s.geom);
    return { macs: B * OH * OW * CO * KH * KW * (C / G), shape: `${KH}x${KW}/${sh} ${H}x${W}x${C}->${OH}x${OW}x${CO}${G > 1 ? ` g${G}` : ''}${s.residual ? ' +res' : ''}` };
  }
  if (s.kind === 'depthwise') {
    const [B, H, W, C, M, OH, OW, KH, KW, sh] = Array.from(s.geom);
    return { macs: B * OH * OW * C * M * KH * KW, shape: `${KH}x${KW}/${sh} ${H}x${W}x${C}->${OH}x${OW}` };
  }
  return { macs: 0, shape: '' };
}

const median = (a: number[]): number => { const b = [...a].sort((x, y) => x - y); return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2; };

async function main(): Promise<void> {
  const models = arg('models', 'mobilenet_v2,shufflenet_v2,squeezenet1_1,mobilenet_v1').split(',');
  const passes = Number(arg('passes', '40'));
  const resolution = Number(arg('resolution', '224'));
  const addonPaths = arg('addons', '').split(',').filter((p) => p !== '');
  const out = arg('out', '');
  await initBackend('wasm');
  setNativeThreads(1);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  // A path ending in ":nopack" loads that build with its packed-filter entry points hidden (the plan then calls conv2d).
  const load = (p: string): PlanAddon => {
    const nopack = p.endsWith(':nopack');
    const a = require(path.resolve(nopack ? p.slice(0, -':nopack'.length) : p)) as PlanAddon;
    return nopack ? { ...a, conv2dPackedFloats: undefined, packConv2dFilter: undefined, conv2dPacked: undefined } : a;
  };
  const addons: PlanAddon[] = addonPaths.length === 0 ? [nativeAddon() as unknown as PlanAddon] : addonPaths.map(load);
  for (const a of addons) (a as unknown as { setThreads(n: number): void }).setThreads(1);
  const labels = addonPaths.length === 0 ? ['loaded'] : addonPaths;
  const record: Array<Record<string, unknown>> = [];
  for (const name of models) {
    const model = buildModel(name, { resolution });
    const graph = fuseGraph(lowerModel(model, 1));
    const memory = planMemory(graph);
    const arena = new Float32Array(memory.arenaFloats);
    const view = (v: number): Float32Array => arena.subarray(memory.offsets[v], memory.offsets[v] + graph.values[v].size);
    const input = view(graph.input);
    let seed = 1;
    for (let i = 0; i < input.length; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; input[i] = seed / 2147483648; }
    const saved = input.slice();
    const calls = addons.map((a) => graph.steps.map((s) => bindStep(a, s, graph, view)));
    const times = addons.map(() => graph.steps.map(() => [] as number[]));
    const totals = addons.map(() => [] as number[]);
    for (let p = 0; p < passes + 2 * addons.length; p++) {
      const k = p % addons.length;
      input.set(saved);
      let sum = 0;
      for (let i = 0; i < calls[k].length; i++) {
        const t0 = process.hrtime.bigint();
        calls[k][i]();
        const dt = Number(process.hrtime.bigint() - t0) / 1e3;
        sum += dt;
        if (p >= 2 * addons.length) times[k][i].push(dt);
      }
      if (p >= 2 * addons.length) totals[k].push(sum);
    }
    console.log(`\n${name} (${graph.steps.length} steps, ${passes} passes alternating ${labels.join(' / ')}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    const byKind = new Map<string, { us: number[]; macs: number }>();
    const steps: Array<Record<string, unknown>> = [];
    graph.steps.forEach((s, i) => {
      const { macs, shape } = describe(s);
      const us = addons.map((_, k) => median(times[k][i]));
      const kind = s.kind === 'conv' ? (s.geom[7] === 1 && s.geom[8] === 1 ? (s.geom[15] > 1 ? 'conv1x1-group' : 'conv1x1') : 'convKxK') : s.kind;
      const e = byKind.get(kind) ?? { us: addons.map(() => 0), macs: 0 };
      us.forEach((u, k) => { e.us[k] += u; });
      e.macs += macs;
      byKind.set(kind, e);
      steps.push({ i, kind, shape, macs, us });
      const g = us.map((u) => (macs > 0 ? (macs / u / 1e3).toFixed(1) : '-').padStart(6)).join(' ');
      console.log(`${String(i).padStart(3)} ${kind.padEnd(14)} ${shape.padEnd(34)} ${(macs / 1e6).toFixed(1).padStart(6)}M  ${us.map((u) => u.toFixed(1).padStart(7)).join(' ')} µs  ${g} GMAC/s${addons.length > 1 ? `  B/A ${(us[1] / us[0]).toFixed(2)}` : ''}`);
    });
    console.log('by kind:');
    for (const [kind, e] of byKind) {
      console.log(`    ${kind.padEnd(14)} ${(e.macs / 1e6).toFixed(0).padStart(6)}M  ${e.us.map((u) => (u / 1e3).toFixed(2).padStart(6)).join(' ')} ms  ${e.us.map((u) => (e.macs > 0 ? (e.macs / u / 1e3).toFixed(1) : '-').padStart(6)).join(' ')} GMAC/s${addons.length > 1 ? `  B/A ${(e.us[1] / e.us[0]).toFixed(2)}` : ''}`);
    }
    const tot = totals.map(median);
    console.log(`    total (median of per-pass sums) ${tot.map((t) => (t / 1e3).toFixed(2)).join(' / ')} ms${addons.length > 1 ? `  B/A ${(tot[1] / tot[0]).toFixed(2)}` : ''}`);
    // The builds must agree: one more pass each, outputs compared with the first build's.
    const outputs = calls.map((c) => { input.set(saved); for (const call of c) call(); return view(graph.output).slice(); });
    const scale = outputs[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const diffs = outputs.map((o) => o.reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[0][i])), 0) / scale);
    if (addons.length > 1) console.log(`    max |out − out(A)| / max |out(A)|: ${diffs.map((d) => d.toExponential(2)).join(' / ')}`);
    record.push({ model: name, steps, totalsUs: tot, byKind: Object.fromEntries(byKind), outputDiffs: diffs });
    model.dispose();
  }
  if (out !== '') fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), command: `node ${process.argv.slice(1).join(' ')}`, addons: labels, passes, loadavg: os.loadavg(), results: record }, null, 1) + '\n');
}

main().catch((err) => { console.error(err instanceof Error ? err.stack : err); process.exit(1); });
