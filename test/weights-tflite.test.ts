/**
 * TFLite import: the FlatBuffer reader against facts of the real files (shapes, quantization, operator counts,
 * documented in data/pretrained/README.md), dequantization against a naive per-element computation, the layout
 * conversion against tf.transpose on the cpu backend, the folded-BN mapping against conv + bias, and the whole
 * import by ImageNet accuracy on a subset (a wrong mapping scores ≈ 0 %).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, loadTfliteMobilenet } from '../src/models';
import { initBackend } from '../src/lib/backend';
import { setBnAsBias } from '../src/lib/weights/assign';
import { dequantizeTensor, parseTflite } from '../src/lib/weights/tflite';
import { inferTfliteMobilenetConfig, loadTfliteWeights, ohwiToHwio } from '../src/lib/weights/tflite-mobilenet';
import { loadLabelledImages } from '../src/lib/eval/labels';
import { evaluateClassifier } from '../src/lib/eval/evaluate';
import { useBackend } from './support/backend';
import { SHARED_DATA } from './support/paths';

const PRETRAINED = path.join(SHARED_DATA, 'pretrained');
const IMAGES = path.join(SHARED_DATA, 'imagenet-val1300');
const file = (name: string): string => path.join(PRETRAINED, `${name}.tflite`);
const read = (name: string) => parseTflite(fs.readFileSync(file(name)), name);

describe('TFLite flatbuffer reader', () => {
  it('reads the structure of mobilenet_v1_0.25_128_quant as documented', () => {
    const m = read('mobilenet_v1_0.25_128_quant');
    const input = m.tensors[m.inputs[0]];
    assert.deepStrictEqual(input.shape, [1, 128, 128, 3]);
    assert.strictEqual(input.type, 'uint8');
    // README: the TF-slim models map p to (p − 128) · 0.0078125.
    assert.strictEqual(input.quantization?.scale[0], 0.0078125);
    assert.deepStrictEqual(input.quantization?.zeroPoint, [128]);
    const counts = new Map<string, number>();
    for (const op of m.operators) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
    // 1 stem conv + 13 × (dw + pw) + classifier conv = 28 convs, of which 13 depthwise.
    assert.strictEqual(counts.get('CONV_2D'), 15);
    assert.strictEqual(counts.get('DEPTHWISE_CONV_2D'), 13);
    assert.strictEqual(m.tensors[m.outputs[0]].shape[1], 1001);
    const stem = m.operators[0];
    assert.deepStrictEqual(m.tensors[stem.inputs[1]].shape, [8, 3, 3, 3]); // OHWI, 32·0.25 filters
    assert.deepStrictEqual(stem.conv, { padding: 'SAME', strideH: 2, strideW: 2, activation: 'RELU6' });
  });

  it('dequantizes per-channel int8 weights as scale[c]·(q − zero_point[c]) along the quantized dimension', () => {
    const m = read('tf2_mobilenet_v2_1.0_224_ptq');
    const dwOp = m.operators.find((o) => o.op === 'DEPTHWISE_CONV_2D')!;
    const t = m.tensors[dwOp.inputs[1]];
    const q = t.quantization!;
    assert.strictEqual(q.quantizedDimension, 3);
    assert.ok(q.scale.length > 1 && q.scale.length === t.shape[3]);
    const got = dequantizeTensor(m, t);
    const raw = m.buffers[t.buffer];
    const [, h, w, c] = t.shape;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const i = (y * w + x) * c + ch;
          const int8 = raw[i] > 127 ? raw[i] - 256 : raw[i];
          assert.strictEqual(got[i], Math.fround(q.scale[ch] * (int8 - q.zeroPoint[ch])));
        }
      }
    }
  });

  it('rejects a truncated file and a file that is not TFLite, naming the problem', () => {
    const bytes = fs.readFileSync(file('mobilenet_v1_0.25_128_quant'));
    assert.throws(() => parseTflite(bytes.subarray(0, 5000), 'cut.tflite'), /cut\.tflite: not a valid \.tflite file .*truncated/);
    assert.throws(() => parseTflite(Buffer.from('PK\x03\x04 not a flatbuffer'), 'x.pth'), /x\.pth: not a \.tflite file .*TFL3/);
  });
});

describe('TFLite → MobileNet mapping', function () {
  this.timeout(120_000);
  useBackend('cpu');

  it('transposes OHWI to HWIO like tf.transpose([1,2,3,0])', () => {
    const shape = [4, 3, 2, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i));
    const got = ohwiToHwio(data, shape);
    const want = tf.tensor(data, shape).transpose([1, 2, 3, 0]);
    assert.deepStrictEqual(got.shape, want.shape);
    assert.deepStrictEqual(Array.from(got.data), Array.from(want.dataSync()));
  });

  it('makes a BN layer compute x + bias (the folded-BN convention)', () => {
    const x = tf.input({ shape: [3, 3, 4] });
    const bnLayer = tf.layers.batchNormalization({ epsilon: 1e-3, name: 'bn' });
    const model = tf.model({ inputs: x, outputs: bnLayer.apply(x) as tf.SymbolicTensor });
    const bias = Float32Array.from([0.5, -1, 2, 0.25]);
    setBnAsBias(bnLayer, bias, 'test');
    const input = tf.randomNormal([2, 3, 3, 4], 0, 3, 'float32', 7);
    const diff = (model.predict(input) as tf.Tensor).sub(input.add(tf.tensor1d(bias))).abs().max().dataSync()[0];
    assert.ok(diff < 1e-5, `BN-as-bias differs from x + bias by ${diff}`);
  });

  it('infers architecture, width and resolution of all four TF-slim files', () => {
    const want: Record<string, object> = {
      'mobilenet_v1_0.25_128_quant': { model: 'mobilenet_v1', width: 0.25, resolution: 128, classes: 1001 },
      'mobilenet_v1_0.5_160_quant': { model: 'mobilenet_v1', width: 0.5, resolution: 160, classes: 1001 },
      'mobilenet_v1_0.75_192_quant': { model: 'mobilenet_v1', width: 0.75, resolution: 192, classes: 1001 },
      'mobilenet_v2_1.0_224_quant': { model: 'mobilenet_v2', width: 1, resolution: 224, classes: 1001 },
    };
    for (const [name, config] of Object.entries(want)) assert.deepStrictEqual(inferTfliteMobilenetConfig(read(name), name), config);
  });

  it('loads every tensor of the v1 and v2 files into the builders (exact shapes, nothing left over)', () => {
    for (const name of ['mobilenet_v1_0.75_192_quant', 'mobilenet_v2_1.0_224_quant']) {
      const { model, tflite } = loadTfliteMobilenet(file(name));
      const weighted = tflite.operators.filter((o) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(o.op)).length;
      const kernels = model.layers.filter((l) => ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.getClassName())).length;
      assert.strictEqual(kernels, weighted);
      model.dispose();
    }
  });

  it('rejects a file of another width or architecture, listing what is left over', () => {
    const tflite = read('mobilenet_v1_0.25_128_quant');
    const wider = buildModel('mobilenet_v1', { width: 0.5, resolution: 128, classes: 1001 });
    assert.throws(() => loadTfliteWeights(wider, tflite, 'v1-0.25.tflite'), /v1-0\.25\.tflite does not fit model .*\[3,3,3,8\] does not match layer "stem\.conv" \[3,3,3,16\].*Left over in the file \(28\).*Left over in the model \(28\)/);
    const v2 = buildModel('mobilenet_v2', { width: 1, resolution: 128, classes: 1001 });
    assert.throws(() => loadTfliteWeights(v2, tflite, 'v1-0.25.tflite'), /does not fit model "mobilenet_v2.*Left over in the file/);
    assert.throws(() => loadTfliteMobilenet(file('mobilenet_v1_0.25_128_quant'), { model: 'mobilenet_v2' }), /holds a mobilenet_v1 \(width 0\.25, 128×128\), not a mobilenet_v2/);
    const smaller = buildModel('mobilenet_v1', { width: 0.25, resolution: 96, classes: 1001 });
    assert.throws(() => loadTfliteWeights(smaller, tflite, 'f'), /the file's input is 128×128 but model .* takes 96×96/);
    [wider, v2, smaller].forEach((m) => m.dispose());
  });
});

describe('TFLite MobileNet on ImageNet images (wasm)', function () {
  this.timeout(300_000);
  it('v1 0.25/128 scores like the float-simulated file on the first 200 images of imagenet-val1300', async () => {
    await initBackend('wasm');
    const { model, config } = loadTfliteMobilenet(file('mobilenet_v1_0.25_128_quant'));
    const { images } = loadLabelledImages(IMAGES);
    const result = await evaluateClassifier(model, images.slice(0, 200), {
      preprocessing: 'tfslim',
      resolution: config.resolution,
      labelOffset: 1,
      progress: 'silent',
    });
    // Full set (float-simulated, README): 57.6 / 82.2. 200 images: binomial σ ≈ 3.5 points; a wrong
    // mapping, a wrong label offset or wrong preprocessing scores far lower (≈ 0–20 %).
    assert.strictEqual(result.n, 200);
    assert.ok(result.top1 > 0.45 && result.top1 < 0.7, `top-1 ${result.top1}`);
    assert.ok(result.top5 > 0.72 && result.top5 < 0.92, `top-5 ${result.top5}`);
    model.dispose();
  });
});
