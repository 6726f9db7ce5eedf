/**
 * Cost counter against the closed-form formulas of docs/sources.md §5 (P-MB1 §3, P-SQZ §3.2, P-MB2 §3, P-SH2 §2),
 * computed here independently of the model (output sizes by hand: 'same' padding gives ⌈H/s⌉).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { costOf, costTableHtml, costToJson, formatCostTable } from '../src/lib/cost';
import { fire } from '../src/lib/blocks/fire';
import { depthwiseSeparable } from '../src/lib/blocks/separable';
import { invertedResidual } from '../src/lib/blocks/inverted-residual';
import { modelAround } from './support/models';
import { useBackend } from './support/backend';

/** Output size of a 'same'-padded layer with stride s. */
const same = (h: number, s: number) => Math.ceil(h / s);

/** Sum of the sizes of `model.trainableWeights` (PyTorch's parameters() when BN is the only frozen-stat layer). */
function trainableSize(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((a, w) => a + w.shape.reduce((p: number, d) => p * (d as number), 1), 0);
}

// [H, W, M (in), N (out), K, s]
const SHAPES: Array<[number, number, number, number, number, number]> = [
  [8, 8, 3, 16, 3, 1],
  [9, 7, 5, 6, 3, 2],
  [16, 16, 4, 8, 5, 2],
  [7, 7, 12, 10, 1, 1],
];

describe('costOf: closed forms of docs/sources.md §5', () => {
  useBackend('cpu');

  for (const [H, W, M, N, K, s] of SHAPES) {
    const Ho = same(H, s);
    const Wo = same(W, s);
    const tag = `${H}×${W}×${M} → ${N}, k${K} s${s}`;

    it(`5.1 standard conv ${tag}: K²MN params, K²MN·H′W′ MACs`, () => {
      const m = modelAround([H, W, M], (x) => tf.layers.conv2d({ filters: N, kernelSize: K, strides: s, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor);
      const r = costOf(m);
      assert.strictEqual(r.params.weights, K * K * M * N);
      assert.strictEqual(r.macs, K * K * M * N * Ho * Wo);
      assert.deepStrictEqual(r.layers[0].outputShape, [Ho, Wo, N]);
      m.dispose();
    });

    it(`5.1 conv with bias ${tag}: +N params, +0 MACs`, () => {
      const m = modelAround([H, W, M], (x) => tf.layers.conv2d({ filters: N, kernelSize: K, strides: s, padding: 'same', useBias: true }).apply(x) as tf.SymbolicTensor);
      const r = costOf(m);
      assert.strictEqual(r.params.weights, K * K * M * N + N);
      assert.strictEqual(r.macs, K * K * M * N * Ho * Wo);
      m.dispose();
    });

    it(`5.3 depthwise conv ${tag}: K²M params, K²M·H′W′ MACs (and ×mult)`, () => {
      const m = modelAround([H, W, M], (x) => tf.layers.depthwiseConv2d({ kernelSize: K, strides: s, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor);
      const r = costOf(m);
      assert.strictEqual(r.params.weights, K * K * M);
      assert.strictEqual(r.macs, K * K * M * Ho * Wo);
      m.dispose();
      const m2 = modelAround([H, W, M], (x) => tf.layers.depthwiseConv2d({ kernelSize: K, strides: s, depthMultiplier: 2, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor);
      assert.strictEqual(costOf(m2).macs, K * K * M * 2 * Ho * Wo);
      m2.dispose();
    });

    it(`5.4 pointwise conv ${tag}: MN params, MN·H′W′ MACs, memory hw(c1+c2)+c1c2 (5.12)`, () => {
      const m = modelAround([H, W, M], (x) => tf.layers.conv2d({ filters: N, kernelSize: 1, strides: s, useBias: false }).apply(x) as tf.SymbolicTensor);
      const r = costOf(m);
      assert.strictEqual(r.params.weights, M * N);
      assert.strictEqual(r.macs, M * N * Ho * Wo);
      if (s === 1) assert.strictEqual(r.memoryAccess, H * W * (M + N) + M * N);
      else assert.strictEqual(r.memoryAccess, H * W * M + Ho * Wo * N + M * N);
      m.dispose();
    });

    it(`5.5 depthwise separable ${tag}: (K²M + MN)·H′W′, as tfjs separableConv2d and as the MobileNet block`, () => {
      const sep = modelAround([H, W, M], (x) => tf.layers.separableConv2d({ filters: N, kernelSize: K, strides: s, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor);
      const r = costOf(sep);
      assert.strictEqual(r.params.weights, K * K * M + M * N);
      assert.strictEqual(r.macs, (K * K * M + M * N) * Ho * Wo);
      sep.dispose();
      const block = modelAround([H, W, M], (x) => depthwiseSeparable(x, { outChannels: N, kernelSize: K, stride: s, name: 'b' }));
      const rb = costOf(block);
      assert.strictEqual(rb.params.weights, K * K * M + M * N);
      assert.strictEqual(rb.params.trainable, K * K * M + M * N + 2 * (M + N));
      assert.strictEqual(rb.params.all, K * K * M + M * N + 4 * (M + N));
      assert.strictEqual(rb.macs, (K * K * M + M * N) * Ho * Wo);
      block.dispose();
    });
  }

  // Fire(s, e1, e3) on H×W×M: [H, W, M, s, e1, e3]
  const FIRES: Array<[number, number, number, number, number, number]> = [
    [13, 13, 96, 16, 64, 64],
    [6, 5, 10, 3, 4, 7],
    [8, 8, 16, 4, 8, 8],
  ];
  for (const [H, W, M, S, E1, E3] of FIRES) {
    it(`5.8 fire ${H}×${W}×${M} (s${S}, e1 ${E1}, e3 ${E3}): Ms + s·e1 + 9s·e3 (+ biases), HW·(…) MACs`, () => {
      const m = modelAround([H, W, M], (x) => fire(x, { squeeze: S, expand1x1: E1, expand3x3: E3, name: 'fire' }));
      const r = costOf(m);
      const weights = M * S + S * E1 + 9 * S * E3;
      assert.strictEqual(r.params.weights, weights + S + E1 + E3);
      assert.strictEqual(r.params.all, m.countParams());
      assert.strictEqual(r.macs, H * W * weights);
      assert.deepStrictEqual(m.outputs[0].shape, [null, H, W, E1 + E3]);
      m.dispose();
      // complex bypass: a 1×1 conv M → e1+e3 (with bias) on the shortcut when the channels differ
      const c = modelAround([H, W, M], (x) => fire(x, { squeeze: S, expand1x1: E1, expand3x3: E3, bypass: 'complex', name: 'fire' }));
      const rc = costOf(c);
      const shortcut = M === E1 + E3 ? 0 : M * (E1 + E3);
      assert.strictEqual(rc.params.weights, weights + S + E1 + E3 + shortcut + (shortcut ? E1 + E3 : 0));
      assert.strictEqual(rc.macs, H * W * (weights + shortcut));
      c.dispose();
    });
  }

  // Inverted residual d′ → d″, t, k, s on H×W: [H, W, d′, d″, t, k, s]
  const BLOCKS: Array<[number, number, number, number, number, number, number]> = [
    [14, 14, 64, 64, 6, 3, 1],
    [15, 15, 16, 24, 6, 3, 2],
    [8, 8, 32, 16, 1, 3, 1],
    [9, 11, 8, 12, 4, 5, 2],
  ];
  for (const [H, W, Din, Dout, T, K, S] of BLOCKS) {
    it(`5.9 inverted residual ${H}×${W}×${Din} → ${Dout} (t${T}, k${K}, s${S}): t·d′² + k²·t·d′ + t·d′·d″, HW·t·d′² + H′W′·t·d′·(k² + d″)`, () => {
      const m = modelAround([H, W, Din], (x) => invertedResidual(x, { outChannels: Dout, stride: S, expansion: T, kernelSize: K, name: 'ir' }));
      const r = costOf(m);
      const hidden = T * Din;
      const expand = T === 1 ? 0 : hidden * Din;
      const Ho = same(H, S);
      const Wo = same(W, S);
      assert.strictEqual(r.params.weights, expand + K * K * hidden + hidden * Dout);
      const bnChannels = (T === 1 ? 0 : hidden) + hidden + Dout;
      assert.strictEqual(r.params.trainable, r.params.weights + 2 * bnChannels);
      assert.strictEqual(r.params.all, r.params.weights + 4 * bnChannels);
      assert.strictEqual(r.macs, H * W * expand + Ho * Wo * hidden * (K * K + Dout));
      if (S === 1) assert.strictEqual(r.macs, H * W * Din * T * ((T === 1 ? 0 : Din) + K * K + Dout)); // paper's stride-1 form
      const hasAdd = m.layers.some((l) => l.getClassName() === 'Add');
      assert.strictEqual(hasAdd, S === 1 && Din === Dout);
      m.dispose();
    });
  }

  it('5.1 dense: in·out MACs, bias in params only', () => {
    const x = tf.input({ shape: [37] });
    const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 11 }).apply(x) as tf.SymbolicTensor });
    const r = costOf(m);
    assert.strictEqual(r.macs, 37 * 11);
    assert.strictEqual(r.params.weights, 37 * 11 + 11);
    m.dispose();
  });
});

/** A layer with a weight and no cost rule: the counter must refuse it. */
class UnknownScale extends tf.layers.Layer {
  static className = 'TestUnknownScale';
  private scale: tf.LayerVariable | null = null;
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], 'float32', tf.initializers.ones());
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.mul(x, (this.scale as tf.LayerVariable).read());
  }
}

/** The same layer declaring its MACs (one multiply per element). */
class CostedScale extends UnknownScale {
  static className = 'TestCostedScale';
  macs(inputShapes: number[][]): number {
    return inputShapes[0].reduce((a, b) => a * b, 1);
  }
}

describe('costOf: conventions', () => {
  useBackend('cpu');

  it('tiny model: all = countParams(), trainable = Σ trainableWeights, weights = trainable − BN γβ', () => {
    const m = modelAround([12, 12, 3], (x) => {
      let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
      y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
      y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
      y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
      return tf.layers.dense({ units: 5 }).apply(y) as tf.SymbolicTensor;
    });
    const r = costOf(m);
    assert.strictEqual(r.params.all, m.countParams());
    assert.strictEqual(r.params.trainable, trainableSize(m));
    assert.strictEqual(r.params.weights, r.params.trainable - 2 * 8 - 2 * 8);
    assert.strictEqual(r.params.weights, 27 * 8 + (9 * 8 + 8) + 8 * 5 + 5);
    assert.strictEqual(r.macs, 27 * 8 * 36 + 9 * 8 * 36 + 8 * 5);
    assert.deepStrictEqual(r.inputShape, [12, 12, 3]);
    // weight-free layers (BN's MACs, ReLU, pooling) count 0 MACs
    for (const l of r.layers.filter((l) => ['BatchNormalization', 'ReLU', 'GlobalAveragePooling2D'].includes(l.className))) {
      assert.strictEqual(l.macs, 0, l.name);
    }
    m.dispose();
  });

  it('a layer class with weights and no cost rule raises (no silent 0)', () => {
    const m = modelAround([4, 4, 3], (x) => new UnknownScale({ name: 'mystery' }).apply(x) as tf.SymbolicTensor);
    assert.throws(() => costOf(m), /mystery.*TestUnknownScale.*CostAware/);
    m.dispose();
  });

  it('a CostAware custom layer reports its own MACs; its weights count in all three conventions', () => {
    const m = modelAround([4, 5, 3], (x) => new CostedScale({ name: 'costed' }).apply(x) as tf.SymbolicTensor);
    const r = costOf(m);
    assert.strictEqual(r.macs, 4 * 5 * 3);
    assert.deepStrictEqual(r.params, { weights: 3, trainable: 3, all: 3 });
    m.dispose();
  });

  it('a shared layer: weights counted once, MACs and memory per application', () => {
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'shared' });
    const m = modelAround([5, 5, 4], (x) => conv.apply(conv.apply(x)) as tf.SymbolicTensor);
    const r = costOf(m);
    assert.strictEqual(r.params.weights, 16);
    assert.strictEqual(r.macs, 2 * 16 * 25);
    assert.strictEqual(r.memoryAccess, 2 * (25 * 4 + 25 * 4 + 16));
    m.dispose();
  });

  it('a nested model is flattened with prefixed layer names', () => {
    const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ inputShape: [6], units: 4, name: 'fc' })] });
    const x = tf.input({ shape: [6] });
    const m = tf.model({ inputs: x, outputs: inner.apply(x) as tf.SymbolicTensor });
    const r = costOf(m);
    assert.deepStrictEqual(r.layers.map((l) => l.name), ['inner/fc']);
    assert.strictEqual(r.params.all, m.countParams());
    assert.strictEqual(r.macs, 24);
    m.dispose();
  });

  it('an undetermined spatial size is an error that says how to fix it', () => {
    const m = modelAround([null, null, 3] as unknown as number[], (x) => tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(x) as tf.SymbolicTensor);
    assert.throws(() => costOf(m), /undetermined shape.*fixed input size/);
    m.dispose();
  });

  it('JSON, text and HTML renderings carry the same totals', () => {
    const m = modelAround([16, 16, 3], (x) => fire(x, { squeeze: 4, expand1x1: 8, expand3x3: 8, name: 'fire2' }));
    const r = costOf(m);
    const json = JSON.parse(JSON.stringify(costToJson(r)));
    assert.deepStrictEqual(json, costToJson(r));
    assert.strictEqual(json.layers.length, r.layers.length);
    assert.strictEqual(json.macs, r.macs);

    const text = formatCostTable(r);
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('Layer'));
    const tableLines = lines.slice(header, header + r.layers.length + 4); // header, rule, rows, rule, total
    assert.ok(tableLines.every((l) => l.length === tableLines[0].length), 'columns are aligned');
    assert.match(lines[header], /MACs \((K|M|G|count)\)/);
    const total = tableLines[tableLines.length - 1];
    assert.match(total, /^Total/);
    assert.ok(total.includes(r.params.all.toLocaleString('en-US')));
    assert.match(text, /BatchNorm, activations, pooling, add\/concat, padding, shifts and shuffles count 0/);

    const html = costTableHtml(r);
    assert.strictEqual((html.match(/<tr/g) ?? []).length, r.layers.length + 3);
    assert.ok(html.includes('fire2.expand3x3'));
    m.dispose();
  });
});
