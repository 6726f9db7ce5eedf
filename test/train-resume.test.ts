/**
 * Crash safety: a training process killed with SIGKILL after its first checkpoint, then resumed,
 * reaches the full epoch count with a readable checkpoint and an intact results file.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCheckpointState } from '../src/lib/train/checkpoint';
import { readResults } from '../src/lib/results';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The child: trains a small seeded conv net on synthetic 16×16 data on wasm, then appends a result. */
const CHILD = `
const dist = process.argv[2], dir = process.argv[3], resume = process.argv[4] === 'resume';
const tf = require(require.resolve('@tensorflow/tfjs', { paths: [dist] }));
const { initBackend } = require(dist + '/src/lib/backend');
const { train, evaluate } = require(dist + '/src/lib/train');
const { appendResult } = require(dist + '/src/lib/results');
(async () => {
  const info = await initBackend('wasm');
  const n = 600, images = new Uint8Array(n * 16 * 16 * 3), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) { labels[i] = i % 2; for (let j = 0; j < 768; j++) images[i * 768 + j] = (i * 13 + j * 7) % 200 + (j % 3 === labels[i] ? 50 : 0); }
  const data = { name: 'synthetic', split: 'train', count: n, height: 16, width: 16, channels: 3, images, labels, classNames: ['a', 'b'] };
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }),
    tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }) ] });
  const r = await train(model, data, { epochs: 4, batchSize: 4, learningRate: 0.02, seed: 5, checkpointDir: dir + '/ckpt', resume, progress: 'silent',
    augmentation: { horizontalFlip: true }, onEpochEnd: (e) => console.log('epoch ' + e.epoch) });
  const ev = evaluate(model, data);
  appendResult({ model: 'toy', config: {}, configHash: 'toy', dataset: 'synthetic', trainImages: n, testImages: n, backend: info.backend,
    epochs: r.epochs, top1: ev.top1, top5: ev.top5, params: model.countParams(), wallSeconds: r.wallSeconds, imagesPerSec: r.imagesPerSec,
    date: new Date().toISOString(), resumedFromEpoch: r.resumedFromEpoch }, dir + '/results.jsonl');
  console.log('done ' + r.epochs + ' resumed from ' + r.resumedFromEpoch);
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('kill and resume', function () {
  this.timeout(300000);

  it('SIGKILL mid-epoch after the first checkpoint, then resume: 4 epochs, readable checkpoint, intact results file', async () => {
    const script = path.join(tmp, 'child.js');
    fs.writeFileSync(script, CHILD);
    const dist = path.resolve(__dirname, '..');
    const child = spawn(process.execPath, [script, dist, tmp], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const ckpt = path.join(tmp, 'ckpt');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill as soon as the first checkpoint is in place, i.e. early in epoch 2.
    let killedAt = -1;
    while (killedAt < 0) {
      await new Promise((r) => setTimeout(r, 10));
      const state = fs.existsSync(path.join(ckpt, 'checkpoint.json')) ? readCheckpointState(ckpt) : null;
      if (state) {
        child.kill('SIGKILL');
        killedAt = state.epoch;
      }
      if (child.exitCode !== null) assert.fail(`child ended before its first checkpoint: ${output}`);
    }
    assert.strictEqual(await exited, 'SIGKILL');
    assert.strictEqual(killedAt, 1, output);
    assert.ok(!output.includes('done'), output);
    assert.ok(!fs.existsSync(path.join(tmp, 'results.jsonl')), 'no result may be recorded by the killed run');
    // The checkpoint left behind is complete and readable.
    const left = readCheckpointState(ckpt)!;
    assert.ok(left.epoch >= 1 && left.epoch < 4, `checkpoint epoch ${left.epoch}`);

    const resumed = spawnSync(process.execPath, [script, dist, tmp, 'resume'], { encoding: 'utf8' });
    assert.strictEqual(resumed.status, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`done 4 resumed from ${left.epoch}`));
    const final = readCheckpointState(ckpt)!;
    assert.strictEqual(final.epoch, 4);
    assert.strictEqual(final.history.length, 4);
    assert.deepStrictEqual(final.history.map((h) => h.epoch), [1, 2, 3, 4]);
    assert.deepStrictEqual(fs.readdirSync(ckpt).filter((f) => f.includes('.tmp-')), []);
    const { records, warnings } = readResults(path.join(tmp, 'results.jsonl'));
    assert.deepStrictEqual(warnings, []);
    assert.strictEqual(records.length, 1);
    assert.strictEqual(records[0].epochs, 4);
    assert.ok(records[0].top1 > 0.6, `toy accuracy ${records[0].top1}`);
  });
});
