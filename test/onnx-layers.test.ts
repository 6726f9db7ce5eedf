/**
 * The ONNX converters one by one on small synthetic models (what the registry does not reach at test sizes: every
 * activation, TF 'same' pools and convolutions at odd sizes and strides, dilation, depth multipliers, Permute/Flatten
 * orders, adaptive pools with overlapping bins, merges, shifts beyond the image, strided shifts), every opset, and the
 * refusals: each compared with our tfjs model in onnxruntime-node (≤ 1e-3), or checked to fail with a clear error.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { exportOnnx, MAX_OPSET, MIN_OPSET, OnnxExportError, supportedLayerClasses, verifyOnnx } from '../src/lib/onnx';
import { GroupConv2D } from '../src/lib/ops/group-conv';
import { ChannelShuffle } from '../src/lib/ops/channel-shuffle';
import { ChannelSlice } from '../src/lib/ops/channel-split';
import { Shift } from '../src/lib/ops/shift';
import { ActiveShift } from '../src/lib/ops/active-shift';
import { SparseShift } from '../src/lib/ops/sparse-shift';
import { AdaptiveAvgPool2d } from '../src/lib/blocks/torch-pooling';
import { exportAndVerify, randomizeInferenceState } from './onnx-helpers';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** input [h, w, c] → body → Flatten → Dense(5): a classifier-shaped model around the layers under test. */
function wrap(h: number, w: number, c: number, body: (x: Sym) => Sym, name: string): tf.LayersModel {
  const input = tf.input({ shape: [h, w, c] });
  let y = body(input);
  if (y.shape.length === 4) y = apply(tf.layers.flatten(), y);
  y = apply(tf.layers.dense({ units: 5, biasInitializer: 'randomNormal' }), y);
  const model = tf.model({ inputs: input, outputs: y, name });
  randomizeInferenceState(model, 3);
  return model;
}

async function check(model: tf.LayersModel, what: string): Promise<void> {
  try {
    await exportAndVerify(model, what);
  } finally {
    model.dispose();
  }
}

describe('ONNX converters', function () {
  this.timeout(300000);

  before(async () => {
    await initBackend('wasm');
  });

  for (const activation of ['relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'hardSigmoid', 'swish', 'mish', 'gelu', 'linear']) {
    it(`activation ${activation} (fused into Conv2D and Dense, and as an Activation layer)`, async () => {
      await check(wrap(6, 5, 3, (x) => {
        let y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: activation as never, biasInitializer: 'randomNormal' }), x);
        y = apply(tf.layers.activation({ activation: activation as never }), y);
        return apply(tf.layers.dense({ units: 6, activation: activation as never }), apply(tf.layers.flatten(), y));
      }, activation), activation);
    });
  }

  it('softmax on a flat tensor', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const y = apply(tf.layers.dense({ units: 7, activation: 'softmax' }), apply(tf.layers.flatten(), input));
    const model = tf.model({ inputs: input, outputs: y });
    await check(model, 'softmax');
  });

  it("TF 'same' convolutions at odd sizes and strides 1–3, dilation 2, depth multiplier 2, non-square kernels", async () => {
    await check(wrap(11, 9, 3, (x) => {
      let y = apply(tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' }), x);
      y = apply(tf.layers.batchNormalization(), y);
      y = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 3, padding: 'same', useBias: true }), y);
      y = apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same' }), y);
      return apply(new GroupConv2D({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', groups: 3, useBias: true }), y);
    }, 'convs'), 'convs');
  });

  it("max and average pools, 'same' and 'valid', global pools", async () => {
    await check(wrap(9, 7, 3, (x) => {
      const a = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
      const b = apply(tf.layers.averagePooling2d({ poolSize: [2, 3], strides: 2, padding: 'same' }), x);
      const c = apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }), x);
      const g1 = apply(tf.layers.globalMaxPooling2d({}), c);
      const g2 = apply(tf.layers.globalAveragePooling2d({}), c);
      const m = apply(tf.layers.concatenate({ axis: -1 }), [a, b]);
      return apply(tf.layers.concatenate(), [apply(tf.layers.flatten(), m), g1, g2]);
    }, 'pools'), 'pools');
  });

  it('ZeroPadding2D → MaxPooling2D keeps the padded zeros in the max on negative inputs (onnxruntime PadFusion pitfall)', async () => {
    const input = tf.input({ shape: [5, 5, 2] });
    const neg = apply(tf.layers.dense({ units: 2, kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: -3 }) }), input);
    const padded = apply(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }), neg);
    const pooled = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid' }), padded);
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.flatten(), pooled) });
    const result = exportOnnx(model);
    const check2 = await verifyOnnx(model, result.bytes);
    // Every window that reaches into the padding is 0, the others −3: ours and onnxruntime must agree on that.
    assert.ok(check2.maxAbsDiff <= 1e-6, `difference ${check2.maxAbsDiff}`);
    assert.strictEqual(check2.maxAbsOutput, 3);
    model.dispose();
  });

  it('AdaptiveAvgPool2d with tiling, overlapping and repeating bins', async () => {
    for (const [size, out] of [[6, 3], [7, 3], [5, 3], [2, 3]]) {
      await check(wrap(size, size, 3, (x) => apply(new AdaptiveAvgPool2d({ outputSize: out }), x), `adaptive ${size}→${out}`), `adaptive ${size}→${out}`);
    }
  });

  it('Permute, Flatten and Reshape in PyTorch and TF orders; BatchNorm after Dense and after Add (not foldable)', async () => {
    await check(wrap(4, 3, 5, (x) => {
      const conv = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1 }), x);
      const p = apply(tf.layers.flatten(), apply(tf.layers.permute({ dims: [3, 1, 2] }), conv));
      const q = apply(tf.layers.flatten(), apply(tf.layers.permute({ dims: [2, 3, 1] }), conv));
      const r = apply(tf.layers.reshape({ targetShape: [12, 4] }), conv);
      const r2 = apply(tf.layers.flatten(), apply(tf.layers.reshape({ targetShape: [4, 12] }), r));
      const sum = apply(tf.layers.batchNormalization(), apply(tf.layers.add(), [p, q]));
      const d = apply(tf.layers.batchNormalization(), apply(tf.layers.dense({ units: 8 }), r2));
      return apply(tf.layers.concatenate(), [sum, d]);
    }, 'orders'), 'orders');
  });

  it('merges: Add of 3, Multiply of 3, Maximum, Minimum, Average; inputs in different layouts', async () => {
    await check(wrap(4, 4, 3, (x) => {
      const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, biasInitializer: 'randomNormal' }), x);
      const b = apply(tf.layers.permute({ dims: [2, 1, 3] }), apply(tf.layers.conv2d({ filters: 3, kernelSize: 1 }), x));
      const bt = apply(tf.layers.permute({ dims: [2, 1, 3] }), b);
      const outs = [
        apply(tf.layers.add(), [a, bt, x]), apply(tf.layers.add(), [a, bt]), apply(tf.layers.multiply(), [a, bt, x]),
        apply(tf.layers.maximum(), [a, bt]), apply(tf.layers.minimum(), [a, bt]), apply(tf.layers.average(), [a, bt]),
      ];
      return apply(tf.layers.concatenate({ axis: 3 }), outs);
    }, 'merges'), 'merges');
  });

  it('channel shuffle, slices and a grouped 1×1 conv (ShuffleNet unit pieces)', async () => {
    await check(wrap(5, 5, 12, (x) => {
      const g = apply(new GroupConv2D({ filters: 12, kernelSize: 1, groups: 4 }), x);
      const s = apply(new ChannelShuffle({ groups: 4 }), g);
      const a = apply(new ChannelSlice({ start: 0, size: 5 }), s);
      const b = apply(new ChannelSlice({ start: 5, size: 7 }), s);
      return apply(tf.layers.concatenate(), [b, apply(new ChannelShuffle({ groups: 5 }), a)]);
    }, 'shuffle'), 'shuffle');
  });

  it('fixed shifts: kernels 1–7, dilation 3 (offsets beyond a 5×5 image), remainder channels', async () => {
    await check(wrap(5, 5, 11, (x) => {
      const outs = [1, 3, 5, 7].map((k) => apply(new Shift({ kernelSize: k }), x));
      outs.push(apply(new Shift({ kernelSize: 3, dilation: 3 }), x));
      return apply(tf.layers.concatenate(), outs);
    }, 'shift'), 'shift');
  });

  it('SSL with offsets that round (halves away from zero) and leave the image, strides 1 and 2', async () => {
    const input = tf.input({ shape: [7, 6, 12] });
    const layers = [new SparseShift({ stride: 1 }), new SparseShift({ stride: 2 })];
    const outs = layers.map((l) => apply(tf.layers.flatten(), apply(l, input)));
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.concatenate(), outs) });
    const offsets = [0.5, -0.5, 1.49, -1.51, 2.5, -2.5, 0, 9.4, -8, 0.49, -0.49, 1.5, 3, -3.2, 0.51, 6.6, -1, 1, 2, -2, 0.2, -0.2, 4.5, -4.5];
    for (const l of layers) l.setWeights([tf.tensor2d(offsets, [12, 2])]);
    await check(model, 'ssl');
  });

  it('ASL with non-integer and large offsets, strides 1 and 2, padding 0 and 1', async () => {
    const input = tf.input({ shape: [6, 7, 8] });
    const layers = [new ActiveShift({ stride: 1 }), new ActiveShift({ stride: 2, padding: 1 }), new ActiveShift({ stride: 2 })];
    const outs = layers.map((l) => apply(tf.layers.flatten(), apply(l, input)));
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.concatenate(), outs) });
    const offsets = [0.25, -0.75, 1.5, 2.125, -1.9, 0.01, 3, -2, 7.3, -6.6, 0.5, 0.5, -0.4, 1.1, 2.99, -3.01];
    for (const l of layers) l.setWeights([tf.tensor2d(offsets, [8, 2])]);
    await check(model, 'asl');
  });

  it(`every opset from ${MIN_OPSET} to ${MAX_OPSET} gives the same result`, async () => {
    const model = wrap(6, 6, 4, (x) => {
      const y = apply(tf.layers.batchNormalization(), apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }), x));
      const s = apply(new ChannelShuffle({ groups: 2 }), apply(tf.layers.reLU({ maxValue: 6 }), y));
      return apply(new Shift({ kernelSize: 3 }), apply(tf.layers.zeroPadding2d({ padding: 1 }), s));
    }, 'opsets');
    try {
      for (let opset = MIN_OPSET; opset <= MAX_OPSET; opset++) await exportAndVerify(model, `opset ${opset}`, { opset });
    } finally {
      model.dispose();
    }
  });

  it('folds BatchNorm into the convolution before it and keeps the graph input NCHW with a free batch axis', () => {
    const model = wrap(8, 6, 3, (x) => apply(tf.layers.batchNormalization(), apply(tf.layers.conv2d({ filters: 4, kernelSize: 3 }), x)), 'fold');
    const r = exportOnnx(model);
    assert.strictEqual(r.foldedBatchNorms, 1);
    assert.strictEqual(r.opCounts.BatchNormalization, undefined);
    assert.deepStrictEqual(r.inputShape, ['N', 3, 8, 6]);
    assert.deepStrictEqual(r.outputShape, ['N', 5]);
    const unfolded = exportOnnx(model, { foldBatchNorm: false });
    assert.strictEqual(unfolded.opCounts.BatchNormalization, 1);
    model.dispose();
  });

  describe('refusals (OnnxExportError naming the cause)', () => {
    it('an opset outside the supported range', () => {
      const model = wrap(4, 4, 1, (x) => x, 'opset');
      for (const opset of [MIN_OPSET - 1, MAX_OPSET + 1, 13.5]) {
        assert.throws(() => exportOnnx(model, { opset }), (e: Error) => e instanceof OnnxExportError && /opset .* not supported.*11 to 23/.test(e.message));
      }
      model.dispose();
    });

    it('a layer class without a conversion, listing the supported ones', () => {
      const input = tf.input({ shape: [4, 4, 2] });
      const y = apply(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2 }), input);
      const model = tf.model({ inputs: input, outputs: y });
      assert.throws(() => exportOnnx(model), (e: Error) => e instanceof OnnxExportError && /Conv2DTranspose has no ONNX conversion; supported classes: .*GroupConv2D/.test(e.message));
      assert.ok(supportedLayerClasses().includes('SparseShift'));
      model.dispose();
    });

    it('options ONNX cannot take from us: channelsFirst data, non-finite shift offsets, several outputs, shared layers', () => {
      const input = tf.input({ shape: [4, 4, 2] });
      const cf = tf.model({ inputs: input, outputs: apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, dataFormat: 'channelsFirst' }), input) });
      assert.throws(() => exportOnnx(cf), /dataFormat channelsFirst is not supported/);
      const ssl = new SparseShift({});
      const nan = tf.model({ inputs: input, outputs: apply(ssl, input) });
      ssl.setWeights([tf.tensor2d([0, 1, NaN, 0], [2, 2])]);
      assert.throws(() => exportOnnx(nan), /offset 1 \(x\) is NaN; a trained model must have finite offsets/);
      const two = tf.model({ inputs: input, outputs: [apply(tf.layers.flatten(), input), apply(tf.layers.flatten(), input)] });
      assert.throws(() => exportOnnx(two), /1 inputs and 2 outputs; the exporter supports one of each/);
      const shared = tf.layers.conv2d({ filters: 2, kernelSize: 1 });
      const twice = tf.model({ inputs: input, outputs: apply(shared, apply(shared, input)) });
      assert.throws(() => exportOnnx(twice), /applied 2 times \(a shared layer\)/);
      tf.dispose([cf, nan, two, twice].map((m) => m.weights.map((w) => w.read())).flat());
    });
  });
});
