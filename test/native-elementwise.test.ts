/**
 * Native element-wise, reduction and normalisation kernels (native/src/activation.c, batch-norm.c, reduce.c, shift.c):
 * range-mask and batch-norm gradients, Mean/Sum over leading axes, FusedBatchNorm, channel shifts — against the tfjs
 * `cpu` backend (an independent oracle) and against the kernels they replace on wasm (our TypeScript kernels,
 * tfjs-wasm's C++), with 1 and 2 threads.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { previousKernel, withoutNativeKernels } from '../src/lib/kernels';
import { setNativeThreads } from '../src/lib/kernels/core/addon';
import type { ActivationAddon } from '../src/lib/kernels/activation/native';
import type { BatchNormAddon } from '../src/lib/kernels/batch-norm/native';
import { leadingAxisCount } from '../src/lib/kernels/reduce';
import type { ReduceAddon } from '../src/lib/kernels/reduce/native';
import type { ChannelShiftAddon } from '../src/lib/kernels/shift/native';
import {
  BATCH_NORM_GRAD, RANGE_MASK_GRAD, CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS,
} from '../src/lib/kernels';
import { activeShiftTensor, sparseShiftTensor } from '../src/lib/ops';
import { onBackend } from './support/backend';
import { kernelCalls, loadedAddon, nativeCalls, nativeRun, nativeSuiteHooks, previousRun } from './support/native';
import { randomTensor, randomValues } from './support/random';
import { assertSame, assertScaled } from './support/tolerance';

/** The addon's entry points of the four families tested here. */
type ElementwiseAddon = ActivationAddon & BatchNormAddon & ReduceAddon & ChannelShiftAddon;

/** The addon's entry points of those families (asserts that it loaded). */
function ew(): ElementwiseAddon {
  return loadedAddon<ElementwiseAddon>();
}

/** x with NaN, ±Infinity and values at and next to the bounds `marks` mixed into random values in [−8, 8). */
function edgyValues(size: number, seed: number, marks: number[]): Float32Array {
  const v = randomValues(size, seed).map((a) => a * 8);
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  for (const m of marks) {
    const f = Math.fround(m);
    const up = new Float32Array([f]);
    const bits = new Int32Array(up.buffer);
    bits[0] += f >= 0 ? 1 : -1;
    const next = up[0];
    bits[0] -= f >= 0 ? 2 : -2;
    specials.push(f, next, up[0]);
  }
  for (let i = 0; i < size; i += 7) v[i] = specials[(i / 7) % specials.length];
  return v;
}

describe('native element-wise kernels', function () {
  this.timeout(300000);
  nativeSuiteHooks();

  it('leadingAxisCount accepts exactly the leading-axes patterns', () => {
    assert.equal(leadingAxisCount([0, 1, 2], 4), 3);
    assert.equal(leadingAxisCount([2, 0, 1], 4), 3);
    assert.equal(leadingAxisCount([-4, -3], 4), 2);
    assert.equal(leadingAxisCount(0, 2), 1);
    assert.equal(leadingAxisCount([0, 1, 2, 3], 4), null);
    assert.equal(leadingAxisCount([1, 2], 4), null);
    assert.equal(leadingAxisCount([0, 2], 4), null);
    assert.equal(leadingAxisCount([], 4), null);
  });

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      before(() => setNativeThreads(threads));

      // ---- range-mask gradient (Relu, Relu6, ClipByValue) ----
      const maskOps: Array<{ name: string; f: (x: tf.Tensor) => tf.Tensor; marks: number[] }> = [
        { name: 'relu', f: (x) => tf.relu(x), marks: [0] },
        { name: 'relu6', f: (x) => tf.relu6(x), marks: [0, 6] },
        // Bounds exact in float32: tfjs-core compares x with float32 scalars, the TypeScript kernel with doubles.
        { name: 'clip[-1.25, 0.5]', f: (x) => tf.clipByValue(x, -1.25, 0.5), marks: [-1.25, 0.5] },
        { name: 'clip[0, 6]', f: (x) => tf.clipByValue(x, 0, 6), marks: [0, 6] },
      ];
      for (const op of maskOps) {
        for (const shape of [[3, 5, 7, 2], [2, 16, 16, 32], [40000], [32, 8, 8, 64]]) {
          it(`${op.name} gradient x=[${shape}] matches cpu and the TypeScript kernel`, async () => {
            const size = tf.util.sizeFromShape(shape);
            const xs = edgyValues(size, 11 + size, op.marks);
            const work = () => tf.tidy(() => {
              const x = tf.tensor(xs, shape);
              const r = randomTensor(shape, 5);
              return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op.f(a), r)))(x)];
            });
            const [native] = await nativeRun(RANGE_MASK_GRAD, work);
            const [prev] = await previousRun(work);
            const [cpu] = await onBackend('cpu', work);
            assertSame(native, prev, 'vs TypeScript kernel');
            assertScaled(native, cpu, 'vs cpu', 0);
          });
        }
      }

      it('range mask: every float near the bounds agrees with the double comparisons of the TypeScript kernel', async () => {
        await tf.setBackend('wasm');
        const xs = edgyValues(4096, 3, [0.1, -0.1, 1 / 3, 1e-40, 3.4e38, 1e39]);
        for (const attrs of [
          { lower: 0.1, lowerInclusive: true, upper: 1 / 3, nanPropagates: false },
          { lower: -0.1, lowerInclusive: false, upper: 0.1, nanPropagates: true },
          { lower: 1e-40, lowerInclusive: false, upper: 1e39, nanPropagates: true },
          { lower: -1e39, lowerInclusive: true, upper: 3.4e38, nanPropagates: false },
          { lower: NaN, lowerInclusive: true, upper: 1, nanPropagates: true },
        ]) {
          const results = tf.tidy(() => {
            const x = tf.tensor(xs);
            const dy = randomTensor([4096], 9, 1, 2);
            const run = () => tf.engine().runKernel(RANGE_MASK_GRAD, { dy, x } as unknown as tf.NamedTensorMap,
              attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
            return [run(), withoutNativeKernels(run)].map((t) => Float32Array.from(t.dataSync()));
          });
          assertSame(results[0], results[1], JSON.stringify(attrs));
        }
      });

      // ---- batch-norm gradient ----
      // (tf.batchNorm without scale cannot be differentiated at all: tfjs-core saves the absent scale for the tape.)
      for (const shape of [[2, 5, 3, 7], [32, 16, 16, 32], [8, 4, 4, 1024], [3, 9], [1, 7, 7, 96]]) {
        it(`batch-norm gradient x=[${shape}] matches cpu and the TypeScript kernel`, async () => {
          const c = shape[shape.length - 1];
          const work = () => tf.tidy(() => {
            const x = randomTensor(shape, 21, 3, 0.5);
            const mean = randomTensor([c], 22, 0.5);
            const variance = randomTensor([c], 23, 0.5, 1);
            const offset = randomTensor([c], 24);
            const scale = randomTensor([c], 25, 1, 0.2);
            const r = randomTensor(shape, 26);
            const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
              tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-3), r));
            return tf.grads(f)([x, mean, variance, offset, scale]);
          });
          const native = await nativeRun(BATCH_NORM_GRAD, work);
          const prev = await previousRun(work);
          const cpu = await onBackend('cpu', work);
          const names = ['dx', 'dMean', 'dVariance', 'dOffset', 'dScale'];
          native.forEach((n, i) => {
            if (i === 0) assertSame(n, prev[i], `${names[i]} vs TypeScript kernel`);
            assertScaled(n, prev[i], `${names[i]} vs TypeScript kernel`, 1e-6);
            assertScaled(n, cpu[i], `${names[i]} vs cpu`);
          });
        });
      }

      // ---- Mean / Sum over leading axes ----
      const reductions: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
        { shape: [32, 16, 16, 32], axis: [0, 1, 2], keepDims: false },
        { shape: [32, 8, 8, 256], axis: [0, 1, 2], keepDims: true },
        { shape: [4, 2, 2, 1024], axis: [2, 1, 0], keepDims: false },
        { shape: [32, 10], axis: 0, keepDims: false },
        { shape: [5, 3, 5000], axis: [-3, -2], keepDims: false },
        { shape: [3, 70000], axis: [0], keepDims: true },
        { shape: [7, 1, 3, 5], axis: [0, 1], keepDims: false },
        { shape: [100000, 3], axis: [0], keepDims: false },
      ];
      for (const { shape, axis, keepDims } of reductions) {
        for (const [name, op] of [[tf.Mean, tf.mean], [tf.Sum, tf.sum]] as const) {
          it(`${name} over ${JSON.stringify(axis)} of [${shape}]${keepDims ? ' keepDims' : ''} matches cpu and the previous kernel`, async () => {
            const work = () => tf.tidy(() => {
              const out = op(randomTensor(shape, 31, 2, 0.3), axis, keepDims);
              return [out, tf.tensor(out.shape.length ? out.shape : [0])];
            });
            const [native, nshape] = await nativeRun(name, work);
            const [prev, pshape] = await previousRun(work);
            const [cpu, cshape] = await onBackend('cpu', work);
            assert.deepEqual(nshape, pshape);
            assert.deepEqual(nshape, cshape);
            assertScaled(native, prev, 'vs previous kernel', 1e-6);
            assertScaled(native, cpu, 'vs cpu');
          });
        }
      }

      it('Mean/Sum decline other axis patterns and dtypes (the previous kernel runs)', async () => {
        await tf.setBackend('wasm');
        for (const name of [tf.Mean, tf.Sum]) {
          const before = kernelCalls(name);
          tf.tidy(() => {
            const x = randomTensor([2, 3, 4, 5], 41);
            const op = name === tf.Mean ? tf.mean : tf.sum;
            const a = op(x, [1, 2]).dataSync();
            const b = op(x).dataSync();
            // Sum: int32 input; Mean: axes that are not leading.
            const c = (name === tf.Sum ? tf.sum(tf.cast(x.mul(10), 'int32'), 0) : tf.mean(x, [0, 2])).dataSync();
            assert.equal(a.length, 10);
            assert.equal(b.length, 1);
            assert.equal(c.length, name === tf.Sum ? 60 : 15);
          });
          const after = kernelCalls(name);
          assert.equal(after.native, before.native, `${name}: no call should run natively`);
          assert.ok(after.fallback >= before.fallback + 3, `${name}: the fallback should have run 3 times`);
        }
      });

      // ---- FusedBatchNorm ----
      const bnCases: Array<{ shape: number[]; offset: boolean; scale: boolean; scalarStats?: boolean }> = [
        { shape: [32, 16, 16, 32], offset: true, scale: true },
        { shape: [2, 3, 5, 7], offset: false, scale: true },
        { shape: [2, 3, 5, 7], offset: true, scale: false },
        { shape: [4, 9], offset: false, scale: false, scalarStats: true },
        { shape: [1, 28, 28, 128], offset: true, scale: true },
      ];
      for (const bc of bnCases) {
        it(`FusedBatchNorm x=[${bc.shape}] offset=${bc.offset} scale=${bc.scale}${bc.scalarStats ? ' scalar mean/variance' : ''} matches cpu and the wasm kernel`, async () => {
          const c = bc.shape[bc.shape.length - 1];
          const work = () => tf.tidy(() => [tf.batchNorm(randomTensor(bc.shape, 51, 3, 1),
            bc.scalarStats ? tf.scalar(0.3) : randomTensor([c], 52, 0.5, 0.5), bc.scalarStats ? tf.scalar(0.7) : randomTensor([c], 53, 0.5, 1), bc.offset ? randomTensor([c], 54) : undefined,
            bc.scale ? randomTensor([c], 55, 1, 0.2) : undefined, 1e-3)]);
          const [native] = await nativeRun(tf.FusedBatchNorm, work);
          const [prev] = await previousRun(work);
          const [cpu] = await onBackend('cpu', work);
          assertScaled(native, prev, 'vs wasm kernel', 1e-5);
          assertScaled(native, cpu, 'vs cpu');
        });
      }

      // ---- channel shifts (ActiveShift: 4 bilinear taps; SparseShift: 1 integer tap) ----
      const shiftCases: Array<{ x: [number, number, number, number]; stride: number; pad: number; range: number }> = [
        { x: [2, 9, 7, 5], stride: 1, pad: 0, range: 2 },
        { x: [2, 8, 8, 16], stride: 2, pad: 1, range: 3 },
        { x: [1, 9, 7, 6], stride: 3, pad: 2, range: 12 },
        { x: [8, 16, 16, 32], stride: 1, pad: 1, range: 1.5 },
      ];
      for (const sc of shiftCases) {
        for (const kind of ['active', 'sparse'] as const) {
          if (kind === 'sparse' && sc.pad !== 0) continue;
          it(`${kind} shift x=[${sc.x}] s=${sc.stride} pad=${sc.pad} offsets ±${sc.range}: value and gradients match cpu and the TypeScript kernels`, async () => {
            const c = sc.x[3];
            const work = () => tf.tidy(() => {
              const x = randomTensor(sc.x, 71) as tf.Tensor4D;
              const off = randomTensor([c, 2], 72, sc.range) as tf.Tensor2D;
              const f = (a: tf.Tensor, o: tf.Tensor) => kind === 'active'
                ? activeShiftTensor(a as tf.Tensor4D, o as tf.Tensor2D, { stride: sc.stride, padding: sc.pad })
                : sparseShiftTensor(a as tf.Tensor4D, o as tf.Tensor2D, { stride: sc.stride });
              const y = f(x, off);
              const r = randomTensor(y.shape, 73);
              return [y, ...tf.grads((a: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(f(a, o), r)))([x, off])];
            });
            const before = [CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS].map(nativeCalls);
            const native = await nativeRun(CHANNEL_SHIFT, work);
            const after = [CHANNEL_SHIFT, CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS].map(nativeCalls);
            assert.ok(after[1] > before[1], 'the adjoint did not run natively');
            if (kind === 'active') assert.ok(after[2] > before[2], 'the corner dots did not run natively');
            const prev = await previousRun(work);
            const cpu = await onBackend('cpu', work);
            ['y', 'dx', 'dOffsets'].forEach((name, i) => {
              assertScaled(native[i], prev[i], `${name} vs TypeScript kernel`, 1e-5);
              assertScaled(native[i], cpu[i], `${name} vs cpu`);
            });
          });
        }
      }

      it('results do not depend on the thread count (fixed block order)', async () => {
        await tf.setBackend('wasm');
        const run = () => tf.tidy(() => {
          const x = randomTensor([32, 16, 16, 64], 61, 2, 0.5);
          const dy = randomTensor([32, 16, 16, 64], 62);
          const m = tf.mean(x, [0, 1, 2]);
          const v = tf.mean(tf.square(x), [0, 1, 2]);
          const g = tf.engine().runKernel(BATCH_NORM_GRAD, { x, dy, mean: m, variance: v, scale: tf.onesLike(m) } as unknown as tf.NamedTensorMap,
            { varianceEpsilon: 1e-3 } as unknown as tf.NamedAttrMap) as tf.Tensor[];
          return [m, v, ...g].map((t) => Float32Array.from(t.dataSync()));
        });
        const here = run();
        setNativeThreads(threads === 1 ? 2 : 1);
        const other = run();
        setNativeThreads(threads);
        here.forEach((a, i) => assertSame(a, other[i], `output ${i}`));
      });
    });
  }

  it('declines empty tensors and FusedBatchNorm parameters of other sizes (the previous kernel runs)', async () => {
    await tf.setBackend('wasm');
    const fbn = kernelCalls(tf.FusedBatchNorm);
    const mask = kernelCalls(RANGE_MASK_GRAD);
    const mean = kernelCalls(tf.Mean);
    tf.tidy(() => {
      // mean/variance of size 3 against 6 channels: the wasm kernel broadcasts them cyclically; we decline.
      const x = randomTensor([2, 6], 81);
      const out = tf.engine().runKernel(tf.FusedBatchNorm, { x, mean: randomTensor([3], 82), variance: randomTensor([3], 83, 0.1, 1) } as unknown as tf.NamedTensorMap,
        { varianceEpsilon: 1e-3 } as unknown as tf.NamedAttrMap) as tf.Tensor;
      assert.equal(out.size, 12);
      const empty = tf.zeros([0, 4]);
      const dx = tf.engine().runKernel(RANGE_MASK_GRAD, { dy: empty, x: empty } as unknown as tf.NamedTensorMap,
        { lower: 0, lowerInclusive: false, upper: 6, nanPropagates: true } as unknown as tf.NamedAttrMap) as tf.Tensor;
      assert.deepEqual(dx.shape, [0, 4]);
      assert.deepEqual(tf.mean(tf.zeros([0, 3]), 0).shape, [3]);
    });
    assert.equal(kernelCalls(tf.FusedBatchNorm).native, fbn.native);
    assert.equal(kernelCalls(tf.FusedBatchNorm).fallback, fbn.fallback + 1);
    assert.equal(kernelCalls(RANGE_MASK_GRAD).native, mask.native);
    assert.equal(kernelCalls(RANGE_MASK_GRAD).fallback, mask.fallback + 1);
    assert.equal(kernelCalls(tf.Mean).native, mean.native);
  });

  it('the previous kernels are kept for the declined cases', () => {
    for (const name of [RANGE_MASK_GRAD, BATCH_NORM_GRAD, tf.Mean, tf.Sum, tf.FusedBatchNorm, CHANNEL_SHIFT,
      CHANNEL_SHIFT_ADJOINT, CHANNEL_SHIFT_CORNER_DOTS]) {
      assert.equal(typeof previousKernel(name), 'function', name);
    }
  });

  it('bad sizes passed straight to the addon throw named errors', () => {
    const a = ew();
    const f = (n: number) => new Float32Array(n);
    assert.throws(() => a.rangeMaskGrad(f(10), f(10), f(9), 10, 0, 0, 6, 1), /rangeMaskGrad: argument 2 holds 9/);
    assert.throws(() => a.rangeMaskGrad(f(10), f(10), f(10), -1, 0, 0, 6, 1), /rangeMaskGrad: negative size/);
    assert.throws(() => a.batchNormGrad(f(12), f(12), f(4), f(4), f(4), 1e-3, 4, 4, f(16), f(4), f(4), f(4), f(4)),
      /batchNormGrad: argument 0 holds 12/);
    assert.throws(() => a.batchNormGrad(f(16), f(16), f(4), f(3), f(4), 1e-3, 4, 4, f(16), f(4), f(4), f(4), f(4)),
      /batchNormGrad: argument 3 holds 3/);
    assert.throws(() => a.batchNormGrad(f(16), f(16), f(4), f(4), f(4), 1e-3, 4, 4, f(16), f(4), f(4), f(4), f(2)),
      /batchNormGrad: argument 12 holds 2/);
    assert.throws(() => a.reduceLeading(f(10), 3, 4, 1, f(4)), /reduceLeading: argument 0 holds 10/);
    assert.throws(() => a.reduceLeading(f(12), 3, 4, 1, f(3)), /reduceLeading: argument 4 holds 3/);
    assert.throws(() => a.batchNormInference(f(12), f(4), f(4), null, null, 1e-3, 3, 4, f(11)),
      /batchNormInference: argument 8 holds 11/);
    assert.throws(() => a.batchNormInference(f(12), f(4), f(2), null, null, 1e-3, 3, 4, f(12)),
      /batchNormInference: argument 2 holds 2/);
    assert.throws(() => a.batchNormInference(f(12), f(4), f(4), f(4), f(3), 1e-3, 3, 4, f(12)),
      /batchNormInference: argument 4 holds 3/);
    assert.throws(() => (a as unknown as { reduceLeading: (...args: unknown[]) => void }).reduceLeading([1, 2], 1, 2, 1, f(2)),
      /reduceLeading: argument 0 must be a Float32Array/);
    const i32 = (n: number) => new Int32Array(n);
    // x [2,4,4,3], k = 4 taps, output [2,2,2,3] with stride 2
    assert.throws(() => a.channelShift(f(96), f(12), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(23)),
      /channelShift: argument 12 holds 23/);
    assert.throws(() => a.channelShift(f(95), f(12), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(24)),
      /channelShift: argument 0 holds 95/);
    assert.throws(() => a.channelShift(f(96), f(12), i32(11), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(24)),
      /channelShift: argument 2 holds 11/);
    assert.throws(() => a.channelShift(f(96), f(12), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 0, 4, f(24)),
      /channelShift: bad sizes/);
    assert.throws(() => a.channelShiftAdjoint(f(23), f(12), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(96)),
      /channelShiftAdjoint: argument 0 holds 23/);
    assert.throws(() => a.channelShiftAdjoint(f(24), f(11), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(96)),
      /channelShiftAdjoint: argument 1 holds 11/);
    assert.throws(() => a.channelShiftCornerDots(f(96), f(24), i32(12), i32(12), 2, 4, 4, 3, 2, 2, 2, 4, f(11)),
      /channelShiftCornerDots: argument 12 holds 11/);
    assert.throws(() => a.channelShiftCornerDots(f(96), f(23), i32(12), f(12) as unknown as Int32Array, 2, 4, 4, 3, 2, 2, 2, 4, f(12)),
      /channelShiftCornerDots: argument 3 must be a Int32Array/);
  });
});
