/*
 * Element-wise, reduction and normalisation kernels of a training step (NHWC, float32, channels innermost):
 *   rangeMaskGrad       dx = dy where x lies in the pass range (Relu/Relu6/ClipByValue gradients)
 *   batchNormGrad       one pass over x/dy: per-channel Σdy, Σdy·(x−mean), and dx = dy·scale/√(var+ε)
 *   reduceLeading       Mean/Sum over the leading axes of a [rows, inner] view (BN moments, bias gradients)
 *   batchNormInference  FusedBatchNorm: (x − mean)·scale/√(var+ε) + offset
 *   channelShift, channelShiftAdjoint, channelShiftCornerDots   per-channel shifts of ActiveShift/SparseShift
 * Work is split into blocks whose size depends on the shapes only, and per-block partial sums are added in block
 * order, so results are identical for every thread count.
 */
#include <math.h>
#include <string.h>
#include "cn.h"

/* Elements per parallel block: large enough that the pool's wake-up cost (~10 µs) stays small, small enough that a
 * batch-32 CIFAR feature map gives every thread several blocks. Tensors below one block run on the calling thread. */
#define EW_BLOCK 65536L

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
  long begin = b0 * EW_BLOCK, end = b1 * EW_BLOCK < c->n ? b1 * EW_BLOCK : c->n;
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
  cn_parallel_for((n + EW_BLOCK - 1) / EW_BLOCK, mask_range, &c);
  return NULL;
}
CN_EXPORT("rangeMaskGrad", js_range_mask_grad)

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
 * [rows, C]; the rest [C]. The formulas of src/lib/wasm-kernels/batch-norm-grad.ts, with double sums. */
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
  /* Rows per block from the shape alone (deterministic sums); at least one row. */
  long rb = (EW_BLOCK + C - 1) / C;
  long blocks = rows > 0 ? ((long)rows + rb - 1) / rb : 0;
  /* Scratch (calling thread's slot 3): coef [C] floats, then the block partials in doubles, 64-byte aligned. */
  size_t coef_floats = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(3, coef_floats + (size_t)blocks * 2 * C * 2 + 16);
  if (!buf) return cn_throw(env, "%s: out of memory for %ld blocks of %d channels", fn, blocks, C);
  float *coef = buf;
  double *partial = (double *)(buf + coef_floats);
  /* coef as the TypeScript kernel rounds it: computed in double, stored as float, so dx matches it bit for bit. */
  for (int k = 0; k < C; k++) coef[k] = (float)((double)scale[k] / sqrt((double)var[k] + eps));
  bng_ctx c = {x, dy, mean, coef, dx, partial, rows, rb, C};
  cn_parallel_for(blocks, bng_range, &c);
  for (int k = 0; k < C; k++) {
    double s1 = 0.0, s2 = 0.0;
    for (long b = 0; b < blocks; b++) {
      s1 += partial[(size_t)b * 2 * C + k];
      s2 += partial[(size_t)b * 2 * C + C + k];
    }
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
  c.rb = (EW_BLOCK + inner - 1) / inner;
  long blocks = rows > 0 ? ((long)rows + c.rb - 1) / c.rb : 0;
  if (blocks == 0) {
    memset(out, 0, (size_t)inner * sizeof(float));
    return NULL;
  }
  c.partial = (double *)cn_scratch(3, (size_t)blocks * inner * 2);
  if (!c.partial) return cn_throw(env, "%s: out of memory for %ld blocks of %d", fn, blocks, inner);
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
  bni_ctx c = {x, mean, mul, off, out, rows, (EW_BLOCK + C - 1) / C, C};
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
  float *buf = cn_scratch(3, 3 * cp);
  if (!buf) return cn_throw(env, "%s: out of memory for %d channels", fn, C);
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

/* ---------------------------------------------------------------------------------------------------------------- */
/* Channel shifts (src/lib/wasm-kernels/channel-shift.ts): channel c of tap k reads input                           */
/* (ho·s + offY[k·C + c], wo·s + offX[k·C + c]) for output (ho, wo); taps outside the image read 0.                 */

typedef struct {
  const float *in, *w;  /* forward: x and weights; adjoint: dy and weights; dots: x (w unused) */
  const float *in2;     /* dots: dy */
  float *out;
  double *partial;      /* dots: [blocks][K·C] */
  const int32_t *offY, *offX;
  long n, h, w_, c, oh, ow, s, k, rb;
} shift_ctx;

/* Output columns wo with 0 ≤ wo·s + off < W, as [*lo, *hi) clipped to [0, OW). */
static void shift_cols(long off, long S, long W, long OW, long *lo, long *hi) {
  *lo = off < 0 ? (-off + S - 1) / S : 0;
  *hi = W - off <= 0 ? 0 : (W - off - 1) / S + 1;
  if (*hi > OW) *hi = OW;
  if (*lo > *hi) *lo = *hi;
}

/* Forward: one task per output row (n, ho). Per (tap, channel) the source row and the valid column range are fixed,
 * so the inner loop has no bounds tests; it strides by C through two rows that stay in L1. */
static void shift_fwd_range(void *vctx, long r0, long r1) {
  const shift_ctx *p = vctx;
  const long C = p->c, H = p->h, W = p->w_, OW = p->ow, S = p->s, K = p->k;
  for (long r = r0; r < r1; r++) {
    long n = r / p->oh, ho = r % p->oh;
    float *restrict out = p->out + (size_t)r * OW * C;
    memset(out, 0, (size_t)OW * C * sizeof(float));
    const float *xn = p->in + (size_t)n * H * W * C;
    for (long k = 0; k < K; k++) {
      const int32_t *oy = p->offY + k * C, *ox = p->offX + k * C;
      const float *wk = p->w + k * C;
      for (long c = 0; c < C; c++) {
        long y = ho * S + oy[c], lo, hi;
        if (y < 0 || y >= H) continue;
        shift_cols(ox[c], S, W, OW, &lo, &hi);
        if (lo >= hi) continue;
        /* Pointers at the first valid column (signed arithmetic: offsets may be negative). */
        const float *restrict src = xn + ((y * W + lo * S + ox[c]) * C + c);
        float *restrict dst = out + lo * C + c;
        const float wc = wk[c];
        for (long j = 0; j < hi - lo; j++) dst[j * C] += wc * src[j * S * C];
      }
    }
  }
}

/* Adjoint (a scatter in the forward's terms): one task per input row (n, y), so no two threads write the same row;
 * for tap (k, c) the row is read from output row ho = (y − offY)/s when that is a whole number in range. */
static void shift_adj_range(void *vctx, long r0, long r1) {
  const shift_ctx *p = vctx;
  const long C = p->c, H = p->h, W = p->w_, OH = p->oh, OW = p->ow, S = p->s, K = p->k;
  for (long r = r0; r < r1; r++) {
    long n = r / H, y = r % H;
    float *restrict dx = p->out + (size_t)r * W * C;
    memset(dx, 0, (size_t)W * C * sizeof(float));
    const float *dyn = p->in + (size_t)n * OH * OW * C;
    for (long k = 0; k < K; k++) {
      const int32_t *oy = p->offY + k * C, *ox = p->offX + k * C;
      const float *wk = p->w + k * C;
      for (long c = 0; c < C; c++) {
        long t = y - oy[c];
        if (t < 0 || t % S != 0 || t / S >= OH) continue;
        long ho = t / S;
        const float *src = dyn + (size_t)ho * OW * C + c;
        long lo, hi;
        shift_cols(ox[c], S, W, OW, &lo, &hi);
        const float wc = wk[c];
        for (long wo = lo; wo < hi; wo++) dx[(wo * S + ox[c]) * C + c] += wc * src[wo * C];
      }
    }
  }
}

/* Corner dots: blocks of output rows, per-block partial sums in double, added in block order. */
static void shift_dots_range(void *vctx, long b0, long b1) {
  const shift_ctx *p = vctx;
  const long C = p->c, H = p->h, W = p->w_, OW = p->ow, S = p->s, K = p->k, rows = p->n * p->oh;
  for (long b = b0; b < b1; b++) {
    double *restrict acc = p->partial + (size_t)b * K * C;
    for (long t = 0; t < K * C; t++) acc[t] = 0.0;
    long r1 = (b + 1) * p->rb < rows ? (b + 1) * p->rb : rows;
    for (long r = b * p->rb; r < r1; r++) {
      long n = r / p->oh, ho = r % p->oh;
      const float *dy = p->in2 + (size_t)r * OW * C;
      const float *xn = p->in + (size_t)n * H * W * C;
      for (long k = 0; k < K; k++) {
        const int32_t *oy = p->offY + k * C, *ox = p->offX + k * C;
        double *ak = acc + k * C;
        for (long c = 0; c < C; c++) {
          long y = ho * S + oy[c], lo, hi;
          if (y < 0 || y >= H) continue;
          shift_cols(ox[c], S, W, OW, &lo, &hi);
          if (lo >= hi) continue;
          const float *src = xn + ((y * W + lo * S + ox[c]) * C + c), *g = dy + lo * C + c;
          double sum = 0.0;
          for (long j = 0; j < hi - lo; j++) sum += (double)g[j * C] * (double)src[j * S * C];
          ak[c] += sum;
        }
      }
    }
  }
}

/* Shared argument parsing of the three shift functions:
 * (a, b, offY, offX, n, h, w, c, oh, ow, stride, k, out) with a/b = x/weights, dy/weights or x/dy. */
enum { SHIFT_FWD, SHIFT_ADJ, SHIFT_DOTS };
static napi_value shift_entry(napi_env env, napi_callback_info info, const char *fn, int mode) {
  napi_value a[13];
  float *A, *B, *out;
  int32_t *offY, *offX;
  size_t la, lb, loy, lox, lo;
  int v[8]; /* n, h, w, c, oh, ow, stride, k */
  if (!cn_args(env, info, fn, 13, a) || !cn_f32(env, a[0], fn, 0, &A, &la) || !cn_f32(env, a[1], fn, 1, &B, &lb) ||
      !cn_i32(env, a[2], fn, 2, &offY, &loy) || !cn_i32(env, a[3], fn, 3, &offX, &lox))
    return NULL;
  for (int i = 0; i < 8; i++)
    if (!cn_int(env, a[4 + i], fn, 4 + i, &v[i])) return NULL;
  if (!cn_f32(env, a[12], fn, 12, &out, &lo)) return NULL;
  long n = v[0], h = v[1], w = v[2], c = v[3], oh = v[4], ow = v[5], s = v[6], k = v[7];
  if (n < 0 || h < 0 || w < 0 || c < 0 || oh < 0 || ow < 0 || s < 1 || k < 1)
    return cn_throw(env, "%s: bad sizes n=%ld h=%ld w=%ld c=%ld oh=%ld ow=%ld stride=%ld k=%ld", fn, n, h, w, c, oh, ow, s, k);
  size_t in_size = (size_t)n * h * w * c, out_size = (size_t)n * oh * ow * c, taps = (size_t)k * c;
  size_t needA = mode == SHIFT_ADJ ? out_size : in_size;
  size_t needB = mode == SHIFT_DOTS ? out_size : taps;
  size_t needOut = mode == SHIFT_FWD ? out_size : mode == SHIFT_ADJ ? in_size : taps;
  if (!cn_need(env, fn, 0, la, needA) || !cn_need(env, fn, 1, lb, needB) || !cn_need(env, fn, 2, loy, taps) ||
      !cn_need(env, fn, 3, lox, taps) || !cn_need(env, fn, 12, lo, needOut))
    return NULL;
  shift_ctx p = {A, B, B, out, NULL, offY, offX, n, h, w, c, oh, ow, s, k, 1};
  if (mode == SHIFT_FWD) {
    cn_parallel_for(n * oh, shift_fwd_range, &p);
  } else if (mode == SHIFT_ADJ) {
    cn_parallel_for(n * h, shift_adj_range, &p);
  } else {
    long rows = n * oh, per_row = ow * c * k;
    p.rb = per_row > 0 ? (EW_BLOCK + per_row - 1) / per_row : rows;
    if (p.rb < 1) p.rb = 1;
    long blocks = rows > 0 ? (rows + p.rb - 1) / p.rb : 0;
    if (blocks == 0 || taps == 0) {
      for (size_t t = 0; t < taps; t++) out[t] = 0.0f;
      return NULL;
    }
    p.partial = (double *)cn_scratch(3, (size_t)blocks * taps * 2);
    if (!p.partial) return cn_throw(env, "%s: out of memory for %ld blocks of %zu taps", fn, blocks, taps);
    cn_parallel_for(blocks, shift_dots_range, &p);
    for (size_t t = 0; t < taps; t++) {
      double sum = 0.0;
      for (long b = 0; b < blocks; b++) sum += p.partial[(size_t)b * taps + t];
      out[t] = (float)sum;
    }
  }
  return NULL;
}

/* channelShift(x, weights, offY, offX, n, h, w, c, oh, ow, stride, k, out): x [n,h,w,c], weights/offY/offX [k,c],
 * out [n,oh,ow,c] = Σ_k weights · shifted x. */
static napi_value js_channel_shift(napi_env env, napi_callback_info info) {
  return shift_entry(env, info, "channelShift", SHIFT_FWD);
}
CN_EXPORT("channelShift", js_channel_shift)

/* channelShiftAdjoint(dy, weights, offY, offX, n, h, w, c, oh, ow, stride, k, dx): dy [n,oh,ow,c] → dx [n,h,w,c]. */
static napi_value js_channel_shift_adjoint(napi_env env, napi_callback_info info) {
  return shift_entry(env, info, "channelShiftAdjoint", SHIFT_ADJ);
}
CN_EXPORT("channelShiftAdjoint", js_channel_shift_adjoint)

/* channelShiftCornerDots(x, dy, offY, offX, n, h, w, c, oh, ow, stride, k, out): out [k,c] = Σ dy · shifted x. */
static napi_value js_channel_shift_corner_dots(napi_env env, napi_callback_info info) {
  return shift_entry(env, info, "channelShiftCornerDots", SHIFT_DOTS);
}
CN_EXPORT("channelShiftCornerDots", js_channel_shift_corner_dots)
