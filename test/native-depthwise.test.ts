/**
 * Native depthwise kernels (native/src/depthwise.c) and ShiftNet's grouped shift (native/src/shift.c, a depthwise 1-tap
 * "convolution" by data movement) against the tfjs `cpu` backend (an independent oracle) and against the kernels they
 * replace on wasm (XNNPACK forward, our TypeScript backprops and grouped shift), with 1 and 2 threads.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { setNativeThreads } from '../src/lib/kernels/core/addon';
import type { DepthwiseAddon } from '../src/lib/kernels/depthwise/native';
import type { GroupedShiftAddon } from '../src/lib/kernels/shift/grouped-shift';
import { GROUPED_SHIFT, shiftOffsets, shiftTensor } from '../src/lib/ops/shift';
import { onBackend } from './support/backend';
import { kernelCalls, loadedAddon, nativeCalls, nativeRun, nativeSuiteHooks, previousRun } from './support/native';
import { dot } from './support/oracles';
import { randomTensor, randomValues } from './support/random';
import { assertScaled } from './support/tolerance';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const FWD = tf.DepthwiseConv2dNative;
const FUSED = tf.FusedDepthwiseConv2D;
const BPI = tf.DepthwiseConv2dNativeBackpropInput;
const BPF = tf.DepthwiseConv2dNativeBackpropFilter;


interface Case { x: Shape4; k: [number, number]; mult: number; stride: [number, number]; pad: Pad; dil: number }

/**
 * The wasm backend's XNNPACK forward writes past its output (heap corruption) for a numeric pad with KH ≠ KW or
 * strideH ≠ strideW: tfjs sizes both output dims from KH and strideH there (computeOutputShape2D), XNNPACK from each.
 * Such cases skip the previous-kernel check (the native kernel follows tfjs, like the cpu oracle).
 */
function previousIsSafe(c: Case): boolean {
  return !(typeof c.pad === 'number' && (c.k[0] !== c.k[1] || c.stride[0] !== c.stride[1]));
}

function label(c: Case): string {
  return `x=[${c.x}] k=${c.k.join('×')} M=${c.mult} s=${c.stride.join(',')} pad=${JSON.stringify(c.pad)} d=${c.dil}`;
}

const cases: Case[] = [];
for (const stride of [[1, 1], [2, 2], [2, 1]] as [number, number][]) {
  for (const pad of ['same', 'valid', 1] as Pad[]) {
    for (const mult of [1, 2]) {
      cases.push({ x: [2, 7, 9, 3], k: [3, 3], mult, stride, pad, dil: 1 });
      cases.push({ x: [1, 8, 6, 16], k: [5, 3], mult, stride, pad, dil: 1 });
    }
  }
}
cases.push({ x: [2, 8, 8, 17], k: [3, 3], mult: 1, stride: [2, 2], pad: [[0, 0], [0, 2], [1, 0], [0, 0]], dil: 1 });
cases.push({ x: [3, 9, 9, 8], k: [3, 3], mult: 1, stride: [1, 1], pad: 'same', dil: 2 });
cases.push({ x: [1, 10, 7, 5], k: [3, 2], mult: 3, stride: [1, 1], pad: 'valid', dil: 2 });
cases.push({ x: [2, 5, 5, 4], k: [5, 5], mult: 1, stride: [1, 1], pad: 'same', dil: 1 });
cases.push({ x: [4, 16, 16, 32], k: [3, 3], mult: 1, stride: [2, 2], pad: 'same', dil: 1 });
// Channel counts that take the register-blocked paths (M = 1, C % 8 == 0): 32-channel blocks plus 8-channel tails.
cases.push({ x: [2, 9, 7, 40], k: [3, 3], mult: 1, stride: [1, 1], pad: 'same', dil: 1 });
cases.push({ x: [2, 6, 11, 48], k: [3, 3], mult: 1, stride: [2, 2], pad: 'valid', dil: 1 });
cases.push({ x: [1, 7, 8, 72], k: [5, 5], mult: 1, stride: [2, 2], pad: 'same', dil: 1 });
cases.push({ x: [2, 5, 3, 8], k: [3, 5], mult: 1, stride: [1, 2], pad: 'same', dil: 1 });
cases.push({ x: [2, 9, 10, 24], k: [3, 3], mult: 1, stride: [1, 1], pad: 'valid', dil: 3 });

describe('native depthwise kernels', function () {
  this.timeout(300000);
  let addon: DepthwiseAddon & GroupedShiftAddon;
  nativeSuiteHooks([FWD, FUSED, BPI, BPF]);
  before(() => { addon = loadedAddon<DepthwiseAddon & GroupedShiftAddon>(); });

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      before(() => setNativeThreads(threads));

      for (const c of cases) {
        const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.mult];
        const seed = c.x[3] * 7 + c.mult * 3 + c.stride[0] + c.dil * 11;

        it(`forward ${label(c)}`, async () => {
          const work = () => tf.tidy(() => [tf.depthwiseConv2d(randomTensor(c.x, seed) as tf.Tensor4D, randomTensor(wShape, seed + 1) as tf.Tensor4D,
            c.stride, c.pad as 'same', 'NHWC', c.dil)]);
          const cpu = await onBackend('cpu', work);
          const native = await nativeRun(FWD, work);
          assertScaled(native[0], cpu[0], 'native vs cpu');
          if (!previousIsSafe(c)) return;
          const prev = await previousRun(work);
          assertScaled(native[0], prev[0], 'native vs previous');
        });

        // tfjs computes gradients only for dilation 1; dilated backprops are checked below with runKernel.
        if (c.dil !== 1) continue;
        it(`gradients ${label(c)}`, async () => {
          const work = () => tf.tidy(() => {
            const x = randomTensor(c.x, seed + 2);
            const w = randomTensor(wShape, seed + 3);
            const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad as 'same');
            const r = randomTensor(f(x, w).shape, seed + 4);
            return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
          });
          const cpu = await onBackend('cpu', work);
          const i0 = nativeCalls(BPI);
          const native = await nativeRun(BPF, work);
          assert.ok(nativeCalls(BPI) > i0, 'backprop input did not run natively');
          assertScaled(native[0], cpu[0], 'dx native vs cpu');
          assertScaled(native[1], cpu[1], 'dW native vs cpu');
          if (!previousIsSafe(c)) return;
          const prev = await previousRun(work);
          assertScaled(native[0], prev[0], 'dx native vs previous');
          assertScaled(native[1], prev[1], 'dW native vs previous');
        });
      }

      // Dilated gradients: tfjs's cpu backprops ignore dilations, so the oracle is the adjoint identity
      // <conv(x, w), dy> = <x, dx(dy, w)> = <w, dW(x, dy)> in float64 with the cpu forward, plus the previous kernel.
      for (const c of cases.filter((k) => k.dil !== 1)) {
        it(`dilated backprops (adjoint identity) ${label(c)}`, async () => {
          const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.mult];
          const attrs = { strides: c.stride, pad: c.pad, dilations: c.dil };
          const x = randomValues(tf.util.sizeFromShape(c.x), 91);
          const w = randomValues(tf.util.sizeFromShape(wShape), 92);
          const [y] = await onBackend('cpu', () => tf.tidy(() => [tf.depthwiseConv2d(tf.tensor4d(x, c.x), tf.tensor4d(w, wShape), c.stride, c.pad as 'same', 'NHWC', c.dil)]));
          const yShape = (() => {
            const info = tf.backend_util.computeConv2DInfo(c.x, wShape, c.stride, c.dil, c.pad as 'same', undefined, true);
            return info.outShape;
          })();
          const dy = randomValues(y.length, 93);
          const work = () => tf.tidy(() => [
            tf.engine().runKernel(BPI, { dy: tf.tensor(dy, yShape), filter: tf.tensor(w, wShape) }, { ...attrs, inputShape: c.x }) as tf.Tensor,
            tf.engine().runKernel(BPF, { x: tf.tensor(x, c.x), dy: tf.tensor(dy, yShape) }, { ...attrs, filterShape: wShape }) as tf.Tensor,
          ]);
          const i0 = nativeCalls(BPI);
          const [dx, dW] = await nativeRun(BPF, work);
          assert.ok(nativeCalls(BPI) > i0, 'backprop input did not run natively');
          const [pdx, pdW] = await previousRun(work);
          assertScaled(dx, pdx, 'dx native vs previous');
          assertScaled(dW, pdW, 'dW native vs previous');
          const ref = dot(y, dy);
          assert.ok(Math.abs(dot(x, dx) - ref) <= 1e-4 * Math.max(1, Math.abs(ref)), `<x, dx> ${dot(x, dx)} vs <y, dy> ${ref}`);
          assert.ok(Math.abs(dot(w, dW) - ref) <= 1e-4 * Math.max(1, Math.abs(ref)), `<w, dW> ${dot(w, dW)} vs <y, dy> ${ref}`);
        });
      }

      for (const [xShape, wShape] of [[[2, 9, 8, 6], [3, 3, 6, 2]], [[2, 9, 8, 40], [3, 3, 40, 1]]] as [Shape4, Shape4][]) {
        for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu'] as const) {
          for (const biasKind of ['channels', 'scalar', 'none'] as const) {
            it(`fused forward x=[${xShape}] w=[${wShape}] activation=${activation} bias=${biasKind}`, async () => {
              const work = () => tf.tidy(() => {
                const oc = wShape[2] * wShape[3];
                const bias = biasKind === 'channels' ? randomTensor([oc], 5) : biasKind === 'scalar' ? randomTensor([1], 6) : undefined;
                return [tf.fused.depthwiseConv2d({
                  x: randomTensor(xShape, 3, 3) as tf.Tensor4D, filter: randomTensor(wShape, 4) as tf.Tensor4D, strides: 2, pad: 'same', bias,
                  activation, leakyreluAlpha: activation === 'leakyrelu' ? 0.15 : undefined,
                })];
              });
              const cpu = await onBackend('cpu', work);
              const native = await nativeRun(FUSED, work);
              assertScaled(native[0], cpu[0], 'native vs cpu');
              // The wasm backend's fused kernel rejects a scalar bias (cpu broadcasts it, as the native kernel does).
              if (biasKind === 'scalar') return;
              const prev = await previousRun(work);
              assertScaled(native[0], prev[0], 'native vs previous');
            });
          }
        }
      }

      it('fused forward declines prelu (the previous kernel runs, still correct)', async () => {
        const work = () => tf.tidy(() => [tf.fused.depthwiseConv2d({
          x: randomTensor([1, 6, 6, 4], 8) as tf.Tensor4D, filter: randomTensor([3, 3, 4, 1], 9) as tf.Tensor4D, pad: 'valid', strides: 1,
          bias: randomTensor([4], 10), activation: 'prelu', preluActivationWeights: randomTensor([4], 11),
        })]);
        const cpu = await onBackend('cpu', work);
        const before = kernelCalls(FUSED);
        const [wasm] = await onBackend('wasm', work);
        const now = kernelCalls(FUSED);
        assert.equal(now.native, before.native, 'prelu ran natively');
        assert.ok(now.fallback > before.fallback, 'prelu did not reach the previous kernel');
        assertScaled(wasm, cpu[0], 'prelu via fallback vs cpu');
      });

      const shiftCases: { x: Shape4; offsets: () => Array<[number, number]>; what: string }[] = [
        { x: [2, 7, 9, 20], offsets: () => shiftOffsets(20, 3), what: 'ShiftNet 3×3 (20 channels, 2 unshifted)' },
        { x: [1, 11, 10, 54], offsets: () => shiftOffsets(54, 5, 2), what: 'ShiftNet 5×5 dilation 2' },
        {
          x: [3, 5, 6, 7], what: 'arbitrary offsets, some beyond the image',
          offsets: () => [[0, 0], [-1, 2], [-1, 2], [5, 0], [0, -6], [-7, 9], [2, -3]],
        },
        { x: [1, 6, 7, 100], offsets: () => shiftOffsets(100, 3), what: 'ShiftNet 3×3, runs of 11–12 channels' },
        { x: [2, 5, 5, 130], offsets: () => shiftOffsets(130, 5), what: 'ShiftNet 5×5, runs of 5–6 channels' },
        {
          // Every length branch of the short copies: 1, 2, 3 (scalar), 4–7 (two 4-wide), 8, 9–17 (8-wide + tail).
          x: [2, 4, 5, 72], what: 'runs of 1, 2, 3, 4, 5, 7, 8, 9, 16 and 17 channels',
          offsets: () => [1, 2, 3, 4, 5, 7, 8, 9, 16, 17].flatMap((len, i) =>
            Array.from({ length: len }, () => [[0, 1], [1, -1], [-1, 0], [2, 2]][i % 4] as [number, number])),
        },
      ];
      for (const sc of shiftCases) {
        it(`grouped shift forward and gradient: ${sc.what} x=[${sc.x}]`, async () => {
          const work = () => tf.tidy(() => {
            const x = randomTensor(sc.x, 31);
            const r = randomTensor(sc.x, 32);
            const y = shiftTensor(x as tf.Tensor4D, sc.offsets());
            const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(shiftTensor(a as tf.Tensor4D, sc.offsets()), r)))(x);
            return [y, dx];
          });
          const cpu = await onBackend('cpu', work);
          const native = await nativeRun(GROUPED_SHIFT, work);
          const ts = await previousRun(work);
          // A shift only moves values: exact equality, not a tolerance.
          for (const [i, name] of ['y', 'dx'].entries()) {
            assert.deepEqual(Array.from(native[i]), Array.from(cpu[i]), `${name} native vs cpu composite`);
            assert.deepEqual(Array.from(ts[i]), Array.from(cpu[i]), `${name} TypeScript kernel vs cpu composite`);
          }
        });
      }

      it('grouped shift caches only frozen runs: a mutable runs array is checked again on every call', async () => {
        const runs = [0, 2, 0, 1, 2, 4, 1, 0];
        const x = randomTensor([1, 3, 3, 4], 40);
        const frozen = Object.freeze([...runs]);
        const run = (r: readonly number[]) => tf.engine().runKernel(GROUPED_SHIFT, { x }, { runs: r } as unknown as tf.NamedAttrMap) as tf.Tensor;
        await tf.setBackend('wasm');
        const first = await run(frozen).data();
        assert.deepEqual(Array.from(await run(frozen).data()), Array.from(first), 'frozen runs, second call (cached)');
        assert.deepEqual(Array.from(await run(runs).data()), Array.from(first), 'same runs, mutable array');
        runs[1] = 3; // [0, 3) and [2, 4) overlap: no longer a tiling of the channels
        assert.throws(() => run(runs), /attrs\.runs must be/);
        x.dispose();
      });

      it('backprop filter is deterministic for a given thread count', async () => {
        const xShape: Shape4 = [8, 12, 12, 24];
        const work = () => tf.tidy(() => [tf.engine().runKernel(BPF, { x: randomTensor(xShape, 1), dy: randomTensor([8, 12, 12, 24], 2) },
          { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 24, 1] }) as tf.Tensor]);
        const a = await nativeRun(BPF, work);
        const b = await nativeRun(BPF, work);
        assert.deepEqual(Array.from(a[0]), Array.from(b[0]));
      });
    });
  }

  it('the addon throws on bad sizes instead of touching memory outside the views', () => {
    // B,H,W,C,M,OH,OW,KH,KW,sh,sw,dh,dw,pt,pl for x [1,4,4,4], w [3,3,4,1], y [1,4,4,4] ('same').
    const geom = Int32Array.from([1, 4, 4, 4, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1]);
    const f = (n: number) => new Float32Array(n);
    assert.doesNotThrow(() => addon.depthwiseConv2d(f(64), f(36), f(4), f(64), geom, 0, 0));
    assert.doesNotThrow(() => addon.depthwiseConv2d(f(64), f(36), f(1), f(64), geom, 3, 0.2));
    assert.throws(() => addon.depthwiseConv2d(f(63), f(36), null, f(64), geom, 0, 0), /depthwiseConv2d: argument 0 holds 63 floats/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(35), null, f(64), geom, 0, 0), /argument 1 holds 35/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), f(3), f(64), geom, 0, 0), /argument 2 holds 3/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), null, f(63), geom, 0, 0), /argument 3 holds 63/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), null, f(64), geom, 7, 0), /activation code 7/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), null, f(64), geom.subarray(0, 14), 0, 0), /must hold 15 ints/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), null, f(64), Int32Array.from([1, 4, 4, 4, 1, 4, 4, 3, 3, 0, 1, 1, 1, 1, 1]), 0, 0), /strideH = 0/);
    assert.throws(() => addon.depthwiseConv2d(f(64), f(36), null, f(64), Int32Array.from([65536, 65536, 65536, 65536, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1]), 0, 0), /overflow/);
    assert.doesNotThrow(() => addon.depthwiseBackpropInput(f(64), f(36), f(64), geom));
    assert.throws(() => addon.depthwiseBackpropInput(f(64), f(36), f(63), geom), /depthwiseBackpropInput: argument 2 holds 63/);
    assert.throws(() => addon.depthwiseBackpropInput(f(60), f(36), f(64), geom), /argument 0 holds 60/);
    assert.doesNotThrow(() => addon.depthwiseBackpropFilter(f(64), f(64), f(36), geom));
    assert.throws(() => addon.depthwiseBackpropFilter(f(64), f(64), f(35), geom), /depthwiseBackpropFilter: argument 2 holds 35/);
    assert.throws(() => addon.depthwiseBackpropFilter(f(64), f(60), f(36), geom), /argument 1 holds 60/);
    assert.throws(() => (addon.depthwiseBackpropFilter as unknown as (...a: unknown[]) => void)(f(64), f(64), f(36)), /expected 4 arguments/);
    const sg = Int32Array.from([1, 4, 4, 4]);
    const runs = (...v: number[]) => Int32Array.from(v);
    assert.doesNotThrow(() => addon.groupedShift(f(64), f(64), runs(0, 2, 1, -1, 2, 4, 0, 9), sg));
    assert.throws(() => addon.groupedShift(f(63), f(64), runs(0, 4, 0, 0), sg), /groupedShift: argument 0 holds 63/);
    assert.throws(() => addon.groupedShift(f(64), f(60), runs(0, 4, 0, 0), sg), /argument 1 holds 60/);
    assert.throws(() => addon.groupedShift(f(64), f(64), runs(0, 3, 0, 0), sg), /cover channels \[0, 3\)/);
    assert.throws(() => addon.groupedShift(f(64), f(64), runs(0, 2, 0, 0, 1, 4, 0, 0), sg), /run 1/);
    assert.throws(() => addon.groupedShift(f(64), f(64), runs(0, 5, 0, 0), sg), /run 0/);
    assert.throws(() => addon.groupedShift(f(64), f(64), runs(0, 4, 0), sg), /4 ints per run/);
    assert.throws(() => addon.groupedShift(f(64), f(64), runs(0, 4, 0, 0), Int32Array.from([1, 4, 4])), /4 ints/);
  });
});
