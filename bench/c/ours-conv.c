/* Our dense and grouped convolution (native/src/conv.c) without N-API: conv.c's kernels are static, so include it. */
#include "../../native/src/conv.c"
#include "ours.h"

static conv_geom geom_of(const int p[16]) {
  return (conv_geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]};
}

int ours_conv_forward(const int geom[16], const float *x, const float *w, float *y) {
  conv_geom g = geom_of(geom);
  /* No packed filter (wp NULL: packed per call, as the training path runs), no residual (beta 0). */
  return conv_forward(&g, x, w, NULL, NULL, y, CN_ACT_LINEAR, 0.0f, 0.0f);
}

int ours_conv_backprop_filter(const int geom[16], const float *x, const float *dy, float *dw) {
  conv_geom g = geom_of(geom);
  return conv_backprop_filter(&g, x, dy, dw);
}
