/**
 * `compact-nets export` end to end (a child process, like a user), weights from a training checkpoint and from
 * torchvision (oracle: PyTorch's own logits on the same NCHW input, through the written file in onnxruntime-node),
 * bad input (exit 2, the reason, no file left), a machine where onnxruntime-node does not load, and the latency
 * functions of both runtimes.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../src/lib/backend';
import { buildModel } from '../src/models';
import { exportOnnx, onnxLatency, tfjsLatency } from '../src/lib/onnx';
import { fileWeightsHandler, saveModelWeights } from '../src/lib/train/checkpoint';
import { randomizeInferenceState } from './onnx-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'compact-nets.js');
const FIXTURES = path.join(ROOT, 'tools', 'make_torch_fixtures.py');

function cli(args: string[], options: { nodeArgs?: string[] } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300000, env: { ...process.env, COMPACT_NETS_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readF32(file: string): Float32Array {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Runs an ONNX file on an NCHW float32 input; returns the first output. */
async function runFile(file: string, data: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('compact-nets export and the runtime latency functions', function () {
  this.timeout(600000);
  let dir = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-cli-'));
    await initBackend('wasm');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports with model options, verifies in onnxruntime-node and prints the JSON record', async () => {
    const out = path.join(dir, 'shufflenet.onnx');
    const r = cli(['export', 'shufflenet_v1', '--groups', '8', '--width', '0.5', '--dataset', 'cifar10', '--format', 'onnx', '--opset', '13', '--out', out, '--verify', '--json']);
    assert.strictEqual(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    for (const key of ['model', 'config', 'out', 'bytes', 'opset', 'inputShape', 'outputShape', 'maxAbsDiff', 'maxAbsLogit', 'runtime']) assert.ok(key in rec, `JSON lacks ${key}`);
    assert.strictEqual(rec.model, 'shufflenet_v1');
    assert.deepStrictEqual(rec.config, { groups: 8, width: 0.5, dataset: 'cifar10' });
    assert.strictEqual(rec.bytes, fs.statSync(out).size);
    assert.strictEqual(rec.opset, 13);
    assert.deepStrictEqual(rec.inputShape, ['N', 3, 32, 32]);
    assert.deepStrictEqual(rec.outputShape, ['N', 10]);
    assert.ok((rec.maxAbsDiff as number) <= 1e-3, `maxAbsDiff ${rec.maxAbsDiff}`);
    assert.match(rec.runtime as string, /^onnxruntime-node 1\.30\.\d+$/);
    // The file runs on its own with any batch size.
    const y = await runFile(out, new Float32Array(3 * 3 * 32 * 32).fill(0.5), [3, 3, 32, 32]);
    assert.strictEqual(y.length, 30);
  });

  it('text output names the layout and the verification', () => {
    const out = path.join(dir, 'fe.onnx');
    const r = cli(['export', 'fe_net', '--dataset', 'cifar10', '--downsampling', 'paper', '--out', out, '--verify']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /input input \[N, 3, 32, 32\] NCHW, output output \[N, 10\]/);
    assert.match(r.stdout, /verified in onnxruntime-node 1\.30\.\d+: largest \|ours − onnxruntime\| logit difference \d\.\d\de-\d+ \(tolerance 0\.001; logits up to \d\.\d\de[-+]\d+ in magnitude\)/);
  });

  it('exports the weights of a training checkpoint (checkpoint.json, as `compact-nets train` writes it)', async () => {
    const model = buildModel('mobilenet_v1', { dataset: 'cifar10', width: 0.25 });
    randomizeInferenceState(model, 11);
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    await saveModelWeights(model, fileWeightsHandler(run, 'weights-epoch2'));
    fs.writeFileSync(path.join(run, 'checkpoint.json'), JSON.stringify({ format: 1, epoch: 2, weightsPrefix: 'weights-epoch2' }));
    const out = path.join(dir, 'trained.onnx');
    const r = cli(['export', 'mobilenet_v1', '--dataset', 'cifar10', '--width', '0.25', '--weights', path.join(run, 'checkpoint.json'), '--out', out, '--verify', '--json']);
    assert.strictEqual(r.status, 0, r.stderr);
    // Oracle: our model holding those weights, on the same input as the file in onnxruntime.
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
    const ours = (model.predict(x) as tf.Tensor).dataSync();
    const theirs = await runFile(out, tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array, [2, 3, 32, 32]);
    assert.ok(maxAbsDiff(ours, theirs) <= 1e-4, `trained weights: ${maxAbsDiff(ours, theirs)}`);
    // … and not the random initialisation: a fresh export differs.
    const fresh = path.join(dir, 'fresh.onnx');
    assert.strictEqual(cli(['export', 'mobilenet_v1', '--dataset', 'cifar10', '--width', '0.25', '--out', fresh]).status, 0);
    const random = await runFile(fresh, tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array, [2, 3, 32, 32]);
    assert.ok(maxAbsDiff(random, theirs) > 1e-2, 'the checkpoint weights did not reach the file');
    // A checkpoint of another configuration is refused with the reason.
    const wrong = cli(['export', 'mobilenet_v1', '--dataset', 'cifar10', '--width', '0.5', '--weights', run, '--out', path.join(dir, 'wrong.onnx')]);
    assert.strictEqual(wrong.status, 2);
    assert.match(wrong.stderr, /has shape .*pass the model options the run was trained with/);
    assert.ok(!fs.existsSync(path.join(dir, 'wrong.onnx')));
    tf.dispose(x);
    model.dispose();
  });

  it('torchvision weights: the file gives PyTorch\'s logits on the same NCHW input', async () => {
    const fixtures = path.join(dir, 'torch');
    execFileSync('/usr/bin/python3', [FIXTURES, fixtures, 'shufflenet_v2_x0_5:64', 'mobilenet_v2:96'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const manifest = JSON.parse(fs.readFileSync(path.join(fixtures, 'manifest.json'), 'utf8')) as Record<string, { input: number[] }>;
    for (const [twin, model, res, extra] of [['shufflenet_v2_x0_5', 'shufflenet_v2', 64, ['--width', '0.5']], ['mobilenet_v2', 'mobilenet_v2', 96, []]] as const) {
      const out = path.join(dir, `${twin}.onnx`);
      const r = cli(['export', model, ...extra, '--resolution', String(res), '--weights', path.join(fixtures, `${twin}.pth`), '--out', out, '--verify', '--json']);
      assert.strictEqual(r.status, 0, r.stderr);
      const rec = JSON.parse(r.stdout.trim().split('\n').pop()!) as { weights: string; config: Record<string, unknown> };
      assert.match(rec.weights, new RegExp(`torchvision ${twin}`));
      const want = readF32(path.join(fixtures, `${twin}.logits.bin`));
      const got = await runFile(out, readF32(path.join(fixtures, `${twin}.input.bin`)), manifest[twin].input);
      const scale = Math.max(...Array.from(want, Math.abs));
      assert.ok(maxAbsDiff(got, want) <= 1e-3 * Math.max(1, scale), `${twin}: ${maxAbsDiff(got, want)} (|logit| ≤ ${scale})`);
    }
    // mobilenet_v2's torchvision twin is the 'torch' padding build: the TF-padding build has none.
    const r = cli(['export', 'mobilenet_v2', '--padding', 'tf', '--weights', path.join(fixtures, 'mobilenet_v2.pth'), '--out', path.join(dir, 'x.onnx')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /has no torchvision twin; twins: mobilenet_v2 \(\{"padding":"torch"\}\)/);
  });

  describe('bad input: exit 2, the reason, no file', () => {
    const cases: Array<[string, (out: string) => string[], RegExp]> = [
      ['an unknown format', (out) => ['export', 'squeezenet1_1', '--format', 'tflite', '--out', out], /--format tflite is not supported; formats: onnx/],
      ['an opset below the range', (out) => ['export', 'squeezenet1_1', '--opset', '10', '--out', out], /opset 10 is not supported; choose an integer from 11 to 23/],
      ['an opset above the range', (out) => ['export', 'squeezenet1_1', '--opset', '99', '--out', out], /opset 99 is not supported/],
      ['a missing output folder', () => ['export', 'squeezenet1_1', '--out', '/nonexistent-folder/m.onnx'], /folder \/nonexistent-folder does not exist/],
      ['an output under a file', () => ['export', 'squeezenet1_1', '--out', `${__filename}/m.onnx`], /is not a folder/],
      ['an output that is a folder', () => ['export', 'squeezenet1_1', '--out', os.tmpdir()], /is a folder; name a file/],
      ['no --out', () => ['export', 'squeezenet1_1'], /--out FILE is required/],
      ['an option the model does not have', (out) => ['export', 'mobilenet_v2', '--groups', '3', '--out', out], /mobilenet_v2 does not accept --groups; its options: .*--padding/],
      ['an option value the builder refuses', (out) => ['export', 'shufflenet_v1', '--groups', '5', '--out', out], /groups/],
      ['an unknown model', (out) => ['export', 'mobilenet_v9', '--out', out], /unknown model "mobilenet_v9"/],
      ['weights that are neither format', (out) => ['export', 'squeezenet1_1', '--weights', __filename, '--out', out], /neither a TFLite flatbuffer .* nor a torch\.save zip/],
    ];
    for (const [what, args, message] of cases) {
      it(what, () => {
        const out = path.join(dir, 'bad', 'm.onnx');
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const r = cli(args(out));
        assert.strictEqual(r.status, 2, `${what}: status ${r.status}; ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.deepStrictEqual(fs.readdirSync(path.dirname(out)), [], 'a file was left behind');
      });
    }
  });

  it('without onnxruntime-node: --verify says so and writes nothing, plain export still works', () => {
    // A preload that makes require('onnxruntime-node') fail, as on a platform without its binaries.
    const hook = path.join(dir, 'no-ort.js');
    fs.writeFileSync(hook, "const M = require('module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...rest) { if (req === 'onnxruntime-node') throw new Error('simulated: no binary for this platform'); return r.call(this, req, ...rest); };\n");
    const out = path.join(dir, 'no-ort.onnx');
    const verify = cli(['export', 'squeezenet1_1', '--dataset', 'cifar10', '--out', out, '--verify'], { nodeArgs: ['--require', hook] });
    assert.strictEqual(verify.status, 1);
    assert.match(verify.stderr, /--verify needs onnxruntime-node: onnxruntime-node could not be loaded \(simulated: no binary for this platform\).*Nothing was written/);
    assert.ok(!fs.existsSync(out));
    const plain = cli(['export', 'squeezenet1_1', '--dataset', 'cifar10', '--out', out], { nodeArgs: ['--require', hook] });
    assert.strictEqual(plain.status, 0, plain.stderr);
    assert.ok(fs.statSync(out).size > 1e6);
  });

  it('onnxLatency and tfjsLatency time both runtimes alike (median, spread, threads)', async () => {
    const model = buildModel('squeezenet1_1', { dataset: 'cifar10' });
    const file = path.join(dir, 'lat.onnx');
    fs.writeFileSync(file, exportOnnx(model).bytes);
    for (const r of [
      await onnxLatency(model, { threads: 1, repetitions: 5, warmup: 1 }),
      await onnxLatency(file, { threads: 2, repetitions: 4, warmup: 0, batch: 3 }),
      await tfjsLatency(model, { threads: 1, repetitions: 5, warmup: 1 }),
    ]) {
      assert.strictEqual(r.samplesMs.length, r.repetitions);
      assert.ok(r.minMs > 0 && r.minMs <= r.q1Ms && r.q1Ms <= r.medianMs && r.medianMs <= r.q3Ms && r.q3Ms <= r.maxMs, JSON.stringify(r));
      assert.ok(r.medianMs < 5000);
    }
    const o = await onnxLatency(file, { threads: 2, repetitions: 2, warmup: 0, batch: 3 });
    assert.strictEqual(o.threads, 2);
    assert.strictEqual(o.batch, 3);
    assert.match(o.runtime, /^onnxruntime-node 1\.30/);
    const t = await tfjsLatency(model, { repetitions: 2, warmup: 0 });
    assert.match(t.runtime, /^tfjs wasm/);
    await assert.rejects(onnxLatency(model, { repetitions: 0 }), /repetitions must be an integer ≥ 1, got 0/);
    await assert.rejects(onnxLatency(path.join(dir, 'missing.onnx')), /no file/);
    await assert.rejects(tfjsLatency(model, { threads: 1.5 }), /threads must be an integer ≥ 1/);
    model.dispose();
  });
});
