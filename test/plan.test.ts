/**
 * Inference plans (src/lib/plan): every registered model compiled to a plan gives the tfjs path's logits within 1e-4
 * relative (max |diff| / max |logit|), with random BatchNorm statistics, biases and shift offsets so that folding,
 * fusion and the shift steps compute on values that matter; unsupported layers are refused by name; the arena is
 * smaller than one buffer per activation; without the native addon the plan refuses and the tfjs path still runs.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { nativeStatus } from '../src/lib/kernels';
import { compilePlan, Plan, PlanUnsupportedError, runPlan } from '../src/lib/plan';
import { buildModel, listModels, ModelConfig } from '../src/models';
import { randomizeInferenceState } from './onnx-helpers';
import { randomValues } from './support/random';

/** Largest plan-vs-tfjs difference the acceptance allows, relative to the largest |logit|. */
const RELATIVE_TOLERANCE = 1e-4;

/** [model, config, batch]: the benchmark models at 224² batch 1 (as timed), the others at small profiles, batch 2. */
const CASES: Array<[string, ModelConfig, number]> = [
  ['squeezenet1_0', { dataset: 'cifar10' }, 2],
  ['squeezenet1_1', {}, 1],
  ['mobilenet_v1', {}, 1],
  ['mobilenet_v2', {}, 1],
  ['mobilenet_v2', { dataset: 'cifar10', bottleneckActivation: 'relu6', width: 0.5 }, 2],
  ['alexnet', { dataset: 'cifar10' }, 2],
  ['vgg16', { dataset: 'cifar10', batchNorm: true }, 2],
  ['googlenet', { dataset: 'cifar10' }, 2],
  ['resnet18', { resolution: 64 }, 2],
  ['resnet50', { dataset: 'cifar10', stride: 'v1' }, 2],
  ['shufflenet_v1', {}, 1],
  ['shufflenet_v1', { dataset: 'cifar10', groups: 2, width: 0.5 }, 2],
  ['shufflenet_v2', {}, 1],
  ['shiftnet_a', { dataset: 'cifar10' }, 2],
  ['shift_resnet20', {}, 2],
  ['as_resnet', { dataset: 'cifar10' }, 2],
  ['fe_net', { dataset: 'cifar10' }, 2],
];

/** max |plan − tfjs| / max |tfjs| and max |tfjs| for `model` on a seeded input of `batch` images. */
function compare(model: tf.LayersModel, plan: Plan, batch: number): { relative: number; maxAbs: number } {
  const x = randomValues(plan.input.length, 11, 0, 1);
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, [batch, ...(model.inputs[0].shape.slice(1) as number[])])) as tf.Tensor).dataSync() as Float32Array);
  const got = runPlan(plan, x);
  assert.equal(got.length, expected.length, 'plan output size');
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < got.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
  }
  return { relative: maxDiff / maxAbs, maxAbs };
}

describe('inference plan', function () {
  this.timeout(600000);
  const report: string[] = [];

  before(async () => {
    await initBackend('wasm');
    assert.ok(nativeStatus().loaded, `native addon not loaded: ${nativeStatus().reason}`);
  });

  after(() => {
    console.log(`      plan vs tfjs, max |diff| / max |logit| (steps, arena / one buffer per activation):\n${report.map((l) => `        ${l}`).join('\n')}`);
  });

  it('covers every registered model', () => {
    const covered = new Set(CASES.map(([name]) => name));
    assert.deepStrictEqual(listModels().map((m) => m.name).filter((n) => !covered.has(n)), []);
  });

  for (const [name, config, batch] of CASES) {
    it(`${name} ${JSON.stringify(config)} batch ${batch} agrees with the tfjs path within ${RELATIVE_TOLERANCE} relative`, () => {
      const model = buildModel(name, config);
      try {
        randomizeInferenceState(model, 7);
        const plan = compilePlan(model, { batch });
        const r = compare(model, plan, batch);
        // All-zero logits would agree with anything: the comparison must be able to fail.
        assert.ok(r.maxAbs > 1e-3, `${name}: logits are all ≈ 0 (max ${r.maxAbs})`);
        assert.ok(r.relative <= RELATIVE_TOLERANCE, `${name}: relative difference ${r.relative} > ${RELATIVE_TOLERANCE}`);
        // A second run over the same arena gives the same logits (no state leaks between passes).
        const again = compare(model, plan, batch);
        assert.equal(again.relative, r.relative);
        report.push(`${name} ${JSON.stringify(config)} b${batch}: ${r.relative.toExponential(2)} (${plan.steps.length} steps for ${model.layers.length} layers, ` +
          `arena ${(plan.arenaFloats / plan.activationFloats * 100).toFixed(0)}%)`);
      } finally {
        model.dispose();
      }
    });
  }

  it('folds every BatchNorm and fuses every activation and residual add of MobileNet V2 and ResNet-18', () => {
    for (const [name, config] of [['mobilenet_v2', { dataset: 'cifar10' }], ['resnet18', { dataset: 'cifar10' }]] as const) {
      const model = buildModel(name, config);
      try {
        const plan = compilePlan(model);
        const kinds = new Set(plan.steps.map((s) => s.kind));
        assert.ok(!kinds.has('affine') && !kinds.has('add') && !kinds.has('pad'), `${name}: unfused steps remain: ${[...kinds].join(', ')}`);
        assert.ok(plan.inPlaceSteps > 0, `${name}: no residual convolution ran in place`);
      } finally {
        model.dispose();
      }
    }
  });

  it('places activations in an arena smaller than one buffer per activation', () => {
    const model = buildModel('mobilenet_v2', { dataset: 'cifar10' });
    try {
      const plan = compilePlan(model, { batch: 2 });
      assert.ok(plan.arenaFloats < plan.activationFloats / 4, `arena ${plan.arenaFloats} floats vs ${plan.activationFloats} for one buffer each`);
      // The arena holds at least the input and the largest activation at once.
      assert.ok(plan.arenaFloats >= plan.input.length);
    } finally {
      model.dispose();
    }
  });

  it('refuses a layer it cannot express, naming its class and name', () => {
    const x = tf.input({ shape: [8, 8, 4] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }).apply(x) as tf.SymbolicTensor;
    const gate = tf.layers.multiply({ name: 'gate' }).apply([a, x]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: tf.layers.globalAveragePooling2d({}).apply(gate) as tf.SymbolicTensor });
    try {
      assert.throws(() => compilePlan(model), (err: Error) => err instanceof PlanUnsupportedError && /layer "gate" \(Multiply\)/.test(err.message) && /tfjs path/.test(err.message));
    } finally {
      model.dispose();
    }
  });

  it('refuses a bad input size and batch', () => {
    const model = buildModel('shift_resnet20', {});
    try {
      assert.throws(() => compilePlan(model, { batch: 0 }), /batch = 0 must be a positive integer/);
      const plan = compilePlan(model, { batch: 2 });
      assert.throws(() => runPlan(plan, new Float32Array(32 * 32 * 3)), /must be a Float32Array of 6144 floats \(\[2, 32, 32, 3\] NHWC\), got 3072 floats/);
    } finally {
      model.dispose();
    }
  });

  it('without the native addon (COMPACT_NETS_NATIVE=0) refuses with the reason, and the tfjs path still runs', () => {
    const lib = path.resolve(__dirname, '..', 'src');
    const script = `
      const tf = require('@tensorflow/tfjs');
      const { initBackend } = require(${JSON.stringify(path.join(lib, 'lib', 'backend'))});
      const { compilePlan, PlanUnavailableError } = require(${JSON.stringify(path.join(lib, 'lib', 'plan'))});
      const { buildModel } = require(${JSON.stringify(path.join(lib, 'models'))});
      initBackend('wasm').then(() => {
        const model = buildModel('shift_resnet20', {});
        try { compilePlan(model); console.log('compiled'); } catch (e) { console.log(e instanceof PlanUnavailableError ? 'refused: ' + e.message : 'other: ' + e.message); }
        const y = model.predict(tf.ones([1, 32, 32, 3]));
        console.log('tfjs path: ' + y.shape.join('x'));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '..', '..'), env: { ...process.env, COMPACT_NETS_NATIVE: '0' }, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /refused: inference plan: the native addon is not available \(disabled by COMPACT_NETS_NATIVE=0\)/);
    assert.match(r.stdout, /tfjs path: 1x10/);
  });
});
