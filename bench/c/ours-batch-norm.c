/* Our batch-norm inference without N-API: js_batch_norm_inference's per-channel coefficients, then
   cn_normalize_channels (native/src/batch-norm.c), the kernel the addon runs. */
#include <math.h>
#include "cn.h"
#include "ours.h"

int ours_batch_norm_inference(const float *x, const float *mean, const float *var, const float *off, const float *scale,
                              float eps, long rows, int C, float *out) {
  size_t cp = ((size_t)C + 15) & ~(size_t)15;
  float *buf = cn_scratch(CN_SCRATCH_PARTIALS, 3 * cp);
  if (!buf) return CN_ENOMEM;
  float *mul = buf + cp, *b = buf + 2 * cp;
  for (int k = 0; k < C; k++) {
    buf[k] = mean[k];
    mul[k] = (float)((double)scale[k] / sqrt((double)var[k] + eps));
    b[k] = off[k];
  }
  cn_normalize_channels(x, buf, mul, b, out, rows, C);
  return CN_OK;
}
