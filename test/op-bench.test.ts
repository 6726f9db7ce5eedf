/**
 * The §5 closed-form formulas (src/lib/formulas.ts) against hand-computed figures and against the cost
 * counter on built one-op models (weights counted from real weight shapes), and the op timer's contract.
 */
import * as assert from 'assert';
import {
  cscCost, depthwiseConvCost, fireCost, groupConvCost, invertedResidualCost, pointwiseConvCost, pointwiseMemoryAccess,
  separableConvCost, separableToStandardRatio, shuffleUnitV1Cost, shuffleUnitV2Cost, standardConvCost,
} from '../src/lib/formulas';
import { benchOps, buildOpModel, checkOpSettings, describeOpBench, OP_KINDS, opFormula, OpSettings } from '../src/lessons/op-bench';
import { useBackend } from './support/backend';

useBackend('cpu');

describe('formulas (docs/sources.md §5)', () => {
  it('match hand-computed figures', () => {
    // MobileNet V1 layer: 3×3, 512 → 512 at 14×14 (P-MB1 §3 example sizes).
    assert.deepStrictEqual(standardConvCost({ inChannels: 512, outChannels: 512, height: 14, width: 14, kernelSize: 3 }), { params: 2359296, macs: 462422016 });
    assert.deepStrictEqual(separableConvCost({ inChannels: 512, outChannels: 512, height: 14, width: 14, kernelSize: 3 }), { params: 4608 + 262144, macs: (4608 + 262144) * 196 });
    assert.ok(Math.abs(separableToStandardRatio(512, 3) - (4608 + 262144) / 2359296) < 1e-12);
    assert.deepStrictEqual(depthwiseConvCost({ inChannels: 32, height: 112, width: 112, kernelSize: 3, stride: 2 }), { params: 288, macs: 288 * 56 * 56 });
    assert.deepStrictEqual(pointwiseConvCost({ inChannels: 32, outChannels: 64, height: 7, width: 7 }), { params: 2048, macs: 2048 * 49 });
    assert.deepStrictEqual(groupConvCost({ inChannels: 240, outChannels: 60, height: 28, width: 28, kernelSize: 1, groups: 3 }), { params: 4800, macs: 4800 * 784 });
    // SqueezeNet 1.0 fire2: M = 96, s = 16, e1 = e3 = 64 at 55×55: 11,920 params with biases.
    assert.deepStrictEqual(fireCost({ inChannels: 96, squeeze: 16, expand1x1: 64, expand3x3: 64, height: 55, width: 55, bias: true }), { params: 11920, macs: 55 * 55 * 11776 });
    // MobileNet V2 block 24 → 24, t = 6 at 56×56: 24·144 + 9·144 + 144·24 = 8,208 weights.
    assert.deepStrictEqual(invertedResidualCost({ inChannels: 24, outChannels: 24, expansion: 6, height: 56, width: 56 }), { params: 8208, macs: 3136 * 3456 + 3136 * 144 * 33 });
    assert.deepStrictEqual(invertedResidualCost({ inChannels: 32, outChannels: 16, expansion: 1, height: 112, width: 112 }), { params: 288 + 512, macs: 12544 * 32 * 25 });
    assert.deepStrictEqual(shuffleUnitV1Cost({ channels: 240, bottleneck: 60, groups: 3, height: 28, width: 28 }), { params: 10140, macs: 10140 * 784 });
    assert.deepStrictEqual(shuffleUnitV2Cost({ channels: 116, height: 28, width: 28 }), { params: 2 * 58 * 58 + 9 * 58, macs: 784 * (2 * 58 * 58 + 9 * 58) });
    assert.deepStrictEqual(cscCost({ inChannels: 16, outChannels: 16, expansion: 3, height: 32, width: 32 }), { params: 16 * 48 * 2, macs: 1024 * 16 * 48 * 2 });
    // G1: for fixed FLOPs the memory access cost is lowest at c1 = c2.
    assert.ok(pointwiseMemoryAccess({ inChannels: 64, outChannels: 64, height: 8, width: 8 }) < pointwiseMemoryAccess({ inChannels: 32, outChannels: 128, height: 8, width: 8 }));
  });
  it('reject bad shapes with the field named', () => {
    assert.throws(() => groupConvCost({ inChannels: 10, outChannels: 10, height: 4, width: 4, kernelSize: 3, groups: 3 }), /groups 3 must divide inChannels 10/);
    assert.throws(() => standardConvCost({ inChannels: 0, outChannels: 1, height: 4, width: 4, kernelSize: 3 }), /inChannels must be a positive integer, got 0/);
    assert.throws(() => invertedResidualCost({ inChannels: 8, outChannels: 8, expansion: 0.5, height: 4, width: 4 }), /expansion must be a number ≥ 1/);
  });
});

describe('one-op models', () => {
  const settings: OpSettings[] = [
    { channels: 16, size: 8, kernelSize: 3, groups: 4, expansion: 6 },
    { channels: 32, size: 5, kernelSize: 5, groups: 2, expansion: 1 },
  ];
  for (const s of settings) {
    it(`cost counter equals the formula for every op (C=${s.channels}, H=${s.size}, K=${s.kernelSize}, g=${s.groups}, t=${s.expansion})`, async () => {
      const rows = await benchOps(OP_KINDS, s);
      assert.strictEqual(rows.length, OP_KINDS.length);
      for (const r of rows) {
        assert.strictEqual(r.params, r.formulaParams, `${r.op} params`);
        assert.strictEqual(r.macs, r.formulaMacs, `${r.op} MACs`);
        assert.strictEqual(r.medianMs, undefined);
      }
      // Independent sanity: group conv with g groups is 1/g of the standard conv.
      const std = rows.find((r) => r.op === 'standard')!;
      assert.strictEqual(rows.find((r) => r.op === 'group')!.macs * s.groups, std.macs);
    });
  }
  it('keeps the shape: every op maps [H, W, C] to [H, W, C] (split: two halves)', () => {
    const s = settings[0];
    for (const kind of OP_KINDS) {
      const m = buildOpModel(kind, s);
      const shapes = m.outputs.map((o) => o.shape.slice(1));
      assert.deepStrictEqual(shapes, kind === 'split' ? [[8, 8, 8], [8, 8, 8]] : [[8, 8, 16]], kind);
      m.dispose();
    }
  });
  it('times each op: positive medians over the requested repetitions, and a computed summary', async () => {
    const rows = await benchOps(['standard', 'depthwise', 'shift'], { channels: 16, size: 6, kernelSize: 3, groups: 1, expansion: 2 }, { batch: 1, warmup: 1, repetitions: 3 });
    for (const r of rows) {
      assert.ok(r.medianMs! > 0 && r.minMs! <= r.medianMs!);
      assert.strictEqual(r.repetitions, 3);
    }
    const text = describeOpBench(rows);
    assert.match(text, /agrees with the §5 formula for \*\*3 of 3\*\*/);
    assert.match(text, /shift \d+\.\d\d ms/);
  });
  it('rejects invalid knobs with a clear message', () => {
    assert.throws(() => checkOpSettings({ channels: 24, size: 8, kernelSize: 3, groups: 5, expansion: 6 }), /groups 5 must divide channels 24/);
    assert.throws(() => checkOpSettings({ channels: 24, size: 8, kernelSize: 3, groups: 1, expansion: 6 }), /multiple of 16/);
    assert.throws(() => checkOpSettings({ channels: 16, size: 8, kernelSize: 4, groups: 1, expansion: 6 }), /kernelSize must be odd/);
    assert.throws(() => opFormula('nope' as never, { channels: 16, size: 8, kernelSize: 3, groups: 1, expansion: 6 }), /unknown op "nope"/);
  });
});
