/*
 * Element-wise steps of the inference plan (src/lib/plan) that no other kernel covers, NHWC float32, in place allowed
 * (y may be an input: every element is read before it is written, at the same index):
 *   planAdd            y = act(a + b)                     a residual Add the plan could not fuse into a convolution
 *   planAffine         y = act(x·scale[c] + shift[c])      a BatchNorm with no convolution to fold into, an activation
 *   adaptiveAvgPool    PyTorch's adaptive average pooling  bins [⌊i·n/o⌋, ⌈(i+1)·n/o⌉) per axis
 * Work is split in blocks of CN_BLOCK elements (rows for the pooling), on the pool.
 */
#include "cn.h"


typedef struct {
  const float *a, *b, *scale, *shift;
  float *y;
  long n;
  int C, act;
  float alpha;
} ew_ctx;

static void add_range(void *vctx, long b0, long b1) {
  const ew_ctx *c = vctx;
  const long begin = b0 * CN_BLOCK, end = b1 * CN_BLOCK < c->n ? b1 * CN_BLOCK : c->n;
  for (long i = begin; i < end; i++) c->y[i] = cn_act(c->a[i] + c->b[i], c->act, c->alpha);
}

/* Blocks of whole rows (CN_BLOCK / C rows each), so the channel of element i is i mod C without a division. */
static void affine_range(void *vctx, long b0, long b1) {
  const ew_ctx *c = vctx;
  const long rb = CN_BLOCK / c->C > 0 ? CN_BLOCK / c->C : 1, rows = c->n / c->C;
  const long r0 = b0 * rb, r1 = b1 * rb < rows ? b1 * rb : rows;
  const int C = c->C;
  for (long r = r0; r < r1; r++) {
    const float *x = c->a + r * C;
    float *y = c->y + r * C;
    for (int k = 0; k < C; k++) {
      float v = x[k];
      if (c->scale) v *= c->scale[k];
      if (c->shift) v += c->shift[k];
      y[k] = cn_act(v, c->act, c->alpha);
    }
  }
}

/* Reads the length-n Float32Array argument `index` (n > 0). */
static int plan_array(napi_env env, napi_value v, const char *fn, int index, size_t n, float **p) {
  size_t len;
  return cn_f32(env, v, fn, index, p, &len) && cn_need(env, fn, index, len, n);
}

/* planAdd(a, b, y, n, act, alpha): y[0:n) = act(a + b); y may be a or b. */
static napi_value js_plan_add(napi_env env, napi_callback_info info) {
  const char *fn = "planAdd";
  napi_value v[6];
  ew_ctx c = {0};
  int n;
  double alpha;
  if (!cn_args(env, info, fn, 6, v) || !cn_int(env, v[3], fn, 3, &n)) return NULL;
  if (n < 1) return cn_throw(env, "%s: n = %d must be positive", fn, n);
  float *a, *b, *y;
  if (!plan_array(env, v[0], fn, 0, (size_t)n, &a) || !plan_array(env, v[1], fn, 1, (size_t)n, &b) ||
      !plan_array(env, v[2], fn, 2, (size_t)n, &y) || !cn_activation(env, v[4], fn, 4, &c.act) ||
      !cn_double(env, v[5], fn, 5, &alpha))
    return NULL;
  c.a = a, c.b = b, c.y = y, c.n = n, c.alpha = (float)alpha;
  cn_parallel_for((n + CN_BLOCK - 1) / CN_BLOCK, add_range, &c);
  return NULL;
}
CN_EXPORT("planAdd", js_plan_add)

/* planAffine(x, scale|null, shift|null, y, rows, C, act, alpha): y[r, k] = act(x[r, k]·scale[k] + shift[k]) for
   x, y [rows, C] (scale 1 and shift 0 when null); y may be x. */
static napi_value js_plan_affine(napi_env env, napi_callback_info info) {
  const char *fn = "planAffine";
  napi_value v[8];
  ew_ctx c = {0};
  int rows, C;
  double alpha;
  float *x, *scale, *shift, *y;
  size_t ls, lh;
  if (!cn_args(env, info, fn, 8, v) || !cn_int(env, v[4], fn, 4, &rows) || !cn_int(env, v[5], fn, 5, &C)) return NULL;
  if (rows < 1 || C < 1) return cn_throw(env, "%s: rows = %d and C = %d must be positive", fn, rows, C);
  const size_t n = (size_t)rows * C;
  if (!plan_array(env, v[0], fn, 0, n, &x) || !cn_f32_opt(env, v[1], fn, 1, &scale, &ls) ||
      !cn_f32_opt(env, v[2], fn, 2, &shift, &lh) || !plan_array(env, v[3], fn, 3, n, &y) ||
      !cn_activation(env, v[6], fn, 6, &c.act) || !cn_double(env, v[7], fn, 7, &alpha))
    return NULL;
  if ((scale && !cn_need(env, fn, 1, ls, (size_t)C)) || (shift && !cn_need(env, fn, 2, lh, (size_t)C))) return NULL;
  c.a = x, c.scale = scale, c.shift = shift, c.y = y, c.n = (long)n, c.C = C, c.alpha = (float)alpha;
  const long rb = CN_BLOCK / C > 0 ? CN_BLOCK / C : 1;
  cn_parallel_for((rows + rb - 1) / rb, affine_range, &c);
  return NULL;
}
CN_EXPORT("planAffine", js_plan_affine)

typedef struct {
  const float *x;
  float *y;
  long H, W, C, OH, OW;
} adaptive_ctx;

/* One task per output row (b, oy): the bins of PyTorch's AdaptiveAvgPool2d, summed in double. */
static void adaptive_rows(void *vctx, long r0, long r1) {
  const adaptive_ctx *p = vctx;
  const long H = p->H, W = p->W, C = p->C, OH = p->OH, OW = p->OW;
  for (long r = r0; r < r1; r++) {
    const long b = r / OH, oy = r % OH;
    const long y0 = (oy * H) / OH, y1 = ((oy + 1) * H + OH - 1) / OH;
    for (long ox = 0; ox < OW; ox++) {
      const long x0 = (ox * W) / OW, x1 = ((ox + 1) * W + OW - 1) / OW;
      const double inv = 1.0 / (double)((y1 - y0) * (x1 - x0));
      float *out = p->y + (r * OW + ox) * C;
      for (long c = 0; c < C; c++) {
        double s = 0.0;
        for (long yy = y0; yy < y1; yy++)
          for (long xx = x0; xx < x1; xx++) s += p->x[((b * H + yy) * W + xx) * C + c];
        out[c] = (float)(s * inv);
      }
    }
  }
}

/* adaptiveAvgPool(x, y, geom [B,H,W,C,OH,OW]): y [B,OH,OW,C] = mean of x [B,H,W,C] over each PyTorch adaptive bin. */
static napi_value js_adaptive_avg_pool(napi_env env, napi_callback_info info) {
  const char *fn = "adaptiveAvgPool";
  napi_value v[3];
  int32_t *g;
  size_t lg;
  float *x, *y;
  if (!cn_args(env, info, fn, 3, v) || !cn_i32(env, v[2], fn, 2, &g, &lg)) return NULL;
  if (lg != 6) return cn_throw(env, "%s: argument 2 (geometry) must hold 6 ints [B,H,W,C,OH,OW], got %zu", fn, lg);
  for (int i = 0; i < 6; i++)
    if (g[i] < 1 || g[i] > (1 << 24)) return cn_throw(env, "%s: geometry[%d] = %d is out of range [1, 2^24]", fn, i, g[i]);
  const size_t nx = cn_mul3(cn_mul3((size_t)g[0], (size_t)g[1], (size_t)g[2]), (size_t)g[3], 1),
               ny = cn_mul3(cn_mul3((size_t)g[0], (size_t)g[4], (size_t)g[5]), (size_t)g[3], 1);
  if (!nx || !ny) return cn_throw(env, "%s: shapes too large", fn);
  if (!plan_array(env, v[0], fn, 0, nx, &x) || !plan_array(env, v[1], fn, 1, ny, &y)) return NULL;
  adaptive_ctx p = {x, y, g[1], g[2], g[3], g[4], g[5]};
  cn_parallel_for((long)g[0] * g[4], adaptive_rows, &p);
  return NULL;
}
CN_EXPORT("adaptiveAvgPool", js_adaptive_avg_pool)
