/**
 * MobileNet V1 / V2 against docs/sources.md §3.1, §3.2, §4.2, §4.3, §6 (exact Keras / torchvision counts, CALC MACs,
 * published figures within rounding), forward passes of every ImageNet variant, small configs training, bad input.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { costOf } from '../src/lib/cost';
import { mobilenetV1, MOBILENET_V1_VARIANTS } from '../src/models/mobilenet-v1';
import { lastChannels, mobilenetV2, MOBILENET_V2_VARIANTS, v2Channels } from '../src/models/mobilenet-v2';
import { buildModel } from '../src/models/registry';
import { checkPublished, trainOnFixedBatch } from './support/models';
import { assertNear } from './support/tolerance';
import { useBackend } from './support/backend';

/** docs/sources.md §3.1 CALC column (M MACs, quoted to 0.1) for the whole α × resolution grid. */
const V1_CALC: Record<string, number> = {
  '1-224': 568.7, '1-192': 418.1, '1-160': 290.7, '1-128': 186.4, '0.75-224': 325.4, '0.75-192': 239.3, '0.75-160': 166.4, '0.75-128': 106.8,
  '0.5-224': 149.5, '0.5-192': 110.0, '0.5-160': 76.5, '0.5-128': 49.2, '0.25-224': 41.0, '0.25-192': 30.2, '0.25-160': 21.1, '0.25-128': 13.6,
};
/** docs/sources.md §3.2 CALC (M MACs). */
const V2_CALC: Record<string, number> = { '1.4-224': 582.2, '1.3-224': 509.4, '1-224': 300.8, '1-192': 221.3, '1-160': 154.1, '1-128': 99.1, '1-96': 56.3, '0.75-224': 209.1, '0.5-224': 97.1, '0.35-224': 59.3 };

describe('mobilenet_v1', () => {
  useBackend('wasm');

  it('1.0-224: W 4,210,088 / W+BN2 4,231,976 / W+BN4 4,253,864 (Keras count_params), 568.7 M MACs', () => {
    const m = mobilenetV1();
    const r = costOf(m);
    assert.deepStrictEqual(r.params, { weights: 4210088, trainable: 4231976, all: 4253864 }); // docs/sources.md §4.2 CALC; KERAS table
    assert.strictEqual(m.countParams(), 4253864);
    assertNear(r.macs / 1e6, 568.7, 0.05, 'MACs (M)'); // docs/sources.md §4.2 CALC
    // P-MB1 Table 2 per-type shares, CALC-corrected (§3.1): 1×1 94.86 %, dw 3.06 %, first conv 1.91 %, FC 0.18 %
    const share = (cls: string) => r.layers.filter((l) => l.className === cls).reduce((a, l) => a + l.macs, 0) / r.macs;
    assertNear(share('DepthwiseConv2D') * 100, 3.06, 0.01, 'dw share');
    assertNear(share('Dense') * 100, 0.18, 0.01, 'FC share');
    m.dispose();
  });

  it('0.75-224: W 2,569,144 / W+BN4 2,601,976 (§3.1 CALC)', () => {
    const m = mobilenetV1({ width: 0.75 });
    const r = costOf(m);
    assert.strictEqual(r.params.weights, 2569144);
    assert.strictEqual(r.params.all, 2601976);
    m.dispose();
  });

  it('every published variant builds, runs a batch-1 forward pass at its input size, and matches its figures', () => {
    for (const v of MOBILENET_V1_VARIANTS) {
      const m = buildModel('mobilenet_v1', v.config);
      const r = costOf(m);
      checkPublished(`mobilenet_v1 ${v.name}`, r, v.published!);
      assertNear(r.macs / 1e6, V1_CALC[`${v.config.width}-${v.config.resolution}`], 0.05 + 1e-9, `${v.name} CALC MACs`);
      const size = v.published!.inputSize;
      const y = tf.tidy(() => (m.predict(tf.zeros([1, size, size, 3])) as tf.Tensor).shape);
      assert.deepStrictEqual(y, [1, 1000]);
      m.dispose();
    }
  });

  it('any positive width that leaves ≥ 1 channel builds (int(c·α) as Keras)', () => {
    const m = mobilenetV1({ width: 1 / 32, resolution: 32, classes: 3 });
    assert.strictEqual(m.getLayer('stem.conv').outputShape[3], 1);
    assert.strictEqual(m.getLayer('block13.pw.conv').outputShape[3], 32);
    m.dispose();
  });

  it('cifar10 profile (stride-1 stem) trains: loss finite and decreasing on a fixed batch', async () => {
    const m = mobilenetV1({ dataset: 'cifar10', width: 0.25 });
    assert.deepStrictEqual(m.inputs[0].shape, [null, 32, 32, 3]);
    assert.deepStrictEqual(m.getLayer('block13.pw.act').outputShape, [null, 2, 2, 256]);
    const losses = await trainOnFixedBatch(m, { steps: 6, batch: 4, learningRate: 1e-3 });
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `losses ${losses}`);
    m.dispose();
  });

  it('bad input is rejected before building, naming the value and the accepted values', () => {
    assert.throws(() => mobilenetV1({ width: 0 }), /width α must be a positive number.*got 0/);
    assert.throws(() => mobilenetV1({ width: 0.02 }), /leaves the 32-channel stem with 0 channels.*width ≥ 0.03125/);
    assert.throws(() => mobilenetV1({ resolution: 16 }), /resolution 16 is too small.*resolution ≥ 32/);
    assert.throws(() => mobilenetV1({ dataset: 'mnist' as never }), /unknown dataset "mnist"; accepted: imagenet, cifar10, tiny-imagenet/);
    assert.throws(() => mobilenetV1({ groups: 3 }), /unknown option "groups"; accepted options: .*width/);
    assert.throws(() => mobilenetV1({ classes: 0 }), /classes must be a positive integer, got 0/);
  });
});

describe('mobilenet_v2', () => {
  useBackend('wasm');

  it('1.0-224: W 3,470,760 / W+BN2 3,504,872 (torchvision) / W+BN4 3,538,984 (Keras), 300.8 M MACs', () => {
    for (const padding of ['tf', 'torch']) {
      const m = mobilenetV2({ padding });
      const r = costOf(m);
      assert.deepStrictEqual(r.params, { weights: 3470760, trainable: 3504872, all: 3538984 }); // docs/sources.md §3.2, §6
      assertNear(r.macs / 1e6, 300.8, 0.05, 'MACs (M)'); // docs/sources.md §4.3 CALC
      assert.strictEqual(m.layers.filter((l) => l.getClassName() === 'Add').length, 10); // 17 blocks, 10 with residual
      m.dispose();
    }
  });

  it('width rounding: makeDivisible(c·α, 8); last conv 1280·max(1, α); 1.3-224 W 5,342,536 / W+BN4 5,431,048', () => {
    assert.strictEqual(v2Channels(32, 0.35), 16);
    assert.strictEqual(lastChannels(0.35), 1280);
    assert.strictEqual(lastChannels(1.4), 1792);
    const m = mobilenetV2({ width: 1.3 });
    const r = costOf(m);
    assert.strictEqual(r.params.weights, 5342536); // docs/sources.md §3.2 CALC
    assert.strictEqual(r.params.trainable, 5386792);
    assert.strictEqual(r.params.all, 5431048);
    m.dispose();
    const wide = mobilenetV2({ width: 1.4, resolution: 128 }); // not a published variant: CALC 191.3 M
    assertNear(costOf(wide).macs / 1e6, 191.3, 0.05 + 1e-9, '1.4-128');
    wide.dispose();
  });

  it('every published variant builds, runs a batch-1 forward pass at its input size, and matches its figures', () => {
    for (const v of MOBILENET_V2_VARIANTS) {
      const m = buildModel('mobilenet_v2', v.config);
      const r = costOf(m);
      checkPublished(`mobilenet_v2 ${v.name}`, r, v.published!);
      const calc = V2_CALC[`${v.config.width}-${v.config.resolution}`];
      if (calc !== undefined) assertNear(r.macs / 1e6, calc, 0.05 + 1e-9, `${v.name} CALC MACs`);
      const size = v.published!.inputSize;
      const y = tf.tidy(() => (m.predict(tf.zeros([1, size, size, 3])) as tf.Tensor).shape);
      assert.deepStrictEqual(y, [1, 1000]);
      m.dispose();
    }
  });

  for (const dataset of ['cifar10', 'tiny-imagenet'] as const) {
    it(`${dataset} profile (stride 1 in stem and first 24-ch block) trains a few steps`, async () => {
      const m = mobilenetV2({ dataset, width: 0.35 });
      const side = dataset === 'cifar10' ? 32 : 64;
      assert.deepStrictEqual(m.getLayer('head.conv.act').outputShape, [null, side / 8, side / 8, 1280]);
      const losses = await trainOnFixedBatch(m, { steps: 3, batch: 2, learningRate: 1e-3 });
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `losses ${losses}`);
      m.dispose();
    });
  }

  it('bottleneckActivation: relu6 clips every projection to [0, 6], linear does not; same params and MACs', () => {
    const outputsOf = (act: 'linear' | 'relu6') => {
      const m = mobilenetV2({ dataset: 'cifar10', width: 0.35, bottleneckActivation: act });
      // The block output of a non-residual block (stage 7: 320 channels, one block) is the projection itself.
      const tap = tf.model({ inputs: m.inputs, outputs: m.getLayer(act === 'relu6' ? 'stage7.block1.project.act' : 'stage7.block1.project.bn').output as tf.SymbolicTensor });
      const [lo, hi] = tf.tidy(() => {
        const y = tap.predict(tf.randomNormal([2, 32, 32, 3], 0, 3, 'float32', 5)) as tf.Tensor;
        return [y.min().dataSync()[0], y.max().dataSync()[0]];
      });
      const cost = costOf(m);
      m.dispose();
      return { lo, hi, cost };
    };
    const lin = outputsOf('linear');
    const relu = outputsOf('relu6');
    assert.ok(lin.lo < 0, `linear bottleneck keeps negative values (min ${lin.lo})`);
    assert.ok(relu.lo >= 0 && relu.hi <= 6, `relu6 bottleneck in [0, 6]: [${relu.lo}, ${relu.hi}]`);
    assert.deepStrictEqual(relu.cost.params, lin.cost.params);
    assert.strictEqual(relu.cost.macs, lin.cost.macs);
    assert.throws(() => mobilenetV2({ bottleneckActivation: 'relu' }), /unknown bottleneckActivation "relu"; accepted: "linear", "relu6"/);
  });

  it('bad input is rejected before building', () => {
    assert.throws(() => mobilenetV2({ width: -1 }), /width α must be a positive number.*got -1/);
    assert.throws(() => mobilenetV2({ padding: 'reflect' }), /unknown padding "reflect"; accepted: "tf", "torch"/);
    assert.throws(() => mobilenetV2({ resolution: 31 }), /resolution 31 is too small.*resolution ≥ 32/);
    assert.throws(() => mobilenetV2({ groups: 2 }), /unknown option "groups"/);
  });
});

describe('MobileNet BN momentum by profile', () => {
  /** Momenta of every BatchNormalization layer of a model. */
  const momenta = (m: tf.LayersModel) =>
    [...new Set(m.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => (l.getConfig() as { momentum: number }).momentum))];

  it('ImageNet keeps Keras/TF-slim 0.999 (torchvision padding 0.9); the small-image profiles use 0.9', () => {
    const cases: Array<[tf.LayersModel, number]> = [
      [mobilenetV1({ width: 0.25, resolution: 128 }), 0.999],
      [mobilenetV1({ width: 0.25, dataset: 'cifar10' }), 0.9],
      [mobilenetV2({ width: 0.35, resolution: 96 }), 0.999],
      [mobilenetV2({ width: 0.35, resolution: 96, padding: 'torch' }), 0.9],
      [mobilenetV2({ width: 0.35, dataset: 'tiny-imagenet' }), 0.9],
    ];
    for (const [model, want] of cases) {
      assert.deepStrictEqual(momenta(model), [want], model.name);
      model.dispose();
    }
  });
});
