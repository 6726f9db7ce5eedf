/**
 * SqueezeNet 1.0 / 1.1 against docs/sources.md §2, §3.5, §4.1, §6 (torchvision num_params, CALC per-layer params and
 * MACs), forward passes of every variant, bypass options, small configs training, bad input.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { costOf } from '../src/lib/cost';
import { squeezenet1_0, squeezenet1_1 } from '../src/models/squeezenet';
import { buildModel, getModelEntry } from '../src/models/registry';
import { checkPublished, costOfLayers, trainOnFixedBatch } from './support/models';
import { useBackend } from './support/backend';

describe('squeezenet', () => {
  useBackend('wasm');

  it('1.0 at 224: 1,248,424 params (torchvision), CALC per-layer params, 818.9 M MACs; 832.7 M at 227', () => {
    const m = squeezenet1_0();
    const r = costOf(m);
    assert.strictEqual(r.params.all, 1248424); // torchvision num_params, docs/sources.md §6
    assert.strictEqual(r.params.weights, 1248424); // no BatchNorm
    // docs/sources.md §4.1 table (params incl. bias)
    const PER_LAYER: Record<string, number> = { conv1: 14208, fire2: 11920, fire3: 12432, fire4: 45344, fire5: 49440, fire6: 104880, fire7: 111024, fire8: 188992, fire9: 197184, conv10: 513000 };
    for (const [name, params] of Object.entries(PER_LAYER)) assert.strictEqual(costOfLayers(r, name).all, params, name);
    assert.ok(Math.abs(r.macs / 1e6 - 818.9) <= 0.05, `${r.macs}`);
    // ceil-mode pools: 109 → 54 → 27 → 13 at 224² (§4.1)
    assert.deepStrictEqual(m.getLayer('conv1').outputShape, [null, 109, 109, 96]);
    assert.deepStrictEqual(m.getLayer('maxpool1.pool').outputShape, [null, 54, 54, 96]);
    assert.deepStrictEqual(m.getLayer('maxpool3.pool').outputShape, [null, 13, 13, 512]);
    m.dispose();
    const m227 = squeezenet1_0({ resolution: 227 });
    assert.deepStrictEqual(m227.getLayer('maxpool1.pool').outputShape, [null, 55, 55, 96]);
    assert.ok(Math.abs(costOf(m227).macs / 1e6 - 832.7) <= 0.05);
    m227.dispose();
  });

  it('1.1: CALC per-layer params (§4.1), 349.2 M MACs at 224, 388 M at 227', () => {
    const m = squeezenet1_1();
    const r = costOf(m);
    const PER_LAYER: Record<string, number> = { conv1: 1792, fire2: 11408, fire3: 12432, fire4: 45344, fire5: 49440, fire6: 104880, fire7: 111024, fire8: 188992, fire9: 197184, conv10: 513000 };
    for (const [name, params] of Object.entries(PER_LAYER)) assert.strictEqual(costOfLayers(r, name).all, params, name);
    assert.strictEqual(r.params.all, Object.values(PER_LAYER).reduce((a, b) => a + b, 0));
    assert.ok(Math.abs(r.macs / 1e6 - 349.2) <= 0.05, `${r.macs}`);
    m.dispose();
    const m227 = squeezenet1_1({ resolution: 227 });
    assert.ok(Math.abs(costOf(m227).macs / 1e6 - 388) <= 0.5);
    m227.dispose();
  });

  it('every variant builds, runs a batch-1 forward pass at its input size and matches its published figures', () => {
    for (const name of ['squeezenet1_0', 'squeezenet1_1']) {
      for (const v of getModelEntry(name).variants) {
        const m = buildModel(name, v.config);
        checkPublished(`${name} ${v.name}`, costOf(m), v.published!);
        const size = v.published!.inputSize;
        const y = tf.tidy(() => (m.predict(tf.randomUniform([1, size, size, 3])) as tf.Tensor).arraySync() as number[][]);
        assert.strictEqual(y[0].length, 1000);
        assert.ok(y[0].every((v) => Number.isFinite(v) && v >= 0), 'pooled ReLU output');
        m.dispose();
      }
    }
  });

  it('bypass: simple adds identities around fire3/5/7/9 at no parameter cost; complex adds 1×1 convs on fire2/4/6/8', () => {
    const simple = squeezenet1_0({ bypass: 'simple' });
    const adds = simple.layers.filter((l) => l.getClassName() === 'Add').map((l) => l.name);
    assert.deepStrictEqual(adds, ['fire3.add', 'fire5.add', 'fire7.add', 'fire9.add']);
    assert.strictEqual(simple.countParams(), 1248424);
    simple.dispose();
    const complex = squeezenet1_0({ bypass: 'complex' });
    assert.strictEqual(complex.layers.filter((l) => l.getClassName() === 'Add').length, 8);
    const shortcut = (cin: number, cout: number) => cin * cout + cout;
    assert.strictEqual(complex.countParams(), 1248424 + shortcut(96, 128) + shortcut(128, 256) + shortcut(256, 384) + shortcut(384, 512));
    complex.dispose();
  });

  for (const [name, dataset] of [['squeezenet1_0', 'cifar10'], ['squeezenet1_1', 'tiny-imagenet']] as const) {
    it(`${name} ${dataset} profile (stride-1 conv1, no first pool) trains a few steps`, async () => {
      const m = buildModel(name, { dataset });
      const side = dataset === 'cifar10' ? 32 : 64;
      assert.deepStrictEqual(m.getLayer('conv1').outputShape.slice(1, 3), [side, side]);
      assert.ok(!m.layers.some((l) => l.name === 'maxpool3.pool'), 'one pool fewer');
      const losses = await trainOnFixedBatch(m, { steps: 5, batch: 2, learningRate: 1e-3 });
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      // The classifier's dropout (rate 0.5, unseeded) makes single steps noisy: some later step must beat the first.
      assert.ok(Math.min(...losses.slice(1)) < losses[0], `losses ${losses}`);
      m.dispose();
    });
  }

  it('bad input is rejected before building, naming the value and accepted values', () => {
    assert.throws(() => squeezenet1_0({ bypass: 'wide' }), /unknown bypass "wide"; accepted: "none", "simple", "complex"/);
    assert.throws(() => squeezenet1_0({ resolution: 16 }), /resolution 16 is too small.*resolution ≥ \d+/);
    assert.throws(() => squeezenet1_1({ width: 0.5 }), /unknown option "width"; accepted options: dataset, resolution, classes, bypass/);
    assert.throws(() => squeezenet1_1({ dataset: 'mnist' as never }), /unknown dataset "mnist"/);
  });
});

describe('squeezenet initialisation (torchvision: He uniform, final conv N(0, 0.01))', () => {
  it('keeps the activation scale through the eight Fire modules (no BN to rescue it) and starts at near-zero logits', async () => {
    await initBackend('wasm');
    for (const name of ['squeezenet1_0', 'squeezenet1_1']) {
      const m = buildModel(name, { dataset: 'cifar10' });
      const x = tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 1);
      const sub = tf.model({ inputs: m.inputs, outputs: [m.getLayer('fire9.concat').output as tf.SymbolicTensor, m.outputs[0]] });
      const [features, logits] = sub.predict(x) as tf.Tensor[];
      const std = Math.sqrt(tf.moments(features).variance.dataSync()[0]);
      // With tfjs' default Glorot init this was ~1e-3 (each expand layer shrinks the variance ~5×): CIFAR training sat at ln 10.
      assert.ok(std > 0.3 && std < 10, `${name}: std of the last Fire output ${std} for unit-variance input`);
      assert.ok(tf.abs(logits).max().dataSync()[0] < 3, `${name}: initial logits should be small (final conv N(0, 0.01))`);
      tf.dispose([x, features, logits]);
      m.dispose();
    }
  });
});
