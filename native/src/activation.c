/*
 * Activation gradients of a training step: rangeMaskGrad, dx = dy where x lies in the pass range (the gradients of
 * Relu, Relu6 and ClipByValue), in blocks of CN_BLOCK elements on the pool.
 */
#include <math.h>
#include "cn.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* rangeMaskGrad                                                                                                     */

typedef struct {
  const float *dy, *x;
  float *dx;
  long n;
  float lo, hi, nanv;
  int inclusive;
} mask_ctx;

static void mask_range(void *vctx, long b0, long b1) {
  const mask_ctx *c = vctx;
  const float *restrict dy = c->dy, *restrict x = c->x;
  float *restrict dx = c->dx;
  const float lo = c->lo, hi = c->hi, nanv = c->nanv;
  long begin = b0 * CN_BLOCK, end = b1 * CN_BLOCK < c->n ? b1 * CN_BLOCK : c->n;
  /* Two loop bodies rather than a per-element branch on inclusivity; both are branch-free selects (vectorised). */
  if (c->inclusive) {
    for (long i = begin; i < end; i++) {
      float v = x[i];
      dx[i] = (v >= lo && v <= hi) ? dy[i] : (v != v ? nanv : 0.0f);
    }
  } else {
    for (long i = begin; i < end; i++) {
      float v = x[i];
      dx[i] = (v > lo && v <= hi) ? dy[i] : (v != v ? nanv : 0.0f);
    }
  }
}

/* The TypeScript kernel compares the float32 x with double bounds. These float bounds give the same answer for every
 * float x: for v ≥ lower use the smallest float ≥ lower, for v > lower and v ≤ upper the largest float ≤ the bound. */
static float float_at_least(double d) {
  float f = (float)d;
  if ((double)f < d) f = nextafterf(f, INFINITY);
  return f;
}
static float float_at_most(double d) {
  float f = (float)d;
  if ((double)f > d) f = nextafterf(f, -INFINITY);
  return f;
}

/* rangeMaskGrad(dy, x, dx, n, lower, lowerInclusive, upper, nanPropagates): dx[i] = dy[i] where lower <(=) x ≤ upper,
 * NaN x → NaN when nanPropagates else 0; every other x → 0. */
static napi_value js_range_mask_grad(napi_env env, napi_callback_info info) {
  const char *fn = "rangeMaskGrad";
  napi_value a[8];
  float *dy, *x, *dx;
  size_t ldy, lx, ldx;
  int n, inclusive, nanprop;
  double lower, upper;
  if (!cn_args(env, info, fn, 8, a) || !cn_f32(env, a[0], fn, 0, &dy, &ldy) || !cn_f32(env, a[1], fn, 1, &x, &lx) ||
      !cn_f32(env, a[2], fn, 2, &dx, &ldx) || !cn_int(env, a[3], fn, 3, &n) || !cn_double(env, a[4], fn, 4, &lower) ||
      !cn_int(env, a[5], fn, 5, &inclusive) || !cn_double(env, a[6], fn, 6, &upper) || !cn_int(env, a[7], fn, 7, &nanprop))
    return NULL;
  if (n < 0) return cn_throw(env, "%s: negative size n=%d", fn, n);
  if (!cn_need(env, fn, 0, ldy, (size_t)n) || !cn_need(env, fn, 1, lx, (size_t)n) || !cn_need(env, fn, 2, ldx, (size_t)n))
    return NULL;
  mask_ctx c = {dy, x, dx, n, inclusive ? float_at_least(lower) : float_at_most(lower), float_at_most(upper),
                nanprop ? NAN : 0.0f, inclusive != 0};
  /* NaN bounds: every comparison is false, as in the TypeScript kernel (the conversions above keep NaN). */
  cn_parallel_for((n + CN_BLOCK - 1) / CN_BLOCK, mask_range, &c);
  return NULL;
}
CN_EXPORT("rangeMaskGrad", js_range_mask_grad)
