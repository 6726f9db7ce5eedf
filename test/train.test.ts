/**
 * The training loop on the wasm backend with tiny models: tensor leaks, BatchNorm in training mode,
 * regularisation losses, checkpoint/resume equivalence, the non-finite-loss stop, evaluation
 * against a naive count, schedules and label smoothing against their formulas.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from '../src/lib/data/dataset';
import { crossEntropy, detectOutputs, evaluate, train, TrainOptions } from '../src/lib/train';
import { learningRateAt } from '../src/lib/train/schedules';
import { useBackend } from './support/backend';
import { weightValues } from './support/models';
import { toyData, toyModel } from './support/toy-task';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-train-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base: TrainOptions = { epochs: 1, batchSize: 8, learningRate: 0.05, seed: 3, progress: 'silent' };

describe('train()', function () {
  this.timeout(120000);
  useBackend('wasm'); // the training backend

  it('learns the toy task and holds no extra tensors or bytes after many steps', async () => {
    const model = toyModel();
    const data = toyData(96, 1);
    const memory: Array<{ numTensors: number; numBytes: number }> = [];
    const result = await train(model, data, { ...base, epochs: 6, onEpochEnd: () => memory.push({ numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes }) });
    assert.strictEqual(result.steps, 6 * 12);
    // After the first epoch (optimizer slots created) nothing may grow: 60 more steps, same tensors and bytes.
    for (const m of memory.slice(1)) assert.deepStrictEqual(m, memory[0]);
    assert.ok(result.history[5].accuracy > 0.9, `training accuracy ${result.history[5].accuracy}`);
    assert.ok(result.history[5].loss < result.history[0].loss);
    // The optimizer is disposed at the end: only the model's weights remain of what train() made.
    const ev = evaluate(model, toyData(30, 9));
    assert.ok(ev.top1 > 0.9, `held-out accuracy ${ev.top1}`);
  });

  it('runs BatchNorm in training mode: moving statistics move towards the batch statistics', async () => {
    const model = toyModel();
    const bn = model.layers[1];
    const meanBefore = Array.from(bn.getWeights()[2].dataSync());
    await train(model, toyData(16, 2), { ...base, learningRate: 1e-6 });
    const meanAfter = Array.from(bn.getWeights()[2].dataSync());
    assert.deepStrictEqual(meanBefore, [0, 0, 0, 0]);
    assert.ok(meanAfter.some((v) => Math.abs(v) > 1e-3), `moving mean did not change: ${meanAfter}`);
  });

  it('adds the model regularisation losses (calculateLosses) to the training loss', async () => {
    const l2 = 0.5;
    const withReg = toyModel({ l2 });
    const without = toyModel();
    const kernel = withReg.layers[0].getWeights()[0];
    const penalty = l2 * (tf.tidy(() => tf.sum(tf.square(kernel)).dataSync()[0]));
    const opts = { ...base, learningRate: 1e-9, optimizer: { name: 'sgd' as const, momentum: 0 }, batchSize: 16 };
    const a = await train(withReg, toyData(16, 4), opts);
    const b = await train(without, toyData(16, 4), opts);
    assert.ok(Math.abs(a.history[0].loss - b.history[0].loss - penalty) < 1e-4, `${a.history[0].loss} − ${b.history[0].loss} vs ${penalty}`);
  });

  it('trains with adam, rmsprop and nesterov SGD, decoupled weight decay and a cosine schedule with warm-up', async () => {
    for (const optimizer of [{ name: 'adam' as const }, { name: 'rmsprop' as const }, { name: 'sgd' as const, nesterov: true }]) {
      const model = toyModel();
      const r = await train(model, toyData(48, 5), { ...base, epochs: 4, learningRate: optimizer.name === 'sgd' ? 0.05 : 0.01, optimizer, weightDecay: 1e-3, weightDecayMode: 'decoupled', schedule: { kind: 'cosine', warmupEpochs: 1 } });
      assert.ok(r.history[3].loss < r.history[0].loss, `${optimizer.name}: ${r.history.map((h) => h.loss)}`);
      assert.ok(r.history[3].learningRate < r.history[1].learningRate);
    }
  });

  /** Trains 3 epochs straight and 1 + resumed 2 in a fresh model; returns both models and results. */
  async function straightAndResumed(opts: TrainOptions, dir: string, toy = () => toyModel()) {
    const data = toyData(40, 6);
    const straight = toy();
    const full = await train(straight, data, opts);
    await train(toy(), data, { ...opts, epochs: 1, checkpointDir: dir });
    const fresh = toy(); // new-process stand-in: fresh weights, restored from disk
    const resumed = await train(fresh, data, { ...opts, checkpointDir: dir, resume: true });
    return { data, straight, full, fresh, resumed };
  }

  it('resuming from a checkpoint gives exactly the weights of an uninterrupted run (SGD momentum: weights, slots, RNG restored)', async () => {
    const dir = path.join(tmp, 'resume');
    const opts: TrainOptions = { ...base, epochs: 3, optimizer: { name: 'sgd', momentum: 0.9 }, augmentation: { cropPadding: 2, horizontalFlip: true } };
    const { data, straight, full, fresh, resumed } = await straightAndResumed(opts, dir);
    assert.strictEqual(resumed.resumedFromEpoch, 1);
    assert.strictEqual(resumed.epochs, 3);
    assert.deepStrictEqual(resumed.history.map((h) => h.loss), full.history.map((h) => h.loss));
    const a = weightValues(straight);
    const b = weightValues(fresh);
    a.forEach((w, i) => assert.deepStrictEqual(b[i], w, `weight ${i}`));
    // Only the latest checkpoint's files remain.
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['checkpoint.json', 'optimizer-epoch3.bin', 'optimizer-epoch3.json', 'weights-epoch3.bin', 'weights-epoch3.json']);
    // Resuming a finished run trains nothing; another configuration is refused.
    const again = await train(toyModel(), data, { ...opts, checkpointDir: dir, resume: true });
    assert.strictEqual(again.steps, resumed.steps);
    await assert.rejects(train(toyModel(), data, { ...opts, batchSize: 4, checkpointDir: dir, resume: true }), /different model, data set or training configuration/);
  });

  it('Adam resumes to within float rounding (tfjs recomputes β^t with pow instead of repeated products)', async () => {
    const opts: TrainOptions = { ...base, epochs: 3, optimizer: { name: 'adam' }, learningRate: 0.01 };
    // No conv bias before BatchNorm: its ~0 gradient is noise that Adam would normalise into full-size steps.
    const { straight, full, fresh, resumed } = await straightAndResumed(opts, path.join(tmp, 'resume-adam'), () => toyModel({ convBias: false }));
    resumed.history.forEach((h, i) => assert.ok(Math.abs(h.loss - full.history[i].loss) < 1e-5, `epoch ${i + 1}: ${h.loss} vs ${full.history[i].loss}`));
    const a = weightValues(straight);
    const b = weightValues(fresh);
    a.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-4 * (1 + Math.abs(v)), `weight ${i}[${j}]: ${v} vs ${b[i][j]}`)));
  });

  it('stops on a non-finite loss, naming the step and the last good checkpoint', async () => {
    const model = toyModel();
    const dir = path.join(tmp, 'nan');
    const poison = () => {
      const w = model.layers[4].getWeights();
      model.layers[4].setWeights([tf.fill(w[0].shape, NaN), w[1]]);
    };
    await assert.rejects(
      train(model, toyData(16, 7), { ...base, epochs: 3, checkpointDir: dir, onEpochEnd: (r) => { if (r.epoch === 1) poison(); } }),
      (err: Error) => /loss became NaN at epoch 2, step 1 of 2 \(global step 3\)/.test(err.message) && err.message.includes(`${path.join(dir, 'checkpoint.json')} (epoch 1)`),
    );
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch, 1);
  });

  it('rejects bad options with the value and the constraint', async () => {
    await assert.rejects(train(toyModel(), toyData(8, 1), { ...base, epochs: 0 }), /epochs must be a positive integer, got 0/);
    await assert.rejects(train(toyModel(), toyData(8, 1), { ...base, labelSmoothing: 1 }), /labelSmoothing must be in \[0, 1\), got 1/);
    await assert.rejects(train(toyModel(), toyData(8, 1), { ...base, resume: true }), /resume needs checkpointDir/);
  });
});

describe('evaluate() and losses', function () {
  this.timeout(60000);
  useBackend('wasm'); // the training backend

  it('top-1, top-5, per-class accuracy and confusion matrix equal a naive count over model.predict', () => {
    const model = toyModel();
    const data = toyData(25, 8);
    const ev = evaluate(model, data, { batchSize: 7 });
    const { xs } = makeBatch(data, Array.from({ length: 25 }, (_, i) => i));
    const scores = (model.predict(xs) as tf.Tensor).arraySync() as number[][];
    xs.dispose();
    const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    scores.forEach((row, i) => confusion[data.labels[i]][row.indexOf(Math.max(...row))]++);
    assert.deepStrictEqual(ev.confusion, confusion);
    assert.strictEqual(ev.top1, (confusion[0][0] + confusion[1][1] + confusion[2][2]) / 25);
    assert.strictEqual(ev.top5, 1); // 3 classes: top-k with k = 3 always hits
    assert.strictEqual(ev.perClass[1], confusion[1][1] / confusion[1].reduce((a, b) => a + b, 0));
  });

  it('cross-entropy with label smoothing equals the formula, for logits and for softmax outputs', () => {
    const logits = [[2, -1, 0.5], [0, 3, -2]];
    const labels = [0, 1];
    const eps = 0.1;
    let expected = 0;
    logits.forEach((row, i) => {
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      row.forEach((v, k) => { expected -= ((k === labels[i] ? 1 - eps : 0) + eps / 3) * (v - lse); });
    });
    expected /= 2;
    const fromLogits = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), 'logits', eps).dataSync()[0]);
    const fromProbs = tf.tidy(() => crossEntropy(tf.softmax(tf.tensor2d(logits)) as tf.Tensor2D, tf.tensor1d(labels, 'int32'), 'probabilities', eps).dataSync()[0]);
    assert.ok(Math.abs(fromLogits - expected) < 1e-5);
    assert.ok(Math.abs(fromProbs - expected) < 1e-4);
    assert.strictEqual(detectOutputs(toyModel({ softmax: true })), 'probabilities');
    assert.strictEqual(detectOutputs(toyModel()), 'logits');
  });

  it('schedules: step, cosine and linear warm-up follow their formulas', () => {
    assert.strictEqual(learningRateAt(0.1, { kind: 'step', milestones: [2, 4], gamma: 0.1 }, 3.5, 6, 10), 0.1 * 0.1);
    assert.ok(Math.abs(learningRateAt(0.1, { kind: 'cosine' }, 1.5, 3, 10) - 0.05) < 1e-12);
    assert.ok(Math.abs(learningRateAt(0.1, { kind: 'constant', warmupEpochs: 1 }, 0.25, 3, 8) - 0.1 * 3 / 8) < 1e-12);
    assert.strictEqual(learningRateAt(0.1, { kind: 'constant', warmupEpochs: 1 }, 1, 3, 8), 0.1);
    // At most half the run warms up: a one-epoch run with warmupEpochs 1 warms up over 4 of its 8 steps.
    assert.ok(Math.abs(learningRateAt(0.1, { kind: 'constant', warmupEpochs: 1 }, 0.25, 1, 8) - 0.1 * 3 / 4) < 1e-12);
    assert.strictEqual(learningRateAt(0.1, { kind: 'constant', warmupEpochs: 1 }, 0.5, 1, 8), 0.1);
  });
});
