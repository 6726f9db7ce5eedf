/*
 * 2-D max and average pooling, NHWC float32, dilation 1: forward and gradient with respect to the input, with the
 * semantics of tfjs's cpu backend (tfjs-backend-cpu pool_utils.ts, MaxPoolGrad.ts, AvgPoolGrad.ts):
 *  - max forward: the largest value among the window cells inside the image (NaN never wins; -inf if none);
 *  - avg forward: the mean over the window cells inside the image (padding is not counted; NaN if none);
 *  - max gradient: dy of each window goes to the FIRST maximum in row-major window order (strict >), NaN never wins,
 *    a window whose cells are all NaN or -inf passes no gradient;
 *  - avg gradient: dy / (KH·KW) to every cell of the window, padding counted (unlike the forward pass).
 *
 * The gradients gather per input row (b, ih) so that threads never write the same memory: every output window that
 * covers row ih contributes to it, in the order (oh ascending, ow ascending) that the cpu backend sums in. The max
 * gradient first stores each window's argmax position per channel (one int per dy element, parallel over output
 * rows), then gathers dy where the stored position is the cell's. Inner loops run over contiguous channels.
 * Geometry comes from JavaScript (tfjs computePool2DInfo) as an Int32Array of POOL_GEOM_LEN values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cn.h"

/* geom = [B, H, W, C, OH, OW, KH, KW, strideH, strideW, padTop, padLeft] */
#define POOL_GEOM_LEN 12
/* Larger pads or windows are surely a caller bug; the bounds keep every index product far from overflow. */
#define POOL_MAX_PAD (1 << 20)
#define POOL_MAX_FILTER 1024

typedef struct {
  long B, H, W, C, OH, OW, KH, KW, sh, sw, pt, pl;
  size_t xs, ys; /* floats in x [B,H,W,C] and y/dy [B,OH,OW,C] */
} pool_geom;

/* Reads and checks the geometry array; throws (returns 0) on anything that could index outside the views. */
static int read_geom(napi_env env, napi_value v, const char *fn, int index, pool_geom *g) {
  int32_t *p;
  size_t n;
  if (!cn_i32(env, v, fn, index, &p, &n)) return 0;
  if (n != POOL_GEOM_LEN) {
    cn_throw(env, "%s: argument %d (geometry) must hold %d ints, got %zu", fn, index, POOL_GEOM_LEN, n);
    return 0;
  }
  static const char *names[POOL_GEOM_LEN] = {"B", "H", "W", "C", "OH", "OW", "KH", "KW", "strideH", "strideW",
                                             "padTop", "padLeft"};
  for (int i = 0; i < 10; i++) {
    if (p[i] < 1) { cn_throw(env, "%s: geometry %s = %d must be at least 1", fn, names[i], p[i]); return 0; }
  }
  for (int i = 10; i < 12; i++) {
    if (p[i] < -POOL_MAX_PAD || p[i] > POOL_MAX_PAD) {
      cn_throw(env, "%s: geometry %s = %d is out of range", fn, names[i], p[i]);
      return 0;
    }
  }
  if (p[6] > POOL_MAX_FILTER || p[7] > POOL_MAX_FILTER) {
    cn_throw(env, "%s: window %dx%d is larger than %d in a dimension", fn, p[6], p[7], POOL_MAX_FILTER);
    return 0;
  }
  size_t xs, ys;
  /* Checked products: an overflow would let a short view pass the size checks. */
  if (__builtin_mul_overflow((size_t)p[0] * p[1], (size_t)p[2] * p[3], &xs) ||
      __builtin_mul_overflow((size_t)p[0] * p[4], (size_t)p[5] * p[3], &ys) || xs > (size_t)1 << 40 ||
      ys > (size_t)1 << 40) {
    cn_throw(env, "%s: geometry sizes overflow", fn);
    return 0;
  }
  g->B = p[0]; g->H = p[1]; g->W = p[2]; g->C = p[3]; g->OH = p[4]; g->OW = p[5]; g->KH = p[6]; g->KW = p[7];
  g->sh = p[8]; g->sw = p[9]; g->pt = p[10]; g->pl = p[11];
  g->xs = xs; g->ys = ys;
  return 1;
}

/* [lo, hi) of window offsets k with 0 ≤ start + k < len, k < K; empty → lo = hi. */
static void window_range(long start, long K, long len, long *lo, long *hi) {
  long l = start < 0 ? -start : 0;
  long h = len - start < K ? len - start : K;
  if (l > K) l = K;
  if (h < l) h = l;
  *lo = l;
  *hi = h;
}

static long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Output rows oh whose window covers input row ih: [first, end), clamped to [0, OH). */
static void covering_rows(const pool_geom *g, long ih, long *first, long *end) {
  /* 0 ≤ ih + pt − oh·sh < KH  ⇔  (ih + pt − KH) / sh < oh ≤ (ih + pt) / sh */
  long f = floor_div(ih + g->pt - g->KH, g->sh) + 1;
  long e = floor_div(ih + g->pt, g->sh) + 1;
  if (f < 0) f = 0;
  if (e > g->OH) e = g->OH;
  if (f > e) f = e;
  *first = f;
  *end = e;
}

/*
 * Window loops work on 8-channel vectors (GCC vector extensions; one AVX register with -march=native, two SSE ones
 * elsewhere), 32 channels at a time in registers across the window's taps, each result stored once: plain C loops
 * over the output (or over stack arrays in the argmax) read-modify-write memory per tap, and the argmax's were
 * if-converted into masked stores that stall store-to-load forwarding (4× slower). aligned(4): the views are only
 * float-aligned. Cell (kh, kw) of a window is ximg[o + kh·W·C + kw·C], where the window origin o may be negative
 * (padding): pointers are only formed for valid taps.
 */
typedef float v8f __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));
#define LDF(p) (*(const v8f *)(p))
#define STF(p, v) (*(v8f *)(p) = (v))
#define STI(p, v) (*(v8i *)(p) = (v))
/* a where mask is set, else b (masks are all-ones/all-zeros lanes from vector comparisons). */
#define SELF(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))
/* x > m ? x : m per lane (m kept when x is NaN, as the cpu backend's `pixel > minMaxValue`): exactly what maxps
   computes (its first operand when greater, else its second), one instruction instead of compare + 3 logic ops. */
#if defined(__AVX__)
#include <immintrin.h>
#define MAXF(x, m) ((v8f)_mm256_max_ps((__m256)(x), (__m256)(m)))
#else
#define MAXF(x, m) SELF((x) > (m), (x), (m))
#endif

/* ---------------------------------------------------------------- forward ---- */

typedef struct {
  pool_geom g;
  const float *x;
  float *y;
  int avg;
} fwd_ctx;

/* Max (avg = 0) or mean (avg = 1) over taps [kh0,kh1)×[kw0,kw1) of one window, to yp [C]. */
static inline __attribute__((always_inline)) void pool_window(const pool_geom *g, const float *ximg, long o, long kh0,
                                                              long kh1, long kw0, long kw1, int avg, float *yp) {
  const long C = g->C, rs = g->W * g->C;
  /* No valid cell: 0 · (1/0) = NaN, the cpu backend's 0 / 0 (max: −inf, its initial value). */
  const float inv = 1.f / (float)((kh1 - kh0) * (kw1 - kw0));
  const v8f vinv = (v8f){0} + inv;
  long c = 0;
  /* v > m keeps m when v is NaN, as the cpu backend's `pixel > minMaxValue` does; so does the scalar tail. */
  for (; c + 32 <= C; c += 32) {
    v8f a0 = (v8f){0} + (avg ? 0.f : -INFINITY), a1 = a0, a2 = a0, a3 = a0;
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        const float *xp = ximg + (o + kh * rs + kw * C + c);
        v8f x0 = LDF(xp), x1 = LDF(xp + 8), x2 = LDF(xp + 16), x3 = LDF(xp + 24);
        if (avg) {
          a0 += x0; a1 += x1; a2 += x2; a3 += x3;
        } else {
          a0 = MAXF(x0, a0); a1 = MAXF(x1, a1); a2 = MAXF(x2, a2); a3 = MAXF(x3, a3);
        }
      }
    }
    if (avg) { a0 *= vinv; a1 *= vinv; a2 *= vinv; a3 *= vinv; }
    STF(yp + c, a0); STF(yp + c + 8, a1); STF(yp + c + 16, a2); STF(yp + c + 24, a3);
  }
  for (; c + 8 <= C; c += 8) {
    v8f a0 = (v8f){0} + (avg ? 0.f : -INFINITY);
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        v8f x0 = LDF(ximg + (o + kh * rs + kw * C + c));
        a0 = avg ? a0 + x0 : MAXF(x0, a0);
      }
    }
    STF(yp + c, avg ? a0 * vinv : a0);
  }
  for (; c < C; c++) {
    float a = avg ? 0.f : -INFINITY;
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        float v = ximg[o + kh * rs + kw * C + c];
        a = avg ? a + v : (v > a ? v : a);
      }
    }
    yp[c] = avg ? a * inv : a;
  }
}

/* One task = one output row (b, oh). */
static void fwd_rows(void *vctx, long begin, long end) {
  const fwd_ctx *k = (const fwd_ctx *)vctx;
  const pool_geom *g = &k->g;
  const long C = g->C;
  for (long r = begin; r < end; r++) {
    long b = r / g->OH, oh = r % g->OH;
    long ih0 = oh * g->sh - g->pt, kh0, kh1;
    window_range(ih0, g->KH, g->H, &kh0, &kh1);
    const float *ximg = k->x + (size_t)b * g->H * g->W * C;
    float *yrow = k->y + (size_t)r * g->OW * C;
    for (long ow = 0; ow < g->OW; ow++) {
      long iw0 = ow * g->sw - g->pl, kw0, kw1;
      window_range(iw0, g->KW, g->W, &kw0, &kw1);
      if (k->avg) pool_window(g, ximg, (ih0 * g->W + iw0) * C, kh0, kh1, kw0, kw1, 1, yrow + ow * C);
      else pool_window(g, ximg, (ih0 * g->W + iw0) * C, kh0, kh1, kw0, kw1, 0, yrow + ow * C);
    }
  }
}

/* maxPool / avgPool (x, y, geom): y [B,OH,OW,C] = pool(x [B,H,W,C]). */
static napi_value pool_forward(napi_env env, napi_callback_info info, const char *fn, int avg) {
  napi_value a[3];
  float *x, *y;
  size_t lx, ly;
  fwd_ctx k;
  if (!cn_args(env, info, fn, 3, a)) return NULL;
  if (!cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &y, &ly) || !read_geom(env, a[2], fn, 2, &k.g))
    return NULL;
  if (!cn_need(env, fn, 0, lx, k.g.xs) || !cn_need(env, fn, 1, ly, k.g.ys)) return NULL;
  k.x = x; k.y = y; k.avg = avg;
  cn_parallel_for(k.g.B * k.g.OH, fwd_rows, &k);
  return NULL;
}

static napi_value js_max_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, "maxPool", 0); }
static napi_value js_avg_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, "avgPool", 1); }
CN_EXPORT("maxPool", js_max_pool)
CN_EXPORT("avgPool", js_avg_pool)

/* ------------------------------------------------------------ max gradient ---- */

typedef struct {
  pool_geom g;
  const float *x, *dy;
  float *dx;
  int32_t *pos; /* [B,OH,OW,C]: argmax kh·KW + kw of each window and channel, −1 when nothing won */
} maxgrad_ctx;

/*
 * One window: taps [kh0,kh1)×[kw0,kw1); cell (kh, kw) is ximg[o + kh·W·C + kw·C] where the window origin o may be
 * negative (padding), so the pointer is only formed for valid taps. Positions kh·KW + kw (or −1) go to pp.
 */
static void argmax_window(const pool_geom *g, const float *ximg, long o, long kh0, long kh1, long kw0, long kw1,
                          int32_t *pp) {
  const long C = g->C, rs = g->W * g->C;
  long c = 0;
  /* Row-major window order with strict >: ties keep the first cell and NaN never wins, as maxPoolPositions does. */
  for (; c + 32 <= C; c += 32) {
    v8f m0 = (v8f){0} - INFINITY, m1 = m0, m2 = m0, m3 = m0;
    v8i i0 = (v8i){0} - 1, i1 = i0, i2 = i0, i3 = i0;
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        const float *xp = ximg + (o + kh * rs + kw * C + c);
        const v8i p = (v8i){0} + (int32_t)(kh * g->KW + kw);
        v8f x0 = LDF(xp), x1 = LDF(xp + 8), x2 = LDF(xp + 16), x3 = LDF(xp + 24);
        v8i g0 = x0 > m0, g1 = x1 > m1, g2 = x2 > m2, g3 = x3 > m3;
        m0 = SELF(g0, x0, m0); i0 = (p & g0) | (i0 & ~g0);
        m1 = SELF(g1, x1, m1); i1 = (p & g1) | (i1 & ~g1);
        m2 = SELF(g2, x2, m2); i2 = (p & g2) | (i2 & ~g2);
        m3 = SELF(g3, x3, m3); i3 = (p & g3) | (i3 & ~g3);
      }
    }
    STI(pp + c, i0); STI(pp + c + 8, i1); STI(pp + c + 16, i2); STI(pp + c + 24, i3);
  }
  for (; c + 8 <= C; c += 8) {
    v8f m0 = (v8f){0} - INFINITY;
    v8i i0 = (v8i){0} - 1;
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        const v8i p = (v8i){0} + (int32_t)(kh * g->KW + kw);
        v8f x0 = LDF(ximg + (o + kh * rs + kw * C + c));
        v8i g0 = x0 > m0;
        m0 = SELF(g0, x0, m0); i0 = (p & g0) | (i0 & ~g0);
      }
    }
    STI(pp + c, i0);
  }
  for (; c < C; c++) {
    float m = -INFINITY;
    int32_t id = -1;
    for (long kh = kh0; kh < kh1; kh++) {
      for (long kw = kw0; kw < kw1; kw++) {
        float v = ximg[o + kh * rs + kw * C + c];
        if (v > m) { m = v; id = (int32_t)(kh * g->KW + kw); }
      }
    }
    pp[c] = id;
  }
}

/* Phase 1, one task = one output row (b, oh): the first strict maximum of each window, per channel. */
static void argmax_rows(void *vctx, long begin, long end) {
  const maxgrad_ctx *k = (const maxgrad_ctx *)vctx;
  const pool_geom *g = &k->g;
  const long C = g->C;
  for (long r = begin; r < end; r++) {
    long b = r / g->OH, oh = r % g->OH;
    long ih0 = oh * g->sh - g->pt, kh0, kh1;
    window_range(ih0, g->KH, g->H, &kh0, &kh1);
    const float *ximg = k->x + (size_t)b * g->H * g->W * C;
    int32_t *prow = k->pos + (size_t)r * g->OW * C;
    for (long ow = 0; ow < g->OW; ow++) {
      long iw0 = ow * g->sw - g->pl, kw0, kw1;
      window_range(iw0, g->KW, g->W, &kw0, &kw1);
      argmax_window(g, ximg, (ih0 * g->W + iw0) * C, kh0, kh1, kw0, kw1, prow + ow * C);
    }
  }
}

/* Phase 2, one task = one input row (b, ih): sums dy of every window covering a cell whose argmax is that cell. */
static void maxgrad_gather_rows(void *vctx, long begin, long end) {
  const maxgrad_ctx *k = (const maxgrad_ctx *)vctx;
  const pool_geom *g = &k->g;
  const long C = g->C;
  for (long t = begin; t < end; t++) {
    long b = t / g->H, ih = t % g->H;
    float *restrict dxrow = k->dx + (size_t)t * g->W * C;
    memset(dxrow, 0, sizeof(float) * g->W * C);
    long oh0, oh1;
    covering_rows(g, ih, &oh0, &oh1);
    for (long oh = oh0; oh < oh1; oh++) {
      const long kh = ih + g->pt - oh * g->sh;
      const size_t orow = ((size_t)b * g->OH + oh) * g->OW * C;
      for (long ow = 0; ow < g->OW; ow++) {
        long iw0 = ow * g->sw - g->pl, kw0, kw1;
        window_range(iw0, g->KW, g->W, &kw0, &kw1);
        const float *restrict dyp = k->dy + orow + ow * C;
        const int32_t *restrict pp = k->pos + orow + ow * C;
        for (long kw = kw0; kw < kw1; kw++) {
          const int32_t p = (int32_t)(kh * g->KW + kw);
          float *restrict dxp = dxrow + (iw0 + kw) * C;
          for (long c = 0; c < C; c++) dxp[c] += pp[c] == p ? dyp[c] : 0.f;
        }
      }
    }
  }
}

/* maxPoolGrad(dy, x, dx, geom): dx [B,H,W,C] (overwritten) from dy [B,OH,OW,C] and the pooled input x [B,H,W,C]. */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  const char *fn = "maxPoolGrad";
  napi_value a[4];
  float *dy, *x, *dx;
  size_t ldy, lx, ldx;
  maxgrad_ctx k;
  if (!cn_args(env, info, fn, 4, a)) return NULL;
  if (!cn_f32(env, a[0], fn, 0, &dy, &ldy) || !cn_f32(env, a[1], fn, 1, &x, &lx) || !cn_f32(env, a[2], fn, 2, &dx, &ldx) ||
      !read_geom(env, a[3], fn, 3, &k.g))
    return NULL;
  if (!cn_need(env, fn, 0, ldy, k.g.ys) || !cn_need(env, fn, 1, lx, k.g.xs) || !cn_need(env, fn, 2, ldx, k.g.xs)) return NULL;
  /* The caller's scratch, shared read-only by the phase-2 workers; int32 and float have the same size. */
  int32_t *pos = (int32_t *)cn_scratch(CN_SCRATCH_ARGMAX, k.g.ys);
  if (pos == NULL) return cn_throw_oom(env, fn);
  k.dy = dy; k.x = x; k.dx = dx; k.pos = pos;
  cn_parallel_for(k.g.B * k.g.OH, argmax_rows, &k);
  cn_parallel_for(k.g.B * k.g.H, maxgrad_gather_rows, &k);
  return NULL;
}
CN_EXPORT("maxPoolGrad", js_max_pool_grad)

/* ------------------------------------------------------------ avg gradient ---- */

typedef struct {
  pool_geom g;
  const float *dy;
  float *dx;
  float scale; /* 1 / (KH·KW): tfjs counts padding cells in the gradient */
} avggrad_ctx;

/* One task = one input row (b, ih): the sum of dy over the windows covering each cell, then · 1/(KH·KW). */
static void avggrad_rows(void *vctx, long begin, long end) {
  const avggrad_ctx *k = (const avggrad_ctx *)vctx;
  const pool_geom *g = &k->g;
  const long C = g->C;
  for (long t = begin; t < end; t++) {
    long b = t / g->H, ih = t % g->H;
    float *restrict dxrow = k->dx + (size_t)t * g->W * C;
    memset(dxrow, 0, sizeof(float) * g->W * C);
    long oh0, oh1;
    covering_rows(g, ih, &oh0, &oh1);
    for (long oh = oh0; oh < oh1; oh++) {
      const float *dyrow = k->dy + ((size_t)b * g->OH + oh) * g->OW * C;
      for (long ow = 0; ow < g->OW; ow++) {
        long iw0 = ow * g->sw - g->pl, kw0, kw1;
        window_range(iw0, g->KW, g->W, &kw0, &kw1);
        const float *restrict dyp = dyrow + ow * C;
        for (long kw = kw0; kw < kw1; kw++) {
          float *restrict dxp = dxrow + (iw0 + kw) * C;
          for (long c = 0; c < C; c++) dxp[c] += dyp[c];
        }
      }
    }
    const float s = k->scale;
    for (long i = 0; i < g->W * C; i++) dxrow[i] *= s;
  }
}

/* avgPoolGrad(dy, dx, geom): dx [B,H,W,C] (overwritten) = Σ over covering windows of dy [B,OH,OW,C] / (KH·KW). */
static napi_value js_avg_pool_grad(napi_env env, napi_callback_info info) {
  const char *fn = "avgPoolGrad";
  napi_value a[3];
  float *dy, *dx;
  size_t ldy, ldx;
  avggrad_ctx k;
  if (!cn_args(env, info, fn, 3, a)) return NULL;
  if (!cn_f32(env, a[0], fn, 0, &dy, &ldy) || !cn_f32(env, a[1], fn, 1, &dx, &ldx) || !read_geom(env, a[2], fn, 2, &k.g))
    return NULL;
  if (!cn_need(env, fn, 0, ldy, k.g.ys) || !cn_need(env, fn, 1, ldx, k.g.xs)) return NULL;
  k.dy = dy; k.dx = dx;
  k.scale = (float)(1.0 / ((double)k.g.KH * (double)k.g.KW));
  cn_parallel_for(k.g.B * k.g.H, avggrad_rows, &k);
  return NULL;
}
CN_EXPORT("avgPoolGrad", js_avg_pool_grad)
