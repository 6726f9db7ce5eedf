/**
 * Native convolutions and matmuls (native/src/conv.c and matmul.c, via src/lib/kernels/conv/native.ts and
 * matmul/native.ts) against the tfjs `cpu` backend (independent oracle) and against the previous wasm kernels, through
 * the public tf ops, with 1 and 2 threads, OpenBLAS and the built-in GEMM; plus the addon's own argument checks.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeStatus } from '../src/lib/kernels/core/addon';
import type { ConvAddon } from '../src/lib/kernels/conv/native';
import type { MatMulAddon } from '../src/lib/kernels/matmul/native';
import { onBackend } from './support/backend';
import { blasModeOf, kernelCalls, nativeRun, nativeSuiteHooks, previousRun } from './support/native';
import { gemmOracle } from './support/oracles';
import { randomTensor, randomValues } from './support/random';
import { assertScaled, scaledError } from './support/tolerance';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/**
 * Runs `work` on cpu, on wasm with the native kernels and on wasm without them; asserts both wasm results match the
 * cpu oracle (≤ 1e-4 of its scale) and that each kernel in `kernels` ran natively at least once.
 */
async function check(what: string, work: () => tf.Tensor[], kernels: string[]): Promise<void> {
  const expected = await onBackend('cpu', work);
  const native = await nativeRun(kernels, work, what);
  const previous = await previousRun(work);
  expected.forEach((e, i) => {
    assertScaled(native[i], e, `${what} output ${i}: native vs cpu`);
    // The previous wasm kernels have bugs of their own (dimRoundingMode 'ceil' in Conv2D/FusedConv2D, some batched
    // _FusedMatMul products): compare with them only where they agree with the oracle, and list the others.
    const prevVsCpu = scaledError(previous[i], e);
    if (prevVsCpu > 1e-4) {
      previousKernelBugs.add(`${what} output ${i}: previous wasm kernel vs cpu ${prevVsCpu.toExponential(2)}`);
      return;
    }
    assertScaled(native[i], previous[i], `${what} output ${i}: native vs previous wasm kernel`);
  });
}

/** Cases where the previous wasm kernel disagrees with the cpu oracle (reported once at the end). */
const previousKernelBugs = new Set<string>();

interface ConvCase {
  x: Shape4;
  w: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  rounding?: 'floor' | 'round' | 'ceil';
}

/** The grid: pointwise, 3×3 / 5×5 / asymmetric kernels, strides 1–3, every padding form, dilations, rounding modes. */
const CASES: ConvCase[] = [
  { x: [2, 6, 6, 8], w: [1, 1, 8, 16], strides: 1, pad: 'valid' },
  { x: [2, 6, 6, 8], w: [1, 1, 8, 16], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 8], w: [1, 1, 8, 12], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 5], w: [3, 3, 5, 7], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 5], w: [3, 3, 5, 7], strides: 2, pad: 'same' },
  { x: [2, 9, 8, 5], w: [3, 3, 5, 7], strides: 2, pad: 'valid' },
  { x: [1, 10, 9, 4], w: [3, 3, 4, 6], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 10, 9, 4], w: [3, 2, 4, 6], strides: 1, pad: 'valid', dilations: [2, 3] },
  { x: [2, 8, 8, 3], w: [5, 5, 3, 4], strides: 1, pad: 2 },
  { x: [1, 7, 5, 3], w: [2, 4, 3, 5], strides: [2, 1], pad: 'same' },
  { x: [2, 11, 10, 3], w: [3, 3, 3, 4], strides: 3, pad: 1, rounding: 'ceil' },
  { x: [2, 11, 10, 3], w: [3, 3, 3, 4], strides: 2, pad: 1, rounding: 'floor' },
  { x: [1, 8, 9, 6], w: [3, 3, 6, 5], strides: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { x: [1, 4, 4, 2], w: [1, 1, 2, 3], strides: 3, pad: 'valid' },
];

function label(c: ConvCase): string {
  return `x${c.x.join('×')} w${c.w.join('×')} s${String(c.strides)} p${JSON.stringify(c.pad)} d${String(c.dilations ?? 1)}${c.rounding ? ' ' + c.rounding : ''}`;
}

function convOp(c: ConvCase) {
  return (x: tf.Tensor4D, w: tf.Tensor4D) =>
    tf.conv2d(x, w, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1, c.rounding);
}

/** Gradients of Σ conv(x, w)·r with respect to x and w (r random, so dy is random). */
function convGrads(c: ConvCase, seed: number): () => tf.Tensor[] {
  return () => tf.tidy(() => {
    const x = randomTensor(c.x, seed) as tf.Tensor4D;
    const w = randomTensor(c.w, seed + 1) as tf.Tensor4D;
    const op = convOp(c);
    const yShape = op(x, w).shape;
    const r = randomTensor(yShape, seed + 2);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
  });
}

describe('native conv and matmul kernels', function () {
  this.timeout(300000);
  let addon: ReturnType<typeof nativeAddon> = null;
  let threadsBefore = 1;
  let blasBefore = 2;

  nativeSuiteHooks();
  before(() => {
    addon = nativeAddon();
    threadsBefore = addon?.info().threads ?? 1;
    blasBefore = blasModeOf(addon?.info().blas ?? 'builtin');
  });
  after(() => {
    if (previousKernelBugs.size > 0) console.log(`      (previous wasm kernels disagreeing with cpu, not compared: ${[...previousKernelBugs].join('; ')})`);
  });

  it('the addon is loaded (otherwise every case below would silently test the fallback)', () => {
    const status = nativeStatus();
    assert.ok(status.loaded, `native addon not loaded: ${status.reason}`);
  });

  for (const blas of [1, 0]) {
    for (const threads of [1, 2]) {
      const tag = `${blas ? 'OpenBLAS' : 'built-in GEMM'}, ${threads} thread(s)`;
      describe(tag, () => {
        beforeEach(() => {
          assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
          addon.setThreads(threads);
          const used = addon.selectBlas(blas);
          if (blas === 0) assert.equal(used, 'builtin');
        });
        afterEach(() => {
          addon?.setThreads(threadsBefore);
          addon?.selectBlas(blasBefore);
        });

        it('Conv2D forward over the grid of shapes, strides, paddings, dilations', async () => {
          for (const [i, c] of CASES.entries()) {
            await check(`Conv2D ${label(c)}`, () => [convOp(c)(randomTensor(c.x, 10 + i) as tf.Tensor4D, randomTensor(c.w, 50 + i) as tf.Tensor4D)], [tf.Conv2D]);
          }
        });

        it('FusedConv2D with bias and linear / relu / relu6 / leakyrelu', async () => {
          const acts = ['linear', 'relu', 'relu6', 'leakyrelu'] as const;
          for (const [i, c] of CASES.entries()) {
            const activation = acts[i % acts.length];
            await check(`FusedConv2D ${activation} ${label(c)}`, () => [tf.fused.conv2d({
              x: tf.mul(randomTensor(c.x, 20 + i), 4) as tf.Tensor4D, filter: randomTensor(c.w, 60 + i) as tf.Tensor4D,
              strides: c.strides, pad: c.pad as 'same', dilations: c.dilations ?? 1, dimRoundingMode: c.rounding,
              bias: randomTensor([c.w[3]], 90 + i), activation, leakyreluAlpha: 0.15,
            })], [tf.FusedConv2D]);
          }
        });

        it('FusedConv2D over several cache tiles (small filter: per-thread im2col tiles, a partial last tile)', async () => {
          // K = 27, so a 192 KB tile holds 1,824 output pixels; 2·41·43 = 3,526 pixels make one full and one partial tile,
          // and a 7×7/2 stem (K = 147: 336-pixel tiles) six tiles, the last one partial.
          const tiled: ConvCase[] = [
            { x: [2, 41, 43, 3], w: [3, 3, 3, 8], strides: 1, pad: 'same' },
            { x: [1, 96, 90, 3], w: [7, 7, 3, 32], strides: 2, pad: 'valid' },
          ];
          for (const [i, c] of tiled.entries()) {
            await check(`FusedConv2D relu tiles ${label(c)}`, () => [tf.fused.conv2d({
              x: randomTensor(c.x, 700 + i) as tf.Tensor4D, filter: randomTensor(c.w, 710 + i) as tf.Tensor4D,
              strides: c.strides, pad: c.pad as 'same', bias: randomTensor([c.w[3]], 720 + i), activation: 'relu',
            })], [tf.FusedConv2D]);
          }
        });

        it('Conv2DBackpropInput and Conv2DBackpropFilter (gradients of conv2d) over the grid', async () => {
          // tfjs computes no conv2d gradients for dilations > 1, and its conv2d gradient drops dimRoundingMode (dy
          // then does not match the input gradient's geometry: the native kernel declines, the fallback runs).
          for (const [i, c] of CASES.entries()) {
            if ((c.dilations ?? 1) !== 1 || c.rounding === 'ceil') continue;
            await check(`conv2d grads ${label(c)}`, convGrads(c, 100 + 3 * i), [tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter]);
          }
        });

        it('BatchMatMul: transposes, batch broadcast, rank 2 and 4', async () => {
          const mm: Array<[number[], number[], boolean, boolean]> = [
            [[3, 7, 5], [3, 5, 6], false, false],
            [[3, 5, 7], [3, 5, 6], true, false],
            [[3, 7, 5], [3, 6, 5], false, true],
            [[3, 5, 7], [3, 6, 5], true, true],
            [[1, 7, 5], [4, 5, 6], false, false],
            [[4, 7, 5], [1, 5, 6], false, false],
            [[4, 7, 5], [5, 6], false, false],
            [[33, 65], [65, 17], false, false],
            [[2, 3, 4, 5], [2, 3, 5, 2], false, false],
          ];
          for (const [i, [sa, sb, ta, tb]] of mm.entries()) {
            await check(`matMul ${sa.join('×')} · ${sb.join('×')} tA${ta} tB${tb}`, () => [tf.matMul(randomTensor(sa, 200 + i), randomTensor(sb, 300 + i), ta, tb)], [tf.BatchMatMul]);
          }
        });

        it('_FusedMatMul with bias and each activation', async () => {
          const acts = ['linear', 'relu', 'relu6', 'leakyrelu'] as const;
          for (const [i, activation] of acts.entries()) {
            const ta = i % 2 === 1;
            const tb = i >= 2;
            await check(`fused matMul ${activation}`, () => [tf.fused.matMul({
              a: tf.mul(randomTensor(ta ? [2, 9, 8] : [2, 8, 9], 400 + i), 3) as tf.Tensor3D,
              b: randomTensor(tb ? [2, 7, 9] : [2, 9, 7], 500 + i) as tf.Tensor3D,
              transposeA: ta, transposeB: tb, bias: randomTensor([7], 600 + i), activation, leakyreluAlpha: 0.3,
            })], [tf._FusedMatMul]);
          }
        });
      });
    }
  }

  for (const blas of [1, 0]) {
    it(`chunks im2col over output rows (cols > 16 MB) forward and backward, 2 threads, ${blas ? 'OpenBLAS' : 'built-in GEMM'}`, async () => {
      assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
      addon.setThreads(2);
      addon.selectBlas(blas);
      try {
        // 8·32·32 pixels × 3·3·64 = 4.7 M floats: two chunks, the boundary inside image 7.
        const c: ConvCase = { x: [8, 32, 32, 64], w: [3, 3, 64, 8], strides: 1, pad: 'same' };
        await check(`Conv2D ${label(c)}`, () => [convOp(c)(randomTensor(c.x, 1) as tf.Tensor4D, randomTensor(c.w, 2) as tf.Tensor4D)], [tf.Conv2D]);
        await check(`conv2d grads ${label(c)}`, convGrads(c, 3), [tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter]);
      } finally {
        addon.setThreads(threadsBefore);
        addon.selectBlas(blasBefore);
      }
    });
  }

  it('built-in GEMM: every transpose, beta 0 (overwrites NaN) / 1 / 0.5, ldc > N, edges of the 6×16 tile and of the blocks, every thread split', () => {
    assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
    try {
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        assert.equal(addon.selectBlas(0), 'builtin');
        // [13, 4200, 40]: column-split threads; [97, 1200, 40]: B packed in parallel; [200, 33, 300]: balanced row blocks.
        for (const [M, N, K] of [[1, 1, 1], [7, 17, 257], [97, 40, 513], [13, 4200, 5], [13, 4200, 40], [97, 1200, 40], [200, 33, 300], [3, 70, 40]]) {
          for (const ta of [0, 1]) {
            for (const tb of [0, 1]) {
              for (const beta of [0, 1, 0.5]) {
                const ldc = N + 3;
                const A = randomValues(M * K, M + K + ta), B = randomValues(K * N, N + 3 + tb);
                const C = new Float32Array(M * ldc).fill(beta === 0 ? NaN : 1);
                addon.sgemm(ta, tb, M, N, K, -0.75, A, ta ? M : K, B, tb ? K : N, beta, C, ldc);
                const ref = gemmOracle(ta === 1, tb === 1, M, N, K, A, B);
                for (let i = 0; i < M; i++) {
                  for (let j = 0; j < ldc; j++) {
                    const got = C[i * ldc + j];
                    if (j >= N) {
                      assert.ok(beta === 0 ? Number.isNaN(got) : got === 1, `C[${i},${j}] beyond N was written`);
                      continue;
                    }
                    const want = -0.75 * ref[i * N + j] + (beta === 0 ? 0 : beta);
                    assert.ok(Math.abs(got - want) <= 1e-5 * (1 + Math.sqrt(K)), `M${M} N${N} K${K} tA${ta} tB${tb} beta${beta} threads${threads}: C[${i},${j}] = ${got}, want ${want}`);
                  }
                }
              }
            }
          }
        }
      }
    } finally {
      addon.setThreads(threadsBefore);
      addon.selectBlas(blasBefore);
    }
  });

  it('declines what it does not implement (prelu, elu) and hands it to the previous kernel', async () => {
    await tf.setBackend('wasm');
    const before = kernelCalls(tf.FusedConv2D);
    const y = tf.tidy(() => tf.fused.conv2d({
      x: randomTensor([1, 5, 5, 2], 1) as tf.Tensor4D, filter: randomTensor([3, 3, 2, 3], 2) as tf.Tensor4D, strides: 1, pad: 'same',
      activation: 'prelu', preluActivationWeights: randomTensor([3], 3),
    }));
    y.dispose();
    const after = kernelCalls(tf.FusedConv2D);
    assert.equal(after.native, before.native, 'prelu must not run natively');
    assert.equal(after.fallback, before.fallback + 1);
    const m0 = kernelCalls(tf._FusedMatMul);
    tf.tidy(() => tf.fused.matMul({ a: randomTensor([2, 3], 4) as tf.Tensor2D, b: randomTensor([3, 2], 5) as tf.Tensor2D, activation: 'elu' }));
    const m1 = kernelCalls(tf._FusedMatMul);
    assert.equal(m1.native, m0.native, 'elu must not run natively');
    assert.equal(m1.fallback, m0.fallback + 1);
  });

  it('the addon entry points reject sizes that do not fit the arrays', () => {
    assert.ok(addon !== null, `native addon not loaded: ${nativeStatus().reason}`);
    const conv = addon as unknown as ConvAddon;
    // B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G
    const geom = Int32Array.from([1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]);
    const x = new Float32Array(32), w = new Float32Array(54), y = new Float32Array(48);
    conv.conv2d(x, w, null, y, geom, 0, 0); // the right sizes pass
    assert.throws(() => conv.conv2d(x, w, null, new Float32Array(47), geom, 0, 0), /conv2d: argument 3 holds 47 floats/);
    assert.throws(() => conv.conv2d(new Float32Array(31), w, null, y, geom, 0, 0), /conv2d: argument 0/);
    assert.throws(() => conv.conv2d(x, new Float32Array(53), null, y, geom, 0, 0), /conv2d: argument 1/);
    assert.throws(() => conv.conv2d(x, w, new Float32Array(2), y, geom, 0, 0), /conv2d: argument 2/);
    assert.throws(() => conv.conv2d(x, w, null, y, geom, 7, 0), /conv2d: activation code 7/);
    assert.throws(() => conv.conv2d(x, w, null, y, geom.subarray(0, 15), 0, 0), /conv2d: argument 4 must hold 16/);
    assert.throws(() => conv.conv2d(x, w, null, y, Int32Array.from([1, 4, 4, 2, 4, 4, 3, 3, 3, 0, 1, 1, 1, 1, 1, 1]), 0, 0), /geometry\[9\] = 0/);
    assert.throws(() => conv.conv2d(x, w, null, y, Int32Array.from([1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, -1, 1, 1]), 0, 0), /geometry\[13\] = -1/);
    assert.throws(() => conv.conv2d(x, w, null, y, Int32Array.from([1 << 24, 1 << 24, 1 << 24, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]), 0, 0), /too large/);
    assert.throws(() => (conv.conv2d as unknown as (...a: unknown[]) => void)(x, w, null, y, geom), /conv2d: expected 7 arguments/);
    conv.conv2dBackpropInput(y, w, x, geom);
    assert.throws(() => conv.conv2dBackpropInput(y, w, new Float32Array(31), geom), /conv2dBackpropInput: argument 2 holds 31/);
    assert.throws(() => conv.conv2dBackpropInput(new Float32Array(40), w, x, geom), /conv2dBackpropInput: argument 0/);
    conv.conv2dBackpropFilter(x, y, w, geom);
    assert.throws(() => conv.conv2dBackpropFilter(x, y, new Float32Array(50), geom), /conv2dBackpropFilter: argument 2 holds 50/);
    assert.throws(() => conv.conv2dBackpropFilter(x, new Float32Array(47), w, geom), /conv2dBackpropFilter: argument 1/);
    const mm = addon as unknown as MatMulAddon;
    const a = new Float32Array(2 * 3 * 4), b = new Float32Array(2 * 4 * 5), c = new Float32Array(2 * 3 * 5);
    mm.batchMatMul(a, b, null, c, 2, 2, 3, 5, 4, 0, 0, 0, 0);
    assert.throws(() => mm.batchMatMul(a, b, null, c.subarray(1), 2, 2, 3, 5, 4, 0, 0, 0, 0), /batchMatMul: argument 3 holds 29/);
    assert.throws(() => mm.batchMatMul(a, b, null, c, 2, 3, 3, 5, 4, 0, 0, 0, 0), /do not broadcast/);
    assert.throws(() => mm.batchMatMul(a, b, null, c, 2, 2, 3, 5, 0, 0, 0, 0, 0), /sizes must be positive/);
    assert.throws(() => mm.batchMatMul(a, b, new Float32Array(4), c, 2, 2, 3, 5, 4, 0, 0, 0, 0), /batchMatMul: argument 2 holds 4/);
    assert.throws(() => mm.batchMatMul(a, new Float32Array(39), null, c, 2, 2, 3, 5, 4, 0, 0, 0, 0), /batchMatMul: argument 1/);
  });
});
