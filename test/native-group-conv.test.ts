/**
 * Native grouped convolution (native/src/conv.c with G groups, via src/lib/kernels/conv/group-conv.ts) against the
 * tfjs `cpu` backend's split / conv / concat path (independent oracle) and against the same path on the previous wasm
 * kernels, forward and gradients, with 1 and 2 threads; the layer's save / load round trip; the addon's own argument
 * checks.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeStatus } from '../src/lib/kernels/core/addon';
import { setNativeKernelsEnabled } from '../src/lib/kernels';
import {
  GROUP_CONV2D, GROUP_CONV2D_BACKPROP_FILTER, GROUP_CONV2D_BACKPROP_INPUT, groupConv2dNative,
} from '../src/lib/kernels/conv';
import type { ConvAddon } from '../src/lib/kernels/conv/native';
import { groupConv2d, groupConv2dTensor } from '../src/lib/ops';
import { onBackend } from './support/backend';
import { saveAndLoad } from './support/models';
import { nativeCalls, nativeRun, nativeSuiteHooks, previousRun } from './support/native';
import { randomTensor } from './support/random';
import { assertScaled } from './support/tolerance';

type Shape4 = [number, number, number, number];

interface Case {
  x: Shape4;
  co: number;
  g: number;
  k: number;
  s: number;
  p: 'same' | 'valid';
}

/** Groups 1/2/3/4/8, k 1 and 3, strides 1 and 2, same / valid, odd sizes. */
const CASES: Case[] = [];
for (const g of [1, 2, 3, 4, 8]) {
  for (const k of [1, 3]) {
    for (const s of [1, 2]) {
      for (const p of ['same', 'valid'] as const) {
        CASES.push({ x: [2, 7 + (g % 2), 5 + s, 3 * g], co: 2 * g + (k === 3 ? g : 0), g, k, s, p });
      }
    }
  }
}
// ShuffleNet-like widths (more channels per group than the grid above).
CASES.push({ x: [3, 6, 6, 24], co: 48, g: 3, k: 1, s: 1, p: 'valid' });
CASES.push({ x: [2, 5, 5, 64], co: 32, g: 8, k: 1, s: 1, p: 'same' });
// Large enough for several pixel tiles (pointwise: 256K floats / (C + CO) pixels) and several im2col chunks (k×k),
// so dW's accumulation over tiles and col2im across chunk borders are exercised.
CASES.push({ x: [4, 40, 20, 96], co: 96, g: 8, k: 1, s: 1, p: 'valid' });
CASES.push({ x: [2, 30, 30, 64], co: 64, g: 4, k: 3, s: 1, p: 'same' });
CASES.push({ x: [4, 31, 29, 64], co: 32, g: 2, k: 3, s: 2, p: 'same' });

function label(c: Case): string {
  return `x${c.x.join('×')} → ${c.co}, g${c.g} k${c.k} s${c.s} ${c.p}`;
}

/** The oracle: the layer's split / conv / concat path (what runs on cpu, and on wasm with the native kernels off). */
function reference(c: Case) {
  return (x: tf.Tensor, w: tf.Tensor) => groupConv2dTensor(x as tf.Tensor4D, w as tf.Tensor4D, c.g, c.s, c.p);
}

/** The native kernel called directly (also for groups = 1, where the layer uses plain conv2d). */
function native(c: Case) {
  return (x: tf.Tensor, w: tf.Tensor) => {
    const y = groupConv2dNative(x as tf.Tensor4D, w as tf.Tensor4D, c.g, c.s, c.p);
    assert.ok(y !== null, `${label(c)}: groupConv2dNative declined`);
    return y;
  };
}

type Op = (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** [y, dx, dW] of Σ op(x, w)·r (r random, so dy is random). */
function forwardAndGrads(c: Case, op: Op, seed: number): () => tf.Tensor[] {
  return () => tf.tidy(() => {
    const x = randomTensor(c.x, seed);
    const w = randomTensor([c.k, c.k, c.x[3] / c.g, c.co], seed + 1);
    const y = op(x, w);
    const r = randomTensor(y.shape, seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), r)))([x, w]);
    return [y, dx, dw];
  });
}

const KERNELS = [GROUP_CONV2D, GROUP_CONV2D_BACKPROP_INPUT, GROUP_CONV2D_BACKPROP_FILTER];

describe('native grouped convolution', function () {
  this.timeout(300000);
  let addon: ReturnType<typeof nativeAddon> = null;
  let threadsBefore = 1;

  nativeSuiteHooks();
  before(() => {
    addon = nativeAddon();
    threadsBefore = addon?.info().threads ?? 1;
  });

  it('the addon is loaded and the three kernels are registered on wasm', () => {
    const status = nativeStatus();
    assert.ok(status.loaded, `native addon not loaded: ${status.reason}`);
    for (const k of KERNELS) assert.ok(tf.getKernel(k, 'wasm') !== undefined, `${k} not registered on wasm`);
    assert.equal(tf.getKernel(GROUP_CONV2D, 'cpu'), undefined, 'the kernel must not exist on cpu');
  });

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      beforeEach(() => {
        assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
        addon.setThreads(threads);
      });
      afterEach(() => addon?.setThreads(threadsBefore));

      it('forward, dx and dW match the cpu split/conv/concat oracle and the previous wasm kernels', async () => {
        for (const [i, c] of CASES.entries()) {
          const seed = 10 + 7 * i;
          const expected = await onBackend('cpu', forwardAndGrads(c, reference(c), seed));
          const got = await nativeRun(KERNELS, forwardAndGrads(c, native(c), seed), label(c));
          const previous = await previousRun(forwardAndGrads(c, reference(c), seed));
          ['y', 'dx', 'dW'].forEach((what, j) => {
            assertScaled(got[j], expected[j], `${label(c)} ${what}: native vs cpu`);
            assertScaled(got[j], previous[j], `${label(c)} ${what}: native vs previous wasm kernels`);
          });
        }
      });
    });
  }

  it('the layer path (groupConv2dTensor, groups > 1) runs the kernel on wasm and not with native kernels off', async () => {
    const c: Case = { x: [2, 6, 6, 12], co: 12, g: 3, k: 1, s: 1, p: 'valid' };
    const work = () => [reference(c)(randomTensor(c.x, 1), randomTensor([1, 1, 4, 12], 2))];
    const n0 = nativeCalls(GROUP_CONV2D);
    const [y] = await onBackend('wasm', work);
    assert.equal(nativeCalls(GROUP_CONV2D), n0 + 1, 'layer path did not use the native kernel');
    const [yPrev] = await previousRun(work);
    assert.equal(nativeCalls(GROUP_CONV2D), n0 + 1, 'native kernel ran although native kernels were off');
    assertScaled(y, yPrev, 'native vs previous wasm kernels', 1e-5);
  });

  it('groupConv2dNative declines (null) off wasm, so the layer keeps its split path there', async () => {
    await tf.setBackend('cpu');
    try {
      const [x, w] = [tf.ones([1, 3, 3, 4]) as tf.Tensor4D, tf.ones([1, 1, 2, 4]) as tf.Tensor4D];
      const y = groupConv2dNative(x, w, 2, 1, 'same');
      tf.dispose([x, w]);
      assert.equal(y, null);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('gradient fallback: native forward, backward with native kernels off (per-group standard kernels) agrees', async () => {
    const c: Case = { x: [2, 7, 6, 12], co: 18, g: 3, k: 3, s: 2, p: 'same' };
    const expected = await onBackend('cpu', forwardAndGrads(c, reference(c), 5));
    const before = KERNELS.map(nativeCalls);
    const op: Op = (x, w) => {
      setNativeKernelsEnabled(true);
      const y = native(c)(x, w);
      setNativeKernelsEnabled(false); // the tape's backward pass runs after this op returns
      return y;
    };
    let got: Float32Array[];
    try {
      got = await onBackend('wasm', forwardAndGrads(c, op, 5));
    } finally {
      setNativeKernelsEnabled(true);
    }
    assert.ok(nativeCalls(GROUP_CONV2D) > before[0]);
    assert.equal(nativeCalls(GROUP_CONV2D_BACKPROP_INPUT), before[1], 'backprop should have used the fallback');
    ['y', 'dx', 'dW'].forEach((what, j) => assertScaled(got[j], expected[j], what));
  });

  it('a model with GroupConv2D trains natively and saves / loads unchanged', async () => {
    const input = tf.input({ shape: [8, 8, 12] });
    const layer = groupConv2d({ filters: 24, kernelSize: 1, groups: 3, padding: 'valid', useBias: true, name: 'gc' });
    const h = layer.apply(input) as tf.SymbolicTensor;
    const out = groupConv2d({ filters: 8, kernelSize: 3, strides: 2, groups: 4, name: 'gc3' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = randomTensor([4, 8, 8, 12], 31);
    const t = randomTensor([4, 4, 4, 8], 32);
    const before = KERNELS.map(nativeCalls);
    await model.fit(x, t, { epochs: 1, batchSize: 4, verbose: 0 });
    KERNELS.forEach((k, j) => assert.ok(nativeCalls(k) > before[j], `${k} did not run natively during fit`));
    const loaded = await saveAndLoad(model);
    assert.deepEqual(loaded.layers.map((l) => l.getConfig()), model.layers.map((l) => l.getConfig()));
    const wa = model.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(wb, wa);
    assert.deepEqual(loaded.getWeights().map((w) => w.shape), [[1, 1, 4, 24], [24], [3, 3, 6, 8]]);
    const ya = (model.predict(x) as tf.Tensor).dataSync();
    const yb = (loaded.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(yb), Array.from(ya));
    tf.dispose([x, t]);
  });

  it('bad sizes passed straight to the addon throw named errors', () => {
    assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
    const a = addon as unknown as ConvAddon;
    // x [1,4,4,6], w [1,1,2,6] (groups 3), y [1,4,4,6]; geometry B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G
    const geom = (groups: number) => Int32Array.from([1, 4, 4, 6, 4, 4, 6, 1, 1, 1, 1, 1, 1, 0, 0, groups]);
    const x = new Float32Array(96);
    const w = new Float32Array(12);
    const y = new Float32Array(96);
    a.conv2d(x, w, null, y, geom(3), 0, 0); // sane call passes
    assert.throws(() => a.conv2d(x, w, null, new Float32Array(95), geom(3), 0, 0), /conv2d: argument 3 holds 95/);
    assert.throws(() => a.conv2d(x, new Float32Array(11), null, y, geom(3), 0, 0), /conv2d: argument 1 holds 11/);
    assert.throws(() => a.conv2d(x.subarray(1), w, null, y, geom(3), 0, 0), /conv2d: argument 0 holds 95/);
    assert.throws(() => a.conv2d(x, w, null, y, geom(4), 0, 0), /groups = 4 must be positive and divide C = 6/);
    assert.throws(() => a.conv2d(x, w, null, y, geom(0), 0, 0), /groups = 0/);
    assert.throws(() => a.conv2d(x, w, null, y, geom(3).subarray(1), 0, 0), /geometry/);
    assert.throws(() => a.conv2d(x, w, null, y, Int32Array.from([1, 4, 4, 6, 4, 4, 6, 1, 1, 0, 1, 1, 1, 0, 0, 3]), 0, 0), /geometry\[9\]/);
    assert.throws(() => a.conv2dBackpropInput(y, w, new Float32Array(10), geom(3)), /conv2dBackpropInput: argument 2 holds 10/);
    assert.throws(() => a.conv2dBackpropFilter(x, y, new Float32Array(11), geom(3)), /conv2dBackpropFilter: argument 2 holds 11/);
    assert.throws(() => a.conv2dBackpropFilter(x, new Float32Array(3), w, geom(3)), /conv2dBackpropFilter: argument 1 holds 3/);
  });
});
