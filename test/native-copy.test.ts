/**
 * Native data-movement kernels (native/src/copy.c): Slice, SplitV, Concat, PadV2, Transpose — against the tfjs `cpu`
 * backend (an independent oracle) and against the kernels they replace on wasm, with 1 and 2 threads. Copies are
 * exact, so every comparison is bitwise.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { withoutNativeKernels } from '../src/lib/kernels';
import { setNativeThreads } from '../src/lib/kernels/core/addon';
import { CopyAddon } from '../src/lib/kernels/copy/native';
import { channelShuffleTensor, channelUnshuffleTensor } from '../src/lib/ops/channel-shuffle';
import { resultsOn } from './support/backend';
import { kernelCalls, loadedAddon, nativeCalls, nativeSuiteHooks } from './support/native';
import { randomPicker, randomTensor } from './support/random';
import { assertSame, assertScaled } from './support/tolerance';

/** Runs `work` natively on wasm (asserting kernel `name` ran natively), without the native kernels, and on cpu; all
 * three must agree bitwise. */
async function compareAll(name: string, what: string, work: () => tf.Tensor[]): Promise<void> {
  const before = nativeCalls(name);
  const native = await resultsOn('wasm', work);
  assert.ok(nativeCalls(name) > before, `${what}: ${name} did not run natively (${JSON.stringify(kernelCalls(name))})`);
  const previous = await resultsOn('wasm', () => withoutNativeKernels(work));
  const oracle = await resultsOn('cpu', work);
  assert.equal(native.values.length, oracle.values.length, `${what}: output count`);
  for (let i = 0; i < oracle.values.length; i++) {
    assert.deepEqual(native.shapes[i], oracle.shapes[i], `${what}: shape of output ${i}`);
    assertSame(native.values[i], oracle.values[i], `${what} vs cpu, output ${i}`);
    assertSame(previous.values[i], oracle.values[i], `${what}: previous kernel vs cpu, output ${i}`);
  }
}

/** A shape of `rank` dimensions, each 1..maxDim, drawn with `pick`. */
function randomShape(rank: number, pick: (n: number) => number, maxDim = 5): number[] {
  return Array.from({ length: rank }, () => 1 + pick(maxDim));
}

/** The addon's copy entry points (asserts that it loaded). */
function cpAddon(): CopyAddon {
  return loadedAddon<CopyAddon>();
}

describe('native copy kernels', function () {
  this.timeout(300000);
  nativeSuiteHooks();

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      before(() => setNativeThreads(threads));

      it('Slice: ranks 1–6, begins/sizes on every axis, size −1, number begin', async () => {
        const pick = randomPicker(11 + threads);
        for (let rank = 1; rank <= 6; rank++) {
          for (let c = 0; c < 6; c++) {
            const shape = randomShape(rank, pick);
            const begin = shape.map((d) => pick(d));
            const size = shape.map((d, k) => (pick(4) === 0 ? -1 : 1 + pick(d - begin[k])));
            await compareAll(tf.Slice, `slice ${shape} begin ${begin} size ${size}`,
              () => [tf.slice(randomTensor(shape, rank * 10 + c), begin, size)]);
          }
        }
        await compareAll(tf.Slice, 'slice begin as number', () => [tf.slice(randomTensor([5, 3, 4], 1), 2)]);
        await compareAll(tf.Slice, 'slice short begin/size', () => [tf.slice(randomTensor([5, 3, 4], 2), [1, 1], [3, -1])]);
        // Channel slice of an NHWC batch large enough to run on the pool (ShuffleNet V2's split).
        await compareAll(tf.Slice, 'slice NHWC channels', () => [tf.slice(randomTensor([8, 16, 16, 64], 3), [0, 0, 0, 32], [-1, -1, -1, 32])]);
      });

      it('SplitV: ranks 1–6, every axis (negative too), counts and sizes with −1', async () => {
        const pick = randomPicker(21 + threads);
        for (let rank = 1; rank <= 6; rank++) {
          for (let axis = -rank; axis < rank; axis++) {
            const shape = randomShape(rank, pick);
            const ax = axis < 0 ? axis + rank : axis;
            shape[ax] = 2 + pick(6);
            const d = shape[ax];
            const sizes: number[] = [];
            let left = d;
            while (left > 0) {
              const s = 1 + pick(left);
              sizes.push(s);
              left -= s;
            }
            // −1 (the rest) anywhere but first: tfjs's prepareSplitSize miscounts a leading −1 (its reduce starts
            // from it), on every backend.
            if (sizes.length > 1 && pick(2) === 0) sizes[1 + pick(sizes.length - 1)] = -1;
            await compareAll(tf.SplitV, `split ${shape} axis ${axis} sizes ${sizes}`,
              () => tf.split(randomTensor(shape, rank * 100 + ax), sizes, axis));
            const count = d % 2 === 0 ? 2 : 1;
            await compareAll(tf.SplitV, `split ${shape} axis ${axis} into ${count}`,
              () => tf.split(randomTensor(shape, rank * 100 + ax + 50), count, axis));
          }
        }
        await compareAll(tf.SplitV, 'split NHWC channels into 4',
          () => tf.split(randomTensor([8, 16, 16, 96], 4), 4, 3));
      });

      it('Concat: ranks 1–6, every axis (negative too), 2–5 inputs', async () => {
        const pick = randomPicker(31 + threads);
        for (let rank = 1; rank <= 6; rank++) {
          for (let axis = -rank; axis < rank; axis++) {
            const shape = randomShape(rank, pick);
            const ax = axis < 0 ? axis + rank : axis;
            const n = 2 + pick(4); // tf.concat of one tensor clones it without calling the kernel
            const shapes = Array.from({ length: n }, () => shape.map((d, k) => (k === ax ? 1 + pick(4) : d)));
            await compareAll(tf.Concat, `concat ${JSON.stringify(shapes)} axis ${axis}`,
              () => [tf.concat(shapes.map((s, i) => randomTensor(s, rank * 100 + i + 7 * ax)), axis)]);
          }
        }
        await compareAll(tf.Concat, 'concat NHWC channels', () => [tf.concat([randomTensor([8, 16, 16, 48], 5), randomTensor([8, 16, 16, 80], 6)], 3)]);
        await compareAll(tf.Concat, 'concat same tensor twice', () => {
          const a = randomTensor([4, 4, 3], 7);
          return [tf.concat([a, a, a], -1)];
        });
      });

      it('PadV2: ranks 1–6, paddings on any axes, constant values', async () => {
        const pick = randomPicker(41 + threads);
        for (let rank = 1; rank <= 6; rank++) {
          for (let c = 0; c < 6; c++) {
            const shape = randomShape(rank, pick);
            const paddings = shape.map(() => (pick(2) === 0 ? [0, 0] : [pick(3), pick(3)])) as Array<[number, number]>;
            const value = c % 3 === 0 ? 0 : (pick(100) - 50) / 8;
            await compareAll(tf.PadV2, `pad ${shape} ${JSON.stringify(paddings)} value ${value}`,
              () => [tf.pad(randomTensor(shape, rank * 10 + c), paddings, value)]);
          }
        }
        await compareAll(tf.PadV2, 'pad NHWC channels (slice gradient)',
          () => [tf.pad(randomTensor([8, 16, 16, 32], 8), [[0, 0], [0, 0], [0, 0], [32, 0]])]);
        await compareAll(tf.PadV2, 'pad NHWC spatial', () => [tf.pad(randomTensor([8, 16, 16, 32], 9), [[0, 0], [1, 2], [2, 1], [0, 0]], -1)]);
        await compareAll(tf.PadV2, 'pad batch only', () => [tf.pad(randomTensor([3, 4, 5], 10), [[2, 1], [0, 0], [0, 0]], 3)]);
      });

      it('Transpose: ranks 2–6, random permutations, channel shuffle', async () => {
        const pick = randomPicker(51 + threads);
        for (let rank = 2; rank <= 6; rank++) {
          for (let c = 0; c < 5; c++) {
            const shape = randomShape(rank, pick, 6);
            const perm = Array.from({ length: rank }, (_, i) => i);
            for (let i = rank - 1; i > 0; i--) {
              const j = pick(i + 1);
              [perm[i], perm[j]] = [perm[j], perm[i]];
            }
            if (perm.every((p, i) => p === i)) [perm[0], perm[rank - 1]] = [perm[rank - 1], perm[0]];
            shape[perm[0]] = Math.max(shape[perm[0]], 2);
            shape[perm[rank - 1]] = Math.max(shape[perm[rank - 1]], 2);
            await compareAll(tf.Transpose, `transpose ${shape} perm ${perm}`, () => [tf.transpose(randomTensor(shape, rank * 10 + c), perm)]);
          }
        }
        await compareAll(tf.Transpose, 'transpose 2-D large', () => [tf.transpose(randomTensor([300, 700], 11))]);
        await compareAll(tf.Transpose, 'channel shuffle g=3', () => [channelShuffleTensor(randomTensor([8, 16, 16, 240], 12), 3)]);
        await compareAll(tf.Transpose, 'channel shuffle g=2', () => [channelShuffleTensor(randomTensor([4, 8, 8, 116], 13), 2)]);
        // The other direction (the shuffle's gradient) and every short-axis length of the (de)interleave paths.
        for (let g = 2; g <= 9; g++) {
          await compareAll(tf.Transpose, `channel unshuffle g=${g}`, () => [channelUnshuffleTensor(randomTensor([2, 3, 5, 12 * g], 14 + g), g)]);
          await compareAll(tf.Transpose, `channel shuffle g=${g}`, () => [channelShuffleTensor(randomTensor([2, 3, 5, 12 * g], 24 + g), g)]);
          await compareAll(tf.Transpose, `channel shuffle C=g·5, g=${g}`, () => [channelShuffleTensor(randomTensor([3, 4, 5 * g], 34 + g), 5)]);
        }
      });

      it('gradients through tf.concat / tf.split / tf.slice / tf.pad / tf.transpose', async () => {
        const x = [4, 5, 6, 8];
        const work = (): tf.Tensor[] => {
          const a = randomTensor(x, 21);
          const b = randomTensor([4, 5, 6, 3], 22);
          const w = randomTensor([4, 5, 6, 11], 23);
          const loss = (p: tf.Tensor, q: tf.Tensor): tf.Scalar => {
            const cat = tf.concat([p, q], 3);
            const [s1, s2] = tf.split(cat, [7, 4], -1);
            const sl = tf.slice(cat, [1, 0, 2, 1], [2, -1, 3, 6]);
            const padded = tf.pad(sl, [[1, 1], [0, 0], [1, 2], [2, 3]], 0.5);
            const tr = tf.transpose(padded, [0, 3, 1, 2]);
            return tf.sum(tf.concat([s1, s2], 3).mul(w)).add(tf.sum(tr.mul(tr))) as tf.Scalar;
          };
          return tf.grads(loss)([a, b]);
        };
        for (const k of [tf.Concat, tf.SplitV, tf.Slice, tf.PadV2, tf.Transpose]) {
          const before = nativeCalls(k);
          await resultsOn('wasm', work);
          assert.ok(nativeCalls(k) > before, `${k} did not run natively in the gradient`);
        }
        const native = await resultsOn('wasm', work);
        const oracle = await resultsOn('cpu', work);
        // Products and sums: the same formula on both backends; allow float rounding differences in the sums.
        for (let i = 0; i < 2; i++) assertScaled(native.values[i], oracle.values[i], `gradient ${i}`, 1e-6);
      });
    });
  }

  it('declines other dtypes and empty tensors (the previous kernel runs)', async () => {
    await tf.setBackend('wasm');
    const cases: Array<[string, () => tf.Tensor | tf.Tensor[]]> = [
      [tf.Slice, () => tf.slice(tf.tensor1d([1, 2, 3, 4], 'int32'), [1], [2])],
      [tf.Slice, () => tf.slice(tf.zeros([3, 0, 2]), [1, 0, 0], [1, 0, 2])],
      [tf.SplitV, () => tf.split(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 2, 1)],
      [tf.Concat, () => tf.concat([tf.tensor1d([1], 'int32'), tf.tensor1d([2], 'int32')])],
      [tf.Concat, () => tf.concat([tf.zeros([2, 0]), tf.ones([2, 3])], 1)],
      [tf.PadV2, () => tf.pad(tf.tensor1d([1, 2], 'int32'), [[1, 1]])],
      [tf.PadV2, () => tf.pad(tf.zeros([0, 2]), [[1, 1], [0, 0]])],
      [tf.Transpose, () => tf.transpose(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'))],
      [tf.Transpose, () => tf.transpose(tf.ones([1, 3, 1, 4]), [2, 0, 1, 3])],
    ];
    for (const [name, fn] of cases) {
      const before = kernelCalls(name);
      const out = fn();
      const after = kernelCalls(name);
      assert.equal(after.native, before.native, `${name} ran natively on a case it should decline`);
      assert.ok(after.fallback > before.fallback, `${name} fallback did not run`);
      tf.dispose(out);
    }
    // The declined cases still give the right values.
    assert.deepEqual(Array.from(tf.slice(tf.tensor1d([1, 2, 3, 4], 'int32'), [1], [2]).dataSync()), [2, 3]);
    assert.deepEqual(tf.transpose(tf.ones([1, 3, 1, 4]), [2, 0, 1, 3]).shape, [1, 1, 3, 4]);
  });

  it('bad sizes passed straight to the addon throw named errors', () => {
    const a = cpAddon();
    const f = (n: number): Float32Array => new Float32Array(n);
    const i = (...v: number[]): Int32Array => Int32Array.from(v);
    // copyStrided: 2×3 box out of a 3×4 source at offset 1 needs 1 + 1·4 + 2 + 1 = 8 floats.
    a.copyStrided(f(8), f(6), 2, i(2, 3), i(4, 1), 1, i(3, 1), 0);
    assert.throws(() => a.copyStrided(f(7), f(6), 2, i(2, 3), i(4, 1), 1, i(3, 1), 0), /copyStrided: argument 0 holds 7/);
    assert.throws(() => a.copyStrided(f(8), f(5), 2, i(2, 3), i(4, 1), 1, i(3, 1), 0), /copyStrided: argument 1 holds 5/);
    assert.throws(() => a.copyStrided(f(8), f(6), 3, i(2, 3), i(4, 1), 1, i(3, 1), 0), /copyStrided: argument 3 holds 2/);
    assert.throws(() => a.copyStrided(f(8), f(6), 2, i(2, 3), i(-4, 1), 1, i(3, 1), 0), /copyStrided: .*negative/);
    assert.throws(() => a.copyStrided(f(8), f(6), 2, i(2, 3), i(4, 1), -1, i(3, 1), 0), /copyStrided: negative offset/);
    assert.throws(() => a.copyStrided(f(8), f(6), 9, i(2, 3), i(4, 1), 1, i(3, 1), 0), /copyStrided: rank 9/);
    const shared = f(16);
    assert.throws(() => a.copyStrided(shared, shared.subarray(4), 1, i(6), i(1), 0, i(1), 0), /copyStrided: .*overlap/);
    assert.throws(() => (a as unknown as { copyStrided: (...x: unknown[]) => void }).copyStrided([1], f(1), 1, i(1), i(1), 0, i(1), 0),
      /copyStrided: argument 0 must be a Float32Array/);
    // padConstant: x [2,3] padded by 1 on every side → [4,5] = 20 floats.
    a.padConstant(f(6), f(20), 2, i(2, 3), i(1, 1), i(1, 1), 0);
    assert.throws(() => a.padConstant(f(5), f(20), 2, i(2, 3), i(1, 1), i(1, 1), 0), /padConstant: argument 0 holds 5/);
    assert.throws(() => a.padConstant(f(6), f(19), 2, i(2, 3), i(1, 1), i(1, 1), 0), /padConstant: argument 1 holds 19/);
    assert.throws(() => a.padConstant(f(6), f(20), 2, i(2, 3), i(1, -1), i(1, 1), 0), /padConstant: .*negative/);
    assert.throws(() => a.padConstant(f(6), f(20), 0, i(), i(), i(), 0), /padConstant: rank 0/);
    // concatRows / splitRows: parts [3,2] and [3,4] ↔ whole [3,6].
    a.concatRows([f(6), f(12)], i(2, 4), 3, f(18));
    a.splitRows(f(18), 3, i(2, 4), [f(6), f(12)]);
    assert.throws(() => a.concatRows([f(6), f(11)], i(2, 4), 3, f(18)), /concatRows: argument 0 holds 11/);
    assert.throws(() => a.concatRows([f(6), f(12)], i(2, 4), 3, f(17)), /concatRows: argument 3 holds 17/);
    assert.throws(() => a.concatRows([f(6), f(12)], i(2), 3, f(18)), /concatRows: 2 arrays but 1 row lengths/);
    assert.throws(() => a.concatRows([], i(), 3, f(18)), /concatRows: argument 0 holds 0 arrays/);
    assert.throws(() => a.concatRows([f(6), f(12)], i(2, -4), 3, f(18)), /concatRows: negative row length/);
    assert.throws(() => (a as unknown as { concatRows: (...x: unknown[]) => void }).concatRows(f(6), i(2), 3, f(6)),
      /concatRows: argument 0 must be an array/);
    assert.throws(() => (a as unknown as { concatRows: (...x: unknown[]) => void }).concatRows([f(6), [1]], i(2, 4), 3, f(18)),
      /concatRows: argument 0 must be a Float32Array/);
    assert.throws(() => a.splitRows(f(17), 3, i(2, 4), [f(6), f(12)]), /splitRows: argument 0 holds 17/);
    assert.throws(() => a.splitRows(f(18), 3, i(2, 4), [f(5), f(12)]), /splitRows: argument 3 holds 5/);
    assert.throws(() => a.splitRows(f(18), -3, i(2, 4), [f(6), f(12)]), /splitRows: negative row count/);
    const out = f(12);
    assert.throws(() => a.splitRows(f(18), 3, i(2, 2), [out, out]), /splitRows: outputs 0 and 1 overlap/);
    assert.throws(() => a.concatRows([out.subarray(0, 6)], i(2), 3, out.subarray(0, 6)), /concatRows: part 0 overlaps/);
  });

  it('copyStrided / padConstant / concatRows compute what they document (direct calls)', () => {
    const a = cpAddon();
    const src = Float32Array.from({ length: 12 }, (_, k) => k); // [3,4]
    const dst = new Float32Array(6);
    a.copyStrided(src, dst, 2, Int32Array.from([2, 3]), Int32Array.from([4, 1]), 1, Int32Array.from([3, 1]), 0);
    assert.deepEqual(Array.from(dst), [1, 2, 3, 5, 6, 7]);
    const tr = new Float32Array(12);
    a.copyStrided(src, tr, 2, Int32Array.from([4, 3]), Int32Array.from([1, 4]), 0, Int32Array.from([3, 1]), 0);
    assert.deepEqual(Array.from(tr), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const padded = new Float32Array(8);
    a.padConstant(Float32Array.from([1, 2]), padded, 2, Int32Array.from([1, 2]), Int32Array.from([1, 1]),
      Int32Array.from([0, 1]), 9);
    assert.deepEqual(Array.from(padded), [9, 9, 9, 9, 9, 1, 2, 9]);
    const cat = new Float32Array(6);
    a.concatRows([Float32Array.from([1, 2]), Float32Array.from([3, 4, 5, 6])], Int32Array.from([1, 2]), 2, cat);
    assert.deepEqual(Array.from(cat), [1, 3, 4, 2, 5, 6]);
  });
});
