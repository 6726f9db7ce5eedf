/**
 * Per-node times of onnxruntime on our exported models (its own profiler, enableProfiling), to set beside
 * bench/plan-profile.ts: `node dist/bench/ort-profile.js [--models a,b] [--passes N] [--threads N]`. Prints per node
 * (in graph order) its operator, median µs over the passes, and totals per operator.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/lib/backend';
import { exportOnnx } from '../src/lib/onnx';
import { loadOnnxRuntime, sessionOptions } from '../src/lib/onnx/runtime';
import { buildModel } from '../src/models';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const median = (a: number[]): number => { const b = [...a].sort((x, y) => x - y); return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2; };

interface TraceEvent { cat?: string; name?: string; dur?: number; args?: { op_name?: string; output_type_shape?: unknown; input_type_shape?: unknown } }

async function main(): Promise<void> {
  const models = arg('models', 'mobilenet_v2,shufflenet_v2,squeezenet1_1,mobilenet_v1').split(',');
  const passes = Number(arg('passes', '30'));
  const threads = Number(arg('threads', '1'));
  await initBackend('wasm');
  const ort = loadOnnxRuntime();
  for (const name of models) {
    const model = buildModel(name, { resolution: 224 });
    const bytes = exportOnnx(model).bytes;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-prof-'));
    const session = await ort.InferenceSession.create(bytes, { ...sessionOptions(threads), enableProfiling: true, profileFilePrefix: path.join(dir, 'p') });
    const dims = [1, 3, 224, 224];
    const x = new ort.Tensor('float32', Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => (i % 255) / 255), dims);
    const feed = { [session.inputNames[0]]: x };
    for (let p = 0; p < passes + 3; p++) await session.run(feed);
    (session as unknown as { endProfiling(): void }).endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).map((f) => path.join(dir, f))[0];
    const events = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceEvent[];
    const nodes = new Map<string, { op: string; us: number[]; shape: string }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      const n = e.name.slice(0, -'_kernel_time'.length);
      const entry = nodes.get(n) ?? { op: e.args?.op_name ?? '?', us: [], shape: JSON.stringify(e.args?.output_type_shape ?? '') };
      entry.us.push(e.dur ?? 0);
      nodes.set(n, entry);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`\n${name}: ${nodes.size} nodes, ${passes} passes (+3 warm-up), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const byOp = new Map<string, number>();
    let total = 0;
    for (const [n, e] of nodes) {
      const us = median(e.us.slice(3));
      total += us;
      byOp.set(e.op, (byOp.get(e.op) ?? 0) + us);
      console.log(`  ${e.op.padEnd(18)} ${us.toFixed(1).padStart(8)} µs  ${n.slice(0, 40).padEnd(40)} ${e.shape.slice(0, 60)}`);
    }
    console.log('by operator:');
    for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`    ${op.padEnd(18)} ${(us / 1e3).toFixed(2)} ms`);
    console.log(`    total ${(total / 1e3).toFixed(2)} ms`);
    model.dispose();
  }
}

main().catch((err) => { console.error(err instanceof Error ? err.stack : err); process.exit(1); });
