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
/* Reads the geometry Int32Array and the group count; throws a named error and returns 0 when not sensible. */
static int read_geom(napi_env env, napi_value v, napi_value vg, const char *fn, int index, gconv_geom *g) {
  int p[CN_CONV_GEOM_LEN];
  int G;
  if (!cn_conv_geometry(env, v, fn, index, p) || !cn_int(env, vg, fn, index + 1, &G)) return 0;
  *g = (gconv_geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], G};
  if (G < 1 || g->C % G != 0 || g->CO % G != 0) {
    cn_throw(env, "%s: groups = %d must be positive and divide C = %d and CO = %d", fn, G, g->C, g->CO);
    return 0;
  }
  return 1;
}

static size_t geom_x(const gconv_geom *g) { return (size_t)g->B * g->H * g->W * g->C; }
static size_t geom_y(const gconv_geom *g) { return (size_t)g_P(g) * g->CO; }
static size_t geom_w(const gconv_geom *g) { return (size_t)g_Kg(g) * g->CO; }

/* The three entries take (in0, in1, out, geom, groups); which tensor each array holds decides its size. */
enum { T_X, T_Y, T_W };
typedef int (*gconv_fn)(const gconv_geom *g, const float *in0, const float *in1, float *out);

static size_t geom_size(const gconv_geom *g, int which) {
  return which == T_X ? geom_x(g) : which == T_Y ? geom_y(g) : geom_w(g);
}

static napi_value gconv_entry(napi_env env, napi_callback_info info, const char *fn, const int kinds[3], gconv_fn run) {
  napi_value a[5];
  float *p[3];
  size_t len[3];
  gconv_geom g;
  if (!cn_args(env, info, fn, 5, a)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!cn_f32(env, a[i], fn, i, &p[i], &len[i])) return NULL;
  if (!read_geom(env, a[3], a[4], fn, 3, &g)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!cn_need(env, fn, i, len[i], geom_size(&g, kinds[i]))) return NULL;
  if (run(&g, p[0], p[1], p[2]) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}

/* groupConv2d(x, w, y, geom, groups): y[B,OH,OW,CO] = grouped conv of x[B,H,W,C] with w[KH,KW,C/groups,CO]. */
static napi_value js_group_conv2d(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_X, T_W, T_Y};
  return gconv_entry(env, info, "groupConv2d", kinds, gconv_forward);
}
CN_EXPORT("groupConv2d", js_group_conv2d)

/* groupConv2dBackpropInput(dy, w, dx, geom, groups): dx[B,H,W,C] = input gradient for dy[B,OH,OW,CO]. */
static napi_value js_group_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_Y, T_W, T_X};
  return gconv_entry(env, info, "groupConv2dBackpropInput", kinds, gconv_backprop_input);
}
CN_EXPORT("groupConv2dBackpropInput", js_group_conv2d_backprop_input)

/* groupConv2dBackpropFilter(x, dy, dw, geom, groups): dw[KH,KW,C/groups,CO] = filter gradient. */
static napi_value js_group_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_X, T_Y, T_W};
  return gconv_entry(env, info, "groupConv2dBackpropFilter", kinds, gconv_backprop_filter);
}
CN_EXPORT("groupConv2dBackpropFilter", js_group_conv2d_backprop_filter)
