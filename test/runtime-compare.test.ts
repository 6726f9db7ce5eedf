/**
 * The two-runtime timing helpers (src/lessons/runtime-compare.ts) and the sentences the lessons generate from them
 * (op-bench, guidelines): verdicts checked against hand-made latencies whose answer is known, interleaving against the
 * recorded call order, pooled statistics against a direct computation, and one real measurement on a tiny model.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import type { RuntimeLatency } from '../src/lib/onnx';
import {
  checkRuntimeStudy, compareLatency, interleavedRounds, latencyBarFigure, poolLatencies, timeBothRuntimes,
} from '../src/lessons/runtime-compare';
import { benchOpsOnRuntimes, describeOpRuntimes, OpRuntimeRow } from '../src/lessons/op-bench';
import { describeGuidelineRuntimes, g2Cases, GuidelineRuntimeResult, runGuidelineRuntimes } from '../src/lessons/guidelines';

/** A latency whose samples are given (ms); quartiles by sorting, as an independent check of summarizeSamples. */
function latency(samplesMs: number[], runtime = 'x'): RuntimeLatency {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => {
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
  };
  return { runtime, threads: 1, batch: 1, warmup: 0, repetitions: s.length, medianMs: at(0.5), minMs: s[0], maxMs: s[s.length - 1], q1Ms: at(0.25), q3Ms: at(0.75), samplesMs };
}

describe('runtime comparison helpers', function () {
  this.timeout(300000);

  it('compareLatency names a faster side only when the interquartile ranges are disjoint', () => {
    const fast = { medianMs: 2, q1Ms: 1.9, q3Ms: 2.1 };
    const slow = { medianMs: 5, q1Ms: 4.5, q3Ms: 5.5 };
    const k = compareLatency('A', slow, 'B', fast);
    assert.strictEqual(k.faster, 'B');
    assert.strictEqual(k.ratio, 2.5);
    assert.match(k.text, /^B faster, 2\.50×/);
    const overlapping = compareLatency('A', { medianMs: 2, q1Ms: 1, q3Ms: 4.6 }, 'B', slow);
    assert.strictEqual(overlapping.faster, null);
    assert.match(overlapping.text, /within noise/);
    assert.throws(() => compareLatency('A', { medianMs: 2, q1Ms: 3, q3Ms: 4 }, 'B', slow), /A needs 0 < q1 ≤ median ≤ q3/);
  });

  it('interleavedRounds rotates the order each round; poolLatencies pools every sample', async () => {
    const calls: number[] = [];
    const side = (i: number) => async () => {
      calls.push(i);
      return latency([i + 1, i + 2, i + 3]);
    };
    const out = await interleavedRounds([side(0), side(1), side(2)], 3);
    assert.deepStrictEqual(calls, [0, 1, 2, 1, 2, 0, 2, 0, 1]);
    assert.deepStrictEqual(out.map((r) => r.length), [3, 3, 3]);
    const pooled = poolLatencies([latency([1, 9, 3]), latency([7, 5])]);
    assert.deepStrictEqual(pooled.samplesMs, [1, 9, 3, 7, 5]);
    assert.strictEqual(pooled.repetitions, 5);
    assert.strictEqual(pooled.medianMs, 5);
    assert.strictEqual(pooled.q1Ms, 3);
    assert.strictEqual(pooled.q3Ms, 7);
    await assert.rejects(interleavedRounds([side(0)], 0), /rounds must be a positive integer, got 0/);
  });

  it('checkRuntimeStudy rejects bad timing naming the value', () => {
    assert.throws(() => checkRuntimeStudy('t', { threads: 0, rounds: 1, repetitions: 1, warmup: 0 }), /t: threads must be a positive integer, got 0/);
    assert.throws(() => checkRuntimeStudy('t', { threads: 1, rounds: 1, repetitions: 1, warmup: -1 }), /warmup must be an integer ≥ 0, got -1/);
    assert.throws(() => checkRuntimeStudy('t', { threads: 1, rounds: 1, repetitions: 1, warmup: 0, batch: 1.5 }), /batch must be a positive integer, got 1.5/);
  });

  it('latencyBarFigure: medians as bars, quartiles as asymmetric error bars', () => {
    const a = latency([1, 2, 3, 4, 10]);
    const fig = latencyBarFigure([{ name: 'a', points: [{ category: 'net', latency: a }] }]);
    const trace = fig.data[0] as { y: number[]; error_y: { array: number[]; arrayminus: number[] } };
    assert.deepStrictEqual(trace.y, [3]);
    assert.deepStrictEqual(trace.error_y.array, [1]);
    assert.deepStrictEqual(trace.error_y.arrayminus, [1]);
  });

  it('describeOpRuntimes reports a pair of ops that swaps order between runtimes, and none when none does', () => {
    const row = (op: 'standard' | 'shift', tfjs: number[], onnx: number[]): OpRuntimeRow => ({
      op, macs: 0, batch: 1, timing: { tfjs: latency(tfjs, 'tfjs'), onnx: latency(onnx, 'ort'), roundRatios: [1] },
    });
    const flipped = describeOpRuntimes([row('standard', [10, 10.5, 11], [1, 1.1, 1.2]), row('shift', [1, 1.1, 1.2], [3, 3.1, 3.2])]);
    assert.match(flipped, /runtime-dependent: 1 of 1 pairs of ops swap order.*shift < standard on tfjs \(1\.10 vs 10\.5 ms\) but > on ONNX Runtime \(3\.10 vs 1\.10 ms\)/);
    const same = describeOpRuntimes([row('standard', [10, 10.5, 11], [5, 5.1, 5.2]), row('shift', [1, 1.1, 1.2], [3, 3.1, 3.2])]);
    assert.match(same, /No pair of ops swaps order/);
    assert.match(same, /ratio of medians runs from 0\.35× \(shift\) to 2\.06× \(standard\)/);
  });

  it('describeGuidelineRuntimes calls a guideline runtime-dependent only when the runtimes differ', () => {
    const res = (label: string, tfjs: [number, number, number], onnx: [number, number, number]): GuidelineRuntimeResult => ({
      guideline: 'G2', label, knob: 1, macs: 1, batch: 2,
      timing: { tfjs: latency([1, 2, 3], 'tfjs'), onnx: latency([1, 2, 3], 'ort'), roundRatios: [1] },
      relative: { tfjs: { q1: tfjs[0], median: tfjs[1], q3: tfjs[2] }, onnx: { q1: onnx[0], median: onnx[1], q3: onnx[2] } },
    });
    const differ = describeGuidelineRuntimes([res('g = 1', [0.9, 1, 1.1], [0.9, 1, 1.1]), res('g = 8', [1.8, 2, 2.2], [0.5, 0.6, 0.7])]);
    assert.match(differ, /tfjs \+100 % .*slower\), ONNX Runtime -40 % .*faster\)/);
    assert.match(differ, /runtime-dependent: G2 differs between the two runtimes/);
    const agree = describeGuidelineRuntimes([res('g = 1', [0.9, 1, 1.1], [0.9, 1, 1.1]), res('g = 8', [1.8, 2, 2.2], [1.7, 1.9, 2.1])]);
    assert.match(agree, /No guideline differs between the two runtimes here: G2 points the same way on both within 1\.25× in size/);
    const unclear = describeGuidelineRuntimes([res('g = 1', [0.9, 1, 1.1], [0.9, 1, 1.1]), res('g = 8', [0.8, 1.2, 1.6], [0.5, 0.9, 1.3])]);
    assert.match(unclear, /G2 shows no clear change on either runtime/);
  });

  describe('measured on a tiny model', () => {
    before(async () => {
      await initBackend('wasm');
    });

    it('timeBothRuntimes pools rounds × repetitions passes per runtime, with threads and batch', async () => {
      const x = tf.input({ shape: [8, 8, 4] });
      const model = tf.model({ inputs: x, outputs: tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x) as tf.SymbolicTensor });
      try {
        const t = await timeBothRuntimes(model, { threads: 1, rounds: 3, repetitions: 4, warmup: 1, batch: 2 });
        for (const side of [t.tfjs, t.onnx]) {
          assert.strictEqual(side.samplesMs.length, 12);
          assert.strictEqual(side.repetitions, 12);
          assert.strictEqual(side.batch, 2);
          assert.strictEqual(side.threads, 1);
          assert.ok(side.samplesMs.every((s) => s > 0));
          assert.strictEqual(side.medianMs, latency(side.samplesMs).medianMs);
        }
        assert.match(t.onnx.runtime, /^onnxruntime-node \d+\.\d+/);
        assert.strictEqual(t.roundRatios.length, 3);
      } finally {
        model.dispose();
      }
    });

    it('benchOpsOnRuntimes times exportable ops on both runtimes and says why split is not exported', async () => {
      const rows = await benchOpsOnRuntimes(['pointwise', 'split'], { channels: 16, size: 4, kernelSize: 3, groups: 2, expansion: 2 }, { threads: 1, rounds: 1, repetitions: 2, warmup: 0, batch: 1 });
      assert.deepStrictEqual(rows[0].onnxNodes, { Conv: 1, Transpose: 1 });
      assert.strictEqual(rows[0].macs, 16 * 16 * 4 * 4);
      assert.strictEqual(rows[0].timing?.onnx.samplesMs.length, 2);
      assert.strictEqual(rows[1].timing, undefined);
      assert.match(rows[1].skipped ?? '', /2 outputs/);
    });

    it('runGuidelineRuntimes: the first network is 1× on each runtime, the others are median ratios per MAC', async () => {
      const results = await runGuidelineRuntimes(g2Cases({ side: 4, channels: 8, blocks: 1 }).slice(0, 2), { threads: 1, rounds: 1, repetitions: 3, warmup: 0, batch: 1 });
      const [a, b] = results;
      assert.strictEqual(a.relative.tfjs.median, 1);
      assert.strictEqual(a.relative.onnx.median, 1);
      for (const side of ['tfjs', 'onnx'] as const) {
        const expected = (b.timing[side].medianMs / a.timing[side].medianMs) / (b.macs / a.macs);
        assert.ok(Math.abs(b.relative[side].median - expected) < 1e-12 * expected);
        assert.ok(b.relative[side].q1 <= b.relative[side].median && b.relative[side].median <= b.relative[side].q3);
      }
    });
  });
});
