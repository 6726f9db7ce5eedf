/**
 * The onnxruntime-node peer of the benchmark: times our model exported to ONNX (by the ours worker, round 0) in a
 * fresh Node process that loads only onnxruntime-node, so its peak RSS is the runtime's own. Batch-1 inference at the
 * mode's resolution, `threads` intra-op threads, one inter-op thread; the same warm-up and repetitions as the other
 * sides. `node dist/bench/onnx-peer.js --model FILE --threads N --repetitions N --warmup N --batch B --resolution R`
 * prints one JSON line {ok, seconds, secondsMedian, peakRssBytes, runtime} (or {ok: false, error}).
 */
import * as fs from 'fs';
import { numberOption, parseArgs, stringOption } from '../src/cli/args';
import { createSession, loadOnnxRuntime, onnxRuntimeLabel } from '../src/lib/onnx/runtime';
import { median } from '../src/lib/stats';

/** Peak resident memory of this process (VmHWM), or the current RSS where /proc is missing. */
function peakRssBytes(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { values: ['model', 'threads', 'repetitions', 'warmup', 'batch', 'resolution'], booleans: [] });
  try {
    const file = stringOption(args, 'model');
    if (file === undefined || !fs.existsSync(file)) throw new Error(`--model FILE: no ONNX file ${file ?? '(none given)'}`);
    const threads = numberOption(args, 'threads', { integer: true, min: 1 }) ?? 1;
    const repetitions = numberOption(args, 'repetitions', { integer: true, min: 1 }) ?? 8;
    const warmup = numberOption(args, 'warmup', { integer: true, min: 0 }) ?? 30;
    const batch = numberOption(args, 'batch', { integer: true, min: 1 }) ?? 1;
    const resolution = numberOption(args, 'resolution', { integer: true, min: 1 }) ?? 224;
    const ort = loadOnnxRuntime();
    const session = await createSession(file, threads);
    // Deterministic pixels in [0, 1), NCHW as the exported graph expects.
    const size = batch * 3 * resolution * resolution;
    const data = Float32Array.from({ length: size }, (_, i) => ((i * 2654435761) % 4294967296) / 4294967296);
    const feed = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, resolution, resolution]) };
    const unit = async (): Promise<void> => {
      const out = await session.run(feed);
      for (const t of Object.values(out)) t.dispose();
    };
    for (let i = 0; i < warmup; i++) await unit();
    const seconds: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const t0 = process.hrtime.bigint();
      await unit();
      seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    await session.release();
    process.stdout.write(JSON.stringify({ ok: true, seconds, secondsMedian: median(seconds), peakRssBytes: peakRssBytes(), runtime: onnxRuntimeLabel() }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: (err instanceof Error ? err.message : String(err)).slice(0, 500), peakRssBytes: peakRssBytes() }) + '\n');
  }
}

if (require.main === module) void main(process.argv.slice(2));
