/**
 * ShuffleNet units and shift-family blocks against closed-form costs (docs/sources.md §5.10, §5.11, §5.14–5.16, written
 * out here from the formulas) and against hand-computed values (identity half of the V2 unit, PyTorch
 * count_include_pad average pooling) on the cpu backend.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { costOf } from '../src/lib/cost';
import { avgPool3x3s2, shuffleDownUnitV2, shuffleUnitV1, shuffleUnitV2 } from '../src/lib/blocks/shuffle-units';
import { asResBlock, cscModule, feBlock, ibPool, ibssl, preActCscBlock, shiftResBlock } from '../src/lib/blocks/shift-blocks';
import { modelAround } from './support/models';
import { useBackend } from './support/backend';

/** Output side of a k=3, s=2, pad=1 layer (PyTorch floor). */
const down = (h: number) => Math.floor((h - 1) / 2) + 1;

describe('blocks: ShuffleNet units and shift blocks', () => {
  useBackend('cpu');

  describe('shuffleUnitV1', () => {
    // [H, c_in, c_out, g, stride, denseFirst]
    const CASES: Array<[number, number, number, number, 1 | 2, boolean]> = [
      [8, 24, 24, 3, 1, false],
      [8, 48, 48, 4, 1, false],
      [9, 24, 240, 3, 2, true],
      [8, 16, 64, 8, 2, false],
      [6, 12, 12, 1, 1, false],
    ];
    for (const [h, cin, cout, g, s, dense] of CASES) {
      it(`H=${h} ${cin}→${cout} g=${g} s=${s}${dense ? ' dense-first' : ''}: shape, params and MACs = P-SH1 §3.2`, () => {
        const m = cout / 4;
        const branchOut = s === 1 ? cout : cout - cin;
        const model = modelAround([h, h, cin], (x) => shuffleUnitV1(x, { outChannels: cout, groups: g, stride: s, bottleneck: m, denseFirstConv: dense, name: 'u' }));
        const ho = s === 1 ? h : down(h);
        assert.deepStrictEqual(model.outputs[0].shape, [null, ho, ho, cout]);
        const cost = costOf(model);
        const g1 = dense ? 1 : g;
        // W: c·m/g1 + 9m + m·branchOut/g (§5.10 with the stride-2 branch width); BN: 2(m + m + branchOut).
        assert.strictEqual(cost.params.weights, (cin * m) / g1 + 9 * m + (m * branchOut) / g);
        assert.strictEqual(cost.params.trainable - cost.params.weights, 2 * (2 * m + branchOut));
        assert.strictEqual(cost.macs, h * h * ((cin * m) / g1) + ho * ho * (9 * m + (m * branchOut) / g));
        model.dispose();
      });
    }

    it('stride 2: the first input channels are ReLU(avg-pool 3×3/2 with zero padding counted, as PyTorch)', () => {
      const h = 5;
      const cin = 6;
      const model = modelAround([h, h, cin], (x) => shuffleUnitV1(x, { outChannels: 18, groups: 3, stride: 2, bottleneck: 6, name: 'u' }));
      const x = tf.randomNormal([1, h, h, cin], 0, 1, 'float32', 7);
      const y = (model.predict(x) as tf.Tensor).arraySync() as number[][][][];
      const xs = x.arraySync() as number[][][][];
      for (let i = 0; i < down(h); i++) {
        for (let j = 0; j < down(h); j++) {
          for (let c = 0; c < cin; c++) {
            let sum = 0;
            for (let di = -1; di <= 1; di++) {
              for (let dj = -1; dj <= 1; dj++) {
                const r = 2 * i + di;
                const q = 2 * j + dj;
                if (r >= 0 && r < h && q >= 0 && q < h) sum += xs[0][r][q][c];
              }
            }
            assert.ok(Math.abs(y[0][i][j][c] - Math.max(0, sum / 9)) < 1e-5, `(${i},${j},${c})`);
          }
        }
      }
      model.dispose();
      x.dispose();
    });

    it('rejects widths the groups cannot split, naming the value', () => {
      const x = tf.input({ shape: [8, 8, 24] });
      assert.throws(() => shuffleUnitV1(x, { outChannels: 240, groups: 3, stride: 2, bottleneck: 61, name: 'bad' }), /bottleneck \(61\).*groups \(3\)/);
      assert.throws(() => shuffleUnitV1(x, { outChannels: 48, groups: 3, stride: 1, bottleneck: 12, name: 'bad' }), /must equal the input channels \(24\)/);
      assert.throws(() => shuffleUnitV1(x, { outChannels: 20, groups: 1, stride: 2, bottleneck: 5, name: 'bad' }), /must exceed the input channels/);
    });
  });

  describe('ShuffleNet V2 units', () => {
    it('basic unit: params/MACs = §5.11 (2c′² + 9c′ + BN), and even output channels are the untouched left half', () => {
      const h = 6;
      const c = 16;
      const cp = c / 2;
      const model = modelAround([h, h, c], (x) => shuffleUnitV2(x, { outChannels: c, name: 'u' }));
      const cost = costOf(model);
      assert.strictEqual(cost.params.weights, 2 * cp * cp + 9 * cp);
      assert.strictEqual(cost.params.trainable - cost.params.weights, 2 * 3 * cp);
      assert.strictEqual(cost.macs, h * h * (2 * cp * cp + 9 * cp));
      const x = tf.randomNormal([1, h, h, c], 0, 1, 'float32', 3);
      const y = model.predict(x) as tf.Tensor4D;
      // concat [left, right] then shuffle(2): output channel 2j = left channel j = input channel j.
      const even = tf.gather(y, tf.range(0, c, 2, 'int32'), 3);
      const left = tf.slice(x, [0, 0, 0, 0], [1, h, h, cp]);
      assert.ok(tf.max(tf.abs(tf.sub(even, left))).dataSync()[0] === 0);
      tf.dispose([x, y, even, left]);
      model.dispose();
    });

    it('down-sampling unit: params/MACs = §5.11 stride-2 formula', () => {
      const h = 9;
      const cin = 24;
      const cout = 48;
      const cp = cout / 2;
      const model = modelAround([h, h, cin], (x) => shuffleDownUnitV2(x, { outChannels: cout, name: 'd' }));
      const ho = down(h);
      assert.deepStrictEqual(model.outputs[0].shape, [null, ho, ho, cout]);
      const cost = costOf(model);
      assert.strictEqual(cost.params.weights, 9 * cin + cin * cp + (cin * cp + 9 * cp + cp * cp));
      assert.strictEqual(cost.macs, ho * ho * (9 * cin + cin * cp) + h * h * cin * cp + ho * ho * (9 * cp + cp * cp));
      model.dispose();
    });

    it('rejects an odd or mismatched width', () => {
      const x = tf.input({ shape: [8, 8, 16] });
      assert.throws(() => shuffleUnitV2(x, { outChannels: 32, name: 'b' }), /keeps its \(even\) channel count; input 16, outChannels 32/);
      assert.throws(() => shuffleDownUnitV2(x, { outChannels: 33, name: 'b' }), /positive even integer.*33/);
    });
  });

  describe('ShiftNet blocks', () => {
    it('CSC module: params M·εN + εN·N, MACs HW·M·εN + H′W′·εN·N, shift costs 0 (§5.14)', () => {
      const [h, m, n, eps, s] = [8, 12, 16, 3, 2];
      const model = modelAround([h, h, m], (x) => cscModule(x, { outChannels: n, expansion: eps, kernelSize: 5, stride: s, name: 'c' }));
      const ho = Math.ceil(h / s);
      assert.deepStrictEqual(model.outputs[0].shape, [null, ho, ho, n]);
      const cost = costOf(model);
      assert.strictEqual(cost.params.weights, m * eps * n + eps * n * n);
      assert.strictEqual(cost.macs, h * h * m * eps * n + ho * ho * eps * n * n);
      model.dispose();
    });

    it('ShiftResNet block: projection shortcut only when the shape changes', () => {
      const same = modelAround([8, 8, 16], (x) => shiftResBlock(x, { outChannels: 16, expansion: 3, name: 'b' }));
      assert.strictEqual(costOf(same).params.trainable, 16 * 48 * 2 + 2 * 48 + 2 * 16); // SHIFT-CIFAR: 1,664 per 16-ch block
      const proj = modelAround([8, 8, 16], (x) => shiftResBlock(x, { outChannels: 32, expansion: 3, stride: 2, name: 'b' }));
      assert.strictEqual(costOf(proj).params.trainable, 16 * 96 + 192 + 96 * 32 + 64 + 16 * 32 + 64); // 5,440
      same.dispose();
      proj.dispose();
    });

    it('pre-activation CSC block (ShiftNet-A): stride 2 concatenates out − in new channels with the pooled input', () => {
      const model = modelAround([8, 8, 32], (x) => preActCscBlock(x, { outChannels: 64, expansion: 4, kernelSize: 5, stride: 2, name: 'a' }));
      assert.deepStrictEqual(model.outputs[0].shape, [null, 4, 4, 64]);
      // BN(32) + 32·128 + BN(128) + 128·32 (docs/sources.md §4.6 reconstruction: mid = ε·(out − in)).
      assert.strictEqual(costOf(model).params.trainable, 64 + 4096 + 256 + 4096);
      model.dispose();
      const x = tf.input({ shape: [8, 8, 32] });
      assert.throws(() => preActCscBlock(x, { outChannels: 32, expansion: 4, kernelSize: 3, stride: 2, name: 'a' }), /branch output channels/);
    });

    it('avgPool3x3s2 divides border windows by 9 (count_include_pad)', () => {
      const model = modelAround([3, 3, 1], (x) => avgPool3x3s2(x, 'p'));
      const y = (model.predict(tf.ones([1, 3, 3, 1])) as tf.Tensor).dataSync();
      assert.deepStrictEqual(Array.from(y).map((v) => Math.round(v * 9)), [4, 4, 4, 4]);
      model.dispose();
    });
  });

  describe('AS-ResNet block', () => {
    it('params = BN + 1×1 + BN + ASL(2C) + 1×1 (+ projection); ASL stride 2 gives ⌊(H−1)/2⌋+1', () => {
      const [h, cin, c] = [9, 8, 16];
      const model = modelAround([h, h, cin], (x) => asResBlock(x, { outChannels: c, stride: 2, name: 'a' }));
      const ho = Math.floor((h - 1) / 2) + 1;
      assert.deepStrictEqual(model.outputs[0].shape, [null, ho, ho, c]);
      const cost = costOf(model);
      assert.strictEqual(cost.params.weights, cin * c + 2 * c + c * c + cin * c);
      assert.strictEqual(cost.params.trainable - cost.params.weights, 2 * cin + 2 * c);
      assert.strictEqual(cost.macs, h * h * cin * c + ho * ho * (c * c + cin * c));
      model.dispose();
    });
  });

  describe('FE-Net units', () => {
    it('IBSSL / ResIBSSL: mid = e·out, SSL adds 2·mid offsets and 0 MACs', () => {
      const model = modelAround([6, 6, 8], (x) => ibssl(x, { outChannels: 8, expansion: 6, residual: true, name: 'r' }));
      const cost = costOf(model);
      assert.strictEqual(cost.params.weights, 8 * 48 + 2 * 48 + 48 * 8);
      assert.strictEqual(cost.macs, 36 * (8 * 48 + 48 * 8));
      model.dispose();
      const x = tf.input({ shape: [6, 6, 8] });
      assert.throws(() => ibssl(x, { outChannels: 16, expansion: 6, residual: true, name: 'r' }), /must equal the input channels \(8\)/);
    });

    it("IBPool: 'code' pools between the 1×1 convs, 'paper' before them (same params, fewer MACs)", () => {
      const [h, cin, cout, e] = [8, 16, 32, 5];
      const code = modelAround([h, h, cin], (x) => ibPool(x, { outChannels: cout, expansion: e, downsampling: 'code', name: 'p' }));
      const paper = modelAround([h, h, cin], (x) => ibPool(x, { outChannels: cout, expansion: e, downsampling: 'paper', name: 'p' }));
      const mid = cout * e;
      assert.strictEqual(costOf(code).macs, h * h * cin * mid + (h / 2) ** 2 * mid * cout);
      assert.strictEqual(costOf(paper).macs, (h / 2) ** 2 * (cin * mid + mid * cout));
      assert.strictEqual(costOf(code).params.all, costOf(paper).params.all);
      assert.deepStrictEqual(paper.outputs[0].shape, [null, h / 2, h / 2, cout]);
      code.dispose();
      paper.dispose();
    });

    it('FE-Block 4n: three nested ResIBSSLs on C/8, C/4, C/2, then IBSSL C→out', () => {
      const [c, out, e] = [16, 24, 6];
      const model = modelAround([4, 4, c], (x) => feBlock(x, { kind: '4n', outChannels: out, downsample: false, name: 'f' }));
      assert.deepStrictEqual(model.outputs[0].shape, [null, 4, 4, out]);
      const res = (w: number) => w * e * w * 2 + 2 * w * e; // two 1×1 convs + SSL offsets
      assert.strictEqual(costOf(model).params.weights, res(2) + res(4) + res(8) + c * e * out + e * out * out + 2 * out * e);
      model.dispose();
      const x = tf.input({ shape: [4, 4, 12] });
      assert.throws(() => feBlock(x, { kind: '4n', outChannels: 8, downsample: true, name: 'f' }), /multiple of 8/);
    });
  });
});
