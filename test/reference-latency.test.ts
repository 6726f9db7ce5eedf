/**
 * Batch-1 latency of reference configurations on both runtimes (notebook 10): the statistics are those of the timed
 * samples, the chart is a log-axis dot plot with min–max bars, and a runtime that fails leaves its reason.
 */
import { strict as assert } from 'assert';
import { latencyFigure, latencyTableRows, latencyText, referenceLatencies, EntryLatency } from '../src/lessons/reference-latency';
import { summarizeSamples, RuntimeLatency } from '../src/lib/onnx';
import { useBackend } from './support/backend';

function latency(runtime: string, samplesMs: number[]): RuntimeLatency {
  return { runtime, threads: 1, batch: 1, warmup: 0, repetitions: samplesMs.length, samplesMs, ...summarizeSamples(samplesMs) };
}

describe('reference latencies', () => {
  useBackend('cpu');

  it('times a plan entry on tfjs and ONNX Runtime at 32×32; median, min and max are those of the samples', async function () {
    this.timeout(120000);
    const [row] = await referenceLatencies(['shufflenet_v2.w0.5'], { repetitions: 3, warmup: 1 });
    assert.equal(row.title, 'ShuffleNet V2 0.5×');
    for (const l of [row.tfjs!, row.onnx!]) {
      assert.equal(l.samplesMs.length, 3);
      const sorted = [...l.samplesMs].sort((a, b) => a - b);
      assert.deepEqual([l.minMs, l.medianMs, l.maxMs], [sorted[0], sorted[1], sorted[2]]);
    }
    assert.match(row.tfjs!.runtime, /^tfjs cpu/);
    assert.match(row.onnx!.runtime, /onnxruntime/);
    await assert.rejects(referenceLatencies(['nope']), /no reference entry "nope"/);
  });

  it('draws a log-axis dot plot with min–max bars per runtime, and tables the spread or the reason it is missing', () => {
    const rows: EntryLatency[] = [
      { id: 'a', title: 'A', tfjs: latency('tfjs wasm + native kernels', [2, 1, 4]), onnx: latency('onnxruntime-node 1.30.0', [0.5, 0.4, 0.6]) },
      { id: 'b', title: 'B', tfjs: latency('tfjs wasm + native kernels', [3, 3, 3]), onnxError: 'onnxruntime-node is not installed\nmore' },
    ];
    const fig = latencyFigure(rows);
    const [ours, ort] = fig.data as Array<{ name: string; x: number[]; y: string[]; error_x: { array: number[]; arrayminus: number[] } }>;
    assert.equal(ours.name, 'our runtime (tfjs wasm + native kernels, 1 thread)');
    assert.deepEqual([ours.y, ours.x, ours.error_x.array, ours.error_x.arrayminus], [['A', 'B'], [2, 3], [2, 0], [1, 0]]);
    assert.deepEqual(ort.y, ['A'], 'a runtime without a figure has no point');
    assert.equal((fig.layout as { xaxis: { type: string } }).xaxis.type, 'log');
    assert.deepEqual(latencyTableRows(rows)[1], {
      configuration: 'B', 'our runtime: ms, median [min–max]': '3.00 [3.00–3.00]', 'ONNX Runtime: ms, median [min–max]': 'not measured: onnxruntime-node is not installed',
    });
    assert.equal(latencyText(latency('x', [12, 10, 30])), '12.0 [10.0–30.0]');
    assert.throws(() => latencyFigure([]), /no configurations/);
  });
});
