/**
 * Batch-1 inference latency of three runtimes in one process, interleaved: the tfjs path (model.predict on wasm +
 * native kernels), our inference plan (src/lib/plan) and onnxruntime-node on the exported graph, each on `--threads`
 * threads. `node dist/bench/plan-latency.js [--models a,b] [--rounds N] [--repetitions N] [--threads N]
 * [--resolution R] [--out FILE.json]`: per model, `rounds` rounds of the three (order rotated every round), each round
 * `repetitions` timed passes after 3 warm-up ones; prints medians with min–max over every timed pass and writes the
 * raw samples as JSON.
 */
import * as fs from 'fs';
import * as os from 'os';
import { initBackend } from '../src/lib/backend';
import { exportOnnx, onnxLatency, RuntimeLatency, summarizeSamples, tfjsLatency } from '../src/lib/onnx';
import { planLatency } from '../src/lib/plan';
import { buildModel } from '../src/models';

/** The value after `--name` on the command line, or `fallback`. */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

type Runner = 'tfjs' | 'plan' | 'onnxruntime';

async function main(): Promise<void> {
  const models = arg('models', 'mobilenet_v2,shufflenet_v2,squeezenet1_1,mobilenet_v1').split(',');
  const rounds = Number(arg('rounds', '3'));
  const repetitions = Number(arg('repetitions', '10'));
  const threads = Number(arg('threads', '1'));
  const resolution = Number(arg('resolution', '224'));
  const out = arg('out', '');
  const info = await initBackend('wasm');
  const timing = { threads, repetitions, warmup: 3, batch: 1 };
  const results: Array<Record<string, unknown>> = [];
  for (const name of models) {
    const model = buildModel(name, { resolution });
    // Exported once per model, not once per round: the rounds time the runtime, not the exporter.
    const onnxBytes = exportOnnx(model).bytes;
    const samples: Record<Runner, number[]> = { tfjs: [], plan: [], onnxruntime: [] };
    const labels: Partial<Record<Runner, string>> = {};
    const runners: Record<Runner, () => Promise<RuntimeLatency>> = {
      tfjs: () => tfjsLatency(model, timing),
      plan: () => planLatency(model, timing),
      onnxruntime: () => onnxLatency(onnxBytes, timing),
    };
    const order: Runner[] = ['tfjs', 'plan', 'onnxruntime'];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < order.length; k++) {
        const who = order[(k + r) % order.length];
        const l = await runners[who]();
        samples[who].push(...l.samplesMs);
        labels[who] = l.runtime;
      }
    }
    const summary = Object.fromEntries(order.map((who) => [who, { runtime: labels[who], ...summarizeSamples(samples[who]), samplesMs: samples[who] }]));
    const med = (who: Runner): number => (summary[who] as { medianMs: number }).medianMs;
    results.push({ model: name, resolution, ...summary, ratioPlanToOnnx: med('plan') / med('onnxruntime'), ratioTfjsToOnnx: med('tfjs') / med('onnxruntime') });
    const fmt = (who: Runner): string => {
      const s = summary[who] as { medianMs: number; minMs: number; maxMs: number };
      return `${who} ${s.medianMs.toFixed(2)} ms [${s.minMs.toFixed(2)}–${s.maxMs.toFixed(2)}]`;
    };
    console.log(`${name.padEnd(14)} ${order.map(fmt).join('  ')}  plan/ort ${(med('plan') / med('onnxruntime')).toFixed(2)}  tfjs/ort ${(med('tfjs') / med('onnxruntime')).toFixed(2)}`);
    model.dispose();
  }
  const record = {
    date: new Date().toISOString(), command: `node ${process.argv.slice(1).join(' ')}`, threads, rounds, repetitionsPerRound: repetitions,
    warmupPerRound: 3, batch: 1, host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
    native: info.native, results,
  };
  if (out !== '') fs.writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
