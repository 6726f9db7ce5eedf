import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { compareWithPublished, imagenetTable, paramsUnderConvention, tableDisplayRows, tableFootnotes, throughputBatchFor, rankCorrelation, tablePoints, tableOn } from '../src/lessons/table';
import { measureLatency } from '../src/lib/latency';
import type { CostReport } from '../src/lib/cost';
import type { ModelEntry } from '../src/models/registry';
import { useBackend } from './support/backend';

/** A cost report with given totals (the per-layer list is irrelevant to the comparison). */
function report(weights: number, trainable: number, all: number, macs: number): CostReport {
  return { params: { weights, trainable, all }, macs, memoryAccess: 0, layers: [], inputShape: [8, 8, 3] };
}

/** A registry entry for a tiny conv net: conv 3×3 (3→4, no bias) → BN → GAP → dense 4→2. */
function tinyEntry(): ModelEntry {
  return {
    name: 'tiny',
    family: 'test',
    description: 'tiny conv net',
    options: [],
    defaults: { resolution: 8 },
    variants: [
      // conv 3·3·3·4 = 108 weights, dense 4·2+2 = 10 → W = 118; BN 4 channels: +8 → 126; +8 → 134.
      // MACs: conv 108·64 = 6912, dense 8 → 6920.
      { name: 'exact', config: {}, published: { params: 126, paramsConvention: 'W+BN2', macs: 6920, inputSize: 8, source: 'hand count' } },
      { name: 'off', config: {}, published: { params: 100, macs: 7000, rounding: { macs: 0.05 }, inputSize: 8, source: 'made up', footnote: 'differs on purpose' } },
      { name: 'unpublished', config: {} },
    ],
    build(config) {
      const r = config.resolution as number;
      const x = tf.input({ shape: [r, r, 3] });
      let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'c' }).apply(x) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ name: 'bn' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.dense({ units: 2, name: 'fc' }).apply(y) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: y });
    },
  };
}

describe('ImageNet table', () => {
  useBackend('cpu');

  it('picks our count by the published convention (W+BN3 = all − BN channels)', () => {
    const r = report(1000, 1100, 1200, 5);
    assert.equal(paramsUnderConvention(r, 'W'), 1000);
    assert.equal(paramsUnderConvention(r, 'W+BN2'), 1100);
    assert.equal(paramsUnderConvention(r, 'W+BN4'), 1200);
    assert.equal(paramsUnderConvention(r, 'W+BN3'), 1150);
  });

  it('flags differences beyond the published rounding', () => {
    const ours = compareWithPublished(report(4_231_976, 4_253_864, 4_275_752, 568.7e6), {
      params: 4.2e6, rounding: { params: 0.05 / 4.2 }, macs: 569e6, inputSize: 224, source: 'x',
    });
    assert.ok(Math.abs((ours.paramsRelDiff as number) - (4_231_976 - 4.2e6) / 4.2e6) < 1e-12);
    assert.equal(ours.paramsOutsideRounding, false);
    assert.equal(ours.macsOutsideRounding, true, 'no MAC rounding given: any difference is flagged');
  });

  it('builds one row per published variant with exact hand-counted figures', async () => {
    const table = await imagenetTable([tinyEntry()]);
    assert.deepEqual(table.rows.map((r) => r.variant), ['exact', 'off']);
    const [exact, off] = table.rows;
    assert.deepEqual(exact.ours.paramsByConvention, { weights: 118, trainable: 126, all: 134 });
    assert.equal(exact.ours.macs, 6920);
    assert.equal(exact.ours.paramsRelDiff, 0);
    assert.equal(exact.ours.macsOutsideRounding, false);
    assert.equal(off.ours.params, 118, 'default convention is W');
    assert.equal(off.ours.paramsOutsideRounding, true);
    assert.equal(off.ours.macsOutsideRounding, false, '6920 vs 7000 is within 5 %');
    const display = tableDisplayRows(table);
    assert.equal(display[1]['Δparams'], '+18.0% *');
    assert.ok(tableFootnotes(table).some((n) => n.includes('differs on purpose')));
  });

  it('measures latency with repetitions and a spread', async () => {
    const table = await imagenetTable([tinyEntry()], { latency: true, repetitions: 3, throughputBatch: 4 });
    const m = table.rows[0].measured!;
    assert.equal(m.error, undefined);
    assert.equal(m.latencyBatch1!.batch, 1);
    assert.equal(m.throughputBatch!.batch, 4);
    assert.equal(m.latencyBatch1!.repetitions, 3);
    assert.ok(m.latencyBatch1!.minMs <= m.latencyBatch1!.medianMs && m.latencyBatch1!.medianMs <= m.latencyBatch1!.maxMs);
    assert.ok(Math.abs(m.throughputBatch!.imagesPerSec - 4000 / m.throughputBatch!.medianMs) < 1e-9);
    assert.match(table.latencyMethod!, /warm-up/);
  });

  it('caps the throughput batch by the work limit and records the batch used', async () => {
    assert.equal(throughputBatchFor(300e6), 32);
    assert.equal(throughputBatchFor(15.47e9), 3, 'VGG-16: ⌊50 G / 15.47 G⌋');
    assert.equal(throughputBatchFor(200e9), 1);
    assert.equal(throughputBatchFor(1e6, { throughputBatch: 8 }), 8);
    assert.equal(throughputBatchFor(1e6, {}, 1000), 2, 'a 1 s batch-1 latency allows 2 images in a 2.5 s run');
    assert.equal(throughputBatchFor(1e6, {}, 10), 32);
    assert.equal(throughputBatchFor(1e6, { maxThroughputRunMs: 500 }, 1000), 1);
    const table = await imagenetTable([tinyEntry()], { latency: true, repetitions: 1, maxThroughputMacs: 6920 * 3 });
    assert.equal(table.rows[0].measured!.throughputBatch!.batch, 3);
  });

  it('rejects unknown models and bad latency options', async () => {
    await assert.rejects(imagenetTable([tinyEntry()], { models: ['nope'] }), /unknown model\(s\) nope; registered: tiny/);
    const m = tinyEntry().build({ resolution: 8 });
    await assert.rejects(measureLatency(m, { batch: 0 }), /batch must be an integer ≥ 1, got 0/);
    m.dispose();
  });

  it('ranks correlations like the textbook cases (Spearman)', () => {
    assert.equal(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // Ties: ranks [1.5, 1.5, 3] vs [1, 2, 3] → ρ = 0.866…
    assert.ok(Math.abs(rankCorrelation([5, 5, 9], [1, 2, 3]) - Math.sqrt(3) / 2) < 1e-12);
    assert.ok(Number.isNaN(rankCorrelation([1], [2])));
    assert.throws(() => rankCorrelation([1, 2], [1]), /differ in length/);
  });

  it('turns rows into chart points, leaving out rows without the value', async () => {
    const table = await imagenetTable([tinyEntry()]);
    assert.deepEqual(tablePoints(table, 'macs', 'params').map((p) => p.label), ['tiny exact', 'tiny off']);
    assert.equal(tablePoints(table, 'macs', 'top1Percent').length, 0, 'no published top-1 in the fixture');
    assert.equal(tablePoints(table, 'macs', 'latency').length, 0, 'no latency measured');
    assert.ok(Math.abs(tablePoints(table, 'macs', 'params')[0].x - 0.00692) < 1e-12);
  });

  it('tags each row with the data set of its published figures and keeps other data sets off a chart', async () => {
    const entry = tinyEntry();
    entry.variants.push({ name: 'small', config: { dataset: 'cifar10' }, published: { top1Percent: 90, params: 126, paramsConvention: 'W+BN2', inputSize: 8, source: 'made up' } });
    entry.variants[0].published!.top1Percent = 60;
    const table = await imagenetTable([entry]);
    assert.deepEqual(table.rows.map((r) => [r.variant, r.dataset]), [['exact', 'imagenet'], ['off', 'imagenet'], ['small', 'cifar10']]);
    assert.deepEqual(tablePoints(table, 'macs', 'top1Percent').map((p) => p.label), ['tiny exact', 'tiny small']);
    assert.deepEqual(tablePoints(table, 'macs', 'top1Percent', { dataset: 'imagenet' }).map((p) => p.label), ['tiny exact']);
    assert.deepEqual(tableOn(table, 'cifar10').rows.map((r) => r.variant), ['small']);
  });

  it('gives latency points their min–max spread, on our runtime and on ONNX Runtime', async function () {
    this.timeout(60000);
    const table = await imagenetTable([tinyEntry()], { latency: true, repetitions: 3, throughputBatch: 2, onnxRepetitions: 4 });
    for (const axis of ['latency', 'onnxLatency'] as const) {
      const [p] = tablePoints(table, 'macs', axis);
      const l = axis === 'latency' ? table.rows[0].measured!.latencyBatch1! : table.rows[0].measured!.onnxBatch1!;
      assert.equal(p.y, l.medianMs);
      assert.deepEqual(p.yInterval, [l.minMs, l.maxMs]);
      assert.ok(l.minMs <= l.medianMs && l.medianMs <= l.maxMs);
      assert.equal(p.xInterval, undefined);
    }
    assert.throws(() => tablePoints(table, 'macs', 'speed' as 'macs'), /table axis must be one of/);
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    await imagenetTable([tinyEntry()], { latency: true, repetitions: 1, throughputBatch: 2 });
    assert.equal(tf.memory().numTensors, before);
  });
});
