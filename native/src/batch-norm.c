/*
 * Training-mode batch normalisation of a [rows, C] view (NHWC with every axis but the channels reduced), fused into
 * one call per direction so that a BN layer costs two passes over x forward and two over (x, dy) backward, instead of
 * ~14 separate full-size tfjs kernels each leaving a tensor alive until the end of backprop:
 *   batchNormTrainForward   μ, σ² (biased, as tf.moments) and y = γ·(x − μ)/√(σ² + ε) + β
 *   batchNormTrainBackward  dβ = Σdy, dγ = Σdy·x̂, dx = γ·r/N·(N·dy − dβ − x̂·dγ) (+ the terms of dμ, dσ² when given)
 * Rows are split into blocks whose size depends on the shape only; per-block partial results (double) are combined
 * in block order, so the results are identical for every thread count. Scratch slot 0 (these kernels never run inside
 * another kernel's call, so the conv kernels' slot is free).
 */
#include <math.h>
#include <string.h>
#include "cn.h"

/* Elements per block: big enough that the pool's wake-up cost stays small, small enough that a batch-32 CIFAR feature
 * map gives each thread several blocks (and a block of x stays in L2 between the two loops over it). */
#define BN_BLOCK 65536L
#define BN_SLOT 0

static long bn_rows_per_block(int C) {
  long rb = (BN_BLOCK + C - 1) / C;
  return rb < 1 ? 1 : rb;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* forward                                                                                                           */

typedef struct {
  const float *x;
  double *partial; /* [blocks][2][C]: each block's mean and M2 = Σ(x − mean_block)² (Welford) */
  long rows, rb;
  int C;
} bnf_ctx;

/* Welford over the block's rows: one pass, no cancellation even when |μ| ≫ σ. The row's 1/count is shared by every
 * channel, so the inner loop over channels has no division and vectorises. */
static void bnf_stats(void *vctx, long b0, long b1) {
  const bnf_ctx *c = vctx;
  const int C = c->C;
  for (long b = b0; b < b1; b++) {
    double *restrict m = c->partial + (size_t)b * 2 * C, *restrict m2 = m + C;
    for (int k = 0; k < C; k++) m[k] = m2[k] = 0.0;
    long r0 = b * c->rb, r1 = r0 + c->rb < c->rows ? r0 + c->rb : c->rows;
    for (long r = r0; r < r1; r++) {
      const float *restrict x = c->x + (size_t)r * C;
      const double inv = 1.0 / (double)(r - r0 + 1);
      for (int k = 0; k < C; k++) {
        double v = x[k], d = v - m[k];
        m[k] += d * inv;
        m2[k] += d * (v - m[k]);
      }
    }
  }
}

/* batchNormTrainForward(x, gamma, beta, eps, rows, C, y, mean, variance): x, y [rows, C]; gamma, beta, mean,
 * variance [C]. mean/variance get the batch statistics (variance biased: mean of (x − μ)², as tf.moments). */
static napi_value js_bn_train_forward(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormTrainForward";
  napi_value a[9];
  float *x, *gamma, *beta, *y, *mean, *var;
  size_t lx, lg, lb, ly, lm, lv;
  double eps;
  int rows, C;
  if (!cn_args(env, info, fn, 9, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &gamma, &lg) ||
      !cn_f32(env, a[2], fn, 2, &beta, &lb) || !cn_double(env, a[3], fn, 3, &eps) || !cn_int(env, a[4], fn, 4, &rows) ||
      !cn_int(env, a[5], fn, 5, &C) || !cn_f32(env, a[6], fn, 6, &y, &ly) || !cn_f32(env, a[7], fn, 7, &mean, &lm) ||
      !cn_f32(env, a[8], fn, 8, &var, &lv))
    return NULL;
  if (rows < 1 || C < 1) return cn_throw(env, "%s: bad sizes rows=%d C=%d (both must be at least 1)", fn, rows, C);
  size_t size = (size_t)rows * C;
  if (!cn_need(env, fn, 0, lx, size) || !cn_need(env, fn, 1, lg, C) || !cn_need(env, fn, 2, lb, C) ||
      !cn_need(env, fn, 6, ly, size) || !cn_need(env, fn, 7, lm, C) || !cn_need(env, fn, 8, lv, C))
    return NULL;
  long rb = bn_rows_per_block(C), blocks = ((long)rows + rb - 1) / rb;
  /* Scratch: mean and multiplier [C] floats each (64-byte padded), then the block partials in doubles. */
  size_t cp = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(BN_SLOT, 2 * cp + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw(env, "%s: out of memory for %ld blocks of %d channels", fn, blocks, C);
  float *meanf = buf, *mul = buf + cp;
  double *partial = (double *)(buf + 2 * cp);
  bnf_ctx c = {x, partial, rows, rb, C};
  cn_parallel_for(blocks, bnf_stats, &c);
  /* Chan et al.'s pairwise combination of the blocks' (count, mean, M2), in block order (thread-count independent). */
  for (int k = 0; k < C; k++) {
    double n = 0.0, m = 0.0, m2 = 0.0;
    for (long b = 0; b < blocks; b++) {
      long r0 = b * rb, nb = r0 + rb < rows ? rb : rows - r0;
      double mb = partial[(size_t)b * 2 * C + k], m2b = partial[(size_t)b * 2 * C + C + k];
      double nn = n + (double)nb, d = mb - m;
      m += d * ((double)nb / nn);
      m2 += m2b + d * d * (n * (double)nb / nn);
      n = nn;
    }
    double v = m2 / n;
    mean[k] = meanf[k] = (float)m;
    var[k] = (float)v;
    /* The multiplier as the FusedBatchNorm kernels round it: from the float variance, in double, stored as float. */
    mul[k] = (float)((double)gamma[k] / sqrt((double)var[k] + eps));
  }
  cn_normalize_channels(x, meanf, mul, beta, y, rows, C);
  return NULL;
}
CN_EXPORT("batchNormTrainForward", js_bn_train_forward)

/* ---------------------------------------------------------------------------------------------------------------- */
/* backward                                                                                                          */

typedef struct {
  const float *x, *dy, *mean;
  const float *ca, *cb, *cd, *ce; /* dx = ca·(dy − cd) + cb·(x − μ) + ce, per channel */
  float *dx;
  double *partial; /* [blocks][2][C]: Σdy, Σdy·(x − μ) */
  long rows, rb;
  int C;
} bnb_ctx;

static void bnb_sums(void *vctx, long b0, long b1) {
  const bnb_ctx *c = vctx;
  const int C = c->C;
  const float *restrict mean = c->mean;
  for (long b = b0; b < b1; b++) {
    double *restrict s1 = c->partial + (size_t)b * 2 * C, *restrict s2 = s1 + C;
    for (int k = 0; k < C; k++) s1[k] = s2[k] = 0.0;
    long r0 = b * c->rb, r1 = r0 + c->rb < c->rows ? r0 + c->rb : c->rows;
    for (long r = r0; r < r1; r++) {
      const float *restrict x = c->x + (size_t)r * C, *restrict dy = c->dy + (size_t)r * C;
      for (int k = 0; k < C; k++) {
        double g = dy[k];
        s1[k] += g;
        s2[k] += g * ((double)x[k] - (double)mean[k]);
      }
    }
  }
}

static void bnb_apply(void *vctx, long b0, long b1) {
  const bnb_ctx *c = vctx;
  const int C = c->C;
  const float *restrict mean = c->mean, *restrict ca = c->ca, *restrict cb = c->cb, *restrict cd = c->cd,
              *restrict ce = c->ce;
  long r0 = b0 * c->rb, r1 = b1 * c->rb < c->rows ? b1 * c->rb : c->rows;
  for (long r = r0; r < r1; r++) {
    const float *restrict x = c->x + (size_t)r * C, *restrict dy = c->dy + (size_t)r * C;
    float *restrict dx = c->dx + (size_t)r * C;
    for (int k = 0; k < C; k++) dx[k] = ca[k] * (dy[k] - cd[k]) + cb[k] * (x[k] - mean[k]) + ce[k];
  }
}

/* batchNormTrainBackward(x, dy, mean, variance, gamma, dMean|null, dVariance|null, eps, rows, C, dx|null, dGamma,
 * dBeta): x, dy, dx [rows, C]; the rest [C]. dMean/dVariance are the gradients reaching the batch statistics (null:
 * zero); dx null computes only dGamma and dBeta (when x is not on the gradient's path). */
static napi_value js_bn_train_backward(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormTrainBackward";
  napi_value a[13];
  float *x, *dy, *mean, *var, *gamma, *dmean, *dvar, *dx, *dgamma, *dbeta;
  size_t lx, ldy, lm, lv, lg, ldm = 0, ldv = 0, ldx = 0, ldg, ldb;
  double eps;
  int rows, C;
  if (!cn_args(env, info, fn, 13, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &dy, &ldy) ||
      !cn_f32(env, a[2], fn, 2, &mean, &lm) || !cn_f32(env, a[3], fn, 3, &var, &lv) ||
      !cn_f32(env, a[4], fn, 4, &gamma, &lg) || !cn_f32_opt(env, a[5], fn, 5, &dmean, &ldm) ||
      !cn_f32_opt(env, a[6], fn, 6, &dvar, &ldv) || !cn_double(env, a[7], fn, 7, &eps) ||
      !cn_int(env, a[8], fn, 8, &rows) || !cn_int(env, a[9], fn, 9, &C) || !cn_f32_opt(env, a[10], fn, 10, &dx, &ldx) ||
      !cn_f32(env, a[11], fn, 11, &dgamma, &ldg) || !cn_f32(env, a[12], fn, 12, &dbeta, &ldb))
    return NULL;
  if (rows < 1 || C < 1) return cn_throw(env, "%s: bad sizes rows=%d C=%d (both must be at least 1)", fn, rows, C);
  size_t size = (size_t)rows * C;
  if (!cn_need(env, fn, 0, lx, size) || !cn_need(env, fn, 1, ldy, size) || !cn_need(env, fn, 2, lm, C) ||
      !cn_need(env, fn, 3, lv, C) || !cn_need(env, fn, 4, lg, C) || (dmean && !cn_need(env, fn, 5, ldm, C)) ||
      (dvar && !cn_need(env, fn, 6, ldv, C)) || (dx && !cn_need(env, fn, 10, ldx, size)) ||
      !cn_need(env, fn, 11, ldg, C) || !cn_need(env, fn, 12, ldb, C))
    return NULL;
  long rb = bn_rows_per_block(C), blocks = ((long)rows + rb - 1) / rb;
  size_t cp = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(BN_SLOT, 4 * cp + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw(env, "%s: out of memory for %ld blocks of %d channels", fn, blocks, C);
  float *ca = buf, *cb = buf + cp, *cd = buf + 2 * cp, *ce = buf + 3 * cp;
  double *partial = (double *)(buf + 4 * cp);
  bnb_ctx c = {x, dy, mean, ca, cb, cd, ce, dx, partial, rows, rb, C};
  cn_parallel_for(blocks, bnb_sums, &c);
  const double n = (double)rows;
  for (int k = 0; k < C; k++) {
    double s1 = 0.0, s2 = 0.0;
    for (long b = 0; b < blocks; b++) {
      s1 += partial[(size_t)b * 2 * C + k];
      s2 += partial[(size_t)b * 2 * C + C + k];
    }
    double r = 1.0 / sqrt((double)var[k] + eps), g = gamma[k];
    double db = s1, dg = r * s2;
    dbeta[k] = (float)db;
    dgamma[k] = (float)dg;
    /* dx = γr·(dy − dβ/N) − γr²·dγ/N·(x − μ), plus dμ/N and 2·dσ²/N·(x − μ) (∂σ²/∂x = 2(x − μ)/N as Σ(x − μ) = 0).
     * dy − mean(dy) is formed before scaling so that the cancellation is exact where it should be (N = 1: dx = 0). */
    ca[k] = (float)(g * r);
    cb[k] = (float)(-g * r * r * dg / n + (dvar ? 2.0 * (double)dvar[k] / n : 0.0));
    cd[k] = (float)(db / n);
    ce[k] = (float)(dmean ? (double)dmean[k] / n : 0.0);
  }
  if (dx) cn_parallel_for(blocks, bnb_apply, &c);
  return NULL;
}
CN_EXPORT("batchNormTrainBackward", js_bn_train_backward)
