import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { defaultDataDir, loadData } from '../src/lib/data/load';
import { byMode, isQuickMode } from '../src/lib/quick-mode';
import { experimentConfig, runExperiment } from '../src/experiments';
import { readResults, resultsFile } from '../src/lib/results';
import { SHARED_DATA } from './support/paths';

const SHARED_CIFAR = path.join(SHARED_DATA, 'cifar10');

/** A tiny conv net for the CIFAR profile: conv 3×3/2 (8) → BN → ReLU → GAP → dense. */
function tinyNet(classes: number): tf.LayersModel {
  const x = tf.input({ shape: [32, 32, 3] });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

describe('experiments (runExperiment and its data helpers)', () => {
  const saved = { cache: process.env.COMPACT_NETS_CACHE, data: process.env.COMPACT_NETS_DATA, quick: process.env.COMPACT_NETS_QUICK };
  let cache: string;
  before(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-exp-'));
    process.env.COMPACT_NETS_CACHE = cache;
  });
  after(() => {
    for (const [k, v] of [['COMPACT_NETS_CACHE', saved.cache], ['COMPACT_NETS_DATA', saved.data], ['COMPACT_NETS_QUICK', saved.quick]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('switches sizes with the quick-mode variable', () => {
    process.env.COMPACT_NETS_QUICK = '1';
    assert.equal(isQuickMode(), true);
    assert.equal(byMode(500, 20), 20);
    process.env.COMPACT_NETS_QUICK = '0';
    assert.equal(isQuickMode(), false);
    assert.equal(byMode(500, 20), 500);
  });

  it('finds the shared data beside the checkout, and says how to get data when there is none', () => {
    delete process.env.COMPACT_NETS_DATA;
    assert.equal(path.resolve(defaultDataDir('cifar10')), SHARED_CIFAR);
    process.env.COMPACT_NETS_DATA = path.join(cache, 'nowhere');
    // The shared folder still exists as the fallback, so point the check at a data set name the fallback lacks.
    assert.throws(() => defaultDataDir('mnist' as never), /unknown data set "mnist"; accepted: cifar10, tiny-imagenet, fashion-mnist/);
    delete process.env.COMPACT_NETS_DATA;
  });

  it('loads seeded train and test subsets with the CIFAR profile', () => {
    const data = loadData('cifar10', { perClass: 3, testPerClass: 2, seed: 5 });
    assert.equal(data.train.count, 30);
    assert.equal(data.test.count, 20);
    assert.equal(data.profile, 'cifar10');
    const again = loadData('cifar10', { perClass: 3, testPerClass: 2, seed: 5 });
    assert.deepEqual(Array.from(again.train.labels), Array.from(data.train.labels));
    assert.deepEqual(again.train.images.slice(0, 3072), data.train.images.slice(0, 3072));
  });

  it('trains, records, and reuses a run with the same configuration', async () => {
    const spec = {
      model: 'tiny-test-net', modelConfig: { filters: 8 }, build: (_p: string, classes: number) => tinyNet(classes),
      dataset: 'cifar10' as const, perClass: 4, testPerClass: 2, epochs: 1, batchSize: 8, optimizer: 'adam' as const, progress: 'silent' as const,
    };
    const first = await runExperiment(spec);
    assert.equal(first.reused, false);
    assert.equal(first.trainImages, 40);
    assert.equal(first.testImages, 20);
    assert.equal(first.epochs, 1);
    assert.ok(first.top1 >= 0 && first.top1 <= 1);
    assert.equal(first.macs, 3 * 3 * 3 * 8 * 16 * 16 + 8 * 10, 'conv 3×3×3×8 at 16×16 plus dense 8×10');
    assert.equal(first.history?.length, 1);
    const second = await runExperiment(spec);
    assert.equal(second.reused, true);
    assert.equal(second.configHash, first.configHash);
    assert.equal(second.top1, first.top1);
    const { records, warnings } = readResults(resultsFile());
    assert.equal(records.length, 1);
    assert.deepEqual(warnings, []);
    const different = experimentConfig({ ...spec, epochs: 2 }, loadData('cifar10', spec));
    assert.notEqual(JSON.stringify(different.training), JSON.stringify(experimentConfig(spec, loadData('cifar10', spec)).training));
  });
});
