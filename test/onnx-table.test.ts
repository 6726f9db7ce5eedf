/** The ImageNet table's ONNX Runtime column: batch-1 latency of the exported model in onnxruntime-node, threads stated. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { imagenetTable, tableDisplayRows, tableFootnotes } from '../src/lessons/table';
import type { ModelEntry } from '../src/models';

function entry(withUnsupportedLayer: boolean): ModelEntry {
  return {
    name: withUnsupportedLayer ? 'upsampling' : 'small',
    family: 'test',
    description: 'small conv net',
    options: [],
    defaults: {},
    variants: [{ name: 'v', config: {}, published: { params: 1, macs: 1, inputSize: 16, source: 'test' } }],
    build() {
      const x = tf.input({ shape: [16, 16, 3] });
      let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
      if (withUnsupportedLayer) y = tf.layers.upSampling2d({ size: [2, 2] }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor });
    },
  };
}

describe('table: ONNX Runtime latency column', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend('wasm');
  });

  it('measures median and spread with the stated threads beside the tfjs latency', async () => {
    const table = await imagenetTable([entry(false)], { latency: true, repetitions: 2, throughputBatch: 2, onnxThreads: 2, onnxRepetitions: 4 });
    const m = table.rows[0].measured!;
    const o = m.onnxBatch1!;
    assert.strictEqual(o.threads, 2);
    assert.strictEqual(o.repetitions, 4);
    assert.strictEqual(o.batch, 1);
    assert.match(o.runtime, /^onnxruntime-node 1\.30/);
    assert.ok(o.minMs > 0 && o.minMs <= o.medianMs && o.medianMs <= o.maxMs);
    assert.ok(m.latencyBatch1!.medianMs > 0);
    assert.match(table.latencyMethod!, /onnxruntime-node CPU with 2 intra-op thread\(s\), batch 1, 3 warm-up runs, median and min–max of 4 timed runs/);
    const display = tableDisplayRows(table)[0];
    assert.strictEqual(display['ONNX Runtime b1 (ms)'], o.medianMs);
    assert.strictEqual(display['ONNX Runtime range (ms)'], `${o.minMs.toFixed(1)}–${o.maxMs.toFixed(1)}`);
  });

  it('a model the exporter refuses keeps its other columns and says why in a footnote', async () => {
    const table = await imagenetTable([entry(true)], { latency: true, repetitions: 1, throughputBatch: 1 });
    const m = table.rows[0].measured!;
    assert.ok(m.latencyBatch1!.medianMs > 0);
    assert.strictEqual(m.onnxBatch1, undefined);
    assert.match(m.onnxError!, /UpSampling2D has no ONNX conversion/);
    assert.ok(tableFootnotes(table).some((f) => /upsampling v: no ONNX Runtime figure: .*UpSampling2D/.test(f)));
  });
});
