/**
 * Native pooling kernels (native/src/pooling.c) against the tfjs `cpu` backend (an independent oracle) and against the
 * kernels they replace on wasm (XNNPACK forward, the wasm backend's C++ gradients), with 1 and 2 threads.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { setNativeThreads } from '../src/lib/kernels/core/addon';
import { PoolingAddon } from '../src/lib/kernels/pooling/native';
import { onBackend } from './support/backend';
import { kernelCalls, loadedAddon, nativeRun, nativeSuiteHooks, previousRun } from './support/native';
import { randomTensor, randomValues } from './support/random';
import { assertScaled } from './support/tolerance';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Random values in [-1, 1); 'ties': rounded to multiples of 1/2 so that many windows hold equal maxima; 'positive': in [1, 3). */
function rand(shape: number[], seed: number, variant: Variant = 'signed'): tf.Tensor {
  if (variant !== 'ties') return randomTensor(shape, seed, 1, variant === 'positive' ? 2 : 0);
  return tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed).map((v) => Math.round(v * 2) / 2), shape);
}

interface Case { x: Shape4; k: [number, number]; stride: [number, number]; pad: Pad; rounding?: Rounding }

function label(c: Case): string {
  return `x=[${c.x}] k=${c.k.join('×')} s=${c.stride.join(',')} pad=${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ''}`;
}

/**
 * Whether the previous (wasm) kernels are a usable second reference for this geometry: tfjs sizes both output dims
 * of a numeric pad from KH and strideH (computeOutputShape2D) while XNNPACK sizes each from its own, so a numeric pad
 * with KH ≠ KW or strideH ≠ strideW differs; and a window lying wholly in the padding is NaN (0/0) on cpu and here
 * but 0 in XNNPACK's average pool; 'round'/'ceil' can add an output row whose window runs past the image, which
 * XNNPACK (given the pads only) does not size for. Those cases check against cpu only.
 */
function previousIsSafe(c: Case): boolean {
  if (c.rounding === 'round' || c.rounding === 'ceil') return false;
  if (typeof c.pad === 'number') return c.k[0] === c.k[1] && c.stride[0] === c.stride[1];
  if (Array.isArray(c.pad)) return c.pad[1].every((p) => p < c.k[0]) && c.pad[2].every((p) => p < c.k[1]);
  return true;
}

/**
 * Input variants of the max pool checks. The wasm backend's own MaxPoolGrad (the previous kernel) disagrees with
 * the cpu backend on ties and on inputs with non-positive window maxima (it sends those gradients elsewhere or drops
 * them; the cpu backend and this kernel follow maxPoolPositions: first strict maximum), so only strictly positive, tie-free inputs
 * ('positive') compare the gradient with it; 'signed' and 'ties' check the gradient against cpu alone.
 */
type Variant = 'signed' | 'ties' | 'positive';

const cases: Case[] = [];
for (const k of [[2, 2], [3, 3]] as [number, number][]) {
  for (const stride of [[1, 1], [2, 2]] as [number, number][]) {
    for (const pad of ['same', 'valid', 1, [[0, 0], [1, 0], [0, 2], [0, 0]]] as Pad[]) {
      cases.push({ x: [2, 7, 9, 5], k, stride, pad });
    }
  }
}
cases.push({ x: [3, 8, 6, 16], k: [3, 2], stride: [2, 1], pad: 'same' });
cases.push({ x: [1, 9, 10, 33], k: [2, 3], stride: [1, 2], pad: 'valid' });
cases.push({ x: [2, 11, 11, 40], k: [3, 3], stride: [2, 2], pad: 'valid' }); // SqueezeNet / ShuffleNet shape class
cases.push({ x: [2, 10, 10, 24], k: [2, 2], stride: [2, 2], pad: 'valid' }); // FE-Net / ShiftNet 2×2 pools
cases.push({ x: [1, 6, 5, 300], k: [3, 3], stride: [1, 1], pad: 'same' }); // > one 256-channel argmax block
cases.push({ x: [2, 8, 7, 3], k: [5, 5], stride: [3, 3], pad: 'same' });
cases.push({ x: [1, 4, 4, 2], k: [4, 4], stride: [1, 1], pad: 'valid' });
cases.push({ x: [2, 7, 7, 6], k: [3, 3], stride: [2, 2], pad: 1, rounding: 'ceil' });
cases.push({ x: [2, 8, 8, 6], k: [3, 3], stride: [2, 2], pad: 0, rounding: 'round' });
cases.push({ x: [2, 8, 9, 6], k: [3, 3], stride: [2, 2], pad: 0, rounding: 'floor' });
cases.push({ x: [2, 6, 7, 5], k: [2, 2], stride: [1, 1], pad: [[0, 0], [0, 2], [2, 0], [0, 0]] }); // windows wholly in padding

describe('native pooling kernels', function () {
  this.timeout(300000);
  let addon: PoolingAddon;
  nativeSuiteHooks([tf.MaxPool, tf.AvgPool, tf.MaxPoolGrad, tf.AvgPoolGrad]);
  before(() => { addon = loadedAddon<PoolingAddon>(); });

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      before(() => setNativeThreads(threads));

      for (const c of cases) {
        const seed = c.x[3] * 7 + c.k[0] * 3 + c.stride[0] + (typeof c.pad === 'string' ? c.pad.length : 5);
        for (const kind of ['max', 'avg'] as const) {
          const op = (x: tf.Tensor) => kind === 'max'
            ? tf.maxPool(x as tf.Tensor4D, c.k, c.stride, c.pad as 'same', c.rounding)
            : tf.avgPool(x as tf.Tensor4D, c.k, c.stride, c.pad as 'same', c.rounding);
          const fwdName = kind === 'max' ? tf.MaxPool : tf.AvgPool;
          const gradName = kind === 'max' ? tf.MaxPoolGrad : tf.AvgPoolGrad;
          // tfjs-core's gradients drop dimRoundingMode, so with a rounding mode that changes the output size the
          // op gradient is inconsistent on every backend (dy has the rounded shape): those cases check the forward
          // pass here and MaxPoolGrad through runKernel below.
          const roundedGrad = c.rounding !== undefined;
          for (const variant of kind === 'max' ? ['signed', 'ties', 'positive'] as Variant[] : ['signed'] as Variant[]) {
            it(`${kind} pool forward and gradient ${label(c)} (${variant} input)`, async () => {
              const work = () => tf.tidy(() => {
                const x = rand(c.x, seed, variant);
                const y = op(x);
                if (roundedGrad) return [y];
                const r = rand(y.shape, seed + 1);
                const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
                return [y, dx];
              });
              const cpu = await onBackend('cpu', work);
              const native = await nativeRun(roundedGrad ? [fwdName] : [fwdName, gradName], work);
              assertScaled(native[0], cpu[0], 'y native vs cpu');
              // Tie-heavy inputs: a wrong choice of maximum moves a whole dy value, far above any rounding error.
              if (!roundedGrad) assertScaled(native[1], cpu[1], 'dx native vs cpu', variant === 'ties' ? 1e-6 : 1e-4);
              if (!previousIsSafe(c)) return;
              const prev = await previousRun(work);
              assertScaled(native[0], prev[0], 'y native vs previous');
              if (!roundedGrad && (kind === 'avg' || variant === 'positive')) assertScaled(native[1], prev[1], 'dx native vs previous');
            });
          }
        }
        if (c.rounding !== undefined) {
          it(`MaxPoolGrad kernel with dimRoundingMode ${label(c)}`, async () => {
            const attrs = { filterSize: c.k, strides: c.stride, pad: c.pad, dimRoundingMode: c.rounding };
            const work = () => tf.tidy(() => {
              const x = rand(c.x, seed + 2, 'ties');
              const y = tf.engine().runKernel(tf.MaxPool, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
              const dy = rand(y.shape, seed + 3);
              return [tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor];
            });
            const cpu = await onBackend('cpu', work);
            const native = await nativeRun([tf.MaxPoolGrad], work);
            assertScaled(native[0], cpu[0], 'dx native vs cpu', 1e-6);
          });
        }
      }

      it('max pool gradient with NaN and ±inf follows the cpu backend (NaN never wins, all −inf passes nothing)', async () => {
        const shape: Shape4 = [1, 4, 6, 3];
        const xv = randomValues(72, 17);
        for (let i = 0; i < 18; i++) xv[i] = -Infinity; // the first image row: windows over it alone hold only −inf
        xv[30] = NaN;
        xv[40] = Infinity;
        xv[41] = NaN;
        const attrs = { filterSize: [2, 2], strides: [1, 2], pad: 'valid' };
        const work = () => tf.tidy(() => {
          const x = tf.tensor4d(xv, shape);
          const y = tf.engine().runKernel(tf.MaxPool, { x }, attrs) as tf.Tensor;
          const dy = rand(y.shape, 18);
          return [y, tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, attrs) as tf.Tensor];
        });
        const cpu = await onBackend('cpu', work);
        const native = await nativeRun([tf.MaxPool, tf.MaxPoolGrad], work);
        assertScaled(native[0], cpu[0], 'y native vs cpu');
        assertScaled(native[1], cpu[1], 'dx native vs cpu', 1e-6);
      });

      it('kernels called directly: larger MobileNet-style shape, same results as the previous kernels', async () => {
        const shape: Shape4 = [4, 16, 16, 64];
        const attrs = { filterSize: 3, strides: 2, pad: 'same' };
        const work = () => tf.tidy(() => {
          const x = rand(shape, 21, 'positive'); // the previous MaxPoolGrad matches cpu only on positive, tie-free inputs
          const y = tf.engine().runKernel(tf.MaxPool, { x }, attrs) as tf.Tensor;
          const dy = rand(y.shape, 22);
          return [
            y,
            tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, attrs) as tf.Tensor,
            tf.engine().runKernel(tf.AvgPool, { x }, attrs) as tf.Tensor,
            tf.engine().runKernel(tf.AvgPoolGrad, { dy, input: x }, attrs) as tf.Tensor,
          ];
        });
        const cpu = await onBackend('cpu', work);
        const native = await nativeRun([tf.MaxPool, tf.MaxPoolGrad, tf.AvgPool, tf.AvgPoolGrad], work);
        const prev = await previousRun(work);
        for (const [i, what] of ['maxPool', 'maxPoolGrad', 'avgPool', 'avgPoolGrad'].entries()) {
          assertScaled(native[i], cpu[i], `${what} native vs cpu`);
          assertScaled(native[i], prev[i], `${what} native vs previous`);
        }
      });
    });
  }

  it('declines a dy that does not match the pooled shape (the previous kernel gets the call)', async () => {
    await tf.setBackend('wasm');
    const before = kernelCalls(tf.AvgPoolGrad);
    // A dy that does not match the pooled shape is handed back (the previous kernel then decides what to do).
    const dy = tf.zeros([1, 3, 3, 2]);
    const input = tf.zeros([1, 4, 4, 2]);
    try {
      tf.engine().runKernel(tf.AvgPoolGrad, { dy, input }, { filterSize: 2, strides: 2, pad: 'valid' });
    } catch {
      // The previous kernel may reject the mismatch; only the native decision matters here.
    }
    const now = kernelCalls(tf.AvgPoolGrad);
    assert.equal(now.native, before.native, 'mismatched dy ran natively');
    assert.ok(now.fallback > before.fallback, 'mismatched dy did not reach the previous kernel');
    tf.dispose([dy, input]);
  });

  it('the addon throws on bad sizes instead of touching memory outside the views', () => {
    // B,H,W,C,OH,OW,KH,KW,sh,sw,pt,pl for x [1,4,4,2] → y [1,2,2,2] (2×2 window, stride 2, valid).
    const geom = Int32Array.from([1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 0, 0]);
    const f = (n: number) => new Float32Array(n);
    assert.doesNotThrow(() => addon.maxPool(f(32), f(8), geom));
    assert.doesNotThrow(() => addon.avgPool(f(32), f(8), geom));
    assert.doesNotThrow(() => addon.maxPoolGrad(f(8), f(32), f(32), geom));
    assert.doesNotThrow(() => addon.avgPoolGrad(f(8), f(32), geom));
    assert.throws(() => addon.maxPool(f(31), f(8), geom), /maxPool: argument 0 holds 31 floats/);
    assert.throws(() => addon.avgPool(f(32), f(7), geom), /avgPool: argument 1 holds 7 floats/);
    assert.throws(() => addon.maxPoolGrad(f(7), f(32), f(32), geom), /maxPoolGrad: argument 0 holds 7/);
    assert.throws(() => addon.maxPoolGrad(f(8), f(30), f(32), geom), /maxPoolGrad: argument 1 holds 30/);
    assert.throws(() => addon.maxPoolGrad(f(8), f(32), f(31), geom), /maxPoolGrad: argument 2 holds 31/);
    assert.throws(() => addon.avgPoolGrad(f(8), f(16), geom), /avgPoolGrad: argument 1 holds 16/);
    assert.throws(() => addon.avgPoolGrad(f(8), f(32), geom.subarray(0, 11)), /must hold 12 ints/);
    assert.throws(() => addon.maxPool(f(32), f(8), Int32Array.from([1, 4, 4, 2, 2, 2, 2, 2, 0, 2, 0, 0])), /strideH = 0/);
    assert.throws(() => addon.maxPool(f(32), f(8), Int32Array.from([1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 1 << 21, 0])), /padTop/);
    assert.throws(() => addon.maxPool(f(32), f(8), Int32Array.from([1, 4, 4, 2, 2, 2, 2000, 2, 2, 2, 0, 0])), /larger than 1024/);
    assert.throws(() => addon.maxPool(f(32), f(8), Int32Array.from([65536, 65536, 65536, 65536, 2, 2, 2, 2, 2, 2, 0, 0])), /overflow/);
    assert.throws(() => addon.maxPool(f(32), new Int32Array(8) as unknown as Float32Array, geom), /Float32Array/);
    assert.throws(() => (addon.avgPoolGrad as unknown as (...a: unknown[]) => void)(f(8), f(32)), /expected 3 arguments/);
  });
});
