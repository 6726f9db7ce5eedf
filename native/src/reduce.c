/*
 * Reductions over the leading axes of a [rows, inner] view (Mean/Sum over NHWC batch axes: batch-norm moments, bias
 * gradients), with per-block partial sums in double added in block order: the same result for every thread count.
 */
#include <string.h>
#include "cn.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* reduceLeading                                                                                                     */

/* Inner sizes up to this are reduced by row blocks with per-block partial rows; wider ones by column chunks (the
 * partials would then cost as much memory traffic as the input). */
#define RL_MAX_ROW_MODE 2048
#define RL_CHUNK 512

typedef struct {
  const float *x;
  float *out;
  double *partial;
  long rows, inner, rb;
  double scale;
} rl_ctx;

static void rl_rows(void *vctx, long b0, long b1) {
  const rl_ctx *c = vctx;
  const long inner = c->inner;
  for (long b = b0; b < b1; b++) {
    double *restrict acc = c->partial + (size_t)b * inner;
    for (long j = 0; j < inner; j++) acc[j] = 0.0;
    long r0 = b * c->rb, r1 = r0 + c->rb < c->rows ? r0 + c->rb : c->rows;
    for (long r = r0; r < r1; r++) {
      const float *restrict x = c->x + (size_t)r * inner;
      for (long j = 0; j < inner; j++) acc[j] += x[j];
    }
  }
}

static void rl_cols(void *vctx, long b0, long b1) {
  const rl_ctx *c = vctx;
  const long inner = c->inner;
  double acc[RL_CHUNK];
  for (long b = b0; b < b1; b++) {
    long j0 = b * RL_CHUNK, w = j0 + RL_CHUNK < inner ? RL_CHUNK : inner - j0;
    for (long j = 0; j < w; j++) acc[j] = 0.0;
    for (long r = 0; r < c->rows; r++) {
      const float *restrict x = c->x + (size_t)r * inner + j0;
      for (long j = 0; j < w; j++) acc[j] += x[j];
    }
    for (long j = 0; j < w; j++) c->out[j0 + j] = (float)(acc[j] * c->scale);
  }
}

/* reduceLeading(x, rows, inner, scale, out): out[j] = scale · Σ_r x[r·inner + j] (Sum: scale 1, Mean: 1/rows). */
static napi_value js_reduce_leading(napi_env env, napi_callback_info info) {
  const char *fn = "reduceLeading";
  napi_value a[5];
  float *x, *out;
  size_t lx, lo;
  int rows, inner;
  double scale;
  if (!cn_args(env, info, fn, 5, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_int(env, a[1], fn, 1, &rows) ||
      !cn_int(env, a[2], fn, 2, &inner) || !cn_double(env, a[3], fn, 3, &scale) || !cn_f32(env, a[4], fn, 4, &out, &lo))
    return NULL;
  if (rows < 0 || inner < 0) return cn_throw(env, "%s: negative size rows=%d inner=%d", fn, rows, inner);
  if (!cn_need(env, fn, 0, lx, (size_t)rows * inner) || !cn_need(env, fn, 4, lo, (size_t)inner)) return NULL;
  if (inner == 0) return NULL;
  rl_ctx c = {x, out, NULL, rows, inner, 1, scale};
  if (inner > RL_MAX_ROW_MODE) {
    cn_parallel_for((inner + RL_CHUNK - 1) / RL_CHUNK, rl_cols, &c);
    return NULL;
  }
  c.rb = (CN_BLOCK + inner - 1) / inner;
  long blocks = rows > 0 ? ((long)rows + c.rb - 1) / c.rb : 0;
  if (blocks == 0) {
    memset(out, 0, (size_t)inner * sizeof(float));
    return NULL;
  }
  c.partial = (double *)cn_scratch(CN_SCRATCH_PARTIALS, (size_t)blocks * inner * 2);
  if (!c.partial) return cn_throw_oom(env, fn);
  cn_parallel_for(blocks, rl_rows, &c);
  /* Blocks added in order: the same result for every thread count. */
  for (long j = 0; j < inner; j++) {
    double s = 0.0;
    for (long b = 0; b < blocks; b++) s += c.partial[(size_t)b * inner + j];
    out[j] = (float)(s * scale);
  }
  return NULL;
}
CN_EXPORT("reduceLeading", js_reduce_leading)
