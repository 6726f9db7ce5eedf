/**
 * Conventional baselines (AlexNet, VGG-16, GoogLeNet, ResNet-18/50) against torchvision 0.14: exact parameter and
 * MAC counts from the built graph, forward passes at 224², training of every small profile, PyTorch pooling
 * semantics, and config errors. Runs on the wasm backend (VGG-16 at 224² is too slow on cpu).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { costOf } from '../src/lib/cost';
import {
  adaptiveAvgPool2d, adaptivePoolBins, flattenTorchOrder, maxPool2dTorch, maxPoolOutputSize,
} from '../src/lib/blocks/torch-pooling';
import { basicBlock, bottleneck } from '../src/lib/blocks/residual';
import { inception } from '../src/lib/blocks/inception';
// The family files register themselves; import them directly so this test does not depend on other families.
import { buildModel, getModelEntry, getVariant, ModelConfig } from '../src/models/registry';
import { alexnet } from '../src/models/alexnet';
import { vgg, vgg16 } from '../src/models/vgg';
import { googlenet } from '../src/models/googlenet';
import { resnet, resnet18, resnet34, resnet50 } from '../src/models/resnet';
import { randomValues } from './support/random';
import { useBackend } from './support/backend';

/** Builds, hands the model to `fn`, and always disposes it (the big models hold hundreds of MB). */
async function withModel<T>(model: tf.LayersModel, fn: (m: tf.LayersModel) => Promise<T> | T): Promise<T> {
  try {
    return await fn(model);
  } finally {
    model.dispose();
  }
}

describe('baselines (torchvision 0.14)', function () {
  this.timeout(300_000);
  useBackend('wasm');

  describe('PyTorch pooling semantics', () => {
    it('maxPoolOutputSize matches torch.nn.functional.max_pool2d', () => {
      // [n, k, s, p, ceil] → output size printed by PyTorch 1.13 F.max_pool2d(torch.zeros(1,1,n,n), k, s, p, ceil_mode)
      const cases: Array<[number, number, number, number, boolean, number]> = [
        [112, 3, 2, 0, true, 56], [8, 3, 2, 0, true, 4], [7, 3, 2, 0, true, 3], [2, 3, 2, 0, true, 1],
        [14, 2, 2, 0, true, 7], [13, 2, 2, 0, true, 7], [112, 3, 2, 1, false, 56], [9, 3, 2, 1, true, 5], [6, 3, 2, 1, true, 4],
      ];
      for (const [n, k, s, p, ceil, expected] of cases) {
        assert.strictEqual(maxPoolOutputSize(n, k, s, p, ceil), expected, `n=${n} k=${k} s=${s} p=${p} ceil=${ceil}`);
      }
    });

    it('maxPool2dTorch (ceil mode) equals PyTorch on an 8×8 map', () => {
      const values = Array.from({ length: 64 }, (_, i) => (i * 37) % 23);
      const input = tf.input({ shape: [8, 8, 1] });
      const model = tf.model({ inputs: input, outputs: maxPool2dTorch(input, { kernelSize: 3, stride: 2, ceilMode: true, name: 'p' }) });
      const y = model.predict(tf.tensor4d(values, [1, 8, 8, 1])) as tf.Tensor;
      // PyTorch: F.max_pool2d(x, 3, 2, 0, ceil_mode=True) with x = arange(64)*37 % 23 reshaped 8×8
      const torch = [22, 22, 21, 15, 22, 22, 21, 20, 22, 21, 21, 20, 19, 21, 20, 20];
      assert.deepStrictEqual(y.shape, [1, 4, 4, 1]);
      assert.deepStrictEqual(Array.from(y.dataSync()), torch);
    });

    it('maxPool2dTorch with padding equals a naive loop with −∞ padding on non-negative input', () => {
      const [n, k, s, p] = [9, 3, 2, 1];
      const values = randomValues(n * n * 2, 7, 0, 1);
      const input = tf.input({ shape: [n, n, 2] });
      const model = tf.model({ inputs: input, outputs: maxPool2dTorch(input, { kernelSize: k, stride: s, padding: p, ceilMode: true, name: 'q' }) });
      const y = (model.predict(tf.tensor4d(values, [1, n, n, 2])) as tf.Tensor).dataSync();
      const out = maxPoolOutputSize(n, k, s, p, true);
      for (let i = 0; i < out; i++) {
        for (let j = 0; j < out; j++) {
          for (let c = 0; c < 2; c++) {
            let best = -Infinity;
            for (let di = 0; di < k; di++) {
              for (let dj = 0; dj < k; dj++) {
                const [r, q] = [i * s - p + di, j * s - p + dj];
                if (r >= 0 && r < n && q >= 0 && q < n) best = Math.max(best, values[(r * n + q) * 2 + c]);
              }
            }
            assert.ok(Math.abs(y[(i * out + j) * 2 + c] - best) < 1e-6, `(${i},${j},${c})`);
          }
        }
      }
    });

    it('AdaptiveAvgPool2d equals PyTorch (7→6 overlapping bins, 3→4 repeated pixels) and a naive loop', () => {
      const run = (n: number, o: number, values: number[]): number[] => {
        const input = tf.input({ shape: [n, n, 1] });
        const model = tf.model({ inputs: input, outputs: adaptiveAvgPool2d(input, o, 'a') });
        return Array.from((model.predict(tf.tensor4d(values, [1, n, n, 1])) as tf.Tensor).dataSync());
      };
      const close = (a: number[], b: number[]): void => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${i}: ${v} vs ${b[i]}`));
      // PyTorch: F.adaptive_avg_pool2d(arange(49).reshape(1,1,7,7), 6)
      close(run(7, 6, Array.from({ length: 49 }, (_, i) => i)),
        [4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 36, 37, 39, 40, 41, 42, 43, 44]);
      // PyTorch: F.adaptive_avg_pool2d(arange(9).reshape(1,1,3,3), 4)
      close(run(3, 4, Array.from({ length: 9 }, (_, i) => i)), [0, 0.5, 1.5, 2, 1.5, 2, 3, 3.5, 4.5, 5, 6, 6.5, 6, 6.5, 7.5, 8]);
      // naive loop over the bins for 11 → 5
      const values = Array.from(randomValues(121, 3, 0, 1));
      const bins = adaptivePoolBins(11, 5);
      const naive: number[] = [];
      for (const [r0, r1] of bins) {
        for (const [c0, c1] of bins) {
          let sum = 0;
          for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) sum += values[r * 11 + c];
          naive.push(sum / ((r1 - r0) * (c1 - c0)));
        }
      }
      close(run(11, 5, values), naive);
    });

    it('flattenTorchOrder flattens NHWC in PyTorch C·H·W order', () => {
      const input = tf.input({ shape: [2, 3, 4] });
      const model = tf.model({ inputs: input, outputs: flattenTorchOrder(input, 'f') });
      const nhwc = Array.from({ length: 24 }, (_, i) => i);
      const y = Array.from((model.predict(tf.tensor4d(nhwc, [1, 2, 3, 4])) as tf.Tensor).dataSync());
      const expected: number[] = [];
      for (let c = 0; c < 4; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) expected.push(nhwc[(h * 3 + w) * 4 + c]);
      assert.deepStrictEqual(y, expected);
    });
  });

  describe('blocks', () => {
    const shapeOf = (name: string, m: tf.LayersModel): tf.Shape => m.getLayer(name).outputShape as tf.Shape;

    it('Bottleneck strides on the 3×3 in v1.5 and on the first 1×1 in v1; shortcut projects when the shape changes', () => {
      for (const [strideAt, conv1Size, conv2Size] of [['v1.5', 8, 4], ['v1', 4, 4]] as const) {
        const input = tf.input({ shape: [8, 8, 64] });
        const m = tf.model({ inputs: input, outputs: bottleneck(input, { outChannels: 128, stride: 2, strideAt, name: 'b' }) });
        assert.deepStrictEqual(shapeOf('b.conv1.conv', m), [null, conv1Size, conv1Size, 32], strideAt);
        assert.deepStrictEqual(shapeOf('b.conv2.conv', m), [null, conv2Size, conv2Size, 32], strideAt);
        assert.deepStrictEqual(m.outputs[0].shape, [null, 4, 4, 128]);
        assert.deepStrictEqual(shapeOf('b.downsample.conv', m), [null, 4, 4, 128]);
      }
    });

    it('BasicBlock keeps an identity shortcut when stride 1 and widths match (no downsample layer)', () => {
      const input = tf.input({ shape: [8, 8, 16] });
      const m = tf.model({ inputs: input, outputs: basicBlock(input, { outChannels: 16, stride: 1, name: 'k' }) });
      assert.ok(!m.layers.some((l) => l.name.startsWith('k.downsample')));
      // two 3×3 convs 16→16 + two BN (γ,β,mean,var): 2·(9·16·16) + 2·4·16
      assert.strictEqual(m.countParams(), 2 * 9 * 16 * 16 + 2 * 4 * 16);
      assert.throws(() => basicBlock(input, { outChannels: 16, stride: 3, name: 'bad' }), /stride must be 1 or 2, got 3/);
      assert.throws(() => bottleneck(input, { outChannels: 30, stride: 1, name: 'odd' }), /outChannels must be a multiple of 4 \(4 × its 3×3 width\), got 30/);
    });

    it('Inception concatenates c1 + c3 + c5 + poolProj channels at the input size', () => {
      const input = tf.input({ shape: [7, 7, 192] });
      const y = inception(input, { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32, name: 'i' });
      assert.deepStrictEqual(y.shape, [null, 7, 7, 256]);
    });
  });

  // Runs before the ImageNet section: the wasm heap never shrinks, and after the 224² models (VGG-16's 411 MB FC
  // kernel) a fragmented heap can fail the optimizer's allocations.
  describe('small profiles train', () => {
    // cifar10 / tiny-imagenet configurations of every registered baseline: one Adam step on a fixed random image
    // must give finite losses and a lower loss afterwards (a net can memorise one image). Four steps, not two:
    // dropout is unseeded in tfjs, and after one step its noise could outweigh the decrease (GoogLeNet once went
    // 2.197 → 2.294); after four the decrease is ≥ 1 nat in every trial measured. Kept minimal (batch 1) because
    // wasm training is slow here: the Dense weight gradient (a transposed BatchMatMul)
    // takes ~1 s per 4096×4096 layer. The tiny-imagenet profile trains at resolution 32: the same layers and
    // weights as at 64² (its stride-2 stem, pools, 200-class head) at a quarter of the conv cost; its 64² graph is
    // built and shape-checked first.
    const STEPS = 4;
    const models = ['alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet50'];
    for (const name of models) {
      for (const dataset of ['cifar10', 'tiny-imagenet'] as const) {
        it(`${name} ${dataset}`, async () => {
          const [r, classes] = dataset === 'cifar10' ? [32, 10] : [64, 200];
          await withModel(buildModel(name, { dataset }), (model) => {
            assert.deepStrictEqual(model.inputs[0].shape, [null, r, r, 3]);
            assert.deepStrictEqual(model.outputs[0].shape, [null, classes]);
          });
          const trainResolution = 32;
          await withModel(buildModel(name, { dataset, resolution: trainResolution }), async (model) => {
            const x = tf.randomUniform([1, trainResolution, trainResolution, 3], -1, 1, 'float32', 5);
            const y = tf.oneHot(tf.tensor1d([3], 'int32'), classes);
            const optimizer = tf.train.adam(1e-3);
            const losses: number[] = [];
            for (let step = 0; step < STEPS; step++) {
              const loss = optimizer.minimize(
                () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
                true,
              )!;
              losses.push((await loss.data())[0]);
              loss.dispose();
            }
            optimizer.dispose();
            tf.dispose([x, y]);
            assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
            assert.ok(losses[STEPS - 1] < losses[0], `loss decreases: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
          });
        });
      }
    }
  });

  describe('ImageNet variants: exact torchvision counts and a forward pass at 224²', () => {
    // Expected values: parameters = torchvision `num_params` (docs/sources.md §4.10, W+BN2 = costOf().params.trainable);
    // MACs = exact conv + linear multiply-accumulates of the torchvision 0.14 module at 224² (forward hooks,
    // `weight.numel() · H_out · W_out`), which round to torchvision's `_ops` 0.714 / 15.47 / 1.498 / 1.814 / 4.089 G.
    const cases: Array<{ name: string; build: () => tf.LayersModel; params: number; macs: number }> = [
      { name: 'alexnet', build: () => alexnet(), params: 61_100_840, macs: 714_188_480 },
      { name: 'vgg16', build: () => vgg16(), params: 138_357_544, macs: 15_470_264_320 },
      { name: 'googlenet', build: () => googlenet(), params: 6_624_904, macs: 1_498_376_192 },
      { name: 'resnet18', build: () => resnet18(), params: 11_689_512, macs: 1_814_073_344 },
      { name: 'resnet50', build: () => resnet50(), params: 25_557_032, macs: 4_089_184_256 },
      // v1 (stride on the first 1×1): docs/sources.md §4.10 CALC 3,858 M; same parameters as v1.5
      { name: 'resnet50 v1', build: () => resnet50({ stride: 'v1' }), params: 25_557_032, macs: 3_857_973_248 },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.params} params, ${c.macs} MACs, logits [1, 1000]`, async () => {
        await withModel(c.build(), async (model) => {
          const cost = costOf(model);
          assert.strictEqual(cost.params.trainable, c.params);
          assert.strictEqual(cost.macs, c.macs);
          const y = tf.tidy(() => model.predict(tf.randomUniform([1, 224, 224, 3], -2, 2, 'float32', 1)) as tf.Tensor);
          assert.deepStrictEqual(y.shape, [1, 1000]);
          const values = await y.data();
          assert.ok(values.every(Number.isFinite), 'finite logits');
          y.dispose();
        });
      });
    }

    it('other torchvision depths share the tables: resnet34 21,797,672 params, 3,663,761,408 MACs', async () => {
      // torchvision 0.14 resnet34: num_params 21,797,672; _ops 3.664 G (hook count above)
      await withModel(resnet34(), (model) => {
        const cost = costOf(model);
        assert.strictEqual(cost.params.trainable, 21_797_672);
        assert.strictEqual(cost.macs, 3_663_761_408);
      });
    });

    it('other resolutions follow PyTorch: googlenet at 100² = 283,511,552 MACs, resnet50 at 160² = 2,087,321,600', async () => {
      // torchvision 0.14 modules run at 100² / 160² with the same hook counter
      await withModel(googlenet({ resolution: 100 }), (m) => assert.strictEqual(costOf(m).macs, 283_511_552));
      await withModel(resnet50({ resolution: 160 }), (m) => assert.strictEqual(costOf(m).macs, 2_087_321_600));
    });

    it('the paper\'s 5×5 branch 3 and the small-image stems match torchvision modules modified the same way', async () => {
      // torchvision 0.14 googlenet with every branch3[1] replaced by BasicConv2d(k=5, padding=2), hook count at 224²
      await withModel(googlenet({ branch3Kernel: 5 }), (m) => {
        assert.deepStrictEqual([costOf(m).params.trainable, costOf(m).macs], [7_005_832, 1_582_671_872]);
      });
      // torchvision resnet18/50(num_classes=10) with conv1 = Conv2d(3, 64, 3, stride 1, padding 1, bias=False) and
      // maxpool = Identity at 32² (the CIFAR ResNet of kuangliu/pytorch-cifar: 11,173,962 params)
      await withModel(resnet18({ dataset: 'cifar10' }), (m) => {
        assert.deepStrictEqual([costOf(m).params.trainable, costOf(m).macs], [11_173_962, 555_422_720]);
      });
      await withModel(resnet50({ dataset: 'cifar10' }), (m) => {
        assert.deepStrictEqual([costOf(m).params.trainable, costOf(m).macs], [23_520_842, 1_297_829_888]);
      });
      // same with conv1 stride 2, num_classes=200 at 64² (tiny-imagenet profile)
      await withModel(resnet18({ dataset: 'tiny-imagenet' }), (m) => {
        assert.deepStrictEqual([costOf(m).params.trainable, costOf(m).macs], [11_271_432, 555_520_000]);
      });
    });

    it('published figures in the registry match the built graphs within their rounding', async () => {
      for (const [model, variant] of [['googlenet', 'imagenet-224'], ['resnet18', 'imagenet-224'], ['resnet50', 'v1-imagenet-224']]) {
        const v = getVariant(model, variant);
        const published = v.published!;
        await withModel(buildModel(model, v.config), (m) => {
          const cost = costOf(m);
          const rel = (a: number, b: number): number => Math.abs(a - b) / b;
          assert.ok(rel(cost.params.trainable, published.params!) <= (published.rounding?.params ?? 0), `${model} params`);
          assert.ok(rel(cost.macs, published.macs!) <= (published.rounding?.macs ?? 0), `${model} ${cost.macs} MACs vs ${published.macs}`);
        });
      }
    });
  });

  describe('configuration errors (raised before building)', () => {
    const cases: Array<[string, ModelConfig, RegExp]> = [
      ['alexnet', { dataset: 'mnist' as never }, /unknown dataset "mnist"; accepted: imagenet, cifar10, tiny-imagenet/],
      ['alexnet', { resolution: 62 }, /resolution 62 is too small .* use resolution ≥ 63/],
      ['alexnet', { width: 0.5 }, /unknown option "width"; accepted options: dataset, resolution, classes/],
      ['vgg16', { resolution: 31 }, /resolution 31 is too small .* use resolution ≥ 32/],
      ['vgg16', { batchNorm: 'yes' }, /unknown batchNorm "yes"; accepted: false, true/],
      ['vgg16', { depth: 19 }, /depth is fixed at 16, got 19/],
      ['googlenet', { resolution: 14 }, /resolution 14 is too small .* use resolution ≥ 15/],
      ['googlenet', { branch3Kernel: 7 }, /unknown branch3Kernel 7; accepted: 3, 5/],
      ['resnet50', { stride: 'v2' }, /unknown stride "v2"; accepted: "v1.5", "v1"/],
      ['resnet18', { classes: 0 }, /classes must be a positive integer, got 0/],
      ['resnet18', { resolution: 22.5 }, /resolution must be a positive integer \(pixels\), got 22.5/],
      ['alexnet', { dataset: 'cifar10', resolution: 14 }, /use resolution ≥ 15/],
    ];
    for (const [model, cfg, message] of cases) {
      it(`${model} ${JSON.stringify(cfg)} → ${message.source}`, () => {
        assert.throws(() => buildModel(model, cfg), message);
      });
    }

    it('resnet accepts only its depths and lists them', () => {
      assert.throws(() => resnet({ depth: 20 as never }), /unknown depth 20; accepted: 18, 34, 50, 101, 152/);
      assert.throws(() => vgg({ depth: 12 as never }), /unknown depth 12; accepted: 11, 13, 16, 19/);
    });

    it('every baseline is registered with its small-profile variants', () => {
      for (const name of ['alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet50']) {
        const entry = getModelEntry(name);
        assert.strictEqual(entry.family, 'baseline');
        for (const variant of ['imagenet-224', 'cifar10', 'tiny-imagenet']) getVariant(name, variant);
      }
    });
  });
});
