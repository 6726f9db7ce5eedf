/**
 * Fused training-mode BatchNormalization (src/lib/kernels/batch-norm/fused-training.ts, native/src/batch-norm.c):
 * forward outputs, moving statistics and gradients of small conv/BN/dense models against the tfjs `cpu` backend
 * running tfjs-layers' original path; a double-precision reference on multi-block shapes; a real model's SGD losses
 * with the fused path on and off; save/load round trips; 1 and 2 threads.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { setNativeThreads } from '../src/lib/kernels/core/addon';
import {
  BatchNormTrainAddon, fusedBatchNormCalls, setFusedBatchNormEnabled,
} from '../src/lib/kernels/batch-norm';
import { buildModel } from '../src/models';
import { weightValues } from './support/models';
import { loadedAddon, nativeSuiteHooks } from './support/native';
import { randomValues } from './support/random';
import { assertSame, assertScaled, scaledError } from './support/tolerance';

/** Bit-exact comparison that also tells −0 from 0. */
const SIGNED_ZEROS = { signedZeros: true };

/** Seeded values in [shift − scale, shift + scale): v·scale + shift in float64, rounded to float32 once (randomTensor rounds each step). */
function values(size: number, seed: number, scale = 1, shift = 0): Float32Array {
  return randomValues(size, seed).map((v) => v * scale + shift);
}

/** Sets every weight of `model` from seeded values (γ around 1, moving variances positive), on the current backend. */
function seedWeights(model: tf.LayersModel, seed: number): Float32Array[] {
  const arrays = model.weights.map((w, i) => {
    const n = tf.util.sizeFromShape(w.shape as number[]);
    if (/gamma|moving_variance/.test(w.name)) return values(n, seed + i, 0.4, 1);
    return values(n, seed + i, 0.5);
  });
  restore(model, arrays);
  return arrays;
}

/** Sets every weight of `model` from `arrays` (in `model.weights` order), on the current backend. */
function restore(model: tf.LayersModel, arrays: Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(arrays[i], w.shape as number[]));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** conv → BN → relu → conv → BN → relu → flatten → dense → BN (rank 2) → dense; outputs [first BN's y, logits]. */
function smallModel(h: number, w: number): tf.LayersModel {
  const input = tf.input({ shape: [h, w, 3] });
  const c1 = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  const b1 = tf.layers.batchNormalization({ momentum: 0.9 }).apply(c1) as tf.SymbolicTensor;
  let t = tf.layers.reLU().apply(b1) as tf.SymbolicTensor;
  t = tf.layers.conv2d({ filters: 7, kernelSize: 1 }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.batchNormalization({ epsilon: 1e-5, axis: 3 }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.reLU().apply(t) as tf.SymbolicTensor;
  t = tf.layers.flatten().apply(t) as tf.SymbolicTensor;
  t = tf.layers.dense({ units: 9 }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.batchNormalization({ momentum: 0.5 }).apply(t) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4 }).apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [b1, out] });
}

interface StepResult {
  outputs: Float32Array[];
  /** Gradients w.r.t. x, then every trainable weight. */
  grads: Float32Array[];
  /** Every weight after the step (moving statistics updated). */
  weights: Float32Array[];
}

/** One training-mode forward + gradient on the current backend: loss = Σ out₀·w₀ + Σ out₁·w₁ with fixed w's. */
function trainingCall(model: tf.LayersModel, weights: Float32Array[], xShape: number[], seed: number): StepResult {
  restore(model, weights);
  const x = tf.variable(tf.tensor(values(tf.util.sizeFromShape(xShape), seed, 1.5, 0.2), xShape));
  const vars = [x, ...model.trainableWeights.map((w) => w.read() as tf.Variable)];
  let outputs: Float32Array[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const outs = model.apply(x, { training: true }) as tf.Tensor[];
    outputs = outs.map((o) => Float32Array.from(o.dataSync()));
    return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, tf.tensor(values(o.size, seed + 10 + i), o.shape))))) as tf.Scalar;
  }, vars);
  const result: StepResult = {
    outputs,
    grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())),
    weights: weightValues(model),
  };
  value.dispose();
  tf.dispose(Object.values(grads));
  x.dispose();
  return result;
}

describe('native fused batch normalisation (training)', function () {
  this.timeout(300000);
  let addon: BatchNormTrainAddon;

  nativeSuiteHooks();
  before(() => {
    addon = loadedAddon<BatchNormTrainAddon>();
    assert.equal(typeof addon.batchNormTrainForward, 'function', 'addon lacks batchNormTrainForward (rebuild it)');
  });
  after(() => {
    setFusedBatchNormEnabled(true);
  });

  const cases: Array<{ batch: number; h: number; w: number }> = [
    { batch: 1, h: 1, w: 1 },
    { batch: 7, h: 1, w: 1 },
    { batch: 1, h: 5, w: 7 },
    { batch: 7, h: 5, w: 7 },
  ];
  for (const threads of [1, 2]) {
    for (const { batch, h, w } of cases) {
      it(`small model, batch ${batch}, ${h}×${w}, ${threads} thread(s): outputs, moving statistics, gradients vs cpu`, async () => {
        setNativeThreads(threads);
        await tf.setBackend('wasm');
        const model = smallModel(h, w);
        const weights = seedWeights(model, 100 + batch + h);
        const xShape = [batch, h, w, 3];
        await tf.setBackend('cpu');
        const expected = trainingCall(model, weights, xShape, 7);
        await tf.setBackend('wasm');
        const before = fusedBatchNormCalls();
        const actual = trainingCall(model, weights, xShape, 7);
        const after = fusedBatchNormCalls();
        // Three BN layers, each one fused forward and one fused backward (x is on every gradient's path).
        assert.equal(after.forward - before.forward, 3, 'fused forwards');
        assert.equal(after.backward - before.backward, 3, 'fused backwards');
        assert.equal(after.fallback - before.fallback, 0, 'fallbacks');
        // One image of 1×1: every variance is 0, y = β and dx = 0 up to rounding; errors relative to 1 there.
        const floor = batch * h * w === 1 ? 1 : 0;
        actual.outputs.forEach((o, i) => assertScaled(o, expected.outputs[i], `output ${i}`, 1e-4, floor));
        const names = ['x', ...model.trainableWeights.map((v) => v.name)];
        // Some gradients are 0 in exact arithmetic (the bias of a conv followed by BN): both sides are rounding noise
        // there, so each gradient's scale is taken as at least 1 % of the largest gradient's.
        // At batch 1 the rank-2 BN has variance 0 and everything below it gets only rounding noise: 10 % there.
        const gradFloor = Math.max(floor, (batch === 1 ? 1e-1 : 1e-2) * Math.max(...expected.grads.map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0))));
        actual.grads.forEach((g, i) => assertScaled(g, expected.grads[i], `gradient of ${names[i]}`, 1e-4, gradFloor));
        model.weights.forEach((v, i) => assertScaled(actual.weights[i], expected.weights[i], `weight ${v.name} after the step`));
        if (batch === 1 && h === 1) {
          // y = β exactly as in the original, and the moving variance decays towards 0.
          const beta = weights[model.weights.findIndex((v) => v.name.includes('batch_normalization') && v.name.endsWith('beta'))];
          assertSame(actual.outputs[0].slice(0, 5), beta, 'y = β', SIGNED_ZEROS);
        }
        // The fused path ran on wasm and matched; the same call with it off gives the original path's values on wasm.
        const old = setFusedBatchNormEnabled(false);
        const original = trainingCall(model, weights, xShape, 7);
        setFusedBatchNormEnabled(old);
        assert.equal(fusedBatchNormCalls().forward, after.forward, 'switched off: no fused forward');
        actual.grads.forEach((g, i) => assertScaled(g, original.grads[i], `gradient of ${names[i]} vs the wasm original`, 1e-4, gradFloor));
        model.dispose();
      });
    }
  }

  it('multi-block shapes, |mean| ≫ std, 1 and 2 threads: statistics, y and gradients vs a double-precision reference', async () => {
    await tf.setBackend('wasm');
    const shape = [8, 32, 32, 19];
    const c = shape[3];
    const n = tf.util.sizeFromShape(shape) / c;
    const xv = values(n * c, 3, 0.05, 40);
    const dyv = values(n * c, 4);
    const gv = values(c, 5, 0.5, 1);
    const bv = values(c, 6);
    const eps = 1e-3;
    // Reference in doubles.
    const mean = new Float64Array(c), vr = new Float64Array(c), sdy = new Float64Array(c), sdyx = new Float64Array(c);
    for (let i = 0; i < n * c; i++) mean[i % c] += xv[i] / n;
    for (let i = 0; i < n * c; i++) vr[i % c] += (xv[i] - mean[i % c]) ** 2 / n;
    const r = Array.from(vr, (v) => 1 / Math.sqrt(v + eps));
    for (let i = 0; i < n * c; i++) {
      sdy[i % c] += dyv[i];
      sdyx[i % c] += dyv[i] * (xv[i] - mean[i % c]) * r[i % c];
    }
    const yRef = new Float64Array(n * c), dxRef = new Float64Array(n * c);
    for (let i = 0; i < n * c; i++) {
      const k = i % c;
      const xh = (xv[i] - mean[k]) * r[k];
      yRef[i] = gv[k] * xh + bv[k];
      dxRef[i] = (gv[k] * r[k] / n) * (n * dyv[i] - sdy[k] - xh * sdyx[k]);
    }
    let first: Float32Array[] | null = null;
    for (const threads of [1, 2]) {
      setNativeThreads(threads);
      const layer = tf.layers.batchNormalization({ momentum: 0 });
      const x = tf.variable(tf.tensor(xv, shape));
      layer.build(shape);
      // Moving statistics start at 0 so that, with momentum 0, they become the batch statistics without float32
      // cancellation in orig − (orig − value).
      layer.setWeights([tf.tensor(gv), tf.tensor(bv), tf.zeros([c]), tf.zeros([c])]);
      const vars = [x, layer.trainableWeights[0].read() as tf.Variable, layer.trainableWeights[1].read() as tf.Variable];
      const before = fusedBatchNormCalls().forward;
      let y: Float32Array = new Float32Array(0);
      const { value, grads } = tf.variableGrads(() => {
        const out = layer.apply(x, { training: true }) as tf.Tensor;
        y = Float32Array.from(out.dataSync());
        return tf.sum(tf.mul(out, tf.tensor(dyv, shape))) as tf.Scalar;
      }, vars);
      assert.equal(fusedBatchNormCalls().forward, before + 1, 'fused forward ran');
      // momentum 0: the moving statistics are the batch statistics.
      const [, , mm, mv] = layer.getWeights().map((t) => Float32Array.from(t.dataSync()));
      const got = [y, mm, mv, ...vars.map((v) => Float32Array.from(grads[v.name].dataSync()))];
      assertScaled(mm, mean, 'mean', 1e-6);
      assertScaled(mv, vr, 'variance (40 ± 0.05: float32 sums would cancel)', 1e-5);
      assertScaled(y, yRef, 'y', 1e-4);
      assertScaled(got[3], dxRef, 'dx', 1e-4);
      assertScaled(got[4], sdyx, 'dγ', 1e-4);
      assertScaled(got[5], sdy, 'dβ', 1e-5);
      if (first === null) first = got;
      else got.forEach((g, i) => assertSame(g, (first as Float32Array[])[i], `1 vs 2 threads, output ${i}`, SIGNED_ZEROS));
      value.dispose();
      tf.dispose(Object.values(grads));
      x.dispose();
      tf.dispose(layer.weights.map((v) => v.read()));
    }
  });

  it('declines what it does not implement: inference, center/scale off, axis not last, cpu backend', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(values(2 * 3 * 4 * 5, 9), [2, 3, 4, 5]);
    // center or scale off: the original call runs, and fails in training as tfjs-layers 4.22 does (it reads γ and β).
    for (const args of [{ center: false }, { scale: false }]) {
      const layer = tf.layers.batchNormalization(args);
      const before = fusedBatchNormCalls();
      assert.throws(() => tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor), /read/);
      assert.equal(fusedBatchNormCalls().forward, before.forward, 'no fused forward');
      assert.equal(fusedBatchNormCalls().fallback, before.fallback + 1, 'counted as a fallback');
    }
    // axis 1 (broadcast case): the original call, same values as with the fused path switched off.
    const layer = tf.layers.batchNormalization({ axis: 1 });
    const start = fusedBatchNormCalls();
    const viaPatch = tf.tidy(() => Float32Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));
    assert.equal(fusedBatchNormCalls().forward, start.forward, 'no fused forward');
    assert.equal(fusedBatchNormCalls().fallback, start.fallback + 1, 'counted as a fallback');
    const old = setFusedBatchNormEnabled(false);
    const original = tf.tidy(() => Float32Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));
    setFusedBatchNormEnabled(old);
    assertSame(viaPatch, original, 'axis 1', SIGNED_ZEROS);
    const inference = tf.layers.batchNormalization();
    const before = fusedBatchNormCalls();
    tf.tidy(() => (inference.apply(x, { training: false }) as tf.Tensor).dataSync());
    tf.tidy(() => (inference.apply(x) as tf.Tensor).dataSync());
    await tf.setBackend('cpu');
    tf.tidy(() => (inference.apply(x, { training: true }) as tf.Tensor).dataSync());
    await tf.setBackend('wasm');
    assert.equal(fusedBatchNormCalls().forward, before.forward, 'inference and cpu never fuse');
    x.dispose();
  });

  it('mobilenet_v2 (width 0.25, cifar10): SGD losses and moving statistics equal with the fused path on and off', async () => {
    await tf.setBackend('wasm');
    setNativeThreads(2);
    const model = buildModel('mobilenet_v2', { width: 0.25, dataset: 'cifar10' });
    const bnCount = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    assert.ok(bnCount > 40, `expected the model's BN layers, found ${bnCount}`);
    // The head's dropout draws new masks on every call: off, so that both runs see the same network.
    for (const l of model.layers) if (l.getClassName() === 'Dropout') (l as unknown as { rate: number }).rate = 0;
    const initial = weightValues(model);
    const batch = 16;
    const xv = values(batch * 32 * 32 * 3, 11, 0.5, 0.5);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (3 * i + 1) % 10), 'int32'), 10).toFloat();
    const totalSteps = 3;
    /** Losses of `steps` SGD steps from the same start, and every weight after the first step. */
    const run = (fused: boolean, steps = totalSteps): { losses: number[]; afterFirst: Float32Array[] } => {
      restore(model, initial);
      const x = tf.tensor(xv, [batch, 32, 32, 3]);
      const old = setFusedBatchNormEnabled(fused);
      const optimizer = tf.train.sgd(0.01);
      const losses: number[] = [];
      let afterFirst: Float32Array[] = [];
      for (let step = 0; step < steps; step++) {
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true,
        ) as tf.Scalar;
        losses.push(loss.dataSync()[0]);
        loss.dispose();
        if (step === 0) afterFirst = weightValues(model);
      }
      optimizer.dispose();
      setFusedBatchNormEnabled(old);
      x.dispose();
      return { losses, afterFirst };
    };
    const before = fusedBatchNormCalls();
    const on = run(true);
    const mid = fusedBatchNormCalls();
    assert.equal(mid.forward - before.forward, totalSteps * bnCount, 'every BN layer fused in every step');
    assert.equal(mid.backward - before.backward, totalSteps * bnCount, 'every BN gradient fused');
    const off = run(false);
    assert.equal(fusedBatchNormCalls().forward, mid.forward, 'off: nothing fused');
    // This untrained network's training is chaotic: the ORIGINAL path alone, with the input scaled by 1 + 1e-6, moves
    // the third loss by 0.5–2 % and the second by up to 0.2 % (measured at batch 4, 8 and 16, lr 0.002–0.05). So the
    // deterministic quantities are compared: the first loss (same weights) and the first update of every weight
    // (lr × gradient, as one vector, scaled by its largest entry); later losses are only checked to be finite.
    on.losses.forEach((l, i) => assert.ok(Number.isFinite(l), `step ${i}: loss ${l} (fused) is not finite`));
    const rel0 = Math.abs(on.losses[0] - off.losses[0]) / Math.abs(off.losses[0]);
    assert.ok(rel0 <= 1e-4, `first loss ${on.losses[0]} (fused) vs ${off.losses[0]}: ${rel0.toExponential(2)} > 1e-4`);
    const trainable = model.weights.map((w, i) => (w.trainable ? i : -1)).filter((i) => i >= 0);
    const update = (r: { afterFirst: Float32Array[] }) => Float32Array.from(trainable.flatMap((i) => Array.from(r.afterFirst[i], (v, k) => v - initial[i][k])));
    const eUpdate = scaledError(update(on), update(off));
    // The noise floor of this comparison: the original path on cpu vs on wasm (same ops, other rounding).
    await tf.setBackend('cpu');
    const cpu = run(false, 1); // one step: the cpu backend is slow
    await tf.setBackend('wasm');
    const floor = scaledError(update(off), update(cpu));
    // Through 52 BN layers rounding differences grow with the (random, unseeded) initial weights' conditioning: measured
    // 2e-3–6e-3 fused-vs-original against a 1.8e-3 cpu-vs-wasm floor. A wrong gradient formula gives errors of order 1.
    const bound = Math.max(2e-2, 5 * floor);
    assert.ok(eUpdate <= bound, `first SGD update: scaled error ${eUpdate.toExponential(2)} > ${bound.toExponential(2)} (cpu vs wasm: ${floor.toExponential(2)})`);
    assert.notEqual(on.losses[0], on.losses[2], 'the steps changed the model');
    // Batch means that are 0 in exact arithmetic (an expand conv fed by a BN's output: ~1e-11 on both sides) are
    // rounding noise: each moving statistic's scale is taken as at least 1 % of the largest one's.
    const moving = model.weights.map((w, i) => (/moving_(mean|variance)/.test(w.name) ? i : -1)).filter((i) => i >= 0);
    const movingScale = Math.max(...moving.map((i) => off.afterFirst[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const i of moving) {
      assertScaled(on.afterFirst[i], off.afterFirst[i], `${model.weights[i].name} after one step`, 1e-4, 1e-2 * movingScale);
    }
    labels.dispose();
    model.dispose();
  });

  it('save/load round trip of a model with BN is unchanged by the fused path', async () => {
    await tf.setBackend('wasm');
    const model = smallModel(5, 7);
    const weights = seedWeights(model, 42);
    trainingCall(model, weights, [3, 5, 7, 3], 8); // fused training updates the moving statistics
    const save = async (): Promise<tf.io.ModelArtifacts> => {
      let artifacts: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      return artifacts as unknown as tf.io.ModelArtifacts;
    };
    const on = await save();
    const old = setFusedBatchNormEnabled(false);
    const off = await save();
    setFusedBatchNormEnabled(old);
    assert.equal(JSON.stringify(on.modelTopology), JSON.stringify(off.modelTopology), 'topology');
    assert.deepEqual(on.weightSpecs, off.weightSpecs, 'weight specs');
    assert.ok(JSON.stringify(on.modelTopology).includes('"class_name":"BatchNormalization"'), 'BN saved under its own class');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(on));
    assert.deepEqual(loaded.weights.map((w) => w.name.replace(/_\d+/g, '')), model.weights.map((w) => w.name.replace(/_\d+/g, '')));
    loaded.weights.forEach((w, i) => assertSame(Float32Array.from(w.read().dataSync()), Float32Array.from(model.weights[i].read().dataSync()), w.name, SIGNED_ZEROS));
    // The loaded model trains through the fused path and gives the same results as the original model.
    const snapshot = weightValues(model);
    const before = fusedBatchNormCalls().forward;
    const a = trainingCall(loaded, snapshot, [3, 5, 7, 3], 9);
    assert.equal(fusedBatchNormCalls().forward, before + 3, 'loaded model fused');
    const b = trainingCall(model, snapshot, [3, 5, 7, 3], 9);
    a.grads.forEach((g, i) => assertSame(g, b.grads[i], `gradient ${i}`, SIGNED_ZEROS));
    model.dispose();
    loaded.dispose();
  });

  it('the addon rejects bad sizes', () => {
    const f = (n: number) => new Float32Array(n);
    assert.throws(() => addon.batchNormTrainForward(f(11), f(4), f(4), 1e-3, 3, 4, f(12), f(4), f(4)), /batchNormTrainForward/);
    assert.throws(() => addon.batchNormTrainForward(f(12), f(3), f(4), 1e-3, 3, 4, f(12), f(4), f(4)), /batchNormTrainForward/);
    assert.throws(() => addon.batchNormTrainForward(f(12), f(4), f(4), 1e-3, 3, 4, f(12), f(4), f(3)), /batchNormTrainForward/);
    assert.throws(() => addon.batchNormTrainForward(f(12), f(4), f(4), 1e-3, 0, 4, f(12), f(4), f(4)), /batchNormTrainForward/);
    assert.throws(() => addon.batchNormTrainBackward(f(12), f(11), f(4), f(4), f(4), null, null, 1e-3, 3, 4, f(12), f(4), f(4)), /batchNormTrainBackward/);
    assert.throws(() => addon.batchNormTrainBackward(f(12), f(12), f(4), f(4), f(4), f(3), null, 1e-3, 3, 4, f(12), f(4), f(4)), /batchNormTrainBackward/);
    assert.throws(() => addon.batchNormTrainBackward(f(12), f(12), f(4), f(4), f(4), null, null, 1e-3, 3, 4, f(11), f(4), f(4)), /batchNormTrainBackward/);
    assert.throws(() => addon.batchNormTrainBackward(f(12), f(12), f(4), f(4), f(4), null, null, 1e-3, 3, 4, null, f(4), f(3)), /batchNormTrainBackward/);
    // Valid sizes run (dx null: statistics only).
    addon.batchNormTrainBackward(f(12), f(12), f(4), f(4).fill(1), f(4), null, null, 1e-3, 3, 4, null, f(4), f(4));
  });
});
