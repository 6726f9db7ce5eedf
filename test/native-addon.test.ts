/** The native addon's core: loading, thread and BLAS selection, GEMM against a float64 oracle, argument checks, build fallback. */
import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeStatus, parseThreads } from '../src/lib/kernels/core/addon';
import { backendSummary, initBackend } from '../src/lib/backend';
import { runCliProcess } from './support/cli';
import { blasModeOf } from './support/native';
import { gemmOracle } from './support/oracles';
import { REPO_ROOT } from './support/paths';
import { randomValues } from './support/random';

describe('native addon', () => {
  const addon = nativeAddon();

  it('is built and loads (the CI installs a C compiler; COMPACT_NETS_NATIVE=0 is the only way to turn it off)', () => {
    const status = nativeStatus();
    assert.ok(status.loaded, `native addon not loaded: ${status.reason}`);
    assert.ok(status.threads !== undefined && status.threads >= 1);
    assert.ok(['openblas', 'builtin', 'builtin+openblas'].includes(String(status.blas)), String(status.blas));
  });

  for (const blas of [1, 0, 2]) {
    for (const threads of [1, 2]) {
      it(`sgemm matches a float64 oracle (${['built-in', 'OpenBLAS', 'auto'][blas]}, ${threads} thread(s), every transpose, odd sizes)`, () => {
        assert.ok(addon !== null);
        const before = addon.info();
        try {
          addon.setThreads(threads);
          const used = addon.selectBlas(blas);
          if (blas === 0) assert.equal(used, 'builtin');
          for (const [M, N, K] of [[1, 1, 1], [37, 53, 29], [70, 17, 300], [5, 40, 1]]) {
            for (const ta of [false, true]) {
              for (const tb of [false, true]) {
                const A = randomValues(M * K, M + 3 * N + 7 * K), B = randomValues(K * N, 11 * M + N + K);
                const C = randomValues(M * N, 5);
                const C0 = Float32Array.from(C);
                addon.sgemm(ta ? 1 : 0, tb ? 1 : 0, M, N, K, 1.5, A, ta ? M : K, B, tb ? K : N, 0.25, C, N);
                const ref = gemmOracle(ta, tb, M, N, K, A, B);
                for (let i = 0; i < M * N; i++) {
                  const want = 1.5 * ref[i] + 0.25 * C0[i];
                  assert.ok(Math.abs(C[i] - want) <= 1e-5 * (1 + Math.sqrt(K)), `C[${i}] = ${C[i]}, want ${want} (M${M} N${N} K${K} ta${ta} tb${tb})`);
                }
              }
            }
          }
        } finally {
          addon.setThreads(before.threads);
          addon.selectBlas(blasModeOf(before.blas));
        }
      });
    }
  }

  it('rejects operands too small for the sizes, wrong argument types and bad thread counts', () => {
    assert.ok(addon !== null);
    const small = new Float32Array(4), c = new Float32Array(9);
    assert.throws(() => addon.sgemm(0, 0, 3, 3, 3, 1, small, 3, new Float32Array(9), 3, 0, c, 3), /argument 6 holds 4 floats, the shapes need 9/);
    assert.throws(() => (addon.sgemm as unknown as (...a: unknown[]) => void)(0, 0, 1, 1, 1, 1, [1], 1, small, 1, 0, c, 1), /argument 6 must be a Float32Array/);
    assert.throws(() => (addon.sgemm as unknown as (...a: unknown[]) => void)(0, 0, 1), /expected 13 arguments, got 3/);
    assert.throws(() => addon.setThreads(0), /0 threads requested; choose 1\.\.64/);
    assert.throws(() => parseThreads('two', '$COMPACT_NETS_THREADS'), /"two" is not a thread count; give an integer from 1 to 64/);
    assert.equal(parseThreads('3', 'x'), 3);
  });

  it('the thread pool gives the same products whether its threads poll for work or sleep between jobs', () => {
    assert.ok(addon !== null);
    const before = addon.info();
    const spinBefore = addon.setSpinMicros(0);
    try {
      addon.setThreads(2);
      addon.selectBlas(0); // the built-in GEMM runs on the pool
      const [M, N, K] = [300, 70, 90];
      const A = randomValues(M * K, 1), B = randomValues(K * N, 2);
      const results: Float32Array[] = [];
      for (const spin of [0, 1000, 0, 50]) {
        assert.equal(typeof addon.setSpinMicros(spin), 'number');
        for (let rep = 0; rep < 20; rep++) { // back-to-back jobs: workers caught polling and asleep
          const C = new Float32Array(M * N);
          addon.sgemm(0, 0, M, N, K, 1, A, K, B, N, 0, C, N);
          if (rep === 19) results.push(C);
        }
      }
      const ref = gemmOracle(false, false, M, N, K, A, B);
      for (const C of results) for (let i = 0; i < M * N; i++) assert.ok(Math.abs(C[i] - ref[i]) <= 1e-4 * (1 + Math.abs(ref[i])), `C[${i}]`);
      assert.throws(() => addon.setSpinMicros(-1), /-1 µs requested; choose 0\.\.100000/);
    } finally {
      addon.setSpinMicros(spinBefore);
      addon.setThreads(before.threads);
      addon.selectBlas(blasModeOf(before.blas));
    }
  });

  it('says which kernels run: backendSummary names the native kernels, or why they are off', async () => {
    const info = await initBackend('wasm');
    assert.match(backendSummary(info), /^wasm \(SIMD\) \+ native kernels: \d+ \((openblas|builtin|builtin\+openblas) GEMM, \d+ threads\)$/);
    const off = runCliProcess(['env'], { env: { ...process.env, COMPACT_NETS_NATIVE: '0' } });
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /computes with +wasm \(SIMD\); native kernels off: disabled by COMPACT_NETS_NATIVE=0/);
    const threads = execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/lib/kernels/core/addon.js'))}).nativeStatus().threads)`], {
      env: { ...process.env, COMPACT_NETS_THREADS: '1' }, encoding: 'utf8',
    });
    assert.equal(threads.trim(), '1');
  });

  it('out of memory reaches JavaScript as an Error naming the kernel and the size requested (no abort)', async () => {
    assert.ok(addon !== null);
    /** The entry points used below, and the test hook that makes every allocation above `bytes` fail. */
    const a = addon as unknown as {
      limitAllocations(bytes: number): number;
      conv2d(x: Float32Array, w: Float32Array, bias: null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
      depthwiseConv2d(x: Float32Array, w: Float32Array, bias: null, y: Float32Array, geom: Int32Array, act: number, alpha: number): void;
      batchNormTrainForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, rows: number, C: number,
        y: Float32Array, mean: Float32Array, variance: Float32Array): void;
    };
    const f = (n: number) => new Float32Array(n);
    // x [1,16,16,8] * w [3,3,8,8] 'same' (B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G): im2col scratch of 16·16·72 floats.
    const conv = () => a.conv2d(f(2048), f(576), null, f(2048), Int32Array.from([1, 16, 16, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1]), 0, 0);
    // x [1,1,256,8] * w [1,1,8,1]: a table of 2·256 ints (2048 bytes) for the register-blocked path.
    const depthwise = () => a.depthwiseConv2d(f(2048), f(8), null, f(2048), Int32Array.from([1, 1, 256, 8, 1, 1, 256, 1, 1, 1, 1, 1, 1, 0, 0]), 0, 0);
    // One row of 512 channels: per-channel scratch of 3088 floats (12352 bytes).
    const bn = () => a.batchNormTrainForward(f(512), f(512), f(512), 1e-3, 1, 512, f(512), f(512), f(512));
    // Built-in GEMM: it packs B into a buffer of 256·4096 floats.
    const gemm = () => addon.sgemm(0, 0, 64, 64, 64, 1, f(4096), 64, f(4096), 64, 0, f(4096), 64);
    const before = addon.info();
    addon.selectBlas(0);
    assert.equal(a.limitAllocations(1024), 0, 'no limit was set');
    try {
      const bytesOf = (run: () => void, kernel: string): number => {
        let message = '';
        assert.throws(run, (e: Error) => { message = e.message; return true; });
        const m = new RegExp(`^${kernel}: out of memory \\((\\d+) bytes requested\\)$`).exec(message);
        assert.ok(m !== null, `${kernel}: unexpected error "${message}"`);
        return Number(m[1]);
      };
      assert.ok(bytesOf(conv, 'conv2d') >= 16 * 16 * 72 * 4);
      assert.equal(bytesOf(depthwise, 'depthwiseConv2d'), 2048);
      assert.equal(bytesOf(bn, 'batchNormTrainForward'), 12352);
      assert.equal(bytesOf(gemm, 'sgemm'), 256 * 4096 * 4);
      // Through tfjs: the native Conv2D's error reaches the caller of tf.conv2d.
      await initBackend('wasm');
      const x = tf.ones([1, 16, 16, 8]) as tf.Tensor4D, w = tf.ones([3, 3, 8, 8]) as tf.Tensor4D;
      assert.throws(() => tf.conv2d(x, w, 1, 'same'), /^Error: conv2d: out of memory \(\d+ bytes requested\)$/);
      assert.throws(() => a.limitAllocations(-1), /limitAllocations: -1 bytes is not a limit/);
      assert.equal(a.limitAllocations(0), 1024);
      // Lifted: the same calls run (nothing was left half-allocated).
      for (const run of [conv, depthwise, bn, gemm]) run();
      assert.equal(tf.conv2d(x, w, 1, 'same').dataSync()[0], 4 * 8);
      tf.dispose([x, w]);
    } finally {
      a.limitAllocations(0);
      addon.selectBlas(blasModeOf(before.blas));
    }
  });

  it('build script: without a C compiler it explains and exits 0, leaving the built addon in place', () => {
    const res = spawnSync('/bin/sh', [path.join(REPO_ROOT, 'tools', 'build-native.sh')], {
      env: { PATH: '/nonexistent' }, encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /native kernels: not built \(no C compiler found: install clang or gcc/);
    assert.ok(nativeStatus().loaded);
  });
});
