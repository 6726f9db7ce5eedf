/*
 * Batch normalisation of a [rows, C] view (NHWC with every axis but the channels reduced):
 *   batchNormTrainForward   μ, σ² (biased, as tf.moments) and y = γ·(x − μ)/√(σ² + ε) + β
 *   batchNormTrainBackward  dβ = Σdy, dγ = Σdy·x̂, dx = γ·r/N·(N·dy − dβ − x̂·dγ) (+ the terms of dμ, dσ² when given)
 *   batchNormGrad           the gradient of FusedBatchNorm: per-channel Σdy, Σdy·(x−mean), and dx = dy·scale/√(var+ε)
 *   batchNormInference      FusedBatchNorm: (x − mean)·scale/√(var+ε) + offset
 * The training pair fuses a BN layer into one call per direction, so that it costs two passes over x forward and two
 * over (x, dy) backward, instead of ~14 separate full-size tfjs kernels each leaving a tensor alive until the end of
 * backprop. Rows are split into blocks of about CN_BLOCK elements (a block of x stays in L2 between the two loops over
 * it) whose size depends on the shape only; per-block partial results (double) are combined in block order, so the
 * results are identical for every thread count.
 */
#include <math.h>
#include <string.h>
#include "cn.h"

/* Channel k's Σdy and Σdy·(x − μ) from per-block partials [blocks][2][C], added in block order. */
static void block_sums(const double *partial, long blocks, int C, int k, double *s1, double *s2) {
  double a = 0.0, b2 = 0.0;
  for (long b = 0; b < blocks; b++) {
    a += partial[(size_t)b * 2 * C + k];
    b2 += partial[(size_t)b * 2 * C + C + k];
  }
  *s1 = a;
  *s2 = b2;
}

/* Rows per block of C channels: at least one. */
static long bn_rows_per_block(int C) {
  long rb = (CN_BLOCK + C - 1) / C;
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
  float *buf = cn_scratch(CN_SCRATCH_PARTIALS, 2 * cp + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw_oom(env, fn);
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
  float *buf = cn_scratch(CN_SCRATCH_PARTIALS, 4 * cp + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw_oom(env, fn);
  float *ca = buf, *cb = buf + cp, *cd = buf + 2 * cp, *ce = buf + 3 * cp;
  double *partial = (double *)(buf + 4 * cp);
  bnb_ctx c = {x, dy, mean, ca, cb, cd, ce, dx, partial, rows, rb, C};
  cn_parallel_for(blocks, bnb_sums, &c);
  const double n = (double)rows;
  for (int k = 0; k < C; k++) {
    double s1, s2;
    block_sums(partial, blocks, C, k, &s1, &s2);
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

/* ---------------------------------------------------------------------------------------------------------------- */
/* batchNormGrad                                                                                                     */

typedef struct {
  const float *x, *dy, *mean, *coef;
  float *dx;
  double *partial; /* [blocks][2][C]: Σdy, Σdy·(x − mean) of each block's rows */
  long rows, rb;
  int C;
} bng_ctx;

static void bng_range(void *vctx, long b0, long b1) {
  const bng_ctx *c = vctx;
  const int C = c->C;
  const float *restrict mean = c->mean, *restrict coef = c->coef;
  for (long b = b0; b < b1; b++) {
    double *restrict s1 = c->partial + (size_t)b * 2 * C, *restrict s2 = s1 + C;
    for (int k = 0; k < C; k++) s1[k] = s2[k] = 0.0;
    long r0 = b * c->rb, r1 = r0 + c->rb < c->rows ? r0 + c->rb : c->rows;
    for (long r = r0; r < r1; r++) {
      const float *restrict x = c->x + (size_t)r * C, *restrict dy = c->dy + (size_t)r * C;
      float *restrict dx = c->dx + (size_t)r * C;
      for (int k = 0; k < C; k++) {
        float g = dy[k];
        s1[k] += g;
        s2[k] += (double)g * ((double)x[k] - (double)mean[k]);
        dx[k] = g * coef[k];
      }
    }
  }
}

/* batchNormGrad(x, dy, mean, variance, scale, eps, rows, C, dx, dMean, dVariance, dScale, dOffset): x, dy, dx are
 * [rows, C]; the rest [C]. The formulas of src/lib/kernels/batch-norm/grad.ts, with double sums. */
static napi_value js_batch_norm_grad(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormGrad";
  napi_value a[13];
  float *x, *dy, *mean, *var, *scale, *dx, *dmean, *dvar, *dscale, *doff;
  size_t lx, ldy, lm, lv, ls, ldx, ldm, ldv, lds, ldo;
  double eps;
  int rows, C;
  if (!cn_args(env, info, fn, 13, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &dy, &ldy) ||
      !cn_f32(env, a[2], fn, 2, &mean, &lm) || !cn_f32(env, a[3], fn, 3, &var, &lv) ||
      !cn_f32(env, a[4], fn, 4, &scale, &ls) || !cn_double(env, a[5], fn, 5, &eps) || !cn_int(env, a[6], fn, 6, &rows) ||
      !cn_int(env, a[7], fn, 7, &C) || !cn_f32(env, a[8], fn, 8, &dx, &ldx) || !cn_f32(env, a[9], fn, 9, &dmean, &ldm) ||
      !cn_f32(env, a[10], fn, 10, &dvar, &ldv) || !cn_f32(env, a[11], fn, 11, &dscale, &lds) ||
      !cn_f32(env, a[12], fn, 12, &doff, &ldo))
    return NULL;
  if (rows < 0 || C < 1) return cn_throw(env, "%s: bad sizes rows=%d C=%d", fn, rows, C);
  size_t size = (size_t)rows * C;
  if (!cn_need(env, fn, 0, lx, size) || !cn_need(env, fn, 1, ldy, size) || !cn_need(env, fn, 2, lm, C) ||
      !cn_need(env, fn, 3, lv, C) || !cn_need(env, fn, 4, ls, C) || !cn_need(env, fn, 8, ldx, size) ||
      !cn_need(env, fn, 9, ldm, C) || !cn_need(env, fn, 10, ldv, C) || !cn_need(env, fn, 11, lds, C) ||
      !cn_need(env, fn, 12, ldo, C))
    return NULL;
  /* Rows per block from the shape alone (deterministic sums). */
  long rb = bn_rows_per_block(C);
  long blocks = rows > 0 ? ((long)rows + rb - 1) / rb : 0;
  /* Scratch: coef [C] floats, then the block partials in doubles, 64-byte aligned. */
  size_t coef_floats = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(CN_SCRATCH_PARTIALS, coef_floats + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw_oom(env, fn);
  float *coef = buf;
  double *partial = (double *)(buf + coef_floats);
  /* coef as the TypeScript kernel rounds it: computed in double, stored as float, so dx matches it bit for bit. */
  for (int k = 0; k < C; k++) coef[k] = (float)((double)scale[k] / sqrt((double)var[k] + eps));
  bng_ctx c = {x, dy, mean, coef, dx, partial, rows, rb, C};
  cn_parallel_for(blocks, bng_range, &c);
  for (int k = 0; k < C; k++) {
    double s1, s2;
    block_sums(partial, blocks, C, k, &s1, &s2);
    double r = 1.0 / sqrt((double)var[k] + eps), s = scale[k];
    doff[k] = (float)s1;
    dscale[k] = (float)(r * s2);
    dmean[k] = (float)(-r * s * s1);
    dvar[k] = (float)(-0.5 * r * r * r * s * s2);
  }
  return NULL;
}
CN_EXPORT("batchNormGrad", js_batch_norm_grad)

/* ---------------------------------------------------------------------------------------------------------------- */
/* batchNormInference                                                                                                */

typedef struct {
  const float *x, *mean, *mul, *off;
  float *out;
  long rows, rb;
  int C;
} bni_ctx;

static void bni_range(void *vctx, long b0, long b1) {
  const bni_ctx *c = vctx;
  const int C = c->C;
  const float *restrict mean = c->mean, *restrict mul = c->mul, *restrict off = c->off;
  long r0 = b0 * c->rb, r1 = b1 * c->rb < c->rows ? b1 * c->rb : c->rows;
  for (long r = r0; r < r1; r++) {
    const float *restrict x = c->x + (size_t)r * C;
    float *restrict out = c->out + (size_t)r * C;
    for (int k = 0; k < C; k++) out[k] = (x[k] - mean[k]) * mul[k] + off[k];
  }
}

void cn_normalize_channels(const float *x, const float *mean, const float *mul, const float *off, float *out, long rows,
                           int C) {
  bni_ctx c = {x, mean, mul, off, out, rows, (CN_BLOCK + C - 1) / C, C};
  cn_parallel_for(rows > 0 ? (rows + c.rb - 1) / c.rb : 0, bni_range, &c);
}

/* batchNormInference(x, mean, variance, offset|null, scale|null, eps, rows, C, out): x and out [rows, C]; each of
 * mean, variance, offset, scale holds C values (per channel) or 1 (broadcast); offset 0 and scale 1 when null. */
static napi_value js_batch_norm_inference(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormInference";
  napi_value a[9];
  float *x, *mean, *var, *off, *scale, *out;
  size_t lx, lm, lv, loff, ls, lo;
  double eps;
  int rows, C;
  if (!cn_args(env, info, fn, 9, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &mean, &lm) ||
      !cn_f32(env, a[2], fn, 2, &var, &lv) || !cn_f32_opt(env, a[3], fn, 3, &off, &loff) ||
      !cn_f32_opt(env, a[4], fn, 4, &scale, &ls) || !cn_double(env, a[5], fn, 5, &eps) ||
      !cn_int(env, a[6], fn, 6, &rows) || !cn_int(env, a[7], fn, 7, &C) || !cn_f32(env, a[8], fn, 8, &out, &lo))
    return NULL;
  if (rows < 0 || C < 1) return cn_throw(env, "%s: bad sizes rows=%d C=%d", fn, rows, C);
  size_t size = (size_t)rows * C;
  if (!cn_need(env, fn, 0, lx, size) || !cn_need(env, fn, 8, lo, size)) return NULL;
  /* Parameters: exactly C values or a single one; anything else would be read out of bounds or mis-broadcast. */
  size_t lens[4] = {lm, lv, off ? loff : 1, scale ? ls : 1};
  for (int i = 0; i < 4; i++)
    if (lens[i] != (size_t)C && lens[i] != 1)
      return cn_throw(env, "%s: argument %d holds %zu floats; per-channel parameters need %d (or 1)", fn, i + 1, lens[i], C);
  size_t cp = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(CN_SCRATCH_PARTIALS, 3 * cp);
  if (!buf) return cn_throw_oom(env, fn);
  float *m = buf, *mul = buf + cp, *b = buf + 2 * cp;
  /* Per channel: one division and square root instead of one per element. */
  for (int k = 0; k < C; k++) {
    float mk = mean[lm == 1 ? 0 : k], vk = var[lv == 1 ? 0 : k];
    float sk = scale ? scale[ls == 1 ? 0 : k] : 1.0f, ok = off ? off[loff == 1 ? 0 : k] : 0.0f;
    m[k] = mk;
    mul[k] = (float)((double)sk / sqrt((double)vk + eps));
    b[k] = ok;
  }
  cn_normalize_channels(x, m, mul, b, out, rows, C);
  return NULL;
}
CN_EXPORT("batchNormInference", js_batch_norm_inference)
