#!/usr/bin/env node
/*
 * Times the native addon's two GEMMs (built-in and OpenBLAS) on the product shapes our convolutions make, to choose
 * the auto policy in native/src/gemm.c. Usage: node tools/gemm-grid.js [threads] [nn|nt|tn] [--pixels 196,784,...]
 * nn: forward C[P×co] = X[P×ci]·W; nt: input gradient dX[P×ci] = dY[P×co]·Wᵀ; tn: filter gradient dW[ci×co] = Xᵀ·dY.
 * Prints one line per shape (best of several interleaved runs, GMAC/s) and a summary of built-in / OpenBLAS times.
 */
'use strict';
const path = require('path');
const addon = require(path.join(__dirname, '..', 'dist', 'native', 'compact_nets.node'));

const threads = Number(process.argv[2] ?? 1);
const mode = process.argv[3] ?? 'nn';
const pixelsArg = process.argv.indexOf('--pixels');
const pixels = pixelsArg > 0 ? process.argv[pixelsArg + 1].split(',').map(Number) : [196, 784, 3136, 12544];
if (!['nn', 'nt', 'tn'].includes(mode) || !(threads >= 1)) {
  console.error('usage: node tools/gemm-grid.js [threads ≥ 1] [nn|nt|tn] [--pixels 196,784,3136]');
  process.exit(2);
}
addon.setThreads(threads);
if (addon.selectBlas(1) !== 'openblas') {
  console.error('OpenBLAS did not load (libopenblas.so.0); nothing to compare');
  process.exit(1);
}

/** Best time in ms of each GEMM, alternating them so that machine noise hits both alike. */
function bestTimes(ta, tb, M, N, K) {
  const A = new Float32Array(M * K).fill(0.5), B = new Float32Array(K * N).fill(0.25), C = new Float32Array(M * N);
  const best = { openblas: Infinity, builtin: Infinity };
  const reps = Math.max(3, Math.min(30, Math.round(2e8 / (M * N * K))));
  for (let r = 0; r <= reps; r++) {
    for (const [name, code] of [['openblas', 1], ['builtin', 0]]) {
      addon.selectBlas(code);
      const t0 = process.hrtime.bigint();
      addon.sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r > 0) best[name] = Math.min(best[name], ms); // the first round warms caches and packing buffers
    }
  }
  return best;
}

const ratios = [];
for (const P of pixels) {
  for (const ci of [16, 32, 64, 128, 256, 512]) {
    for (const co of [32, 64, 128, 256, 512]) {
      if (P * ci * co > 4e8) continue;
      const [ta, tb, M, N, K] = mode === 'nn' ? [0, 0, P, co, ci] : mode === 'nt' ? [0, 1, P, ci, co] : [1, 0, ci, co, P];
      const best = bestTimes(ta, tb, M, N, K);
      const ratio = best.builtin / best.openblas;
      ratios.push(ratio);
      const g = (ms) => (M * N * K / ms / 1e6).toFixed(1);
      console.log(`${mode} P ${P} ci ${ci} co ${co}  openblas ${g(best.openblas)} GMAC/s  builtin ${g(best.builtin)} GMAC/s  builtin/openblas time ${ratio.toFixed(2)}`);
    }
  }
}
ratios.sort((a, b) => a - b);
console.log(`summary ${mode}, ${threads} thread(s), ${ratios.length} shapes: builtin/openblas time min ${ratios[0].toFixed(2)} ` +
  `median ${ratios[ratios.length >> 1].toFixed(2)} max ${ratios[ratios.length - 1].toFixed(2)}; builtin slower in ${ratios.filter((r) => r > 1).length}`);
