/*
 * Dense convolutions (NHWC activations, HWIO filters) and batched matmuls as GEMMs on cn_sgemm.
 * An HWIO filter [KH, KW, Cin, Cout] is exactly the row-major GEMM operand W[KH·KW·Cin, Cout], and an im2col row
 * (one output pixel) lists its receptive field in the same (ky, kx, ci) order, so
 *   forward         y[P, Cout]      = cols[P, K] · W[K, Cout]               (P = B·OH·OW, K = KH·KW·Cin)
 *   input gradient  cols[P, K]      = dy[P, Cout] · Wᵀ, then col2im (adjoint of im2col) into dx
 *   filter gradient dW[K, Cout]     = colsᵀ[K, P] · dy[P, Cout]
 * cols is built (and consumed) in chunks of whole output rows so the scratch stays around 16 MB whatever the batch.
 * 1×1 stride-1 unpadded convolutions skip im2col entirely: x itself is cols.
 */
#include <string.h>
#include "cn.h"

/* Floats of im2col scratch per chunk (16 MB): large enough for long GEMMs, small enough to stay out of swap. */
#define CHUNK_FLOATS (4L << 20)
/* Scratch slots owned by the convolution kernels (see common rules: conv uses 0–1). */
#define SLOT_COLS 0

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKYRELU = 3 };

/* Geometry of one convolution, in the order the JS side passes it (Int32Array of CN_CONV_GEOM_LEN). */
typedef struct {
  int B, H, W, C;    /* input x [B, H, W, C] */
  int OH, OW, CO;    /* output y [B, OH, OW, CO] */
  int KH, KW;        /* filter [KH, KW, C, CO] */
  int sh, sw, dh, dw; /* strides, dilations */
  int pt, pl;        /* top / left padding (bottom/right padding is implied by OH, OW) */
} conv_geom;

static inline long geom_K(const conv_geom *g) { return (long)g->KH * g->KW * g->C; }
static inline long geom_P(const conv_geom *g) { return (long)g->B * g->OH * g->OW; }

/* A 1×1, stride-1, unpadded convolution whose output grid equals the input grid: x already is the cols matrix. */
static int is_pointwise(const conv_geom *g) {
  return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->OH == g->H &&
         g->OW == g->W;
}

/* Output rows (b, oy) per chunk so that a chunk's cols (rows·OW·K floats) stays under CHUNK_FLOATS (at least one). */
static long rows_per_chunk(const conv_geom *g) {
  long per_row = (long)g->OW * geom_K(g);
  long r = CHUNK_FLOATS / (per_row > 0 ? per_row : 1);
  return r < 1 ? 1 : r;
}

/* The patch geometry of a dense convolution: every input channel. */
static cn_patches patches_of(const conv_geom *g) {
  cn_patches p = {g->B, g->H, g->W, g->C, g->C, g->OH, g->OW, g->KH, g->KW, g->sh, g->sw, g->dh, g->dw, g->pt, g->pl};
  return p;
}

/* ---------------- epilogue: bias and activation, row by row ---------------- */
typedef struct {
  float *y;
  int n;
  const float *bias;
  int act;
  float alpha;
} epi_job;

static void epilogue_range(void *ctx, long r0, long r1) {
  const epi_job *e = (const epi_job *)ctx;
  const int n = e->n;
  const float alpha = e->alpha;
  for (long r = r0; r < r1; r++) {
    float *p = e->y + r * n;
    if (e->bias) for (int j = 0; j < n; j++) p[j] += e->bias[j];
    /* Comparisons written so NaN passes through, as tfjs's activations do. */
    switch (e->act) {
      case ACT_RELU: for (int j = 0; j < n; j++) p[j] = p[j] < 0.0f ? 0.0f : p[j]; break;
      case ACT_RELU6:
        for (int j = 0; j < n; j++) { float v = p[j] < 0.0f ? 0.0f : p[j]; p[j] = v > 6.0f ? 6.0f : v; }
        break;
      case ACT_LEAKYRELU: for (int j = 0; j < n; j++) p[j] = p[j] < 0.0f ? alpha * p[j] : p[j]; break;
      default: break;
    }
  }
}

static void epilogue(float *y, long rows, int n, const float *bias, int act, float alpha) {
  if (!bias && act == ACT_LINEAR) return;
  epi_job e = {y, n, bias, act, alpha};
  /* Threads only pay off beyond a few thousand elements. */
  if ((long)n * rows < 16384) epilogue_range(&e, 0, rows);
  else cn_parallel_for(rows, epilogue_range, &e);
}

/* ---------------- kernels ---------------- */

/*
 * Small filters (K·Cout ≤ SMALL_FILTER_FLOATS: stems, 1×1 strided, 3×3 on few channels) run as cache-sized tiles:
 * each thread builds the im2col rows of TILE_BYTES of output pixels in its own scratch and multiplies them at once,
 * while they are still in its L2. Through one big cols buffer the stem of ShiftNet-A (7×7×3 → 32 at 112², 7 MB of
 * cols) spent more time streaming cols to memory and back than multiplying. Larger filters keep the chunked path:
 * every GEMM call packs the whole filter, which small tiles would repeat too often.
 */
#define SMALL_FILTER_FLOATS (64L << 10)
#define TILE_BYTES (192L << 10)

typedef struct {
  const conv_geom *g;
  const float *x, *w, *bias;
  float *y;
  int act;
  float alpha;
  long tile; /* output pixels per tile */
  long P;
  int failed;
} tile_job;

static void conv_tiles(void *ctx, long t0, long t1) {
  tile_job *j = (tile_job *)ctx;
  const conv_geom *g = j->g;
  const long K = geom_K(g);
  float *cols = cn_scratch(SLOT_COLS, (size_t)(j->tile * K));
  if (!cols) { j->failed = 1; return; }
  const cn_patches pg = patches_of(g);
  for (long t = t0; t < t1; t++) {
    long p0 = t * j->tile, np = j->P - p0 < j->tile ? j->P - p0 : j->tile;
    cn_im2col_range(&pg, j->x, cols, p0, 0, np);
    float *yc = j->y + p0 * g->CO;
    cn_sgemm(0, 0, (int)np, g->CO, (int)K, 1.0f, cols, (int)K, j->w, g->CO, 0.0f, yc, g->CO);
    if (j->bias || j->act != ACT_LINEAR) {
      epi_job e = {yc, g->CO, j->bias, j->act, j->alpha};
      epilogue_range(&e, 0, np);
    }
  }
}

/* y = act(conv(x, w) + bias). Returns 0, or -1 when scratch could not be allocated. */
static int conv_forward(const conv_geom *g, const float *x, const float *w, const float *bias, float *y, int act,
                        float alpha) {
  const long K = geom_K(g), P = geom_P(g);
  if (is_pointwise(g)) {
    cn_sgemm(0, 0, (int)P, g->CO, g->C, 1.0f, x, g->C, w, g->CO, 0.0f, y, g->CO);
    epilogue(y, P, g->CO, bias, act, alpha);
    return 0;
  }
  if (K * g->CO <= SMALL_FILTER_FLOATS) {
    long tile = TILE_BYTES / (4 * K);
    tile = tile < 24 ? 24 : (tile + 5) / 6 * 6; /* whole 6-row GEMM panels */
    tile_job j = {g, x, w, bias, y, act, alpha, tile, P, 0};
    cn_parallel_for((P + tile - 1) / tile, conv_tiles, &j);
    return j.failed ? -1 : 0;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_COLS, (size_t)((step < rows ? step : rows) * g->OW * K));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    cn_im2col(&pg, x, cols, p0, np);
    float *yc = y + p0 * g->CO;
    cn_sgemm(0, 0, (int)np, g->CO, (int)K, 1.0f, cols, (int)K, w, g->CO, 0.0f, yc, g->CO);
    /* Per chunk, while the chunk's output is still warm in cache. */
    epilogue(yc, np, g->CO, bias, act, alpha);
  }
  return 0;
}

/* dx = input gradient of conv(x, w) for output gradient dy. */
static int conv_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx) {
  const long K = geom_K(g), P = geom_P(g);
  if (is_pointwise(g)) {
    cn_sgemm(0, 1, (int)P, g->C, g->CO, 1.0f, dy, g->CO, w, g->CO, 0.0f, dx, g->C);
    return 0;
  }
  memset(dx, 0, sizeof(float) * (size_t)g->B * g->H * g->W * g->C);
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_COLS, (size_t)((step < rows ? step : rows) * g->OW * K));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long np = (r1 - r0) * g->OW;
    cn_sgemm(0, 1, (int)np, (int)K, g->CO, 1.0f, dy + r0 * g->OW * g->CO, g->CO, w, g->CO, 0.0f, cols, (int)K);
    cn_col2im_rows(&pg, cols, dx, r0, r1);
  }
  return 0;
}

/* dw = filter gradient of conv(x, w) for output gradient dy (overwritten, not accumulated). */
static int conv_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw) {
  const long K = geom_K(g), P = geom_P(g);
  if (is_pointwise(g)) {
    cn_sgemm(1, 0, g->C, g->CO, (int)P, 1.0f, x, g->C, dy, g->CO, 0.0f, dw, g->CO);
    return 0;
  }
  const long rows = (long)g->B * g->OH, step = rows_per_chunk(g);
  const cn_patches pg = patches_of(g);
  float *cols = cn_scratch(SLOT_COLS, (size_t)((step < rows ? step : rows) * g->OW * K));
  if (!cols) return -1;
  for (long r0 = 0; r0 < rows; r0 += step) {
    long r1 = r0 + step < rows ? r0 + step : rows;
    long p0 = r0 * g->OW, np = (r1 - r0) * g->OW;
    cn_im2col(&pg, x, cols, p0, np);
    cn_sgemm(1, 0, (int)K, g->CO, (int)np, 1.0f, cols, (int)K, dy + p0 * g->CO, g->CO, r0 == 0 ? 0.0f : 1.0f, dw,
             g->CO);
  }
  return 0;
}

/* ---------------- N-API glue ---------------- */
/* Reads and validates the geometry Int32Array; throws a named error and returns 0 when it is not sensible. */
static int read_geom(napi_env env, napi_value v, const char *fn, int index, conv_geom *g) {
  int p[CN_CONV_GEOM_LEN];
  if (!cn_conv_geometry(env, v, fn, index, p)) return 0;
  *g = (conv_geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  return 1;
}

static size_t geom_x(const conv_geom *g) { return (size_t)g->B * g->H * g->W * g->C; }
static size_t geom_y(const conv_geom *g) { return (size_t)geom_P(g) * g->CO; }
static size_t geom_w(const conv_geom *g) { return (size_t)geom_K(g) * g->CO; }

static int read_act(napi_env env, napi_value v, const char *fn, int index, int *act) {
  if (!cn_int(env, v, fn, index, act)) return 0;
  if (*act < ACT_LINEAR || *act > ACT_LEAKYRELU) {
    cn_throw(env, "%s: activation code %d unknown (0 linear, 1 relu, 2 relu6, 3 leakyrelu)", fn, *act);
    return 0;
  }
  return 1;
}

/* conv2d(x, w, bias|null, y, geom, act, alpha): y[B,OH,OW,CO] = act(conv(x[B,H,W,C], w[KH,KW,C,CO]) + bias[CO]). */
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
      !read_geom(env, a[4], fn, 4, &g) || !read_act(env, a[5], fn, 5, &act) || !cn_double(env, a[6], fn, 6, &alpha))
    return NULL;
  if (!cn_need(env, fn, 0, lx, geom_x(&g)) || !cn_need(env, fn, 1, lw, geom_w(&g)) ||
      (bias && !cn_need(env, fn, 2, lb, (size_t)g.CO)) || !cn_need(env, fn, 3, ly, geom_y(&g)))
    return NULL;
  if (conv_forward(&g, x, w, bias, y, act, (float)alpha) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}
CN_EXPORT("conv2d", js_conv2d)

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
  if (run(&g, p[0], p[1], p[2]) != 0) return cn_throw(env, "%s: out of memory for im2col", fn);
  return NULL;
}

/* conv2dBackpropInput(dy, w, dx, geom): dx[B,H,W,C] = input gradient for dy[B,OH,OW,CO], w[KH,KW,C,CO]. */
static napi_value js_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_Y, T_W, T_X};
  return conv_grad_entry(env, info, "conv2dBackpropInput", kinds, conv_backprop_input);
}
CN_EXPORT("conv2dBackpropInput", js_conv2d_backprop_input)

/* conv2dBackpropFilter(x, dy, dw, geom): dw[KH,KW,C,CO] = filter gradient for x[B,H,W,C], dy[B,OH,OW,CO]. */
static napi_value js_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  static const int kinds[3] = {T_X, T_Y, T_W};
  return conv_grad_entry(env, info, "conv2dBackpropFilter", kinds, conv_backprop_filter);
}
CN_EXPORT("conv2dBackpropFilter", js_conv2d_backprop_filter)

/*
 * batchMatMul(a, b, bias|null, c, batchA, batchB, M, N, K, transA, transB, act, alpha):
 * c[batch, M, N] = act(op(a[i]) · op(b[i]) + bias[N]), batch = max(batchA, batchB); a side with batch 1 broadcasts.
 * a[i] is [M, K] ([K, M] when transA), b[i] is [K, N] ([N, K] when transB).
 */
static napi_value js_batch_mat_mul(napi_env env, napi_callback_info info) {
  const char *fn = "batchMatMul";
  napi_value a[13];
  float *A, *B, *bias, *C;
  size_t la, lb, lbias, lc;
  int ba, bb, M, N, K, ta, tb, act;
  double alpha;
  if (!cn_args(env, info, fn, 13, a) || !cn_f32(env, a[0], fn, 0, &A, &la) || !cn_f32(env, a[1], fn, 1, &B, &lb) ||
      !cn_f32_opt(env, a[2], fn, 2, &bias, &lbias) || !cn_f32(env, a[3], fn, 3, &C, &lc) ||
      !cn_int(env, a[4], fn, 4, &ba) || !cn_int(env, a[5], fn, 5, &bb) || !cn_int(env, a[6], fn, 6, &M) ||
      !cn_int(env, a[7], fn, 7, &N) || !cn_int(env, a[8], fn, 8, &K) || !cn_int(env, a[9], fn, 9, &ta) ||
      !cn_int(env, a[10], fn, 10, &tb) || !read_act(env, a[11], fn, 11, &act) || !cn_double(env, a[12], fn, 12, &alpha))
    return NULL;
  if (ba < 1 || bb < 1 || M < 1 || N < 1 || K < 1)
    return cn_throw(env, "%s: sizes must be positive (batchA %d, batchB %d, M %d, N %d, K %d)", fn, ba, bb, M, N, K);
  if (ba != bb && ba != 1 && bb != 1)
    return cn_throw(env, "%s: batch sizes %d and %d do not broadcast (equal, or one of them 1)", fn, ba, bb);
  int batch = ba > bb ? ba : bb;
  size_t sa = cn_mul3((size_t)M, (size_t)K, 1), sb = cn_mul3((size_t)K, (size_t)N, 1), sc = cn_mul3((size_t)M, (size_t)N, 1);
  size_t na = cn_mul3(sa, (size_t)ba, 1), nb = cn_mul3(sb, (size_t)bb, 1), nc = cn_mul3(sc, (size_t)batch, 1);
  if (!na || !nb || !nc) return cn_throw(env, "%s: shapes too large", fn);
  if (!cn_need(env, fn, 0, la, na) || !cn_need(env, fn, 1, lb, nb) || (bias && !cn_need(env, fn, 2, lbias, (size_t)N)) ||
      !cn_need(env, fn, 3, lc, nc))
    return NULL;
  for (int i = 0; i < batch; i++) {
    const float *ai = A + (ba == 1 ? 0 : (size_t)i * sa), *bi = B + (bb == 1 ? 0 : (size_t)i * sb);
    cn_sgemm(ta != 0, tb != 0, M, N, K, 1.0f, ai, ta ? M : K, bi, tb ? K : N, 0.0f, C + (size_t)i * sc, N);
  }
  epilogue(C, (long)batch * M, N, bias, act, (float)alpha);
  return NULL;
}
CN_EXPORT("batchMatMul", js_batch_mat_mul)
