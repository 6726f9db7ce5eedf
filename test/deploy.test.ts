/**
 * The deploying lesson's helpers (src/lessons/deploy.ts, notebook 11) on small CIFAR-profile networks: the written
 * file is the bytes reported, verification agrees, the BatchNorm statistics are what they claim, folding removes one
 * BatchNormalization node per folded layer without changing the logits, onnxruntime without optimiser runs our graph
 * as written, and the summary carries the measured figures. Also `compact-nets env`'s onnxruntime-node line.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { buildModel } from '../src/models';
import {
  BN_STATISTICS_RANGES, deployModels, DeployedModel, deploySummary, disposeDeployed, exportForDeployment, foldingStudy,
  FoldingRow, runtimeLatencies, RuntimePair, setBatchNormStatistics,
} from '../src/lessons/deploy';
import { runCliProcess } from './support/cli';

describe('deploying compact nets (notebook 11 helpers)', function () {
  this.timeout(600000);
  let dir = '';
  let deployed: DeployedModel[] = [];
  let pairs: RuntimePair[] = [];
  let folding: FoldingRow[] = [];
  const timing = { threads: 1, rounds: 2, repetitions: 2, warmup: 0 };

  before(async () => {
    await initBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-'));
    const specs = [
      { key: 'mbv2', label: 'MobileNet V2 0.35', model: 'mobilenet_v2', config: { width: 0.35 } },
      ...deployModels(['squeezenet1_1']),
    ];
    deployed = await exportForDeployment(specs, { profile: 'cifar10', outDir: dir });
    pairs = await runtimeLatencies(deployed, timing);
    folding = await foldingStudy(deployed, { ...timing, levels: ['disabled', 'all'] });
  });
  after(() => {
    disposeDeployed(deployed);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes each graph as reported and verifies it against our model', () => {
    for (const d of deployed) {
      assert.ok(fs.readFileSync(d.file).equals(Buffer.from(d.bytes)), `${d.file} differs from the bytes reported`);
      assert.deepStrictEqual(d.inputShape, ['N', 3, 32, 32]);
      assert.deepStrictEqual(d.outputShape, ['N', 10]);
      assert.ok(d.verify.maxAbsOutput > 1e-3, `${d.spec.label}: logits ${d.verify.maxAbsOutput} too small to compare`);
      assert.ok(d.verify.maxAbsDiff <= 1e-4, `${d.spec.label}: max |Δ logit| ${d.verify.maxAbsDiff}`);
      assert.strictEqual(d.batchNorms, d.model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length);
    }
    assert.strictEqual(deployed[1].batchNorms, 0);
    // What became what adds up: every node of the graph belongs to one layer class (or the graph output).
    for (const d of deployed) {
      const summed: Record<string, number> = {};
      for (const c of Object.values(d.byLayerClass)) for (const [op, n] of Object.entries(c.ops)) summed[op] = (summed[op] ?? 0) + n;
      assert.deepStrictEqual(summed, d.opCounts);
      assert.strictEqual(d.byLayerClass.BatchNormalization?.absorbed ?? 0, d.foldedBatchNorms);
      assert.strictEqual(d.byLayerClass.Conv2D.layers, d.model.layers.filter((l) => l.getClassName() === 'Conv2D').length);
    }
    assert.strictEqual(deployed[0].foldedBatchNorms, deployed[0].batchNorms);
  });

  it('setBatchNormStatistics draws every BatchNorm parameter inside its range, the same for the same seed', () => {
    const a = buildModel('mobilenet_v2', { width: 0.35, dataset: 'cifar10' });
    const b = buildModel('mobilenet_v2', { width: 0.35, dataset: 'cifar10' });
    try {
      const n = setBatchNormStatistics(a, 3);
      setBatchNormStatistics(b, 3);
      assert.strictEqual(n, a.layers.filter((l) => l.getClassName() === 'BatchNormalization').length);
      let checked = 0;
      a.weights.forEach((w, i) => {
        const range = BN_STATISTICS_RANGES[w.originalName.split('/').pop() ?? ''];
        if (range === undefined) return;
        const v = w.read().dataSync();
        assert.ok(v.every((x) => x >= range[0] && x < range[1]), `${w.originalName} outside [${range}]`);
        assert.deepStrictEqual(v, b.weights[i].read().dataSync());
        checked++;
      });
      assert.strictEqual(checked, 4 * n);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('runtime latencies: rounds × repetitions passes per runtime, one thread each', () => {
    assert.strictEqual(pairs.length, 2);
    for (const p of pairs) {
      for (const side of [p.tfjs, p.onnx]) {
        assert.strictEqual(side.samplesMs.length, timing.rounds * timing.repetitions);
        assert.strictEqual(side.threads, 1);
        assert.ok(side.minMs <= side.q1Ms && side.q1Ms <= side.medianMs && side.medianMs <= side.q3Ms && side.q3Ms <= side.maxMs);
      }
      assert.strictEqual(p.roundRatios.length, timing.rounds);
    }
  });

  it('folding removes one BatchNormalization node per folded layer and leaves the logits', () => {
    const [mb, sq] = folding;
    assert.strictEqual(mb.nodes.unfolded - mb.nodes.folded, mb.foldedBatchNorms);
    const disabled = mb.optimized.find((g) => g.level === 'disabled')!;
    // onnxruntime without its optimiser runs the graph as we wrote it: its node counts are ours.
    assert.deepStrictEqual(disabled.folded, deployed[0].opCounts);
    assert.strictEqual(disabled.unfolded.BatchNormalization, mb.batchNorms);
    assert.strictEqual(disabled.folded.BatchNormalization ?? 0, 0);
    assert.ok(mb.foldedVsUnfolded.maxAbsDiff <= 1e-5 * Math.max(1, mb.foldedVsUnfolded.maxAbsOutput));
    assert.ok(mb.unfoldedVsTfjs <= 1e-4);
    assert.deepStrictEqual(mb.latencies.map((l) => `${l.graph}@${l.level}`).sort(), ['folded@all', 'folded@disabled', 'unfolded@all', 'unfolded@disabled']);
    // SqueezeNet has no BatchNorm: nothing to fold, nothing timed, the same graph twice.
    assert.strictEqual(sq.nodes.folded, sq.nodes.unfolded);
    assert.deepStrictEqual(sq.latencies, []);
    assert.strictEqual(sq.foldedVsUnfolded.maxAbsDiff, 0);
  });

  it('the summary quotes the measured figures', () => {
    const text = deploySummary(deployed, pairs, folding);
    const worst = Math.max(...deployed.map((d) => d.verify.maxAbsDiff));
    assert.ok(text.includes(worst.toExponential(1)), text);
    assert.match(text, /within the 1e-3 that the export tests accept/);
    const ratios = pairs.map((p) => p.tfjs.medianMs / p.onnx.medianMs);
    assert.ok(text.includes(`${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`), text);
    assert.ok(text.includes(`removed ${folding[0].nodes.unfolded - folding[0].nodes.folded} of ${folding[0].nodes.unfolded} nodes (MobileNet V2 0.35)`), text);
  });

  it('bad input is rejected naming the value', async () => {
    assert.throws(() => deployModels(['resnet9000']), /unknown network "resnet9000"; choose from mobilenet_v2, /);
    await assert.rejects(exportForDeployment(deployModels(['squeezenet1_1']), { profile: 'mnist' as 'cifar10', outDir: dir }), /profile must be 'imagenet' or 'cifar10', got "mnist"/);
    await assert.rejects(foldingStudy(deployed, { ...timing, levels: ['fast' as 'all'] }), /graphOptimization "fast" is not a level; choose one of disabled, basic, extended, layout, all/);
  });
});

describe('compact-nets env: onnxruntime-node', function () {
  this.timeout(120000);

  it('reports the installed version when it loads', () => {
    const r = runCliProcess(['env', '--json', '--backend', 'wasm']);
    assert.strictEqual(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { onnxruntimeNode: string | null; onnxruntimeNodeStatus: string };
    assert.strictEqual(info.onnxruntimeNode, (require('onnxruntime-node/package.json') as { version: string }).version);
    assert.strictEqual(info.onnxruntimeNodeStatus, 'loads');
  });

  it('says why when it cannot load, and still exits 0', () => {
    const hook = path.join(os.tmpdir(), `no-ort-${process.pid}.js`);
    fs.writeFileSync(hook, "const M = require('module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...rest) { if (req === 'onnxruntime-node') throw new Error('simulated: no binary here'); return r.call(this, req, ...rest); };\n");
    try {
      const env = { ...process.env, NODE_OPTIONS: `--require ${hook}` };
      const json = runCliProcess(['env', '--json', '--backend', 'wasm'], { env });
      assert.strictEqual(json.status, 0, json.stderr);
      const info = JSON.parse(json.stdout) as { onnxruntimeNode: string | null; onnxruntimeNodeStatus: string; backend: string };
      assert.strictEqual(info.onnxruntimeNode, null);
      assert.match(info.onnxruntimeNodeStatus, /could not be loaded \(simulated: no binary here\).*npm ci/);
      assert.strictEqual(info.backend, 'wasm');
      const text = runCliProcess(['env', '--backend', 'wasm'], { env });
      assert.strictEqual(text.status, 0, text.stderr);
      assert.match(text.stdout, /^onnxruntimeNode +does not load: onnxruntime-node could not be loaded \(simulated: no binary here\)/m);
    } finally {
      fs.rmSync(hook, { force: true });
    }
  });
});
