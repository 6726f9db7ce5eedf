/*
 * Convolutions, dense and grouped in one implementation (NHWC activations, filters [KH, KW, C/G, CO]; G = 1 is the
 * dense convolution with an HWIO filter), as GEMMs on cn_sgemm, in place.
 * Group i reads input channels i·Cg … (Cg = C/G) and writes output channels i·COg … (COg = CO/G); its filter is the
 * column block w[:, i·COg : (i+1)·COg] of the row-major matrix w[Kg, CO] (Kg = KH·KW·Cg). cn_sgemm takes leading
 * dimensions, so every operand of group i is a strided window of the full tensors and nothing is split, copied or
 * concatenated. An im2col row (one output pixel) lists the group's receptive field in (ky, kx, c) order, the order
 * of the filter's rows, so with P = B·OH·OW output pixels
 *   forward         y_i[P, COg]   = cols_i[P, Kg] · w_i[Kg, COg]
 *   input gradient  cols_i[P, Kg] = dy_i[P, COg] · w_iᵀ, then col2im (the adjoint of im2col) into dx's channels i·Cg …
 *   filter gradient dw_i[Kg, COg] = cols_iᵀ · dy_i
 * A 1×1, stride-1, unpadded convolution needs no im2col: cols_i is x itself seen with row stride C (lda = C).
 *
 * Blocking depends on the group count only through the sizes of the pieces:
 *  - One group: each GEMM call packs the whole filter, so products are as long as possible: a pointwise convolution
 *    is one GEMM over every pixel, the others run over chunks of output rows whose cols fill CHUNK_FLOATS.
 *  - Several groups: group i uses only Cg (COg) floats of every C (CO) float pixel row, so whole-tensor GEMMs per
 *    group would stream x and y through memory G times (measured 2× slower than G contiguous convolutions). Pieces
 *    are tiles of pixels small enough (TILE_FLOATS of x, y and cols) to stay in L2 while all G GEMMs of the tile run.
 *  - Small filters (forward, Kg·CO ≤ SMALL_FILTER_FLOATS: stems, strided 1×1, 3×3 on few channels) run as per-thread
 *    cache-sized tiles instead, see conv_tiles.
 */
#include <limits.h>
#include <string.h>
#include "cn.h"

/* Floats of im2col scratch per chunk with one group (16 MB): long GEMMs, yet out of swap whatever the batch. */
#define CHUNK_FLOATS (4L << 20)
/* Floats of x, y and cols rows per tile with several groups (1 MB): fits the L2 of current cores while the G GEMMs
   of a tile run. */
#define TILE_FLOATS (256L << 10)
/* Fewest pixels per tile with several groups: below this the per-GEMM overhead (and thread fork) dominates. */
#define MIN_TILE_PIXELS 128

/* Geometry of one convolution, in the order the JS side passes it (Int32Array of CONV_GEOM_LEN): C and CO are the
   FULL channel counts; G divides both. */
typedef struct {
  int B, H, W, C;     /* input x [B, H, W, C] */
  int OH, OW, CO;     /* output y [B, OH, OW, CO] */
  int KH, KW;         /* filter [KH, KW, C/G, CO] */
  int sh, sw, dh, dw; /* strides, dilations */
  int pt, pl;         /* top / left padding (bottom/right padding is implied by OH, OW) */
  int G;              /* groups (1: dense) */
} conv_geom;
#define CONV_GEOM_LEN 16

static inline int g_Cg(const conv_geom *g) { return g->C / g->G; }
static inline int g_COg(const conv_geom *g) { return g->CO / g->G; }
static inline long g_Kg(const conv_geom *g) { return (long)g->KH * g->KW * g_Cg(g); }
static inline long g_P(const conv_geom *g) { return (long)g->B * g->OH * g->OW; }

/* A 1×1, stride-1, unpadded convolution whose output grid equals the input grid: x already is the cols matrix. */
static int is_pointwise(const conv_geom *g) {
  return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->OH == g->H &&
         g->OW == g->W;
}

/* Pixels per pointwise piece: every pixel with one group; with several, tiles whose x and y rows (C + CO floats
   each) stay under TILE_FLOATS. */
static long pointwise_pixels(const conv_geom *g) {
  if (g->G == 1) return g_P(g);
  long r = TILE_FLOATS / ((long)g->C + g->CO);
  return r < MIN_TILE_PIXELS ? MIN_TILE_PIXELS : r;
}

/* Output rows (b, oy) per im2col chunk. One group: cols (rows·OW·Kg floats) under CHUNK_FLOATS, at least one row.
   Several: one group's cols and the y rows under TILE_FLOATS, at least MIN_TILE_PIXELS pixels. */
static long rows_per_chunk(const conv_geom *g) {
  const long per_row = (long)g->OW * (g->G == 1 ? g_Kg(g) : g_Kg(g) + g->CO);
  const long r = (g->G == 1 ? CHUNK_FLOATS : TILE_FLOATS) / (per_row > 0 ? per_row : 1);
  const long min_rows = g->G == 1 ? 1 : (MIN_TILE_PIXELS + g->OW - 1) / g->OW;
  return r < min_rows ? min_rows : r;
}

/* The patch geometry of one group: its Cg channels out of every C-channel pixel (all of them when G = 1). */
static cn_patches patches_of(const conv_geom *g) {
  cn_patches p = {g->B, g->H, g->W, g->C, g_Cg(g), g->OH, g->OW, g->KH, g->KW, g->sh, g->sw, g->dh, g->dw, g->pt, g->pl};
  return p;
}

/* One GEMM per group on strided windows: C + i·cs = op(A + i·as) · op(B + i·bs) + beta·(C + i·cs), i < G. */
static int gemm_per_group(int G, int tA, int tB, int M, int N, int K, const float *A, int lda, long as, const float *B,
                          int ldb, long bs, float beta, float *C, int ldc, long cs) {
  for (int i = 0; i < G; i++)
    if (cn_sgemm(tA, tB, M, N, K, 1.0f, A + i * as, lda, B + i * bs, ldb, beta, C + i * cs, ldc) != CN_OK) return CN_ENOMEM;
  return CN_OK;
}

/* The forward product of group i with its epilogue: y_i = act(cols_i · w_i + beta·y_i + bias_i), bias_i = bias + i·COg
   (group i's output channels), applied by the GEMM to each finished tile. wp: the filter packed by cn_pack_b (G = 1
   only, see conv2dPacked), else NULL. */
static int forward_gemm(const conv_geom *g, int i, int np, const float *cols, int ldcols, const float *w,
                        const float *wp, float beta, float *y, const float *bias, int act, float alpha) {
  const int COg = g_COg(g);
  if (wp) return cn_sgemm_prepacked(np, g->CO, (int)g_Kg(g), cols, ldcols, wp, beta, y, g->CO, bias, act, alpha); /* G = 1 */
  return cn_sgemm_epi(0, 0, np, COg, (int)g_Kg(g), 1.0f, cols, ldcols, w + (long)i * COg, g->CO, beta,
                      y + (long)i * COg, g->CO, bias ? bias + (long)i * COg : 0, act, alpha);
}

/* The im2col scratch for chunks of `step` output rows (fewer when the whole convolution has fewer). */
static float *chunk_cols(const conv_geom *g, long step) {
  const long rows = (long)g->B * g->OH;
  return cn_scratch(CN_SCRATCH_IM2COL, (size_t)((step < rows ? step : rows) * g->OW * g_Kg(g)));
}

/* ---------------- forward ---------------- */

/*
 * Small filters: each thread builds the im2col rows of TILE_BYTES of output pixels in its own scratch and multiplies
 * them at once, while they are still in its L2. Through one big cols buffer the stem of ShiftNet-A (7×7×3 → 32 at
 * 112², 7 MB of cols) spent more time streaming cols to memory and back than multiplying. Larger filters keep the
 * chunked path: every GEMM call packs the whole filter, which small tiles would repeat too often.
 */
#define SMALL_FILTER_FLOATS (64L << 10)
#define TILE_BYTES (192L << 10)

typedef struct {
  const conv_geom *g;
  const float *x, *w, *wp, *bias;
  float *y;
  int act;
  float alpha;
  float beta; /* 0: y is overwritten; 1: the product is added to what y holds (a residual, see conv2dResidual) */
  long tile;  /* output pixels per tile */
  int failed;
} tile_job;

static void conv_tiles(void *ctx, long t0, long t1) {
  tile_job *j = (tile_job *)ctx;
  const conv_geom *g = j->g;
  const long Kg = g_Kg(g), P = g_P(g);
  const int Cg = g_Cg(g), CO = g->CO;
  float *cols = cn_scratch(CN_SCRATCH_IM2COL, (size_t)(j->tile * Kg));
  if (!cols) {
    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  const cn_patches pg = patches_of(g);
  for (long t = t0; t < t1; t++) {
    const long p0 = t * j->tile, np = P - p0 < j->tile ? P - p0 : j->tile;
    float *yc = j->y + p0 * CO;
    for (int i = 0; i < g->G; i++) {
      cn_im2col_range(&pg, j->x + (long)i * Cg, cols, p0, 0, np);
      if (forward_gemm(g, i, (int)np, cols, (int)Kg, j->w, j->wp, j->beta, yc, j->bias, j->act, j->alpha) != CN_OK) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
      }
    }
  }
}

/* y = act(conv(x, w) + bias + beta·y), beta 0 or 1 (1: y holds a residual to add before the activation). Returns
   CN_OK, or CN_ENOMEM. */
static int conv_forward(const conv_geom *g, const float *x, const float *w, const float *wp, const float *bias,
                        float *y, int act, float alpha, float beta) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    const long step = pointwise_pixels(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      for (int i = 0; i < g->G; i++)
        if (forward_gemm(g, i, np, x + p0 * C + (long)i * Cg, C, w, wp, beta, y + p0 * CO, bias, act, alpha) != CN_OK)
          return CN_ENOMEM;
    }
    return CN_OK;
  }
  if (g->G == 1 && (long)g->KW * C <= CN_SMALL_CONV_ROW && !wp) { /* stems: the tile reads x in place, see cn_conv_small */
    const cn_patches pg = patches_of(g);
    const int rc = cn_conv_small(&pg, x, w, CO, bias, act, alpha, beta, y);
    if (rc != 1) return rc;
  }
  if (Kg * CO <= SMALL_FILTER_FLOATS) {
    long tile = TILE_BYTES / (4 * Kg);
    const int mr = cn_gemm_tile_rows();
    tile = tile < 2 * mr ? 2 * mr : (tile + mr - 1) / mr * mr; /* whole GEMM row panels */
    tile_job j = {g, x, w, wp, bias, y, act, alpha, beta, tile, 0};
    cn_parallel_for((P + tile - 1) / tile, conv_tiles, &j);
    return j.failed ? CN_ENOMEM : CN_OK;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = chunk_cols(g, step);
  if (!cols) return CN_ENOMEM;
  for (long r0 = 0; r0 < rows; r0 += step) {
    const long r1 = r0 + step < rows ? r0 + step : rows;
    const long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      cn_im2col(&pg, x + (long)i * Cg, cols, p0, np);
      if (forward_gemm(g, i, (int)np, cols, (int)Kg, w, wp, beta, y + p0 * CO, bias, act, alpha) != CN_OK) return CN_ENOMEM;
    }
  }
  return CN_OK;
}

/* ---------------- gradients ---------------- */

/* dx = input gradient of the convolution for output gradient dy. Returns CN_OK, or CN_ENOMEM. */
static int conv_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g), COg = g_COg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    const long step = pointwise_pixels(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      if (gemm_per_group(g->G, 0, 1, np, Cg, COg, dy + p0 * CO, CO, COg, w, CO, COg, 0.0f, dx + p0 * C, C, Cg) != CN_OK)
        return CN_ENOMEM;
    }
    return CN_OK;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = chunk_cols(g, step);
  if (!cols) return CN_ENOMEM;
  memset(dx, 0, sizeof(float) * (size_t)g->B * g->H * g->W * C);
  for (long r0 = 0; r0 < rows; r0 += step) {
    const long r1 = r0 + step < rows ? r0 + step : rows;
    const long np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      if (cn_sgemm(0, 1, (int)np, (int)Kg, COg, 1.0f, dy + r0 * g->OW * CO + (long)i * COg, CO, w + (long)i * COg, CO,
                   0.0f, cols, (int)Kg) != CN_OK)
        return CN_ENOMEM;
      cn_col2im_rows(&pg, cols, dx + (long)i * Cg, r0, r1);
    }
  }
  return CN_OK;
}

/* dw = filter gradient of the convolution for output gradient dy (overwritten, not accumulated). */
static int conv_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g), COg = g_COg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    /* dW (small, cache resident) accumulates over the pieces; the first one stores. */
    const long step = pointwise_pixels(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      if (gemm_per_group(g->G, 1, 0, Cg, COg, np, x + p0 * C, C, Cg, dy + p0 * CO, CO, COg, p0 == 0 ? 0.0f : 1.0f, dw, CO,
                         COg) != CN_OK)
        return CN_ENOMEM;
    }
    return CN_OK;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = chunk_cols(g, step);
  if (!cols) return CN_ENOMEM;
  for (long r0 = 0; r0 < rows; r0 += step) {
    const long r1 = r0 + step < rows ? r0 + step : rows;
    const long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      cn_im2col(&pg, x + (long)i * Cg, cols, p0, np);
      if (cn_sgemm(1, 0, (int)Kg, COg, (int)np, 1.0f, cols, (int)Kg, dy + p0 * CO + (long)i * COg, CO,
                   r0 == 0 ? 0.0f : 1.0f, dw + (long)i * COg, CO) != CN_OK)
        return CN_ENOMEM;
    }
  }
  return CN_OK;
}

/* ---------------- N-API glue ---------------- */

/*
 * Reads the geometry Int32Array B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G (pads ≥ 0, the rest ≥ 1, all ≤ 2^24, G
 * dividing C and CO, and B·OH·OW, KH·KW·C/G small enough for GEMM ints); throws a named error and returns 0 when it
 * is not sensible.
 */
static int read_geom(napi_env env, napi_value v, const char *fn, int index, conv_geom *g) {
  /* Largest size accepted for any single dimension (keeps every index inside long and every GEMM size an int). */
  const int max_dim = 1 << 24;
  int32_t *p;
  size_t n;
  if (!cn_i32(env, v, fn, index, &p, &n)) return 0;
  if (n != CONV_GEOM_LEN) {
    cn_throw(env, "%s: argument %d must hold %d geometry ints, got %zu", fn, index, CONV_GEOM_LEN, n);
    return 0;
  }
  for (int i = 0; i < CONV_GEOM_LEN - 1; i++) {
    int min = i >= 13 ? 0 : 1; /* pads may be 0, everything else is a size, stride or dilation */
    if (p[i] < min || p[i] > max_dim) {
      cn_throw(env, "%s: geometry[%d] = %d is out of range [%d, %d] (B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G)", fn,
               i, p[i], min, max_dim);
      return 0;
    }
  }
  *g = (conv_geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]};
  if (g->G < 1 || g->C % g->G != 0 || g->CO % g->G != 0) {
    cn_throw(env, "%s: groups = %d must be positive and divide C = %d and CO = %d", fn, g->G, g->C, g->CO);
    return 0;
  }
  const size_t P = cn_mul3((size_t)g->B, (size_t)g->OH, (size_t)g->OW), K = (size_t)g_Kg(g),
               X = cn_mul3(cn_mul3((size_t)g->B, (size_t)g->H, 1), (size_t)g->W, (size_t)g->C), CO = (size_t)g->CO;
  if (!P || !K || !X || P > INT_MAX || K > INT_MAX || !cn_mul3(P, CO, 1) || !cn_mul3(K, CO, 1) ||
      !cn_mul3((size_t)g->OW, K, 1)) {
    cn_throw(env, "%s: shapes too large (B·OH·OW = %zu, KH·KW·C/G = %zu)", fn, P, K);
    return 0;
  }
  return 1;
}

static size_t geom_x(const conv_geom *g) { return (size_t)g->B * g->H * g->W * g->C; }
static size_t geom_y(const conv_geom *g) { return (size_t)g_P(g) * g->CO; }
static size_t geom_w(const conv_geom *g) { return (size_t)g_Kg(g) * g->CO; }

/* conv2d(x, w, bias|null, y, geom, act, alpha): y[B,OH,OW,CO] = act(conv(x[B,H,W,C], w[KH,KW,C/G,CO]) + bias[CO]). */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  const char *fn = "conv2d";
  napi_value a[7];
  float *x, *w, *bias, *y;
  size_t lx, lw, lb, ly;
  conv_geom g;
  int act;
  double alpha;
  if (!cn_args(env, info, fn, 7, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &w, &lw) ||
      !cn_f32_opt(env, a[2], fn, 2, &bias, &lb) || !cn_f32(env, a[3], fn, 3, &y, &ly) ||
      !read_geom(env, a[4], fn, 4, &g) || !cn_activation(env, a[5], fn, 5, &act) || !cn_double(env, a[6], fn, 6, &alpha))
    return NULL;
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, lw, geom_w(&g)) ||
      (bias && !cn_need(env, fn, 2, lb, (size_t)g.CO)) || !cn_need(env, fn, 3, ly, geom_y(&g)))
    return NULL;
  if (conv_forward(&g, x, w, 0, bias, y, act, (float)alpha, 0.0f) != CN_OK) return cn_throw_oom(env, fn);
  return NULL;
}
CN_EXPORT("conv2d", js_conv2d)

/*
 * conv2dResidual(x, w, bias|null, residual, y, geom, act, alpha): y = act(conv(x, w) + bias + residual), residual and
 * y [B,OH,OW,CO]. The residual is added inside the GEMM (beta = 1), so a ResNet/MobileNet V2 block's Add costs no
 * pass of its own; residual may be y itself (the inference plan then computes in place, no copy), otherwise it must
 * not overlap y and is copied into y first. x must not overlap y.
 */
static napi_value js_conv2d_residual(napi_env env, napi_callback_info info) {
  const char *fn = "conv2dResidual";
  napi_value a[8];
  float *x, *w, *bias, *res, *y;
  size_t lx, lw, lb, lr, ly;
  conv_geom g;
  int act;
  double alpha;
  if (!cn_args(env, info, fn, 8, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &w, &lw) ||
      !cn_f32_opt(env, a[2], fn, 2, &bias, &lb) || !cn_f32(env, a[3], fn, 3, &res, &lr) ||
      !cn_f32(env, a[4], fn, 4, &y, &ly) || !read_geom(env, a[5], fn, 5, &g) || !cn_activation(env, a[6], fn, 6, &act) ||
      !cn_double(env, a[7], fn, 7, &alpha))
    return NULL;
  const size_t ny = geom_y(&g);
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, lw, geom_w(&g)) ||
      (bias && !cn_need(env, fn, 2, lb, (size_t)g.CO)) || !cn_need(env, fn, 3, lr, ny) || !cn_need(env, fn, 4, ly, ny))
    return NULL;
  if (x < y + ny && y < x + geom_x(&g)) return cn_throw(env, "%s: x (argument 0) overlaps y (argument 4); give y its own memory", fn);
  if (res != y) {
    if (res < y + ny && y < res + ny)
      return cn_throw(env, "%s: the residual (argument 3) partly overlaps y (argument 4); pass y itself or disjoint memory", fn);
    memcpy(y, res, ny * sizeof(float));
  }
  if (conv_forward(&g, x, w, 0, bias, y, act, (float)alpha, 1.0f) != CN_OK) return cn_throw_oom(env, fn);
  return NULL;
}
CN_EXPORT("conv2dResidual", js_conv2d_residual)

/* The two gradients take (in0, in1, out, geom); which tensor each array holds decides its size. */
enum { T_X, T_Y, T_W };
typedef int (*conv_grad_fn)(const conv_geom *g, const float *in0, const float *in1, float *out);

static size_t geom_size(const conv_geom *g, int which) {
  return which == T_X ? geom_x(g) : which == T_Y ? geom_y(g) : geom_w(g);
}

static napi_value conv_grad_entry(napi_env env, napi_callback_info info, const char *fn, const int kinds[3],
                                  conv_grad_fn run) {
  napi_value a[4];
  float *p[3];
  size_t len[3];
  conv_geom g;
  if (!cn_args(env, info, fn, 4, a)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!cn_f32(env, a[i], fn, i, &p[i], &len[i])) return NULL;
  if (!read_geom(env, a[3], fn, 3, &g)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!cn_need(env, fn, i, len[i], geom_size(&g, kinds[i]))) return NULL;
  if (run(&g, p[0], p[1], p[2]) != CN_OK) return cn_throw_oom(env, fn);
  return NULL;
}

/* conv2dBackpropInput(dy, w, dx, geom): dx[B,H,W,C] = input gradient for dy[B,OH,OW,CO], w[KH,KW,C/G,CO]. */
static napi_value js_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_Y, T_W, T_X};
  return conv_grad_entry(env, info, "conv2dBackpropInput", kinds, conv_backprop_input);
}
CN_EXPORT("conv2dBackpropInput", js_conv2d_backprop_input)

/* conv2dBackpropFilter(x, dy, dw, geom): dw[KH,KW,C/G,CO] = filter gradient for x[B,H,W,C], dy[B,OH,OW,CO]. */
static napi_value js_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_X, T_Y, T_W};
  return conv_grad_entry(env, info, "conv2dBackpropFilter", kinds, conv_backprop_filter);
}
CN_EXPORT("conv2dBackpropFilter", js_conv2d_backprop_filter)

/*
 * Filters packed once for the inference plan (src/lib/plan): a dense convolution (G = 1) is GEMMs whose B is the
 * filter [KH·KW·C, CO]; packing it at every call costs as much as the product on small maps (7×7: 49 rows; 13×13
 * 3×3 convolutions: 169 rows for 576 × 256 filter floats). conv2dPackedFloats(geom) → floats of the packed filter, 0
 * when the convolution does not take one (groups, one pixel: the one-row product reads the plain filter, few-channel
 * stems: their direct path packs its own); packConv2dFilter(w, geom, out) packs it; conv2dPacked(x, wp, bias|null,
 * residual|null, y, geom, act, alpha) = conv2d / conv2dResidual with the packed filter (the same products, so the
 * same results). The layout belongs to this build of the addon: pack with the addon that runs the convolution.
 */
static int packable(const conv_geom *g) {
  return g->G == 1 && g_P(g) > 1 && (is_pointwise(g) || (long)g->KW * g->C > CN_SMALL_CONV_ROW);
}

static int packed_geom(napi_env env, napi_value v, const char *fn, int index, conv_geom *g) {
  if (!read_geom(env, v, fn, index, g)) return 0;
  if (!packable(g)) {
    cn_throw(env, "%s: this convolution takes no packed filter (conv2dPackedFloats gives 0 for it); call conv2d", fn);
    return 0;
  }
  return 1;
}

static napi_value js_conv2d_packed_floats(napi_env env, napi_callback_info info) {
  const char *fn = "conv2dPackedFloats";
  napi_value a[1], out;
  conv_geom g;
  if (!cn_args(env, info, fn, 1, a) || !read_geom(env, a[0], fn, 0, &g)) return NULL;
  napi_create_double(env, packable(&g) ? (double)cn_packed_b_floats((int)g_Kg(&g), g.CO) : 0.0, &out);
  return out;
}
CN_EXPORT("conv2dPackedFloats", js_conv2d_packed_floats)

static napi_value js_pack_conv2d_filter(napi_env env, napi_callback_info info) {
  const char *fn = "packConv2dFilter";
  napi_value a[3];
  float *w, *out;
  size_t lw, lo;
  conv_geom g;
  if (!cn_args(env, info, fn, 3, a) || !cn_f32(env, a[0], fn, 0, &w, &lw) || !packed_geom(env, a[1], fn, 1, &g) ||
      !cn_f32(env, a[2], fn, 2, &out, &lo))
    return NULL;
  if (!cn_need(env, fn, 0, lw, geom_w(&g)) || !cn_need(env, fn, 2, lo, cn_packed_b_floats((int)g_Kg(&g), g.CO))) return NULL;
  cn_pack_b((int)g_Kg(&g), g.CO, w, g.CO, out);
  return NULL;
}
CN_EXPORT("packConv2dFilter", js_pack_conv2d_filter)

static napi_value js_conv2d_packed(napi_env env, napi_callback_info info) {
  const char *fn = "conv2dPacked";
  napi_value a[8];
  float *x, *wp, *bias, *res, *y;
  size_t lx, lw, lb, lr, ly;
  conv_geom g;
  int act;
  double alpha;
  if (!cn_args(env, info, fn, 8, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &wp, &lw) ||
      !cn_f32_opt(env, a[2], fn, 2, &bias, &lb) || !cn_f32_opt(env, a[3], fn, 3, &res, &lr) ||
      !cn_f32(env, a[4], fn, 4, &y, &ly) || !packed_geom(env, a[5], fn, 5, &g) || !cn_activation(env, a[6], fn, 6, &act) ||
      !cn_double(env, a[7], fn, 7, &alpha))
    return NULL;
  const size_t ny = geom_y(&g);
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, lw, cn_packed_b_floats((int)g_Kg(&g), g.CO)) ||
      (bias && !cn_need(env, fn, 2, lb, (size_t)g.CO)) || (res && !cn_need(env, fn, 3, lr, ny)) || !cn_need(env, fn, 4, ly, ny))
    return NULL;
  if (x < y + ny && y < x + geom_x(&g)) return cn_throw(env, "%s: x (argument 0) overlaps y (argument 4); give y its own memory", fn);
  if (res && res != y) {
    if (res < y + ny && y < res + ny)
      return cn_throw(env, "%s: the residual (argument 3) partly overlaps y (argument 4); pass y itself or disjoint memory", fn);
    memcpy(y, res, ny * sizeof(float));
  }
  if (conv_forward(&g, x, 0, wp, bias, y, act, (float)alpha, res ? 1.0f : 0.0f) != CN_OK) return cn_throw_oom(env, fn);
  return NULL;
}
CN_EXPORT("conv2dPacked", js_conv2d_packed)
