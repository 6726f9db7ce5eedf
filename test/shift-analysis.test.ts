/**
 * shift-analysis: CSC-vs-conv costs against the closed-form counts, the shift mosaic against a naive pixel loop,
 * offset statistics against hand-computed values, the offset recorder against a real training run, the fixed-shift
 * AS-ResNet baseline (offsets at the grid and untouched by training) and FE-Net's two accountings against the
 * recounts of docs/sources.md §4.8 (410.5 M 'code', 299.7 M 'paper' at 1.0×).
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import type { Dataset } from '../src/lib/data/dataset';
import { activeShift, shiftOffsets } from '../src/lib/ops';
import {
  cscBreakEvenExpansion,
  cscVersusConv,
  displacementSeries,
  feNetAccountings,
  histogram,
  meanDisplacement,
  mostMovedChannels,
  offsetLayers,
  offsetPaths,
  OffsetSnapshot,
  offsetRecorder,
  readOffsets,
  shiftMosaic,
  spreadLayerNames,
  summarizeOffsets,
} from '../src/lessons/shift-analysis';
import { train } from '../src/lib/train';
import { buildModel } from '../src/models';

/** A synthetic uint8 RGB data set whose pixel values encode their position (distinct everywhere). */
function syntheticDataset(count: number, h: number, w: number): Dataset {
  const images = new Uint8Array(count * h * w * 3);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7 + 3) % 251;
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  return { name: 'synthetic', split: 'train', count, height: h, width: w, channels: 3, images, labels, classNames: ['a', 'b'] };
}

describe('shift-analysis', function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend();
  });

  describe('cscVersusConv', () => {
    it('measured CSC weights equal M·⌊εN⌋ + ⌊εN⌋·N and the conv 9·M·N; the break-even is ε = 4.5 at M = N', () => {
      const rows = cscVersusConv({ inChannels: 16, outChannels: 16, size: 8, expansions: [1, 4, 4.5, 5] });
      for (const r of rows) {
        const mid = Math.floor(r.expansion * 16);
        assert.equal(r.midChannels, mid);
        assert.equal(r.cscParams, 16 * mid + mid * 16, `ε ${r.expansion}`);
        assert.equal(r.cscParams, r.cscParamsFormula);
        assert.equal(r.convParams, 9 * 16 * 16);
        assert.equal(r.convMacs, 9 * 16 * 16 * 64);
        assert.equal(r.cscMacs, r.cscParams * 64, 'stride 1: MACs = weights · H·W');
      }
      assert.deepEqual(rows.map((r) => r.ratio < 1), [true, true, false, false]);
      assert.equal(rows[2].ratio, 1, 'exactly equal at ε = 4.5');
      assert.equal(cscBreakEvenExpansion(64, 64), 4.5);
      assert.equal(cscBreakEvenExpansion(32, 64, 5), (25 * 32) / 96);
    });

    it('rejects bad input naming the value', () => {
      assert.throws(() => cscVersusConv({ inChannels: 0, outChannels: 4, size: 4, expansions: [1] }), /inChannels must be a positive integer.*got 0/);
      assert.throws(() => cscVersusConv({ inChannels: 4, outChannels: 4, size: 4, expansions: [1], kernelSize: 4 }), /kernelSize must be odd.*got 4/);
      assert.throws(() => cscVersusConv({ inChannels: 4, outChannels: 4, size: 4, expansions: [0.1] }), /leaves ⌊ε·N⌋ = 0/);
      assert.throws(() => cscVersusConv({ inChannels: 4, outChannels: 4, size: 4, expansions: [] }), /non-empty/);
    });
  });

  describe('shiftMosaic', () => {
    it('tile (i, j) is the image shifted by (i − 1, j − 1)·step with zero fill; gaps are white', () => {
      const ds = syntheticDataset(2, 5, 6);
      const step = 2;
      const gap = 1;
      const rows = shiftMosaic(ds, 1, 3, step, gap);
      assert.equal(rows.length, 3 * 5 + 2 * gap);
      assert.equal(rows[0].length, 3 * 6 + 2 * gap);
      const pixel = (y: number, x: number, c: number) => ds.images[((1 * 5 + y) * 6 + x) * 3 + c];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const dy = (i - 1) * step;
          const dx = (j - 1) * step;
          for (let y = 0; y < 5; y++) {
            for (let x = 0; x < 6; x++) {
              const sy = y + dy;
              const sx = x + dx;
              const inside = sy >= 0 && sy < 5 && sx >= 0 && sx < 6;
              const expected = [0, 1, 2].map((c) => (inside ? pixel(sy, sx, c) : 0));
              assert.deepEqual(rows[i * (5 + gap) + y][j * (6 + gap) + x], expected, `tile ${i},${j} pixel ${y},${x}`);
            }
          }
        }
      }
      assert.deepEqual(rows[5][0], [255, 255, 255], 'gap row');
      assert.throws(() => shiftMosaic(ds, 2), /index must be an integer in \[0, 1\].*got 2/);
      assert.throws(() => shiftMosaic(ds, 0, 2), /kernelSize must be odd/);
    });
  });

  describe('offset statistics', () => {
    it('summarizeOffsets counts still channels with half-away-from-zero rounding', () => {
      // channels: (0.4, -0.4) still; (0.5, 0) moves (rounds to 1); (-2, 1.05) moves; (0, 0) still
      const s = summarizeOffsets([0.4, -0.4, 0.5, 0, -2, 1.05, 0, 0]);
      assert.equal(s.channels, 4);
      assert.equal(s.still, 2);
      assert.equal(s.fractionStill, 0.5);
      assert.equal(s.maxAbs, 2);
      assert.ok(Math.abs(s.meanLength - (Math.hypot(0.4, 0.4) + 0.5 + Math.hypot(2, 1.05) + 0) / 4) < 1e-12);
      assert.equal(s.fractionNearInteger, 5 / 8); // 0, -2, 1.05, 0, 0 are within 0.1 of an integer
      assert.throws(() => summarizeOffsets([1, 2, 3]), /2·C values/);
    });

    it('displacement, paths and most-moved channels follow the snapshots', () => {
      const snaps: OffsetSnapshot[] = [
        { step: 0, epoch: 0, offsets: { a: Float32Array.from([0, 0, 1, 1]) } },
        { step: 5, epoch: 0.5, offsets: { a: Float32Array.from([3, 4, 1, 1]) } },
        { step: 10, epoch: 1, offsets: { a: Float32Array.from([3, 4, 1, 2]) } },
      ];
      assert.equal(meanDisplacement(snaps[0].offsets.a, snaps[2].offsets.a), (5 + 1) / 2);
      const [series] = displacementSeries(snaps);
      assert.deepEqual(series.x, [0, 5, 10]);
      assert.deepEqual(series.y, [0, 2.5, 3]);
      const [path] = offsetPaths(snaps, 'a', [1]);
      assert.deepEqual(path.x, [1, 1, 1]);
      assert.deepEqual(path.y, [1, 1, 2]);
      assert.deepEqual(mostMovedChannels(snaps, 'a', 2), [0, 1]);
      assert.throws(() => offsetPaths(snaps, 'a', [2]), /channel must be an integer in \[0, 1\]/);
      assert.throws(() => offsetPaths(snaps, 'b', [0]), /layer 'b' was not recorded/);
    });

    it('histogram matches a naive count, with edge values in the bin to their right', () => {
      const values = [-1, -0.75, -0.5, 0, 0.1, 0.25, 0.25, 0.9];
      const h = histogram(values, 0.25);
      assert.deepEqual(h.binStarts, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]);
      const naive = h.binStarts.map((lo) => values.filter((v) => v >= lo - 1e-12 && v < lo + 0.25 - 1e-12).length);
      assert.deepEqual(h.counts, naive);
      assert.equal(h.counts.reduce((a, b) => a + b, 0), values.length);
      assert.throws(() => histogram(values, 0), /binWidth must be a number > 0/);
      assert.throws(() => histogram([1, NaN], 1), /value 1 is not finite/);
    });
  });

  describe('offset recording during training', () => {
    it('records the initial offsets, every N steps and the final ones; learned offsets move', async () => {
      const input = tf.input({ shape: [6, 6, 3] });
      let x = activeShift({ name: 'asl_a', initRadius: 0.3 }).apply(input) as tf.SymbolicTensor;
      x = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'mix', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
      x = activeShift({ name: 'asl_b', initRadius: 0.3 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 2, name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      try {
        assert.deepEqual(offsetLayers(model).map((l) => l.name), ['asl_a', 'asl_b']);
        assert.deepEqual(spreadLayerNames(model, 3), ['asl_a', 'asl_b']);
        const initial = readOffsets(model, ['asl_b']).asl_b;
        const { reporter, snapshots } = offsetRecorder(model, ['asl_b'], 2);
        const ds = syntheticDataset(16, 6, 6);
        const result = await train(model, ds, { epochs: 2, batchSize: 4, learningRate: 0.5, optimizer: { name: 'sgd' }, progress: reporter });
        assert.equal(result.steps, 8);
        assert.deepEqual(snapshots.map((s) => s.step), [0, 2, 4, 6, 8]);
        assert.deepEqual(snapshots.map((s) => s.epoch), [0, 0.5, 1, 1.5, 2]);
        assert.deepEqual(Array.from(snapshots[0].offsets.asl_b), Array.from(initial));
        assert.deepEqual(Array.from(snapshots[4].offsets.asl_b), Array.from(readOffsets(model, ['asl_b']).asl_b), 'last = final weights');
        assert.ok(meanDisplacement(snapshots[0].offsets.asl_b, snapshots[4].offsets.asl_b) > 1e-4, 'offsets moved');
        assert.throws(() => readOffsets(model, ['fc']), /'fc' is not a shift layer.*asl_a, asl_b/);
      } finally {
        model.dispose();
      }
    });
  });

  describe("as_resnet shift: 'fixed'", () => {
    it('freezes every ASL at the 3×3 grid; training leaves it there while learned offsets move', async () => {
      const config = { baseWidth: 4, dataset: 'cifar10' as const, classes: 2, resolution: 16 };
      const fixed = buildModel('as_resnet', { ...config, shift: 'fixed' });
      const learned = buildModel('as_resnet', config);
      try {
        assert.equal(fixed.countParams(), learned.countParams());
        const layers = offsetLayers(fixed);
        assert.equal(layers.length, 17);
        for (const l of layers) {
          const c = l.getWeights()[0].shape[0];
          const grid = shiftOffsets(c, 3).flatMap(([dy, dx]) => [dx, dy]);
          assert.deepEqual(Array.from(readOffsets(fixed, [l.name])[l.name]), grid, l.name);
          assert.equal(l.trainable, false);
        }
        assert.equal(fixed.trainableWeights.length, learned.trainableWeights.length - 17);
        const ds = syntheticDataset(8, 16, 16);
        const before = { fixed: readOffsets(fixed), learned: readOffsets(learned) };
        for (const m of [fixed, learned]) await train(m, ds, { epochs: 1, batchSize: 4, learningRate: 0.1, progress: 'silent' });
        const after = { fixed: readOffsets(fixed), learned: readOffsets(learned) };
        for (const name of Object.keys(before.fixed)) assert.deepEqual(Array.from(after.fixed[name]), Array.from(before.fixed[name]), name);
        const moved = Object.keys(before.learned).some((n) => meanDisplacement(before.learned[n], after.learned[n]) > 1e-6);
        assert.ok(moved, 'learned offsets moved');
      } finally {
        fixed.dispose();
        learned.dispose();
      }
      assert.throws(() => buildModel('as_resnet', { ...config, shift: 'frozen' }), /unknown shift "frozen"; accepted: "learned", "fixed"/);
    });
  });

  describe('feNetAccountings', () => {
    it("reproduces the recounts: 'code' 410.5 M and 'paper' 299.7 M MACs at 1.0× (published 301 M)", () => {
      const rows = feNetAccountings([1]);
      assert.deepEqual(rows.map((r) => r.downsampling), ['code', 'paper']);
      assert.ok(Math.abs(rows[0].macs / 1e6 - 410.5) < 0.05, `code ${rows[0].macs}`);
      assert.ok(Math.abs(rows[1].macs / 1e6 - 299.7) < 0.05, `paper ${rows[1].macs}`);
      assert.equal(rows[1].publishedMacs, 301e6);
      assert.ok(Math.abs(rows[1].macsRelDiff) < 0.005);
      assert.equal(rows[0].params, rows[1].params, 'the pooling order changes MACs, not weights');
      assert.equal(rows[0].params, 3_907_064);
      assert.throws(() => feNetAccountings([0.5]), /no published MAdds for width 0.5/);
    });
  });
});
