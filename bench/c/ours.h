/*
 * Our native kernels (native/src) as plain C calls for the C benchmarks of bench/c. The kernels sit behind N-API
 * entry points that read JavaScript values, so each ours-*.c includes its kernel file and repeats the entry's setup
 * (geometry, per-call tables) around the same static kernel the addon runs. NHWC activations throughout.
 */
#ifndef BENCH_OURS_H
#define BENCH_OURS_H
/* Convolution geometry, the addon's order: B,H,W,C, OH,OW,CO, KH,KW, sh,sw, dh,dw, pt,pl, G (conv.c). */
int ours_conv_forward(const int geom[16], const float *x, const float *w, float *y);
/* Filter gradient dw [KH,KW,C/G,CO] of the same convolution for output gradient dy. */
int ours_conv_backprop_filter(const int geom[16], const float *x, const float *dy, float *dw);
/* Depthwise geometry: B,H,W,C,M, OH,OW, KH,KW, sh,sw, dh,dw, pt,pl (depthwise.c); filter [KH,KW,C,M]. */
int ours_depthwise_forward(const int geom[15], const float *x, const float *w, float *y);
/* Pooling geometry: B,H,W,C, OH,OW, KH,KW, sh,sw, pt,pl (pooling.c); avg excludes the padding, as tfjs does. */
void ours_pool_forward(const int geom[12], const float *x, float *y, int avg);
/* Batch-norm inference on x, out [rows, C] with per-channel mean, variance, offset, scale (batch-norm.c's entry). */
int ours_batch_norm_inference(const float *x, const float *mean, const float *var, const float *off, const float *scale,
                              float eps, long rows, int C, float *out);
#endif
