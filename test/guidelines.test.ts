/**
 * ShuffleNet V2 guideline benchmarks (src/lessons/guidelines.ts): the networks hold MACs fixed as P-SH2 Tables 1–4 do
 * (oracle: the closed-form counts of docs/sources.md §5.12 and the paper's channel widths), the memory-access formula
 * agrees with costOf's layer-by-layer count, the networks compute what they claim (cpu-backend oracle for the parallel
 * structure), and timing returns one sane row per case.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { costOf } from '../src/lib/cost';
import {
  describeGuidelineResults, g1Cases, g1Widths, g2Cases, g2Width, g3Cases, g4Cases, guidelineCases, Guideline,
  runGuidelineBenchmarks,
} from '../src/lessons/guidelines';
import { useBackend } from './support/backend';
import { pointwiseMemoryAccess } from '../src/lib/formulas';

/** ShuffleNet V2's memory access of a 1×1 conv c1 → c2 with g groups on a side×side map (the formula under test). */
const memoryAccess = (side: number, c1: number, c2: number, groups = 1) =>
  pointwiseMemoryAccess({ inChannels: c1, outChannels: c2, height: side, width: side, groups });

const costs = (cases: ReturnType<typeof g1Cases>) =>
  cases.map((c) => {
    const m = c.build();
    const r = costOf(m);
    m.dispose();
    return r;
  });

describe('ShuffleNet V2 guidelines G1–G4', function () {
  this.timeout(60000);
  useBackend('wasm');

  it('G1/G2 widths reproduce P-SH2 Tables 1 and 2 at c = 128', () => {
    assert.deepStrictEqual([1, 2, 6, 12].map((r) => g1Widths(128, r)), [[128, 128], [91, 182], [52, 312], [37, 444]]);
    // Table 2: 128, 180, 256, 360
    assert.deepStrictEqual([1, 2, 4, 8].map((g) => g2Width(128, g)), [128, 180, 256, 360]);
  });

  it('pointwiseMemoryAccess = hw(c1+c2) + c1c2/g, equals costOf for a 1×1 (group) conv, and is minimal at c1 = c2 for fixed MACs', () => {
    assert.strictEqual(memoryAccess(2, 2, 3), 4 * 5 + 6);
    assert.strictEqual(memoryAccess(2, 8, 8, 4), 4 * 16 + 16);
    const [g1] = g1Cases({ side: 5, channels: 16, blocks: 1 });
    const report = costOf(g1.build());
    // two layers 16→16 at 5×5: each 25·32 + 256
    assert.strictEqual(report.memoryAccess, 2 * memoryAccess(5, 16, 16));
    // Inequality of §5.12: for B = hw·c1·c2 fixed, MAC ≥ 2√(hw·B) + B/hw with equality at c1 = c2.
    const side = 7;
    const hw = side * side;
    const B = hw * 64 * 64;
    for (const c1 of [16, 32, 64, 128, 256]) {
      const c2 = (64 * 64) / c1;
      assert.ok(memoryAccess(side, c1, c2) >= 2 * Math.sqrt(hw * B) + B / hw - 1e-9);
    }
    assert.strictEqual(memoryAccess(side, 64, 64), 2 * Math.sqrt(hw * B) + B / hw);
    assert.throws(() => memoryAccess(2, 6, 8, 4), /inChannels \(6\) and outChannels \(8\) must be divisible by groups \(4\)/);
  });

  it('G1: MACs equal blocks·2·hw·c1·c2 (within 6 % of each other: integer widths, as P-SH2 Table 1) while memory access grows with the ratio', () => {
    const side = 7;
    const blocks = 3;
    const cases = g1Cases({ side, channels: 64, blocks });
    const reports = costs(cases);
    reports.forEach((r, i) => {
      const [c1, c2] = g1Widths(64, cases[i].knob);
      assert.strictEqual(r.macs, blocks * 2 * side * side * c1 * c2);
      assert.strictEqual(r.memoryAccess, blocks * (memoryAccess(side, c1, c2) + memoryAccess(side, c2, c1)));
      assert.ok(Math.abs(r.macs / reports[0].macs - 1) < 0.06, `${cases[i].label}: MACs ${r.macs} vs ${reports[0].macs}`);
    });
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].memoryAccess > reports[i - 1].memoryAccess);
  });

  it('G2: MACs equal across g (c²/g fixed) and memory access grows with g; group convs hold c²/g weights', () => {
    const cases = g2Cases({ side: 7, channels: 32, blocks: 2 });
    const reports = costs(cases);
    reports.forEach((r, i) => {
      const g = cases[i].knob;
      const c = g2Width(32, g);
      assert.strictEqual(r.params.weights, 4 * (c * c) / g);
      assert.strictEqual(r.macs, 4 * 49 * (c * c) / g);
      assert.ok(Math.abs(r.macs / reports[0].macs - 1) < 0.06, `${cases[i].label}: MACs ${r.macs}`);
    });
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].memoryAccess > reports[i - 1].memoryAccess);
  });

  it('G3: every structure costs about one c→c conv per block; parallel branches concatenate back to c channels', async () => {
    const cases = g3Cases({ side: 6, channels: 32, blocks: 2 });
    const reports = costs(cases);
    for (const r of reports) assert.ok(Math.abs(r.macs / reports[0].macs - 1) < 0.06, `MACs ${r.macs} vs ${reports[0].macs}`);
    // Oracle on the cpu backend: 2-fragment-parallel equals conv with the branch kernels concatenated along Cout.
    await initBackend('cpu');
    try {
      const c = cases.find((k) => k.label.startsWith('2-fragment-parallel'))!;
      const single = g3Cases({ side: 6, channels: 32, blocks: 1 }).find((k) => k.label === c.label)!;
      const m = single.build();
      const [w0, w1] = [m.getLayer('b0.branch0').getWeights()[0], m.getLayer('b0.branch1').getWeights()[0]];
      const { got, want } = tf.tidy(() => {
        const x = tf.randomNormal([1, 6, 6, 32], 0, 1, 'float32', 2);
        const kernel = tf.concat([w0, w1], 3) as tf.Tensor4D;
        return { got: (m.predict(x) as tf.Tensor).dataSync(), want: tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same').dataSync() };
      });
      assert.strictEqual(got.length, 6 * 6 * 32);
      for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `element ${i}: ${got[i]} vs ${want[i]}`);
      m.dispose();
    } finally {
      await initBackend('wasm');
    }
  });

  it('G4: the four variants have identical MACs and differ only in ReLU / Add layers', () => {
    const cases = g4Cases({ side: 6, channels: 16, blocks: 2 });
    const counts = cases.map((c) => {
      const m = c.build();
      const r = costOf(m);
      const n = (cls: string) => m.layers.filter((l) => l.getClassName() === cls).length;
      const out = { macs: r.macs, relu: n('ReLU'), add: n('Add') };
      m.dispose();
      return out;
    });
    // bottleneck 64→16 (1×1), 16→16 (3×3), 16→64 (1×1) at 6×6, two blocks
    const macs = 2 * 36 * (64 * 16 + 9 * 16 * 16 + 16 * 64);
    assert.deepStrictEqual(counts, [
      { macs, relu: 6, add: 2 },
      { macs, relu: 0, add: 2 },
      { macs, relu: 6, add: 0 },
      { macs, relu: 0, add: 0 },
    ]);
  });

  it('rejects bad sizes and unknown guidelines with the accepted values', () => {
    assert.throws(() => g1Cases({ side: 0 }), /side must be an integer in 1\.\.512, got 0/);
    assert.throws(() => g2Cases({ channels: 6.5 }), /channels must be an integer in 8\.\.4096, got 6\.5/);
    assert.throws(() => g3Cases({ channels: 30 }), /channels \(30\) must be divisible by 4 for 4-fragment-parallel/);
    assert.throws(() => guidelineCases('G5' as Guideline), /unknown guideline "G5"; accepted: "G1", "G2", "G3", "G4"/);
    assert.throws(() => g1Widths(64, 0), /ratio c2\/c1 must be an integer ≥ 1, got 0/);
  });

  it('timing: one row per case with positive times, relative time 1 for the first case, and a computed summary', async () => {
    const sizes = { side: 6, channels: 16, blocks: 1 };
    const cases = [...guidelineCases('G1', sizes), ...guidelineCases('G4', sizes)];
    const seen: string[] = [];
    const results = await runGuidelineBenchmarks(cases, { batch: 2, repetitions: 2, warmup: 1, onCase: (_i, _n, label) => seen.push(label) });
    assert.strictEqual(results.length, cases.length);
    assert.strictEqual(seen.length, cases.length);
    for (const r of results) assert.ok(r.medianMs > 0 && Number.isFinite(r.imagesPerSec) && r.backend === 'wasm');
    assert.strictEqual(results.find((r) => r.guideline === 'G1')!.relativeTime, 1);
    assert.strictEqual(results.find((r) => r.guideline === 'G4')!.relativeTime, 1);
    for (const r of results) {
      const base = results.find((q) => q.guideline === r.guideline)!;
      assert.ok(Math.abs(r.relativeTimePerMac - r.medianMs / base.medianMs / (r.macs / base.macs)) < 1e-12);
    }
    const text = describeGuidelineResults(results);
    const bare = results.find((r) => r.label === 'ReLU off, shortcut off')!;
    assert.ok(text.includes(`saves ${(100 * (1 - bare.relativeTime)).toFixed(0)} %`), text);
    assert.ok(text.includes('**G1**') && !text.includes('**G2**'), text);
    await assert.rejects(() => runGuidelineBenchmarks([]), /cases must be a non-empty array/);
  });
});
