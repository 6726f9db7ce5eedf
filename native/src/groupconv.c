/*
 * Grouped convolutions (NHWC activations, filters [KH, KW, C/G, CO]) as one GEMM per group, in place.
 * Group i reads input channels i·Cg … (Cg = C/G) and writes output channels i·COg … (COg = CO/G); its filter is the
 * column block w[:, i·COg : (i+1)·COg] of the row-major matrix w[KH·KW·Cg, CO]. cn_sgemm takes leading dimensions,
 * so every operand of group i is a strided window of the full tensors and nothing is split, copied or concatenated:
 *   forward         y_i[P, COg]   = cols_i[P, Kg] · w_i[Kg, COg]           (Kg = KH·KW·Cg)
 *   input gradient  cols_i[P, Kg] = dy_i[P, COg] · w_iᵀ, then col2im into dx's channels i·Cg …
 *   filter gradient dw_i[Kg, COg] = cols_iᵀ · dy_i
 * A 1×1, stride-1, unpadded group needs no im2col: cols_i is x itself seen with row stride C (lda = C).
 * Otherwise cols_i is built in scratch slot 1 in chunks of whole output rows (as conv.c does).
 * Strided windows cost cache traffic: group i uses only Cg (COg) floats of every C (CO) float pixel row, so a loop
 * of whole-tensor GEMMs over the groups streams x and y through memory G times (measured 2× slower than G contiguous
 * convs). Every kernel therefore works on tiles of pixels small enough (TILE_FLOATS of x, y and cols) to stay in
 * L2 while all G GEMMs of the tile run, so each tensor is streamed once.
 */
#include <limits.h>
#include <string.h>
#include "cn.h"

/* Floats of x, y and cols rows per tile (1 MB): fits the L2 of current cores while the G GEMMs of a tile run. */
#define TILE_FLOATS (256L << 10)
/* Fewest pixels per tile: below this the per-GEMM overhead (and thread fork) dominates. */
#define MIN_TILE_PIXELS 128
/* Scratch slot of this kernel: a top-level kernel, so it may share the conv helper's slot 1 (never runs inside it). */
#define SLOT_GCOLS 1

/* Geometry of one grouped convolution: C and CO are the FULL channel counts; G divides both. */
typedef struct {
  int B, H, W, C;     /* input x [B, H, W, C] */
  int OH, OW, CO;     /* output y [B, OH, OW, CO] */
  int KH, KW;         /* filter [KH, KW, C/G, CO] */
  int sh, sw, dh, dw; /* strides, dilations */
  int pt, pl;         /* top / left padding */
  int G;              /* groups */
} gconv_geom;
#define GEOM_LEN 15

static inline int g_Cg(const gconv_geom *g) { return g->C / g->G; }
static inline int g_COg(const gconv_geom *g) { return g->CO / g->G; }
static inline long g_Kg(const gconv_geom *g) { return (long)g->KH * g->KW * g_Cg(g); }
static inline long g_P(const gconv_geom *g) { return (long)g->B * g->OH * g->OW; }

static int is_pointwise(const gconv_geom *g) {
  return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->OH == g->H &&
         g->OW == g->W;
}

/* Pixels per tile of a pointwise conv: x and y rows (C + CO floats each) of the tile stay under TILE_FLOATS. */
static long pixels_per_tile(const gconv_geom *g) {
  long r = TILE_FLOATS / ((long)g->C + g->CO);
  return r < MIN_TILE_PIXELS ? MIN_TILE_PIXELS : r;
}

/* Output rows (b, oy) per chunk so that a chunk's cols (one group) and y rows stay under TILE_FLOATS (≥ 1 row and
   ≥ MIN_TILE_PIXELS pixels). */
static long rows_per_chunk(const gconv_geom *g) {
  long per_row = (long)g->OW * (g_Kg(g) + g->CO);
  long r = TILE_FLOATS / (per_row > 0 ? per_row : 1);
  long min_rows = (MIN_TILE_PIXELS + g->OW - 1) / g->OW;
  return r < min_rows ? min_rows : r;
}

/* The patch geometry of one group: its Cg channels out of every C-channel pixel. */
static cn_patches patches_of(const gconv_geom *g) {
  cn_patches p = {g->B, g->H, g->W, g->C, g_Cg(g), g->OH, g->OW, g->KH, g->KW, g->sh, g->sw, g->dh, g->dw, g->pt, g->pl};
  return p;
}

/* ---------------- kernels ---------------- */
/* y = grouped conv(x, w). Returns 0, or -1 when scratch could not be allocated. */
static int gconv_forward(const gconv_geom *g, const float *x, const float *w, float *y) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g), COg = g_COg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    const long step = pixels_per_tile(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      for (int i = 0; i < g->G; i++)
        cn_sgemm(0, 0, np, COg, Cg, 1.0f, x + p0 * C + (long)i * Cg, C, w + (long)i * COg, CO, 0.0f,
                 y + p0 * CO + (long)i * COg, CO);
    }
    return 0;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_GCOLS, (size_t)((step < rows ? step : rows) * g->OW * Kg));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      cn_im2col(&pg, x + (long)i * Cg, cols, p0, np);
      cn_sgemm(0, 0, (int)np, COg, (int)Kg, 1.0f, cols, (int)Kg, w + (long)i * COg, CO, 0.0f,
               y + p0 * CO + (long)i * COg, CO);
    }
  }
  return 0;
}

/* dx = input gradient of the grouped conv for output gradient dy. */
static int gconv_backprop_input(const gconv_geom *g, const float *dy, const float *w, float *dx) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g), COg = g_COg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    const long step = pixels_per_tile(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      for (int i = 0; i < g->G; i++)
        cn_sgemm(0, 1, np, Cg, COg, 1.0f, dy + p0 * CO + (long)i * COg, CO, w + (long)i * COg, CO, 0.0f,
                 dx + p0 * C + (long)i * Cg, C);
    }
    return 0;
  }
  memset(dx, 0, sizeof(float) * (size_t)g->B * g->H * g->W * C);
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_GCOLS, (size_t)((step < rows ? step : rows) * g->OW * Kg));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      cn_sgemm(0, 1, (int)np, (int)Kg, COg, 1.0f, dy + r0 * g->OW * CO + (long)i * COg, CO, w + (long)i * COg, CO,
               0.0f, cols, (int)Kg);
      cn_col2im_rows(&pg, cols, dx + (long)i * Cg, r0, r1);
    }
  }
  return 0;
}

/* dw = filter gradient of the grouped conv for output gradient dy (overwritten, not accumulated). */
static int gconv_backprop_filter(const gconv_geom *g, const float *x, const float *dy, float *dw) {
  const int C = g->C, CO = g->CO, Cg = g_Cg(g), COg = g_COg(g);
  const long Kg = g_Kg(g), P = g_P(g);
  if (is_pointwise(g)) {
    /* dW (small, cache resident) accumulates over the tiles; the first tile stores. */
    const long step = pixels_per_tile(g);
    for (long p0 = 0; p0 < P; p0 += step) {
      const int np = (int)(p0 + step < P ? step : P - p0);
      for (int i = 0; i < g->G; i++)
        cn_sgemm(1, 0, Cg, COg, np, 1.0f, x + p0 * C + (long)i * Cg, C, dy + p0 * CO + (long)i * COg, CO,
                 p0 == 0 ? 0.0f : 1.0f, dw + (long)i * COg, CO);
    }
    return 0;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_GCOLS, (size_t)((step < rows ? step : rows) * g->OW * Kg));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    for (int i = 0; i < g->G; i++) {
      cn_im2col(&pg, x + (long)i * Cg, cols, p0, np);
      cn_sgemm(1, 0, (int)Kg, COg, (int)np, 1.0f, cols, (int)Kg, dy + p0 * CO + (long)i * COg, CO,
               r0 == 0 ? 0.0f : 1.0f, dw + (long)i * COg, CO);
    }
  }
  return 0;
}

/* ---------------- N-API glue ---------------- */
#define MAX_DIM (1 << 24)

static size_t mul3(size_t a, size_t b, size_t c) {
  size_t ab, abc;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return 0;
  return abc;
}

/* Reads the geometry Int32Array and the group count; throws a named error and returns 0 when not sensible. */
static int read_geom(napi_env env, napi_value v, napi_value vg, const char *fn, int index, gconv_geom *g) {
  int32_t *p;
  size_t n;
  int G;
  if (!cn_i32(env, v, fn, index, &p, &n) || !cn_int(env, vg, fn, index + 1, &G)) return 0;
  if (n != GEOM_LEN) { cn_throw(env, "%s: argument %d must hold %d geometry ints, got %zu", fn, index, GEOM_LEN, n); return 0; }
  for (int i = 0; i < GEOM_LEN; i++) {
    int min = i >= 13 ? 0 : 1;
    if (p[i] < min || p[i] > MAX_DIM) {
      cn_throw(env, "%s: geometry[%d] = %d is out of range [%d, %d] (B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl)", fn,
               i, p[i], min, MAX_DIM);
      return 0;
    }
  }
  *g = (gconv_geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], G};
  if (G < 1 || g->C % G != 0 || g->CO % G != 0) {
    cn_throw(env, "%s: groups = %d must be positive and divide C = %d and CO = %d", fn, G, g->C, g->CO);
    return 0;
  }
  /* Every GEMM size is an int; every index a long. */
  size_t P = mul3((size_t)g->B, (size_t)g->OH, (size_t)g->OW), K = mul3((size_t)g->KH, (size_t)g->KW, (size_t)g->C);
  size_t X = mul3(mul3((size_t)g->B, (size_t)g->H, 1), (size_t)g->W, (size_t)g->C);
  if (!P || !K || !X || P > INT_MAX || K > INT_MAX || !mul3(P, (size_t)g->CO, 1) || !mul3(K, (size_t)g->CO, 1) ||
      !mul3((size_t)g->OW, K, 1)) {
    cn_throw(env, "%s: shapes too large (B·OH·OW = %zu, KH·KW·C = %zu)", fn, P, K);
    return 0;
  }
  return 1;
}

static size_t geom_x(const gconv_geom *g) { return (size_t)g->B * g->H * g->W * g->C; }
static size_t geom_y(const gconv_geom *g) { return (size_t)g_P(g) * g->CO; }
static size_t geom_w(const gconv_geom *g) { return (size_t)g_Kg(g) * g->CO; }

/* groupConv2d(x, w, y, geom, groups): y[B,OH,OW,CO] = grouped conv of x[B,H,W,C] with w[KH,KW,C/groups,CO]. */
static napi_value js_group_conv2d(napi_env env, napi_callback_info info) {
  const char *fn = "groupConv2d";
  napi_value a[5];
  float *x, *w, *y;
  size_t lx, lw, ly;
  gconv_geom g;
  if (!cn_args(env, info, fn, 5, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &w, &lw) ||
      !cn_f32(env, a[2], fn, 2, &y, &ly) || !read_geom(env, a[3], a[4], fn, 3, &g))
    return NULL;
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, lw, geom_w(&g)) || !cn_need(env, fn, 2, ly, geom_y(&g)))
    return NULL;
  if (gconv_forward(&g, x, w, y) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}
CN_EXPORT("groupConv2d", js_group_conv2d)

/* groupConv2dBackpropInput(dy, w, dx, geom, groups): dx[B,H,W,C] = input gradient for dy[B,OH,OW,CO]. */
static napi_value js_group_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  const char *fn = "groupConv2dBackpropInput";
  napi_value a[5];
  float *dy, *w, *dx;
  size_t ldy, lw, ldx;
  gconv_geom g;
  if (!cn_args(env, info, fn, 5, a) || !cn_f32(env, a[0], fn, 0, &dy, &ldy) || !cn_f32(env, a[1], fn, 1, &w, &lw) ||
      !cn_f32(env, a[2], fn, 2, &dx, &ldx) || !read_geom(env, a[3], a[4], fn, 3, &g))
    return NULL;
  if (!cn_need(env, fn, 0, ldy, geom_y(&g)) || !cn_need(env, fn, 1, lw, geom_w(&g)) ||
      !cn_need(env, fn, 2, ldx, geom_x(&g)))
    return NULL;
  if (gconv_backprop_input(&g, dy, w, dx) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}
CN_EXPORT("groupConv2dBackpropInput", js_group_conv2d_backprop_input)

/* groupConv2dBackpropFilter(x, dy, dw, geom, groups): dw[KH,KW,C/groups,CO] = filter gradient. */
static napi_value js_group_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  const char *fn = "groupConv2dBackpropFilter";
  napi_value a[5];
  float *x, *dy, *dw;
  size_t lx, ldy, ldw;
  gconv_geom g;
  if (!cn_args(env, info, fn, 5, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &dy, &ldy) ||
      !cn_f32(env, a[2], fn, 2, &dw, &ldw) || !read_geom(env, a[3], a[4], fn, 3, &g))
    return NULL;
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, ldy, geom_y(&g)) ||
      !cn_need(env, fn, 2, ldw, geom_w(&g)))
    return NULL;
  if (gconv_backprop_filter(&g, x, dy, dw) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}
CN_EXPORT("groupConv2dBackpropFilter", js_group_conv2d_backprop_filter)
