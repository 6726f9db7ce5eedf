/**
 * The experiment runner's care for work and records: an unfinished run is resumed or refused (never silently
 * overwritten), `resume` continues when the epoch count grows, the results store is checked before training, a
 * diverged run is never recorded, ill-typed records are skipped with a warning, and `compact-nets sweep` rejects bad
 * input with status 2 and runs a small grid end to end.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DivergedRunError, ExperimentSpec, runExperiment } from '../src/experiments';
import { readResults, resultsFile } from '../src/lib/results';
import { runCliInProcess } from './support/cli';

/** A tiny conv net for the CIFAR profile: conv 3×3/2 (8) → BN → ReLU → GAP → dense. */
function tinyNet(classes: number): tf.LayersModel {
  const x = tf.input({ shape: [32, 32, 3] });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: classes }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

const base: ExperimentSpec = {
  model: 'tiny-runs-net', build: (_p, classes) => tinyNet(classes), dataset: 'cifar10', perClass: 4, testPerClass: 2,
  epochs: 1, batchSize: 8, learningRate: 0.01, progress: 'silent',
};

describe('experiment runs: no silent loss of work', function () {
  this.timeout(300000);
  const saved = process.env.COMPACT_NETS_CACHE;
  let cache: string;
  const warnings: string[] = [];
  const warn = console.warn;
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-runs-'));
    process.env.COMPACT_NETS_CACHE = cache;
    warnings.length = 0;
    console.warn = (...parts: unknown[]) => void warnings.push(parts.join(' '));
  });
  afterEach(() => {
    console.warn = warn;
    if (saved === undefined) delete process.env.COMPACT_NETS_CACHE;
    else process.env.COMPACT_NETS_CACHE = saved;
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('an unfinished run is refused with --resume/--retrain named, resumed when asked (epochs may grow), retrained from scratch', async () => {
    const one = await runExperiment(base);
    assert.equal(one.epochs, 1);
    await assert.rejects(runExperiment({ ...base, epochs: 3 }), /unfinished run \(checkpoint at epoch 1 in .*\); pass --resume \(resume: true\) to continue it, or --retrain \(retrain: true\) to start over/);
    const three = await runExperiment({ ...base, epochs: 3, resume: true });
    assert.equal(three.history!.length, 3);
    assert.deepEqual(three.history![0], one.history![0], 'epoch 1 comes from the checkpoint, not a new run');
    assert.ok(warnings.some((w) => /resuming from the checkpoint at epoch 1 \(of 3\)/.test(w)), warnings.join('\n'));
    const again = await runExperiment({ ...base, epochs: 2, retrain: true });
    assert.equal(again.history!.length, 2);
    assert.notEqual(again.history![0].seconds, three.history![0].seconds, 'retrain starts over');
  });

  it('a checkpoint past the requested epochs is an error; --resume with nothing to resume says so and trains', async () => {
    await runExperiment({ ...base, epochs: 2 });
    fs.rmSync(resultsFile()); // the record is gone, the checkpoint (epoch 2) stays
    await assert.rejects(runExperiment({ ...base, epochs: 1 }), /checkpoint in .* is at epoch 2, past the 1 epoch\(s\) asked for/);
    const fresh = await runExperiment({ ...base, seed: 4, resume: true });
    assert.equal(fresh.history!.length, 1);
    assert.ok(warnings.some((w) => /nothing to resume \(no checkpoint in /.test(w)), warnings.join('\n'));
  });

  it('checks that the results store can be written before it trains', async () => {
    const blocker = path.join(cache, 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    const started = Date.now();
    await assert.rejects(runExperiment({ ...base, resultsFile: path.join(blocker, 'results.jsonl') }), /cannot write the results store at .*a-file \((ENOTDIR|EEXIST)\).*checked before training/);
    assert.ok(!fs.existsSync(path.join(cache, 'runs')), 'no run folder: nothing was trained');
    assert.ok(Date.now() - started < 60000);
  });

  it('a diverged run throws DivergedRunError and leaves no record', async () => {
    const plain = (classes: number) => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: classes })] });
    await assert.rejects(
      runExperiment({ ...base, model: 'tiny-diverging', build: (_p, c) => plain(c), perClass: 8, epochs: 3, learningRate: 1e4, weightDecay: 0 }),
      (err: unknown) => err instanceof DivergedRunError && /diverged: .*The run is not recorded/.test((err as Error).message),
    );
    assert.deepEqual(readResults(resultsFile()).records, []);
  });

  it('records with fields of the wrong type are reported and skipped like corrupt lines', () => {
    const file = path.join(cache, 'typed.jsonl');
    const good = { model: 'm', configHash: 'h', dataset: 'd', top1: 0.5, date: '2026-12-03T00:00:00Z' };
    fs.writeFileSync(file, [good, { ...good, top1: '55' }, { ...good, top1: 55 }, { ...good, epochs: 'ten' }, { ...good, history: [{ epoch: 1 }] }, [good]].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { records, warnings: w } = readResults(file);
    assert.equal(records.length, 1);
    assert.equal(w.length, 5);
    assert.match(w[0], /line 2: field top1 is "55", expected a fraction in \[0, 1\]; line skipped/);
    assert.match(w[1], /line 3: field top1 is 55, expected a fraction/);
    assert.match(w[2], /line 4: field epochs is "ten", expected a whole number/);
    assert.match(w[3], /line 5: field history .* expected a list of \{epoch, loss, …\}/);
    assert.match(w[4], /line 6: not a JSON object/);
  });
});

describe('compact-nets sweep', function () {
  this.timeout(300000);
  const saved = process.env.COMPACT_NETS_CACHE;
  let cache: string;
  before(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-sweep-'));
    process.env.COMPACT_NETS_CACHE = cache;
  });
  after(() => {
    if (saved === undefined) delete process.env.COMPACT_NETS_CACHE;
    else process.env.COMPACT_NETS_CACHE = saved;
    fs.rmSync(cache, { recursive: true, force: true });
  });
  const small = ['--dataset', 'cifar10', '--per-class', '3', '--test-per-class', '2', '--epochs', '1', '--batch', '8'];

  it('rejects bad input with status 2, naming the value and what is accepted', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sweep', 'mobilenet_v1', '--grid', 'colour=1,2', '--seeds', '2', ...small], /grid key "colour" is neither an option of mobilenet_v1 \(.*width.*\) nor a training option \(learningRate, /],
      [['sweep', 'mobilenet_v1', '--grid', 'width=0.5', '--seeds', '0', ...small], /--seeds must be an integer ≥ 1, got 0/],
      [['sweep', 'shufflenet_v1', '--grid', 'groups=3,5', '--seeds', '2', ...small], /grid configuration groups=5 is rejected by shufflenet_v1: .*5/],
      [['sweep', 'mobilenet_v1', '--grid', 'width', '--seeds', '2', ...small], /grid part "width" has no "key=values"; expected "key=v1,v2\[;key2=v3,…\]"/],
      [['sweep', 'mobilenet_v1', '--grid', 'width=0.5,,1', '--seeds', '2', ...small], /grid key "width" has an empty value/],
      [['sweep', 'mobilenet_v1', '--grid', 'width=0.5;width=1', '--seeds', '2', ...small], /grid key "width" appears twice/],
      [['sweep', 'mobilenet_v1', '--grid', 'learningRate=-1', '--seeds', '2', ...small], /grid value learningRate=-1 is out of range: learningRate must be a learning rate > 0/],
      [['sweep', 'mobilenet_v1', '--seeds', '2', ...small], /--grid is required/],
      [['sweep', 'no_such_model', '--grid', 'width=1', '--seeds', '2', ...small], /unknown model "no_such_model"/],
    ];
    for (const [argv, expected] of cases) {
      const r = await runCliInProcess(argv);
      assert.equal(r.status, 2, `${argv.join(' ')} → ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, expected, argv.join(' '));
    }
  });

  it('runs a grid × seeds, prints mean ± sd per configuration and the verdict per pair, and reuses recorded runs', async () => {
    const argv = ['sweep', 'mobilenet_v1', '--grid', 'width=0.25,0.5', '--seeds', '2', ...small, '--json'];
    const first = await runCliInProcess(argv);
    assert.equal(first.status, 0, first.stderr);
    const out = JSON.parse(first.out[first.out.length - 1]);
    assert.deepEqual(out.configs.map((c: { label: string }) => c.label), ['width=0.25', 'width=0.5']);
    for (const c of out.configs) {
      assert.equal(c.top1.n, 2);
      assert.deepEqual(c.seeds, [0, 1]);
      assert.ok(Math.abs(c.top1.mean - (c.top1s[0] + c.top1s[1]) / 2) < 1e-12);
    }
    assert.equal(out.comparisons.length, 1);
    assert.ok(['A better', 'B better', 'within noise'].includes(out.comparisons[0].verdict));
    assert.equal(readResults(resultsFile()).records.length, 4);
    const second = await runCliInProcess(argv);
    assert.deepEqual(JSON.parse(second.out[second.out.length - 1]), out, 'the second sweep reuses the four recorded runs');
    assert.equal(readResults(resultsFile()).records.length, 4);
  });
});
