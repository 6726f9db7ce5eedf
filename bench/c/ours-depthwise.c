/* Our depthwise convolution (native/src/depthwise.c) without N-API: the setup of js_depthwise_forward (valid column
   ranges, blocked-path tap table), then the same parallel row kernel, linear activation, no bias. */
#include "../../native/src/depthwise.c"
#include "ours.h"

int ours_depthwise_forward(const int p[15], const float *x, const float *w, float *y) {
  fwd_ctx k;
  dw_geom *g = &k.g;
  g->B = p[0]; g->H = p[1]; g->W = p[2]; g->C = p[3]; g->M = p[4]; g->OH = p[5]; g->OW = p[6]; g->KH = p[7];
  g->KW = p[8]; g->sh = p[9]; g->sw = p[10]; g->dh = p[11]; g->dw = p[12]; g->pt = p[13]; g->pl = p[14];
  g->OC = g->C * g->M;
  g->xs = (size_t)g->B * g->H * g->W * g->C; g->ys = (size_t)g->B * g->OH * g->OW * g->OC;
  g->ws = (size_t)g->KH * g->KW * g->OC;
  long owr[2 * DW_MAX_FILTER];
  for (long kw = 0; kw < g->KW; kw++) valid_range(kw * g->dw - g->pl, g->sw, g->W, g->OW, &owr[2 * kw], &owr[2 * kw + 1]);
  k.x = x; k.w = w; k.bias = NULL; k.y = y; k.act = CN_ACT_LINEAR; k.alpha = 0.0f; k.owr = owr; k.bias_len = 0;
  k.kwlo = k.kwhi = NULL;
  int *ranges = NULL;
  if (g->M == 1 && g->C % 8 == 0) {
    ranges = (int *)cn_alloc(sizeof(int) * 2 * g->OW);
    if (ranges == NULL) return CN_ENOMEM;
    tap_ranges_per_column(g, ranges, ranges + g->OW);
    k.kwlo = ranges;
    k.kwhi = ranges + g->OW;
  }
  cn_parallel_for(g->B * g->OH, fwd_rows, &k);
  free(ranges);
  return CN_OK;
}
