/*
 * Depthwise 2-D convolution, NHWC float32, filter [KH, KW, C, M] (output channel c·M + m): forward (with bias and
 * linear/relu/relu6/leakyrelu), gradient with respect to the input, gradient with respect to the filter.
 *
 * Generic loop nests run (rows, taps, output columns, channels) with the valid output-column range of each filter
 * column computed once per call, so the two innermost loops carry no bounds checks and the innermost one walks
 * contiguous channels of x, dy and W (auto-vectorised by -O3 -march=native). For M = 1 and C % 8 == 0 (MobileNet's
 * case) register-blocked variants sum 32 channels in vector registers and store each result once.
 * Geometry comes from JavaScript (tfjs computeConv2DInfo) as an Int32Array of 15 values, see DW_GEOM_LEN.
 */
#include <stdlib.h>
#include <string.h>
#include "cn.h"

/* geom = [B, H, W, C, M, OH, OW, KH, KW, strideH, strideW, dilationH, dilationW, padTop, padLeft] */
#define DW_GEOM_LEN 15
/* Pads beyond this are surely a caller bug; the bound keeps every index product far from overflow. */
#define DW_MAX_PAD (1 << 20)
#define DW_MAX_FILTER 1024

typedef struct {
  long B, H, W, C, M, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
  long OC; /* C·M */
  size_t xs, ys, ws; /* floats in x [B,H,W,C], y [B,OH,OW,C·M], W [KH,KW,C,M] */
} dw_geom;

/* Reads and checks the geometry array; throws (returns 0) on anything that could index outside the views. */
static int read_geom(napi_env env, napi_value v, const char *fn, int index, dw_geom *g) {
  int32_t *p;
  size_t n;
  if (!cn_i32(env, v, fn, index, &p, &n)) return 0;
  if (n != DW_GEOM_LEN) { cn_throw(env, "%s: argument %d (geometry) must hold %d ints, got %zu", fn, index, DW_GEOM_LEN, n); return 0; }
  static const char *names[DW_GEOM_LEN] = {"B", "H", "W", "C", "M", "OH", "OW", "KH", "KW", "strideH", "strideW",
                                           "dilationH", "dilationW", "padTop", "padLeft"};
  for (int i = 0; i < 13; i++) {
    if (p[i] < 1) { cn_throw(env, "%s: geometry %s = %d must be at least 1", fn, names[i], p[i]); return 0; }
  }
  for (int i = 13; i < 15; i++) {
    if (p[i] < -DW_MAX_PAD || p[i] > DW_MAX_PAD) { cn_throw(env, "%s: geometry %s = %d is out of range", fn, names[i], p[i]); return 0; }
  }
  if (p[7] > DW_MAX_FILTER || p[8] > DW_MAX_FILTER) {
    cn_throw(env, "%s: filter %dx%d is larger than %d in a dimension", fn, p[7], p[8], DW_MAX_FILTER);
    return 0;
  }
  g->B = p[0]; g->H = p[1]; g->W = p[2]; g->C = p[3]; g->M = p[4]; g->OH = p[5]; g->OW = p[6]; g->KH = p[7]; g->KW = p[8];
  g->sh = p[9]; g->sw = p[10]; g->dh = p[11]; g->dw = p[12]; g->pt = p[13]; g->pl = p[14];
  /* Checked products: an overflow would let a short view pass the size checks. */
  size_t oc, xs, ys, ws;
  if (__builtin_mul_overflow((size_t)p[3], (size_t)p[4], &oc) || oc > (size_t)1 << 40 ||
      __builtin_mul_overflow((size_t)p[0] * p[1], (size_t)p[2] * p[3], &xs) ||
      __builtin_mul_overflow((size_t)p[0] * p[5], (size_t)p[6], &ys) || __builtin_mul_overflow(ys, oc, &ys) ||
      __builtin_mul_overflow((size_t)p[7] * p[8], oc, &ws) || xs > (size_t)1 << 40 || ys > (size_t)1 << 40 || ws > (size_t)1 << 40) {
    cn_throw(env, "%s: geometry sizes overflow", fn);
    return 0;
  }
  g->OC = (long)oc;
  g->xs = xs; g->ys = ys; g->ws = ws;
  return 1;
}

static size_t x_size(const dw_geom *g) { return g->xs; }
static size_t y_size(const dw_geom *g) { return g->ys; }
static size_t w_size(const dw_geom *g) { return g->ws; }

/* [first, end) of output columns ow with 0 ≤ ow·stride + off < len (off = kw·dilation − padLeft); empty → first = end. */
static void valid_range(long off, long stride, long len, long out_len, long *first, long *end) {
  long f = off >= 0 ? 0 : (-off + stride - 1) / stride;
  long last = len - 1 - off;
  long e = last < 0 ? 0 : last / stride + 1;
  if (e > out_len) e = out_len;
  if (f > e) f = e;
  *first = f;
  *end = e;
}

/*
 * Register-blocked paths for the common case M = 1, C % 8 == 0: 8-float vectors (GCC vector extensions; one AVX
 * register with -march=native, two SSE ones elsewhere), up to 4 independent accumulators over 32 channels so the FMA
 * latency is hidden, and each output vector stored once instead of read-modified-written per tap.
 * aligned(4): the views are only float-aligned.
 */
typedef float v8 __attribute__((vector_size(32), aligned(4)));
#define LD(p) (*(const v8 *)(p))
#define ST(p, v) (*(v8 *)(p) = (v))

/* Per output column ow: the filter columns kw whose input column ow·sw + kw·dw − pl lies inside [0, W) form [lo, hi). */
static void tap_ranges_per_column(const dw_geom *g, int *lo, int *hi) {
  for (long ow = 0; ow < g->OW; ow++) {
    long l = -1, h = -1;
    for (long kw = 0; kw < g->KW; kw++) {
      long iw = ow * g->sw + kw * g->dw - g->pl;
      if (iw < 0 || iw >= g->W) continue;
      if (l < 0) l = kw;
      h = kw + 1;
    }
    lo[ow] = l < 0 ? 0 : (int)l;
    hi[ow] = l < 0 ? 0 : (int)h;
  }
}

/* ---------------------------------------------------------------- forward ---- */

typedef struct {
  dw_geom g;
  const float *x, *w, *bias;
  float *y;
  long bias_len; /* 0: none, 1: scalar, OC: per channel */
  int act;
  float alpha;
  const long *owr; /* 2·KW: valid ow range per filter column */
  const int *kwlo, *kwhi; /* OW each: valid kw range per output column (NULL: generic path) */
} fwd_ctx;

/* Forward row (b, oh) for M = 1, C % 8 == 0; yrow already holds the bias (or zeros). */
static void fwd_row_blocked(const fwd_ctx *k, long b, long oh, float *yrow) {
  const dw_geom *g = &k->g;
  const long C = g->C, KW = g->KW;
  const float *xr[DW_MAX_FILTER];
  const float *wr[DW_MAX_FILTER];
  long nk = 0;
  for (long kh = 0; kh < g->KH; kh++) {
    long ih = oh * g->sh + kh * g->dh - g->pt;
    if (ih < 0 || ih >= g->H) continue;
    xr[nk] = k->x + ((size_t)b * g->H + ih) * g->W * C;
    wr[nk] = k->w + kh * KW * C;
    nk++;
  }
  const long xstep = g->dw * C;
  for (long ow = 0; ow < g->OW; ow++) {
    const long lo = k->kwlo[ow], hi = k->kwhi[ow];
    const long xoff = (ow * g->sw - g->pl) * C; /* + kw·dw·C lands inside the row for kw in [lo, hi) */
    float *yp = yrow + ow * C;
    long cb = 0;
    for (; cb + 32 <= C; cb += 32) {
      v8 a0 = LD(yp + cb), a1 = LD(yp + cb + 8), a2 = LD(yp + cb + 16), a3 = LD(yp + cb + 24);
      for (long t = 0; t < nk; t++) {
        const float *xp = xr[t] + xoff + cb + lo * xstep;
        const float *wp = wr[t] + cb + lo * C;
        for (long kw = lo; kw < hi; kw++, xp += xstep, wp += C) {
          a0 += LD(xp) * LD(wp);
          a1 += LD(xp + 8) * LD(wp + 8);
          a2 += LD(xp + 16) * LD(wp + 16);
          a3 += LD(xp + 24) * LD(wp + 24);
        }
      }
      ST(yp + cb, a0); ST(yp + cb + 8, a1); ST(yp + cb + 16, a2); ST(yp + cb + 24, a3);
    }
    for (; cb < C; cb += 8) {
      v8 a0 = LD(yp + cb);
      for (long t = 0; t < nk; t++) {
        const float *xp = xr[t] + xoff + cb + lo * xstep;
        const float *wp = wr[t] + cb + lo * C;
        for (long kw = lo; kw < hi; kw++, xp += xstep, wp += C) a0 += LD(xp) * LD(wp);
      }
      ST(yp + cb, a0);
    }
  }
}

#if defined(__AVX512F__)
#include <immintrin.h>
/*
 * 3×3 filters with M = 1, dilation 1, stride 1 or 2 (MobileNet, ShuffleNet): per output row and 16-channel block, the
 * 9 taps and the bias sit in registers and 8 output pixels are summed at once (8 independent FMA chains: one chain
 * per pixel would wait on the FMA latency at every tap), each stored once with its activation. Input columns shared
 * by neighbouring pixels are loaded once per group (the offsets are constants for a fixed stride). A last block of
 * fewer than 16 channels is masked, loads included, so nothing past a pixel's C channels is touched. Every output
 * is bias + taps in (kh, kw) order, the same operations in the same order as the generic paths: identical results.
 */
static inline __m512 dw_act16(__m512 v, int act, float alpha) {
  const __m512 zero = _mm512_setzero_ps();
  switch (act) { /* compare-and-blend: NaN passes through, as in tfjs (max/min would not) */
    case CN_ACT_RELU: return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);
    case CN_ACT_RELU6: {
      const __m512 six = _mm512_set1_ps(6.0f);
      v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);
      return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, six, _CMP_GT_OQ), six);
    }
    case CN_ACT_LEAKYRELU: return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(alpha));
    default: return v;
  }
}

/* 8 pixels ow0..ow0+7, all 3 filter columns inside the row, NK valid filter rows (xr[t]: input row of valid filter
   row t, already offset to column ow0·S − pl and to the channel block). */
static inline __attribute__((always_inline)) void dw3_group8(const float *const *xr, const __m512 *w, int NK, int S,
                                                             long C, __m512 bias, __mmask16 m, float *yp, int act,
                                                             float alpha) {
  __m512 acc[8];
  for (int i = 0; i < 8; i++) acc[i] = bias;
  for (int t = 0; t < NK; t++) {
    for (int kw = 0; kw < 3; kw++) {
      for (int i = 0; i < 8; i++)
        acc[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xr[t] + (long)(i * S + kw) * C), w[t * 3 + kw], acc[i]);
    }
  }
  for (int i = 0; i < 8; i++) _mm512_mask_storeu_ps(yp + (long)i * C, m, dw_act16(acc[i], act, alpha));
}

/* One output row for the fast path; yrow is written (bias included), not read. */
static inline __attribute__((always_inline)) void dw3_row(const fwd_ctx *k, long b, long oh, float *yrow, int S,
                                                          int act) {
  const dw_geom *g = &k->g;
  const long C = g->C, W = g->W, OW = g->OW, pl = g->pl;
  const float *xr[3];
  long kh_of[3];
  int nk = 0;
  for (long kh = 0; kh < 3; kh++) {
    long ih = oh * S + kh - g->pt;
    if (ih < 0 || ih >= g->H) continue;
    xr[nk] = k->x + ((size_t)b * g->H + ih) * W * C;
    kh_of[nk++] = kh;
  }
  /* Pixels whose three input columns ow·S − pl + {0,1,2} all lie in [0, W): [in0, in1). */
  long in0 = (pl + S - 1) / S, in1 = (W - 3 + pl) / S + 1;
  if (W - 3 + pl < 0) in1 = 0;
  if (in1 > OW) in1 = OW;
  if (in0 > in1) in0 = in1;
  for (long cb = 0; cb < C; cb += 16) {
    const __mmask16 m = C - cb >= 16 ? 0xFFFF : (__mmask16)((1u << (C - cb)) - 1u);
    __m512 w[9];
    for (int t = 0; t < nk; t++)
      for (int kw = 0; kw < 3; kw++) w[t * 3 + kw] = _mm512_maskz_loadu_ps(m, k->w + (kh_of[t] * 3 + kw) * C + cb);
    const __m512 bias = k->bias_len == 0 ? _mm512_setzero_ps()
                        : k->bias_len == 1 ? _mm512_set1_ps(k->bias[0])
                                           : _mm512_maskz_loadu_ps(m, k->bias + cb);
    long ow = 0;
    /* Border and leftover pixels, one at a time, taps restricted to the row. */
#define DW3_ONE(owv)                                                                                    \
    do {                                                                                                \
      const long o_ = (owv), c0_ = o_ * S - pl;                                                         \
      __m512 a_ = bias;                                                                                 \
      for (int t = 0; t < nk; t++)                                                                      \
        for (int kw = 0; kw < 3; kw++) {                                                                \
          const long iw_ = c0_ + kw;                                                                    \
          if (iw_ < 0 || iw_ >= W) continue;                                                            \
          a_ = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xr[t] + iw_ * C + cb), w[t * 3 + kw], a_);      \
        }                                                                                               \
      _mm512_mask_storeu_ps(yrow + o_ * C + cb, m, dw_act16(a_, act, k->alpha));                        \
    } while (0)
    for (; ow < in0; ow++) DW3_ONE(ow);
    for (; ow + 8 <= in1; ow += 8) {
      const float *xo[3];
      for (int t = 0; t < nk; t++) xo[t] = xr[t] + (ow * S - pl) * C + cb;
      float *yp = yrow + ow * C + cb;
      if (nk == 3) dw3_group8(xo, w, 3, S, C, bias, m, yp, act, k->alpha);
      else if (nk == 2) dw3_group8(xo, w, 2, S, C, bias, m, yp, act, k->alpha);
      else if (nk == 1) dw3_group8(xo, w, 1, S, C, bias, m, yp, act, k->alpha);
      else dw3_group8(xo, w, 0, S, C, bias, m, yp, act, k->alpha);
    }
    for (; ow < OW; ow++) DW3_ONE(ow);
#undef DW3_ONE
  }
}

/* Rows of the fast path, the stride and activation made constants for the compiler. */
static void dw3_rows(void *vctx, long begin, long end) {
  const fwd_ctx *k = (const fwd_ctx *)vctx;
  const long OH = k->g.OH, step = k->g.OW * k->g.C;
  for (long r = begin; r < end; r++) {
    float *yrow = k->y + (size_t)r * step;
    const long b = r / OH, oh = r % OH;
#define DW3_CASE(S, A) dw3_row(k, b, oh, yrow, S, A)
    if (k->g.sh == 1) {
      switch (k->act) {
        case CN_ACT_RELU: DW3_CASE(1, CN_ACT_RELU); break;
        case CN_ACT_RELU6: DW3_CASE(1, CN_ACT_RELU6); break;
        case CN_ACT_LEAKYRELU: DW3_CASE(1, CN_ACT_LEAKYRELU); break;
        default: DW3_CASE(1, CN_ACT_LINEAR); break;
      }
    } else {
      switch (k->act) {
        case CN_ACT_RELU: DW3_CASE(2, CN_ACT_RELU); break;
        case CN_ACT_RELU6: DW3_CASE(2, CN_ACT_RELU6); break;
        case CN_ACT_LEAKYRELU: DW3_CASE(2, CN_ACT_LEAKYRELU); break;
        default: DW3_CASE(2, CN_ACT_LINEAR); break;
      }
    }
#undef DW3_CASE
  }
}

/* Whether the fast path covers the geometry: 3×3, M = 1, dilation 1, equal strides 1 or 2. */
static int dw3_applies(const dw_geom *g) {
  return g->M == 1 && g->KH == 3 && g->KW == 3 && g->dh == 1 && g->dw == 1 && g->sh == g->sw && (g->sh == 1 || g->sh == 2);
}
#else
static void dw3_rows(void *vctx, long begin, long end) { (void)vctx, (void)begin, (void)end; }
static int dw3_applies(const dw_geom *g) { (void)g; return 0; }
#endif

/* One task = one output row (b, oh): the row [OW, OC] stays in L1 while every tap adds into it. */
static void fwd_rows(void *vctx, long begin, long end) {
  const fwd_ctx *k = (const fwd_ctx *)vctx;
  const dw_geom *g = &k->g;
  const long C = g->C, M = g->M, OC = g->OC;
  for (long r = begin; r < end; r++) {
    long b = r / g->OH, oh = r % g->OH;
    float *restrict yrow = k->y + (size_t)r * g->OW * OC;
    if (k->bias_len == 0) {
      memset(yrow, 0, sizeof(float) * g->OW * OC);
    } else if (k->bias_len == 1) {
      float v = k->bias[0];
      for (long i = 0; i < g->OW * OC; i++) yrow[i] = v;
    } else {
      for (long ow = 0; ow < g->OW; ow++) memcpy(yrow + ow * OC, k->bias, sizeof(float) * OC);
    }
    if (k->kwlo != NULL) {
      fwd_row_blocked(k, b, oh, yrow);
    } else {
      for (long kh = 0; kh < g->KH; kh++) {
        long ih = oh * g->sh + kh * g->dh - g->pt;
        if (ih < 0 || ih >= g->H) continue;
        const float *xrow = k->x + ((size_t)b * g->H + ih) * g->W * C;
        for (long kw = 0; kw < g->KW; kw++) {
          long first = k->owr[2 * kw], stop = k->owr[2 * kw + 1];
          const float *restrict wt = k->w + (kh * g->KW + kw) * OC;
          long iw0 = kw * g->dw - g->pl;
          for (long ow = first; ow < stop; ow++) {
            const float *restrict xp = xrow + (ow * g->sw + iw0) * C;
            float *restrict yp = yrow + ow * OC;
            if (M == 1) {
              for (long c = 0; c < C; c++) yp[c] += xp[c] * wt[c];
            } else {
              for (long c = 0; c < C; c++) {
                float xv = xp[c];
                for (long m = 0; m < M; m++) yp[c * M + m] += xv * wt[c * M + m];
              }
            }
          }
        }
      }
    }
    /* The activation runs on the row while it is still in cache. */
    long n = g->OW * OC;
    switch (k->act) {
      case CN_ACT_RELU:
        for (long i = 0; i < n; i++) yrow[i] = yrow[i] > 0.f ? yrow[i] : 0.f;
        break;
      case CN_ACT_RELU6:
        for (long i = 0; i < n; i++) {
          float v = yrow[i] > 0.f ? yrow[i] : 0.f;
          yrow[i] = v < 6.f ? v : 6.f;
        }
        break;
      case CN_ACT_LEAKYRELU: {
        float a = k->alpha;
        for (long i = 0; i < n; i++) yrow[i] = yrow[i] < 0.f ? a * yrow[i] : yrow[i];
        break;
      }
      default:
        break;
    }
  }
}

/*
 * y[B,OH,OW,C·M] = act(conv(x, w) + bias) for checked geometry g; bias_len is 0 (no bias), 1 (one value for every
 * channel) or OC. Returns CN_OK, or CN_ENOMEM. The N-API entry below and the C benchmarks (bench/c) both call it.
 */
static int depthwise_forward(const dw_geom *g, const float *x, const float *w, const float *bias, size_t bias_len, float *y,
                             int act, float alpha) {
  fwd_ctx k;
  k.g = *g;
  long owr[2 * DW_MAX_FILTER];
  for (long kw = 0; kw < k.g.KW; kw++)
    valid_range(kw * k.g.dw - k.g.pl, k.g.sw, k.g.W, k.g.OW, &owr[2 * kw], &owr[2 * kw + 1]);
  k.x = x; k.w = w; k.bias = bias; k.y = y; k.act = act; k.alpha = alpha; k.owr = owr;
  k.bias_len = bias == NULL ? 0 : (long)bias_len;
  k.kwlo = k.kwhi = NULL;
  if (dw3_applies(&k.g)) {
    cn_parallel_for(k.g.B * k.g.OH, dw3_rows, &k);
    return CN_OK;
  }
  int *ranges = NULL;
  if (k.g.M == 1 && k.g.C % 8 == 0) {
    ranges = (int *)cn_alloc(sizeof(int) * 2 * k.g.OW);
    if (ranges == NULL) return CN_ENOMEM;
    tap_ranges_per_column(&k.g, ranges, ranges + k.g.OW);
    k.kwlo = ranges;
    k.kwhi = ranges + k.g.OW;
  }
  cn_parallel_for(k.g.B * k.g.OH, fwd_rows, &k);
  free(ranges);
  return CN_OK;
}

/* depthwiseConv2d(x, w, bias|null, y, geom, activation, alpha): y[B,OH,OW,C·M] = act(conv(x, w) + bias). */
static napi_value js_depthwise_forward(napi_env env, napi_callback_info info) {
  const char *fn = "depthwiseConv2d";
  napi_value a[7];
  float *x, *w, *bias, *y;
  size_t lx, lw, lb, ly;
  int act;
  double alpha;
  dw_geom g;
  if (!cn_args(env, info, fn, 7, a)) return NULL;
  if (!cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &w, &lw) || !cn_f32_opt(env, a[2], fn, 2, &bias, &lb) ||
      !cn_f32(env, a[3], fn, 3, &y, &ly) || !read_geom(env, a[4], fn, 4, &g) || !cn_activation(env, a[5], fn, 5, &act) ||
      !cn_double(env, a[6], fn, 6, &alpha))
    return NULL;
  if (!cn_need(env, fn, 0, lx, x_size(&g)) || !cn_need(env, fn, 1, lw, w_size(&g)) || !cn_need(env, fn, 3, ly, y_size(&g)))
    return NULL;
  if (bias != NULL && lb != 1 && !cn_need(env, fn, 2, lb, (size_t)g.OC)) return NULL;
  if (bias != NULL && lb == 0) return cn_throw(env, "%s: argument 2 (bias) is empty", fn);
  if (depthwise_forward(&g, x, w, bias, bias == NULL ? 0 : lb == 1 ? 1 : (size_t)g.OC, y, act, (float)alpha) != CN_OK)
    return cn_throw_oom(env, fn);
  return NULL;
}
CN_EXPORT("depthwiseConv2d", js_depthwise_forward)

/* ---------------------------------------------------------- backprop input ---- */

typedef struct {
  dw_geom g;
  const float *dy, *w;
  float *dx;
  const long *owr;
  /* Blocked path (NULL: generic): per input column iw, ntap[iw] pairs (tkw, tow)[iw·KW + j] of filter column and
     output column whose window reads iw. */
  const int *ntap, *tkw, *tow;
} bpi_ctx;

/* Input-gradient row (b, ih) for M = 1, C % 8 == 0: each dx vector is summed in registers and stored once. */
static void bpi_row_blocked(const bpi_ctx *k, long b, long ih, float *dxrow) {
  const dw_geom *g = &k->g;
  const long C = g->C, KW = g->KW;
  const float *dyr[DW_MAX_FILTER];
  const float *wr[DW_MAX_FILTER];
  long nk = 0;
  for (long kh = 0; kh < g->KH; kh++) {
    long t = ih + g->pt - kh * g->dh; /* = oh·sh */
    if (t < 0 || t % g->sh != 0 || t / g->sh >= g->OH) continue;
    dyr[nk] = k->dy + ((size_t)b * g->OH + t / g->sh) * g->OW * C;
    wr[nk] = k->w + kh * KW * C;
    nk++;
  }
  for (long iw = 0; iw < g->W; iw++) {
    const long n = k->ntap[iw];
    const int *kws = k->tkw + iw * KW, *ows = k->tow + iw * KW;
    float *dp = dxrow + iw * C;
    long cb = 0;
    for (; cb + 32 <= C; cb += 32) {
      v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      for (long t = 0; t < nk; t++) {
        for (long j = 0; j < n; j++) {
          const float *gp = dyr[t] + (long)ows[j] * C + cb;
          const float *wp = wr[t] + (long)kws[j] * C + cb;
          a0 += LD(gp) * LD(wp);
          a1 += LD(gp + 8) * LD(wp + 8);
          a2 += LD(gp + 16) * LD(wp + 16);
          a3 += LD(gp + 24) * LD(wp + 24);
        }
      }
      ST(dp + cb, a0); ST(dp + cb + 8, a1); ST(dp + cb + 16, a2); ST(dp + cb + 24, a3);
    }
    for (; cb < C; cb += 8) {
      v8 a0 = {0};
      for (long t = 0; t < nk; t++)
        for (long j = 0; j < n; j++) a0 += LD(dyr[t] + (long)ows[j] * C + cb) * LD(wr[t] + (long)kws[j] * C + cb);
      ST(dp + cb, a0);
    }
  }
}

/*
 * One task = one input row (b, ih): a gather over the output rows oh whose taps kh read ih, so no two tasks write the
 * same memory. Within the row, each (kh, kw, ow) adds into dx[b, ih, ow·sw + kw·dw − padLeft, :].
 */
static void bpi_rows(void *vctx, long begin, long end) {
  const bpi_ctx *k = (const bpi_ctx *)vctx;
  const dw_geom *g = &k->g;
  const long C = g->C, M = g->M, OC = g->OC;
  for (long r = begin; r < end; r++) {
    long b = r / g->H, ih = r % g->H;
    float *restrict dxrow = k->dx + (size_t)r * g->W * C;
    if (k->ntap != NULL) {
      bpi_row_blocked(k, b, ih, dxrow);
      continue;
    }
    memset(dxrow, 0, sizeof(float) * g->W * C);
    for (long kh = 0; kh < g->KH; kh++) {
      long t = ih + g->pt - kh * g->dh; /* = oh·sh */
      if (t < 0 || t % g->sh != 0) continue;
      long oh = t / g->sh;
      if (oh >= g->OH) continue;
      const float *dyrow = k->dy + ((size_t)b * g->OH + oh) * g->OW * OC;
      for (long kw = 0; kw < g->KW; kw++) {
        long first = k->owr[2 * kw], stop = k->owr[2 * kw + 1];
        const float *restrict wt = k->w + (kh * g->KW + kw) * OC;
        long iw0 = kw * g->dw - g->pl;
        for (long ow = first; ow < stop; ow++) {
          float *restrict dp = dxrow + (ow * g->sw + iw0) * C;
          const float *restrict gp = dyrow + ow * OC;
          if (M == 1) {
            for (long c = 0; c < C; c++) dp[c] += gp[c] * wt[c];
          } else {
            for (long c = 0; c < C; c++) {
              float s = 0.f;
              for (long m = 0; m < M; m++) s += gp[c * M + m] * wt[c * M + m];
              dp[c] += s;
            }
          }
        }
      }
    }
  }
}

/* depthwiseBackpropInput(dy, w, dx, geom): dx[B,H,W,C] = Σ dy·W over the outputs each input feeds (dx overwritten). */
static napi_value js_depthwise_backprop_input(napi_env env, napi_callback_info info) {
  const char *fn = "depthwiseBackpropInput";
  napi_value a[4];
  float *dy, *w, *dx;
  size_t ldy, lw, ldx;
  bpi_ctx k;
  if (!cn_args(env, info, fn, 4, a)) return NULL;
  if (!cn_f32(env, a[0], fn, 0, &dy, &ldy) || !cn_f32(env, a[1], fn, 1, &w, &lw) || !cn_f32(env, a[2], fn, 2, &dx, &ldx) ||
      !read_geom(env, a[3], fn, 3, &k.g))
    return NULL;
  if (!cn_need(env, fn, 0, ldy, y_size(&k.g)) || !cn_need(env, fn, 1, lw, w_size(&k.g)) || !cn_need(env, fn, 2, ldx, x_size(&k.g)))
    return NULL;
  long owr[2 * DW_MAX_FILTER];
  for (long kw = 0; kw < k.g.KW; kw++)
    valid_range(kw * k.g.dw - k.g.pl, k.g.sw, k.g.W, k.g.OW, &owr[2 * kw], &owr[2 * kw + 1]);
  k.dy = dy; k.w = w; k.dx = dx; k.owr = owr;
  k.ntap = k.tkw = k.tow = NULL;
  int *taps = NULL;
  if (k.g.M == 1 && k.g.C % 8 == 0) {
    const long W = k.g.W, KW = k.g.KW;
    taps = (int *)cn_alloc(sizeof(int) * (W + 2 * W * KW));
    if (taps == NULL) return cn_throw_oom(env, fn);
    int *ntap = taps, *tkw = taps + W, *tow = taps + W + W * KW;
    for (long iw = 0; iw < W; iw++) {
      int n = 0;
      for (long kw = 0; kw < KW; kw++) {
        long t = iw + k.g.pl - kw * k.g.dw; /* = ow·sw */
        if (t < 0 || t % k.g.sw != 0 || t / k.g.sw >= k.g.OW) continue;
        tkw[iw * KW + n] = (int)kw;
        tow[iw * KW + n] = (int)(t / k.g.sw);
        n++;
      }
      ntap[iw] = n;
    }
    k.ntap = ntap; k.tkw = tkw; k.tow = tow;
  }
  cn_parallel_for(k.g.B * k.g.H, bpi_rows, &k);
  free(taps);
  return NULL;
}
CN_EXPORT("depthwiseBackpropInput", js_depthwise_backprop_input)

/* --------------------------------------------------------- backprop filter ---- */

#define DW_MAX_PARTS 64

typedef struct {
  dw_geom g;
  const float *x, *dy;
  const long *owr;
  long parts;                  /* the row range is split into this many parts */
  double *partial[DW_MAX_PARTS]; /* partial[p]: sums of the thread whose range starts at part p (NULL if none) */
  int failed;                  /* a thread could not get scratch memory */
} bpf_ctx;

/*
 * Handles parts [pbegin, pend): one thread's share. Its sums go to a private double buffer (its CN_SCRATCH_DEPTHWISE
 * scratch, holding KH·KW·C·M doubles then KH·KW·C·M floats); each output row's terms (≤ OW per weight) are first
 * summed in the float row buffer, which keeps float64 work out of the innermost loop.
 */
static void bpf_parts(void *vctx, long pbegin, long pend) {
  bpf_ctx *k = (bpf_ctx *)vctx;
  const dw_geom *g = &k->g;
  const long C = g->C, M = g->M, OC = g->OC, taps = g->KH * g->KW;
  size_t nw = (size_t)taps * OC;
  float *mem = cn_scratch(CN_SCRATCH_DEPTHWISE, 3 * nw);
  if (mem == NULL) {
    __atomic_store_n(&k->failed, 1, __ATOMIC_RELAXED);
    k->partial[pbegin] = NULL;
    return;
  }
  double *acc = (double *)mem; /* 64-byte aligned by cn_scratch */
  float *rowsum = mem + 2 * nw;
  memset(acc, 0, sizeof(double) * nw);
  long rows = g->B * g->OH;
  /* Rows of parts [pbegin, pend) are contiguous: part p covers [p·rows/parts, (p+1)·rows/parts). */
  long rbegin = pbegin * rows / k->parts, rend = pend * rows / k->parts;
  for (long r = rbegin; r < rend; r++) {
    long b = r / g->OH, oh = r % g->OH;
    const float *dyrow = k->dy + (size_t)r * g->OW * OC;
    for (long kh = 0; kh < g->KH; kh++) {
      long ih = oh * g->sh + kh * g->dh - g->pt;
      if (ih < 0 || ih >= g->H) continue;
      const float *xrow = k->x + ((size_t)b * g->H + ih) * g->W * C;
      for (long kw = 0; kw < g->KW; kw++) {
        long first = k->owr[2 * kw], stop = k->owr[2 * kw + 1];
        if (first >= stop) continue;
        float *restrict rs = rowsum + (kh * g->KW + kw) * OC;
        long iw0 = kw * g->dw - g->pl;
        if (M == 1 && C % 8 == 0) {
          /* Register-blocked: 32 (then 8) channels summed over the row's columns in registers, stored once. */
          const float *x0 = xrow + (first * g->sw + iw0) * C, *g0 = dyrow + first * OC;
          const long xs = g->sw * C, n = stop - first;
          long cb = 0;
          for (; cb + 32 <= C; cb += 32) {
            v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            const float *xp = x0 + cb, *gp = g0 + cb;
            for (long i = 0; i < n; i++, xp += xs, gp += OC) {
              a0 += LD(xp) * LD(gp);
              a1 += LD(xp + 8) * LD(gp + 8);
              a2 += LD(xp + 16) * LD(gp + 16);
              a3 += LD(xp + 24) * LD(gp + 24);
            }
            ST(rs + cb, a0); ST(rs + cb + 8, a1); ST(rs + cb + 16, a2); ST(rs + cb + 24, a3);
          }
          for (; cb < C; cb += 8) {
            v8 a0 = {0};
            const float *xp = x0 + cb, *gp = g0 + cb;
            for (long i = 0; i < n; i++, xp += xs, gp += OC) a0 += LD(xp) * LD(gp);
            ST(rs + cb, a0);
          }
        } else {
          memset(rs, 0, sizeof(float) * OC);
          for (long ow = first; ow < stop; ow++) {
            const float *restrict xp = xrow + (ow * g->sw + iw0) * C;
            const float *restrict gp = dyrow + ow * OC;
            if (M == 1) {
              for (long c = 0; c < C; c++) rs[c] += xp[c] * gp[c];
            } else {
              for (long c = 0; c < C; c++) {
                float xv = xp[c];
                for (long m = 0; m < M; m++) rs[c * M + m] += xv * gp[c * M + m];
              }
            }
          }
        }
        double *restrict ap = acc + (kh * g->KW + kw) * OC;
        for (long o = 0; o < OC; o++) ap[o] += rs[o];
      }
    }
  }
  k->partial[pbegin] = acc;
}

/*
 * depthwiseBackpropFilter(x, dy, dw, geom): dw[KH,KW,C,M] = Σ_{b,oh,ow} x·dy (overwritten). The rows are split into
 * cn_threads() fixed parts and the partial sums are added in part order, so for a given thread count the result does
 * not depend on scheduling.
 */
static napi_value js_depthwise_backprop_filter(napi_env env, napi_callback_info info) {
  const char *fn = "depthwiseBackpropFilter";
  napi_value a[4];
  float *x, *dy, *dw;
  size_t lx, ldy, ldw;
  bpf_ctx *k = (bpf_ctx *)cn_alloc(sizeof(bpf_ctx));
  if (k == NULL) return cn_throw_oom(env, fn);
  memset(k, 0, sizeof *k);
  if (!cn_args(env, info, fn, 4, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &dy, &ldy) ||
      !cn_f32(env, a[2], fn, 2, &dw, &ldw) || !read_geom(env, a[3], fn, 3, &k->g) ||
      !cn_need(env, fn, 0, lx, x_size(&k->g)) || !cn_need(env, fn, 1, ldy, y_size(&k->g)) ||
      !cn_need(env, fn, 2, ldw, w_size(&k->g))) {
    free(k);
    return NULL;
  }
  long owr[2 * DW_MAX_FILTER];
  for (long kw = 0; kw < k->g.KW; kw++)
    valid_range(kw * k->g.dw - k->g.pl, k->g.sw, k->g.W, k->g.OW, &owr[2 * kw], &owr[2 * kw + 1]);
  long rows = k->g.B * k->g.OH;
  long parts = cn_threads();
  if (parts > DW_MAX_PARTS) parts = DW_MAX_PARTS;
  if (parts > rows) parts = rows;
  k->x = x; k->dy = dy; k->owr = owr; k->parts = parts;
  /* parallel_for over the parts: each thread gets one contiguous run of parts and records its buffer at its first part. */
  cn_parallel_for(parts, bpf_parts, k);
  if (k->failed) {
    free(k);
    return cn_throw_oom(env, fn);
  }
  size_t nw = w_size(&k->g);
  const double *first = NULL;
  for (long p = 0; p < parts; p++) {
    if (k->partial[p] == NULL) continue;
    if (first == NULL) { first = k->partial[p]; continue; }
    double *restrict d = (double *)first;
    const double *restrict s = k->partial[p];
    for (size_t i = 0; i < nw; i++) d[i] += s[i];
  }
  for (size_t i = 0; i < nw; i++) dw[i] = first ? (float)first[i] : 0.f;
  free(k);
  return NULL;
}
CN_EXPORT("depthwiseBackpropFilter", js_depthwise_backprop_filter)
