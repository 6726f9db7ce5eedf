/** GroupConv2D against a naive grouped-conv loop, tfjs' conv2d (groups = 1) and the k²·Cin·Cout/g formula. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { GroupConv2D, groupConv2d, groupConv2dTensor } from '../src/lib/ops';
import { saveAndLoad } from './support/models';
import { naiveGroupConv } from './support/oracles';
import { randomTensor4d } from './support/random';
import { assertClose } from './support/tolerance';
import { useBackend } from './support/backend';

describe('ops: GroupConv2D', () => {
  useBackend('cpu');

  const cases: Array<{ cin: number; cout: number; g: number; k: number; s: number; p: 'same' | 'valid' }> = [
    { cin: 4, cout: 6, g: 1, k: 3, s: 1, p: 'same' },
    { cin: 4, cout: 6, g: 2, k: 3, s: 2, p: 'same' },
    { cin: 8, cout: 8, g: 4, k: 3, s: 1, p: 'valid' },
    { cin: 8, cout: 12, g: 4, k: 1, s: 2, p: 'valid' },
    { cin: 6, cout: 6, g: 6, k: 3, s: 2, p: 'same' },
    { cin: 12, cout: 4, g: 2, k: 5, s: 1, p: 'same' },
  ];
  for (const c of cases) {
    it(`kernel equals a naive loop: 5×7, Cin ${c.cin} → ${c.cout}, g ${c.g}, k ${c.k}, s ${c.s}, ${c.p}`, () => {
      const x = randomTensor4d([2, 5, 7, c.cin], 1 + c.cin + c.g);
      const kernel = randomTensor4d([c.k, c.k, c.cin / c.g, c.cout], 7 + c.k);
      const y = groupConv2dTensor(x, kernel, c.g, c.s, c.p);
      assertClose(y.dataSync(), naiveGroupConv(x, kernel, c.g, c.s, c.p), 1e-4, 'group conv');
    });
  }

  it('layer: one [k,k,Cin/g,Cout] kernel, params k²·Cin·Cout/g (+Cout bias), output = naive, MACs formula', () => {
    const input = tf.input({ shape: [5, 7, 8] });
    const layer = groupConv2d({ filters: 12, kernelSize: 3, strides: 2, groups: 4, useBias: true, name: 'gc' });
    const out = layer.apply(input) as tf.SymbolicTensor;
    assert.deepEqual(out.shape, [null, 3, 4, 12]);
    assert.deepEqual(layer.getWeights()[0].shape, [3, 3, 2, 12]);
    assert.equal(layer.countParams(), (9 * 8 * 12) / 4 + 12);
    const x = randomTensor4d([1, 5, 7, 8], 3);
    const model = tf.model({ inputs: input, outputs: out });
    const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    layer.setWeights([kernel, tf.onesLike(bias)]);
    const expected = naiveGroupConv(x, kernel, 4, 2, 'same').map((v) => v + 1);
    assertClose((model.predict(x) as tf.Tensor).dataSync(), expected, 1e-4, 'layer forward');
    // MACs k²·(Cin/g)·Cout·H′W′ with H′ = ⌈5/2⌉, W′ = ⌈7/2⌉.
    assert.equal(layer.macs([[5, 7, 8]]), 9 * 2 * 12 * 3 * 4);
    assert.equal(new GroupConv2D({ filters: 16, kernelSize: 1, groups: 1, padding: 'valid' }).macs([[10, 10, 8]]), 8 * 16 * 100);
  });

  it('groups = 1 equals tf.layers.conv2d with the same kernel', () => {
    const input = tf.input({ shape: [5, 7, 3] });
    const ours = groupConv2d({ filters: 4, kernelSize: 3, groups: 1, strides: 2, useBias: true });
    const ref = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: true });
    const a = tf.model({ inputs: input, outputs: ours.apply(input) as tf.SymbolicTensor });
    const b = tf.model({ inputs: input, outputs: ref.apply(input) as tf.SymbolicTensor });
    ref.setWeights([randomTensor4d([3, 3, 3, 4], 11), tf.tensor1d([0.1, -0.2, 0.3, 0.5])]);
    ours.setWeights(ref.getWeights());
    assert.equal(ours.countParams(), ref.countParams());
    const x = randomTensor4d([2, 5, 7, 3], 12);
    assertClose((a.predict(x) as tf.Tensor).dataSync(), (b.predict(x) as tf.Tensor).dataSync(), 1e-5, 'vs conv2d');
  });

  it('gradients w.r.t. input and kernel match the cpu conv2d autodiff per group', () => {
    const x = randomTensor4d([1, 5, 7, 4], 21);
    const k = randomTensor4d([3, 3, 2, 4], 22);
    const [gx, gk] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(groupConv2dTensor(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1, 'same'))),
    )([x, k]);
    // Oracle: build the equivalent dense block-diagonal kernel and differentiate a plain conv2d.
    const kv = k.arraySync();
    const dense = tf.buffer([3, 3, 4, 4]);
    for (let u = 0; u < 3; u++)
      for (let v = 0; v < 3; v++)
        for (let ci = 0; ci < 2; ci++)
          for (let co = 0; co < 4; co++) dense.set(kv[u][v][ci][co], u, v, Math.floor(co / 2) * 2 + ci, co);
    const gxRef = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, dense.toTensor() as tf.Tensor4D, 1, 'same'))))(x);
    assertClose(gx.dataSync(), gxRef.dataSync(), 1e-3, 'dL/dx');
    const gDense = tf.grad((b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, b as tf.Tensor4D, 1, 'same'))))(dense.toTensor()).arraySync() as number[][][][];
    const gkv = gk.arraySync() as number[][][][];
    for (let u = 0; u < 3; u++)
      for (let v = 0; v < 3; v++)
        for (let ci = 0; ci < 2; ci++)
          for (let co = 0; co < 4; co++) {
            assert.ok(Math.abs(gkv[u][v][ci][co] - gDense[u][v][Math.floor(co / 2) * 2 + ci][co]) < 1e-3, `dL/dk[${u},${v},${ci},${co}]`);
          }
  });

  it('round-trips through save/load with the same outputs and config', async () => {
    const input = tf.input({ shape: [5, 7, 4] });
    const out = groupConv2d({ filters: 6, kernelSize: 3, groups: 2, padding: 'valid', kernelInitializer: 'heNormal', name: 'gc' }).apply(input);
    const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
    const loaded = await saveAndLoad(model);
    assert.deepEqual(loaded.getLayer('gc').getConfig(), model.getLayer('gc').getConfig());
    const x = randomTensor4d([2, 5, 7, 4], 5);
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 1e-6, 'loaded');
    // The constructor accepts its own config, including an initializer object's serialized form.
    const withObject = groupConv2d({ filters: 4, kernelSize: 1, groups: 2, kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1 }) });
    const config = withObject.getConfig();
    assert.deepEqual(new GroupConv2D(config as never).getConfig(), config);
  });

  it('rejects bad arguments with messages naming value and constraint', () => {
    assert.throws(() => groupConv2d({ filters: 6, kernelSize: 3, groups: 4 }), /groups = 4 must divide filters = 6/);
    assert.throws(() => groupConv2d({ filters: 0, kernelSize: 3, groups: 1 }), /filters must be a positive integer.*got 0/);
    assert.throws(() => groupConv2d({ filters: 4, kernelSize: -1, groups: 1 }), /kernelSize must be a positive integer.*got -1/);
    assert.throws(() => groupConv2d({ filters: 4, kernelSize: 3, groups: 2.5 }), /groups must be a positive integer.*got 2.5/);
    assert.throws(() => groupConv2d({ filters: 4, kernelSize: 3, groups: 1, kernelInitializer: 'nope' }), /unknown initializer 'nope'/);
    const layer = groupConv2d({ filters: 4, kernelSize: 3, groups: 4 });
    assert.throws(() => layer.apply(tf.input({ shape: [5, 7, 6] })), /groups = 4 must divide the input channels 6/);
    assert.throws(
      () => groupConv2dTensor(tf.zeros([1, 4, 4, 6]) as tf.Tensor4D, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, 4),
      /groups = 4 must divide input channels 6/,
    );
  });
});
