/*
 * Shifts, NHWC float32: data movement in place of convolution.
 *   groupedShift            ShiftNet's fixed shift: runs of channels sharing one offset (its own adjoint, negated)
 *   channelShift, channelShiftAdjoint, channelShiftCornerDots   the per-channel shifts of ActiveShift/SparseShift
 * Work is split by output rows (the dot products by blocks of rows, with per-block partial sums added in block order,
 * so results are identical for every thread count).
 */
#include <string.h>
#include "cn.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* Channel shifts (src/lib/kernels/shift/channel-shift.ts): channel c of tap k reads input                          */
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
    p.rb = per_row > 0 ? (CN_BLOCK + per_row - 1) / per_row : rows;
    if (p.rb < 1) p.rb = 1;
    long blocks = rows > 0 ? (rows + p.rb - 1) / p.rb : 0;
    if (blocks == 0 || taps == 0) {
      for (size_t t = 0; t < taps; t++) out[t] = 0.0f;
      return NULL;
    }
    p.partial = (double *)cn_scratch(CN_SCRATCH_PARTIALS, (size_t)blocks * taps * 2);
    if (!p.partial) return cn_throw_oom(env, fn);
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

/* ---------------------------------------------------------------------------------------------------------------- */
/* Grouped shift (src/lib/kernels/shift/grouped-shift.ts)                                                           */

/*
 * ShiftNet's fixed shift: channels in runs [c0, c1) that share one offset (dy, dx), y[n, h, w, c] = x[n, h + dy, w + dx, c]
 * (0 outside the image). Its adjoint is the same shift with (−dy, −dx), so this one kernel serves both directions.
 */
typedef struct {
  long N, H, W, C, R;
  const int32_t *runs; /* R × [c0, c1, dy, dx] */
  const float *x;
  float *y;
} grouped_shift_ctx;

/* One task = one output row (n, h); each (column, run) is a short copy of c1 − c0 floats, or zeros. Run by run, the
   columns stream through one source row and the output at the same stride. (Tried and not faster on a 2-core AMD EPYC:
   pixel by pixel with all runs at once, 2× slower, the source rows 4 KB apart competing for cache sets; column tiles of
   4–32 pixels, within noise.) */
static void grouped_shift_rows(void *vctx, long begin, long end) {
  const grouped_shift_ctx *k = (const grouped_shift_ctx *)vctx;
  const long H = k->H, W = k->W, C = k->C;
  for (long r = begin; r < end; r++) {
    long n = r / H, h = r % H;
    float *yrow = k->y + (size_t)r * W * C;
    for (long j = 0; j < k->R; j++) {
      const long c0 = k->runs[4 * j], len = k->runs[4 * j + 1] - c0, dy = k->runs[4 * j + 2], dx = k->runs[4 * j + 3];
      const long ih = h + dy;
      /* Columns w with 0 ≤ w + dx < W are [wlo, whi); everything else, or the whole row when ih is outside, is 0. */
      long wlo = dx < 0 ? -dx : 0, whi = dx > 0 ? W - dx : W;
      if (ih < 0 || ih >= H || wlo > W || whi < 0) wlo = whi = 0;
      if (wlo > whi) wlo = whi;
      const float *xrow = k->x + ((size_t)n * H + (ih < 0 || ih >= H ? 0 : ih)) * W * C;
      for (long w = 0; w < wlo; w++) cn_zero_floats(yrow + w * C + c0, len);
      for (long w = wlo; w < whi; w++) cn_copy_floats(yrow + w * C + c0, xrow + (w + dx) * C + c0, len);
      for (long w = whi; w < W; w++) cn_zero_floats(yrow + w * C + c0, len);
    }
  }
}

/* groupedShift(x, y, runs, geom): x, y [N,H,W,C]; runs Int32Array R×[c0, c1, dy, dx] covering 0..C in order; geom [N,H,W,C]. */
static napi_value js_grouped_shift(napi_env env, napi_callback_info info) {
  const char *fn = "groupedShift";
  napi_value a[4];
  float *x, *y;
  int32_t *runs, *geom;
  size_t lx, ly, lr, lg;
  if (!cn_args(env, info, fn, 4, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &y, &ly) ||
      !cn_i32(env, a[2], fn, 2, &runs, &lr) || !cn_i32(env, a[3], fn, 3, &geom, &lg))
    return NULL;
  if (lg != 4) return cn_throw(env, "%s: argument 3 (geometry) must hold 4 ints [N,H,W,C], got %zu", fn, lg);
  for (int i = 0; i < 4; i++)
    if (geom[i] < 1) return cn_throw(env, "%s: geometry [%d,%d,%d,%d] must be positive", fn, geom[0], geom[1], geom[2], geom[3]);
  size_t size;
  if (__builtin_mul_overflow((size_t)geom[0] * geom[1], (size_t)geom[2] * geom[3], &size))
    return cn_throw(env, "%s: geometry sizes overflow", fn);
  if (!cn_need(env, fn, 0, lx, size) || !cn_need(env, fn, 1, ly, size)) return NULL;
  if (lr == 0 || lr % 4 != 0) return cn_throw(env, "%s: argument 2 (runs) must hold 4 ints per run, got %zu", fn, lr);
  /* The runs must tile [0, C) in order: every output channel is written exactly once. */
  int32_t next = 0;
  for (size_t j = 0; j < lr / 4; j++) {
    if (runs[4 * j] != next || runs[4 * j + 1] <= runs[4 * j] || runs[4 * j + 1] > geom[3])
      return cn_throw(env, "%s: run %zu = [%d, %d) does not continue the channel tiling at %d (C = %d)", fn, j, runs[4 * j],
                      runs[4 * j + 1], next, geom[3]);
    next = runs[4 * j + 1];
  }
  if (next != geom[3]) return cn_throw(env, "%s: runs cover channels [0, %d), C = %d", fn, next, geom[3]);
  grouped_shift_ctx k = {geom[0], geom[1], geom[2], geom[3], (long)(lr / 4), runs, x, y};
  cn_parallel_for(k.N * k.H, grouped_shift_rows, &k);
  return NULL;
}
CN_EXPORT("groupedShift", js_grouped_shift)
