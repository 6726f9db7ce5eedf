/* Our depthwise convolution (native/src/depthwise.c) without N-API: depthwise.c's kernels are static, so include it
   and call the forward the N-API entry calls (every path it chooses), linear activation, no bias. */
#include "../../native/src/depthwise.c"
#include "ours.h"

int ours_depthwise_forward(const int p[15], const float *x, const float *w, float *y) {
  dw_geom g;
  g.B = p[0]; g.H = p[1]; g.W = p[2]; g.C = p[3]; g.M = p[4]; g.OH = p[5]; g.OW = p[6]; g.KH = p[7];
  g.KW = p[8]; g.sh = p[9]; g.sw = p[10]; g.dh = p[11]; g.dw = p[12]; g.pt = p[13]; g.pl = p[14];
  g.OC = g.C * g.M;
  g.xs = (size_t)g.B * g.H * g.W * g.C; g.ys = (size_t)g.B * g.OH * g.OW * g.OC;
  g.ws = (size_t)g.KH * g.KW * g.OC;
  return depthwise_forward(&g, x, w, NULL, 0, y, CN_ACT_LINEAR, 0.0f);
}
