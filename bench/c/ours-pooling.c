/* Our max/avg pooling forward (native/src/pooling.c) without N-API: pool_forward's setup, the same row kernel. */
#include "../../native/src/pooling.c"
#include "ours.h"

void ours_pool_forward(const int p[12], const float *x, float *y, int avg) {
  fwd_ctx k;
  pool_geom *g = &k.g;
  g->B = p[0]; g->H = p[1]; g->W = p[2]; g->C = p[3]; g->OH = p[4]; g->OW = p[5]; g->KH = p[6]; g->KW = p[7];
  g->sh = p[8]; g->sw = p[9]; g->pt = p[10]; g->pl = p[11];
  g->xs = (size_t)g->B * g->H * g->W * g->C; g->ys = (size_t)g->B * g->OH * g->OW * g->C;
  k.x = x; k.y = y; k.avg = avg;
  cn_parallel_for(g->B * g->OH, fwd_rows, &k);
}
