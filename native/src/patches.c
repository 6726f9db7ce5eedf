/*
 * im2col and its adjoint col2im for NHWC activations, for the convolutions of conv.c. A patch geometry takes a
 * window of cn channels out of every C-channel pixel (x is already offset to the window's first channel): one
 * group's Cg channels, all C of them for a dense convolution.
 * cols row p (output pixel first + p) lists the receptive field in (ky, kx, c) order, the order of an HWIO filter's
 * rows, so conv = cols · W.
 */
#include "cn.h"

void cn_im2col_range(const cn_patches *g, const float *x, float *cols, long first, long p0, long p1) {
  const long K = (long)g->KH * g->KW * g->cn;
  const int C = g->C, cn = g->cn, KW = g->KW, W = g->W;
  /* Undilated taps over all channels are one contiguous run of the input row: one copy per kernel row. */
  const int contiguous = g->dw == 1 && cn == C;
  for (long p = p0; p < p1; p++) {
    long gp = first + p;
    int ox = (int)(gp % g->OW);
    long t = gp / g->OW;
    int oy = (int)(t % g->OH);
    long b = t / g->OH;
    float *dst = cols + p * K;
    const float *xb = x + b * g->H * (long)W * C;
    long ix0 = (long)ox * g->sw - g->pl;
    for (int ky = 0; ky < g->KH; ky++, dst += (long)KW * cn) {
      long iy = (long)oy * g->sh - g->pt + (long)ky * g->dh;
      if (iy < 0 || iy >= g->H) { cn_zero_floats(dst, (long)KW * cn); continue; }
      const float *xrow = xb + iy * W * C;
      if (contiguous) {
        /* The in-bounds taps kx ∈ [lo, hi). */
        long lo = ix0 < 0 ? -ix0 : 0, hi = W - ix0 < KW ? W - ix0 : KW;
        if (hi < lo) hi = lo;
        if (lo > KW) lo = hi = KW;
        if (lo > 0) cn_zero_floats(dst, lo * C);
        if (hi > lo) cn_copy_floats(dst + lo * C, xrow + (ix0 + lo) * C, (hi - lo) * C);
        if (hi < KW) cn_zero_floats(dst + hi * C, (KW - hi) * C);
      } else {
        for (int kx = 0; kx < KW; kx++) {
          long ix = ix0 + (long)kx * g->dw;
          if (ix < 0 || ix >= W) cn_zero_floats(dst + (long)kx * cn, cn);
          else cn_copy_floats(dst + (long)kx * cn, xrow + ix * C, cn);
        }
      }
    }
  }
}

typedef struct {
  const cn_patches *g;
  const float *x;
  float *cols;
  long first;
} im2col_job;

static void im2col_task(void *ctx, long p0, long p1) {
  const im2col_job *j = (const im2col_job *)ctx;
  cn_im2col_range(j->g, j->x, j->cols, j->first, p0, p1);
}

void cn_im2col(const cn_patches *g, const float *x, float *cols, long first, long pixels) {
  im2col_job j = {g, x, cols, first};
  cn_parallel_for(pixels, im2col_task, &j);
}

/* col2im in gather form: each worker owns whole input rows, so no two write the same dx element. */
typedef struct {
  const cn_patches *g;
  const float *cols; /* [(row1 − row0)·OW, K] for output rows row0..row1 */
  float *dx;
  long row0, row1;   /* global output rows (b·OH + oy) of the chunk */
  long in_first;     /* global input row (b·H + iy) of the range's start */
} col2im_job;

/* Input rows in_first+r0 .. in_first+r1: dx[b, iy, ix, window] += every cols entry that im2col read from there. */
static void col2im_task(void *ctx, long r0, long r1) {
  const col2im_job *j = (const col2im_job *)ctx;
  const cn_patches *g = j->g;
  const long K = (long)g->KH * g->KW * g->cn;
  const int C = g->C, cn = g->cn, W = g->W, KW = g->KW;
  for (long r = r0; r < r1; r++) {
    long gr = j->in_first + r;
    long b = gr / g->H, iy = gr % g->H;
    float *dst = j->dx + gr * W * C;
    for (int ky = 0; ky < g->KH; ky++) {
      long t = iy + g->pt - (long)ky * g->dh;
      if (t < 0 || t % g->sh != 0) continue;
      long oy = t / g->sh;
      if (oy >= g->OH) continue;
      long orow = b * g->OH + oy;
      if (orow < j->row0 || orow >= j->row1) continue;
      const float *src = j->cols + (orow - j->row0) * g->OW * K + (long)ky * KW * cn;
      for (int ox = 0; ox < g->OW; ox++, src += K) {
        long ix0 = (long)ox * g->sw - g->pl;
        for (int kx = 0; kx < KW; kx++) {
          long ix = ix0 + (long)kx * g->dw;
          if (ix < 0 || ix >= W) continue;
          float *d = dst + ix * C;
          const float *s = src + (long)kx * cn;
          for (int c = 0; c < cn; c++) d[c] += s[c];
        }
      }
    }
  }
}

void cn_col2im_rows(const cn_patches *g, const float *cols, float *dx, long row0, long row1) {
  /* The input rows these output rows can reach: from the first row's top tap to the last row's bottom tap, clamped
     into the image so the range never leaves dx (rows without contributions are simply not written). */
  long bf = row0 / g->OH, oyf = row0 % g->OH, bl = (row1 - 1) / g->OH, oyl = (row1 - 1) % g->OH;
  long iyf = oyf * g->sh - g->pt, iyl = oyl * g->sh - g->pt + (long)(g->KH - 1) * g->dh;
  iyf = iyf < 0 ? 0 : iyf > g->H - 1 ? g->H - 1 : iyf;
  iyl = iyl < 0 ? 0 : iyl > g->H - 1 ? g->H - 1 : iyl;
  long first = bf * g->H + iyf, last = bl * g->H + iyl;
  if (last < first) return;
  col2im_job j = {g, cols, dx, row0, row1, first};
  cn_parallel_for(last - first + 1, col2im_task, &j);
}
