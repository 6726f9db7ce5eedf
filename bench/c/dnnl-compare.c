/*
 * oneDNN (libdnnl 2.x, the library under PyTorch's CPU path) against our native kernels on layers of the bench's
 * models (issue #18, part 4): convolution (1×1, 3×3 stem, grouped 1×1), depthwise 3×3 (strides 1 and 2), batch-norm
 * inference, max and average pooling, forward; and the filter gradient of three convolutions.
 *
 * Candidates per layer, timed interleaved (round r runs each candidate in turn, so machine drift hits all alike):
 *   ours         our kernel called in C (bench/c/ours-*.c), NHWC in and out, as the addon runs it;
 *   dnnl-nhwc    oneDNN's primitive with NHWC activations (weights in the primitive's own format: reordered once,
 *                since inference weights are constant; that reorder is timed separately as w-reorder because a
 *                training step would pay it every step);
 *   dnnl-blocked oneDNN's primitive in the activation format it prefers (format `any`: nChw8c on AVX2), the
 *                primitive alone; in-reorder and out-reorder (NHWC → its format → NHWC) are timed separately.
 * Outputs are checked against ours (max |difference| / max |ours|) before timing.
 * JSON lines on stdout (one header, one per layer and thread count), a markdown table on stderr.
 * Usage: dnnl-compare [--rounds R] [--threads 1,2]   (built by bench/c/build.sh; see bench/c/README.md)
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include "cn.h"
#include "ours.h"
#include "timing.h"

#define CK(call)                                                                                       \
  do {                                                                                                 \
    dnnl_status_t s_ = (call);                                                                         \
    if (s_ != dnnl_success) {                                                                          \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, dnnl_status2str(s_));       \
      exit(1);                                                                                         \
    }                                                                                                  \
  } while (0)

typedef enum { K_CONV, K_DW, K_BN, K_MAX, K_AVG, K_CONV_BWW } kind_t;
static const char *KIND_NAMES[] = {"conv", "depthwise", "batchnorm", "maxpool", "avgpool", "conv-backward-weights"};

/* One layer: x [B,H,W,C] → y [B,OH,OW,CO], filter K×K, stride s, groups G, TF 'same' padding (the models' default). */
typedef struct {
  const char *name, *where;
  kind_t kind;
  int B, H, W, C, CO, K, s, G;
} shape_t;

/* Layers of the bench's models (shapes from `compact-nets cost <model> [--dataset cifar10] --json`). */
static const shape_t SHAPES[] = {
    {"stem 3x3 s2 3>32", "mobilenet_v2 infer224 b1", K_CONV, 1, 224, 224, 3, 32, 3, 2, 1},
    {"1x1 24>144", "mobilenet_v2 infer224 b1", K_CONV, 1, 56, 56, 24, 144, 1, 1, 1},
    {"gconv 1x1 g3 240>60", "shufflenet_v1 infer224 b1", K_CONV, 1, 28, 28, 240, 60, 1, 1, 3},
    {"dw 3x3 s1 144", "mobilenet_v2 infer224 b1", K_DW, 1, 56, 56, 144, 144, 3, 1, 144},
    {"dw 3x3 s2 144", "mobilenet_v2 infer224 b1", K_DW, 1, 56, 56, 144, 144, 3, 2, 144},
    {"bn 112x112x32", "mobilenet_v2 infer224 b1", K_BN, 1, 112, 112, 32, 32, 1, 1, 1},
    {"maxpool 3x3 s2", "shufflenet_v1 infer224 b1", K_MAX, 1, 112, 112, 24, 24, 3, 2, 1},
    {"avgpool 3x3 s2", "shufflenet_v1 infer224 b1", K_AVG, 1, 56, 56, 24, 24, 3, 2, 1},
    {"stem 3x3 s1 3>32", "mobilenet_v2 train32 b32", K_CONV, 32, 32, 32, 3, 32, 3, 1, 1},
    {"1x1 24>144", "mobilenet_v2 train32 b32", K_CONV, 32, 32, 32, 24, 144, 1, 1, 1},
    {"gconv 1x1 g3 240>60", "shufflenet_v1 train32 b32", K_CONV, 32, 16, 16, 240, 60, 1, 1, 3},
    {"dw 3x3 s1 144", "mobilenet_v2 train32 b32", K_DW, 32, 32, 32, 144, 144, 3, 1, 144},
    {"dw 3x3 s2 144", "mobilenet_v2 train32 b32", K_DW, 32, 32, 32, 144, 144, 3, 2, 144},
    {"bn 32x32x144", "mobilenet_v2 train32 b32", K_BN, 32, 32, 32, 144, 144, 1, 1, 1},
    {"avgpool 3x3 s2", "shufflenet_v1 train32 b32", K_AVG, 32, 32, 32, 24, 24, 3, 2, 1},
    {"dW stem 3x3 3>32", "mobilenet_v2 train32 b32", K_CONV_BWW, 32, 32, 32, 3, 32, 3, 1, 1},
    {"dW 1x1 24>144", "mobilenet_v2 train32 b32", K_CONV_BWW, 32, 32, 32, 24, 144, 1, 1, 1},
    {"dW gconv 1x1 g3 240>60", "shufflenet_v1 train32 b32", K_CONV_BWW, 32, 16, 16, 240, 60, 1, 1, 3},
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

static dnnl_engine_t eng;
static dnnl_stream_t strm;

/* Median of v[0..n) (sorts a copy). */
static double median(const double *v, int n) {
  double *c = malloc(sizeof *c * n);
  memcpy(c, v, sizeof *c * n);
  double m = median_sorting(c, n);
  free(c);
  return m;
}
static double load_avg(void) {
  double l = -1;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) { if (fscanf(f, "%lf", &l) != 1) l = -1; fclose(f); }
  return l;
}
static float *fill(size_t n, unsigned seed) {
  float *p = aligned_alloc(64, ((n * sizeof(float)) + 63) / 64 * 64);
  if (!p) { fprintf(stderr, "dnnl-compare: out of memory (%zu floats)\n", n); exit(1); }
  for (size_t i = 0; i < n; i++) { seed = seed * 1664525u + 1013904223u; p[i] = (float)(seed >> 8) / 16777216.0f - 0.5f; }
  return p;
}

/* ---- oneDNN helpers ---- */

/* A primitive with its execution arguments; run() executes it and waits. */
typedef struct {
  dnnl_primitive_t p;
  int nargs;
  dnnl_exec_arg_t args[8];
} dprim;
static void dprim_run(void *ctx) {
  dprim *d = ctx;
  CK(dnnl_primitive_execute(d->p, strm, d->nargs, d->args));
  CK(dnnl_stream_wait(strm));
}
static void dprim_arg(dprim *d, int arg, dnnl_memory_t m) { d->args[d->nargs++] = (dnnl_exec_arg_t){arg, m}; }
static dnnl_memory_desc_t md_tag(int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  CK(dnnl_memory_desc_init_by_tag(&md, nd, dims, dnnl_f32, tag));
  return md;
}
static dnnl_memory_t mem(const dnnl_memory_desc_t *md, void *user) {
  dnnl_memory_t m;
  CK(dnnl_memory_create(&m, md, eng, user ? user : DNNL_MEMORY_ALLOCATE));
  return m;
}
static const dnnl_memory_desc_t *mem_md(dnnl_memory_t m) {
  const dnnl_memory_desc_t *md;
  CK(dnnl_memory_get_memory_desc(m, &md));
  return md;
}
/* Reorder primitive from → to. */
static dprim reorder(dnnl_memory_t from, dnnl_memory_t to) {
  dnnl_primitive_desc_t pd;
  dprim d = {0};
  CK(dnnl_reorder_primitive_desc_create(&pd, mem_md(from), eng, mem_md(to), eng, NULL));
  CK(dnnl_primitive_create(&d.p, pd));
  CK(dnnl_primitive_desc_destroy(pd));
  dprim_arg(&d, DNNL_ARG_FROM, from);
  dprim_arg(&d, DNNL_ARG_TO, to);
  return d;
}
static const char *impl_of(const_dnnl_primitive_desc_t pd) {
  const char *s = "?";
  CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s));
  return s;
}
/* oneDNN's format-tag spelling of a blocked layout: dimensions (a = N, b = C, …) outermost first, then the inner
   blocks, e.g. "acdb" for nhwc, "abcd8b" for nChw8c (libdnnl 2.6 exports no such printer). */
static void fmt_of(const dnnl_memory_desc_t *md, char *buf, int n) {
  if (md->format_kind != dnnl_blocked) { snprintf(buf, n, "non-blocked"); return; }
  const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
  int order[DNNL_MAX_NDIMS], len = 0;
  for (int i = 0; i < md->ndims; i++) order[i] = i;
  for (int i = 1; i < md->ndims; i++) /* insertion sort by stride, largest first; ties keep logical order */
    for (int j = i; j > 0 && b->strides[order[j]] > b->strides[order[j - 1]]; j--) {
      int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  for (int i = 0; i < md->ndims && len < n - 1; i++) buf[len++] = (char)('a' + order[i]);
  buf[len] = 0;
  for (int i = 0; i < b->inner_nblks && len < n - 8; i++)
    len += snprintf(buf + len, n - len, "%d%c", (int)b->inner_blks[i], (char)('a' + b->inner_idxs[i]));
}

/* ---- one layer ---- */

typedef struct {
  shape_t s;
  int OH, OW, pt, pb, pl, pr;
  float *x, *w, *y_ours, *y_nhwc, *y_blk, *dy, *mean, *var, *scale, *shift;
  int conv_geom[16], dw_geom[15], pool_geom[12];
} layer_t;

static void ours_run(void *ctx) {
  layer_t *L = ctx;
  const shape_t *s = &L->s;
  switch (s->kind) {
    case K_CONV: ours_conv_forward(L->conv_geom, L->x, L->w, L->y_ours); break;
    case K_DW: ours_depthwise_forward(L->dw_geom, L->x, L->w, L->y_ours); break;
    case K_BN:
      ours_batch_norm_inference(L->x, L->mean, L->var, L->shift, L->scale, 1e-3f, (long)s->B * s->H * s->W, s->C, L->y_ours);
      break;
    case K_MAX: ours_pool_forward(L->pool_geom, L->x, L->y_ours, 0); break;
    case K_AVG: ours_pool_forward(L->pool_geom, L->x, L->y_ours, 1); break;
    case K_CONV_BWW: ours_conv_backprop_filter(L->conv_geom, L->x, L->dy, L->y_ours); break;
  }
}

/* 'same' padding of one axis: out = ⌈in/s⌉, total = max((out−1)·s + k − in, 0), the smaller half before (TF). */
static void same_pad(int in, int k, int s, int *out, int *before, int *after) {
  *out = (in + s - 1) / s;
  int total = (*out - 1) * s + k - in;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - *before;
}

/* Largest |a − b| relative to the largest |a|. */
static double rel_diff(const float *a, const float *b, size_t n) {
  double d = 0, m = 1e-12;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]);
    if (e > d || e != e) d = e != e ? INFINITY : e;
    if (fabs(a[i]) > m) m = fabs(a[i]);
  }
  return d / m;
}

#define MAXC 6
typedef struct {
  const char *name;
  void (*fn)(void *);
  void *ctx;
} cand_t;

/* Longer than either pool's spin before sleeping (ours 300 µs, COMPACT_NETS_SPIN_US; libgomp's similar): with several
   threads, each candidate starts after the other library's workers went to sleep instead of beside them spinning. */
static void let_other_pool_sleep(void) {
  if (cn_threads() > 1) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

/* Times the candidates in rounds: each round runs every candidate once untimed (caches take its data), then
   `reps[c]` timed calls; per[c][r] holds the mean seconds per call of round r. */
static void time_rounds(cand_t *c, int nc, int rounds, double target_s, double per[MAXC][256]) {
  int reps[MAXC];
  for (int i = 0; i < nc; i++) {
    c[i].fn(c[i].ctx);
    double t0 = now_s();
    c[i].fn(c[i].ctx);
    double t = now_s() - t0;
    reps[i] = t <= 0 ? 200 : (int)(target_s / t);
    if (reps[i] < 1) reps[i] = 1;
    if (reps[i] > 200) reps[i] = 200;
  }
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < nc; i++) {
      let_other_pool_sleep();
      c[i].fn(c[i].ctx);
      double t0 = now_s();
      for (int k = 0; k < reps[i]; k++) c[i].fn(c[i].ctx);
      per[i][r] = (now_s() - t0) / reps[i];
    }
  }
}

static int g_first_row = 1;

static void run_layer(const shape_t *s, int threads, int rounds) {
  layer_t L = {.s = *s};
  same_pad(s->H, s->K, s->s, &L.OH, &L.pt, &L.pb);
  same_pad(s->W, s->K, s->s, &L.OW, &L.pl, &L.pr);
  const int B = s->B, C = s->C, CO = s->CO, H = s->H, W = s->W, OH = L.OH, OW = L.OW, K = s->K, G = s->G;
  const size_t nx = (size_t)B * H * W * C, ny = (size_t)B * OH * OW * CO, nw = (size_t)K * K * (C / G) * CO;
  L.x = fill(nx, 1);
  L.w = fill(nw, 2);
  L.dy = fill(ny, 3);
  const size_t nout = s->kind == K_CONV_BWW ? nw : ny;
  L.y_ours = fill(nout, 4);
  L.y_nhwc = fill(nout, 5);
  L.y_blk = fill(nout, 6);
  L.mean = fill(C, 7);
  L.var = fill(C, 8);
  for (int k = 0; k < C; k++) L.var[k] += 1.0f; /* variances must be positive */
  L.scale = fill(C, 9);
  L.shift = fill(C, 10);
  int cg[16] = {B, H, W, C, OH, OW, CO, K, K, s->s, s->s, 1, 1, L.pt, L.pl, G};
  memcpy(L.conv_geom, cg, sizeof cg);
  int dg[15] = {B, H, W, C, 1, OH, OW, K, K, s->s, s->s, 1, 1, L.pt, L.pl};
  memcpy(L.dw_geom, dg, sizeof dg);
  int pg[12] = {B, H, W, C, OH, OW, K, K, s->s, s->s, L.pt, L.pl};
  memcpy(L.pool_geom, pg, sizeof pg);

  const dnnl_dims_t xd = {B, C, H, W}, yd = {B, CO, OH, OW}, st = {s->s, s->s}, dil = {0, 0}, pl = {L.pt, L.pl},
                    pr = {L.pb, L.pr}, kern = {K, K}, cd = {C};
  /* Our filter [KH, KW, C/G, CO]: hwio dense; grouped dims (G, CO/G, C/G, KH, KW) laid out as kh, kw, i, g, o. */
  const dnnl_dims_t wd4 = {CO, C, K, K}, wd5 = {G, CO / G, C / G, K, K};
  dnnl_memory_desc_t x_nhwc = md_tag(4, xd, dnnl_nhwc), y_nhwc = md_tag(4, yd, dnnl_nhwc),
                     w_user = G == 1 ? md_tag(4, wd4, dnnl_hwio) : md_tag(5, wd5, dnnl_hwigo), c_md = md_tag(1, cd, dnnl_a);
  dnnl_memory_desc_t any_x, any_y, any_w;
  CK(dnnl_memory_desc_init_by_tag(&any_x, 4, xd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&any_y, 4, yd, dnnl_f32, dnnl_format_tag_any));
  if (G == 1) CK(dnnl_memory_desc_init_by_tag(&any_w, 4, wd4, dnnl_f32, dnnl_format_tag_any));
  else CK(dnnl_memory_desc_init_by_tag(&any_w, 5, wd5, dnnl_f32, dnnl_format_tag_any));
  dnnl_memory_t mx = mem(&x_nhwc, L.x), my_nhwc = mem(s->kind == K_CONV_BWW ? &w_user : &y_nhwc, L.y_nhwc),
                my_blk = mem(&y_nhwc, L.y_blk), mw = mem(&w_user, L.w), mdy = mem(&y_nhwc, L.dy);

  cand_t cand[MAXC];
  int nc = 0;
  cand[nc++] = (cand_t){"ours", ours_run, &L};
  dprim p_nhwc = {0}, p_blk = {0}, r_w = {0}, r_in = {0}, r_out = {0}, r_w2 = {0};
  int have_blk = 0, have_rw = 0, have_rin = 0, have_rout = 0;
  char fmt_nhwc[128] = "nhwc", fmt_blk[192] = "", impl_nhwc[128] = "", impl_blk[128] = "";
  dnnl_primitive_desc_t pd = NULL, pd2 = NULL;

  if (s->kind == K_CONV || s->kind == K_DW) {
    dnnl_convolution_desc_t d;
    /* NHWC activations, weights in the primitive's format. */
    CK(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &x_nhwc, &any_w,
                                                  NULL, &y_nhwc, st, dil, pl, pr));
    CK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_t mw1 = dnnl_memory_desc_equal(wq, &w_user) ? mw : mem(wq, NULL);
    if (mw1 != mw) { r_w = reorder(mw, mw1); have_rw = 1; dprim_run(&r_w); }
    fmt_of(wq, fmt_nhwc, sizeof fmt_nhwc);
    snprintf(impl_nhwc, sizeof impl_nhwc, "%s", impl_of(pd));
    CK(dnnl_primitive_create(&p_nhwc.p, pd));
    dprim_arg(&p_nhwc, DNNL_ARG_SRC, mx);
    dprim_arg(&p_nhwc, DNNL_ARG_WEIGHTS, mw1);
    dprim_arg(&p_nhwc, DNNL_ARG_DST, my_nhwc);
    /* Every format its choice. */
    CK(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &any_x, &any_w,
                                                  NULL, &any_y, st, dil, pl, pr));
    CK(dnnl_primitive_desc_create(&pd2, &d, NULL, eng, NULL));
    const dnnl_memory_desc_t *xq = dnnl_primitive_desc_query_md(pd2, dnnl_query_src_md, 0),
                             *yq = dnnl_primitive_desc_query_md(pd2, dnnl_query_dst_md, 0),
                             *wq2 = dnnl_primitive_desc_query_md(pd2, dnnl_query_weights_md, 0);
    dnnl_memory_t mx2 = dnnl_memory_desc_equal(xq, &x_nhwc) ? mx : mem(xq, NULL),
                  my2 = dnnl_memory_desc_equal(yq, &y_nhwc) ? my_blk : mem(yq, NULL),
                  mw2 = dnnl_memory_desc_equal(wq2, &w_user) ? mw : mem(wq2, NULL);
    if (mw2 != mw) { r_w2 = reorder(mw, mw2); dprim_run(&r_w2); }
    if (mx2 != mx) { r_in = reorder(mx, mx2); have_rin = 1; }
    if (my2 != my_blk) { r_out = reorder(my2, my_blk); have_rout = 1; }
    char a[48], b[48], c[48];
    fmt_of(xq, a, sizeof a); fmt_of(wq2, b, sizeof b); fmt_of(yq, c, sizeof c);
    snprintf(fmt_blk, sizeof fmt_blk, "src %s wei %s dst %s", a, b, c);
    snprintf(impl_blk, sizeof impl_blk, "%s", impl_of(pd2));
    CK(dnnl_primitive_create(&p_blk.p, pd2));
    dprim_arg(&p_blk, DNNL_ARG_SRC, mx2);
    dprim_arg(&p_blk, DNNL_ARG_WEIGHTS, mw2);
    dprim_arg(&p_blk, DNNL_ARG_DST, my2);
    have_blk = 1;
  } else if (s->kind == K_CONV_BWW) {
    dnnl_convolution_desc_t fd, bd;
    dnnl_primitive_desc_t hint;
    CK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &x_nhwc, &any_w,
                                                  NULL, &y_nhwc, st, dil, pl, pr));
    CK(dnnl_primitive_desc_create(&hint, &fd, NULL, eng, NULL));
    CK(dnnl_dilated_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &x_nhwc, &any_w, NULL, &y_nhwc,
                                                           st, dil, pl, pr));
    CK(dnnl_primitive_desc_create(&pd, &bd, NULL, eng, hint));
    CK(dnnl_primitive_desc_destroy(hint));
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0);
    dnnl_memory_t mdw = dnnl_memory_desc_equal(wq, &w_user) ? my_nhwc : mem(wq, NULL);
    /* The gradient in our filter layout: the primitive's output, reordered when its format differs. */
    if (mdw != my_nhwc) { r_w = reorder(mdw, my_nhwc); have_rw = 1; }
    fmt_of(wq, fmt_nhwc, sizeof fmt_nhwc);
    snprintf(impl_nhwc, sizeof impl_nhwc, "%s", impl_of(pd));
    CK(dnnl_primitive_create(&p_nhwc.p, pd));
    dprim_arg(&p_nhwc, DNNL_ARG_SRC, mx);
    dprim_arg(&p_nhwc, DNNL_ARG_DIFF_DST, mdy);
    dprim_arg(&p_nhwc, DNNL_ARG_DIFF_WEIGHTS, mdw);
  } else {
    /* Batch norm and pooling: NHWC, and oneDNN's blocked layout (one vector of channels per block: nChw16c with
       AVX-512, nChw8c with AVX2) with reorders around it; their sources cannot take format `any`. */
    const dnnl_dims_t *od = s->kind == K_BN ? &xd : &yd;
    const dnnl_format_tag_t blk_tag = dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx512_core ? dnnl_nChw16c : dnnl_nChw8c;
    dnnl_memory_desc_t x8 = md_tag(4, xd, blk_tag), y8 = md_tag(4, *od, blk_tag);
    for (int v = 0; v < 2; v++) {
      const dnnl_memory_desc_t *xm = v ? &x8 : &x_nhwc, *ym = v ? &y8 : &y_nhwc;
      dnnl_primitive_desc_t *p = v ? &pd2 : &pd;
      if (s->kind == K_BN) {
        dnnl_batch_normalization_desc_t d;
        CK(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, xm, 1e-3f,
                                                      dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift));
        CK(dnnl_primitive_desc_create(p, &d, NULL, eng, NULL));
      } else {
        dnnl_pooling_v2_desc_t d;
        CK(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference,
                                             s->kind == K_MAX ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding, xm,
                                             ym, st, kern, dil, pl, pr));
        CK(dnnl_primitive_desc_create(p, &d, NULL, eng, NULL));
      }
    }
    snprintf(impl_nhwc, sizeof impl_nhwc, "%s", impl_of(pd));
    snprintf(impl_blk, sizeof impl_blk, "%s", impl_of(pd2));
    snprintf(fmt_blk, sizeof fmt_blk, blk_tag == dnnl_nChw16c ? "nChw16c" : "nChw8c");
    dnnl_memory_t mx2 = mem(&x8, NULL), my2 = mem(&y8, NULL);
    r_in = reorder(mx, mx2);
    r_out = reorder(my2, my_blk);
    have_rin = have_rout = 1;
    dnnl_memory_t mmean = mem(&c_md, L.mean), mvar = mem(&c_md, L.var), msc = mem(&c_md, L.scale), msh = mem(&c_md, L.shift);
    for (int v = 0; v < 2; v++) {
      dprim *d = v ? &p_blk : &p_nhwc;
      CK(dnnl_primitive_create(&d->p, v ? pd2 : pd));
      dprim_arg(d, DNNL_ARG_SRC, v ? mx2 : mx);
      dprim_arg(d, DNNL_ARG_DST, v ? my2 : my_nhwc);
      if (s->kind == K_BN) {
        dprim_arg(d, DNNL_ARG_MEAN, mmean);
        dprim_arg(d, DNNL_ARG_VARIANCE, mvar);
        dprim_arg(d, DNNL_ARG_SCALE, msc);
        dprim_arg(d, DNNL_ARG_SHIFT, msh);
      }
    }
    have_blk = 1;
  }

  /* Correctness: ours against oneDNN NHWC, and the blocked path's result after its reorders. */
  ours_run(&L);
  dprim_run(&p_nhwc);
  if (s->kind == K_CONV_BWW && have_rw) dprim_run(&r_w);
  double diff_nhwc = rel_diff(L.y_ours, L.y_nhwc, nout), diff_blk = -1;
  if (have_blk) {
    if (have_rin) dprim_run(&r_in);
    dprim_run(&p_blk);
    if (have_rout) dprim_run(&r_out);
    diff_blk = rel_diff(L.y_ours, L.y_blk, nout);
  }
  if (diff_nhwc > 1e-4 || diff_blk > 1e-4)
    fprintf(stderr, "WARNING %s (%s): ours and oneDNN differ: %.2e (nhwc), %.2e (blocked)\n", s->name, s->where,
            diff_nhwc, diff_blk);

  int i_nhwc = nc;
  cand[nc++] = (cand_t){"dnnl-nhwc", dprim_run, &p_nhwc};
  int i_blk = -1, i_rin = -1, i_rout = -1, i_rw = -1;
  if (have_blk) { i_blk = nc; cand[nc++] = (cand_t){"dnnl-blocked", dprim_run, &p_blk}; }
  if (have_rin) { i_rin = nc; cand[nc++] = (cand_t){"in-reorder", dprim_run, &r_in}; }
  if (have_rout) { i_rout = nc; cand[nc++] = (cand_t){"out-reorder", dprim_run, &r_out}; }
  if (have_rw) { i_rw = nc; cand[nc++] = (cand_t){s->kind == K_CONV_BWW ? "dw-reorder" : "w-reorder", dprim_run, &r_w}; }

  static double per[MAXC][256];
  time_rounds(cand, nc, rounds, 3e-3, per);
  double med[MAXC], ratio_r[256] = {0};
  for (int i = 0; i < nc; i++) med[i] = median(per[i], rounds);
  for (int r = 0; r < rounds; r++) ratio_r[r] = per[0][r] / per[i_nhwc][r];
  const double rmed = median(ratio_r, rounds);
  double rmin = ratio_r[0], rmax = ratio_r[0];
  for (int r = 1; r < rounds; r++) { if (ratio_r[r] < rmin) rmin = ratio_r[r]; if (ratio_r[r] > rmax) rmax = ratio_r[r]; }
  /* The blocked path as a drop-in for an NHWC kernel pays its reorders (and, for convolutions in training, w-reorder). */
  double blk_total = i_blk < 0 ? NAN : med[i_blk] + (i_rin >= 0 ? med[i_rin] : 0) + (i_rout >= 0 ? med[i_rout] : 0);

  char jb[32] = "null", jbr[32] = "null";
  if (i_blk >= 0) { snprintf(jb, sizeof jb, "%.4f", med[0] / med[i_blk]); snprintf(jbr, sizeof jbr, "%.4f", med[0] / blk_total); }
  printf("{\"layer\":\"%s\",\"where\":\"%s\",\"kind\":\"%s\",\"threads\":%d,\"B\":%d,\"H\":%d,\"W\":%d,\"C\":%d,\"CO\":%d,"
         "\"K\":%d,\"stride\":%d,\"groups\":%d,\"rounds\":%d,\"us\":{",
         s->name, s->where, KIND_NAMES[s->kind], threads, B, H, W, C, CO, K, s->s, G, rounds);
  for (int i = 0; i < nc; i++) printf("%s\"%s\":%.3f", i ? "," : "", cand[i].name, 1e6 * med[i]);
  printf("},\"ratioOursToDnnlNhwc\":%.4f,\"roundRatioMedian\":%.4f,\"roundRatioRange\":[%.4f,%.4f],\"ratioOursToDnnlBlocked\":%s,"
         "\"ratioOursToDnnlBlockedWithReorders\":%s,\"implNhwc\":\"%s\",\"implBlocked\":\"%s\",\"weightsFormatNhwc\":\"%s\","
         "\"formatsBlocked\":\"%s\",\"relDiffNhwc\":%.2e,\"relDiffBlocked\":%.2e,\"loadAvg1m\":%.2f}\n",
         med[0] / med[i_nhwc], rmed, rmin, rmax, jb, jbr,
         impl_nhwc, impl_blk, fmt_nhwc, fmt_blk, diff_nhwc, diff_blk, load_avg());
  fflush(stdout);
  if (g_first_row) {
    fprintf(stderr, "| layer | where | threads | ours µs | oneDNN nhwc µs | ours/oneDNN nhwc (per-round median, range) | oneDNN blocked µs "
                    "(+ reorders in/out) | ours/oneDNN blocked+reorders | w/dW reorder µs | oneDNN impl |\n");
    fprintf(stderr, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    g_first_row = 0;
  }
  char blk[96] = "—", rb[32] = "—", rw[32] = "—";
  if (i_blk >= 0) {
    snprintf(blk, sizeof blk, "%.1f (+%.1f/+%.1f)", 1e6 * med[i_blk], i_rin >= 0 ? 1e6 * med[i_rin] : 0.0,
             i_rout >= 0 ? 1e6 * med[i_rout] : 0.0);
    snprintf(rb, sizeof rb, "%.2f", med[0] / blk_total);
  }
  if (i_rw >= 0) snprintf(rw, sizeof rw, "%.1f", 1e6 * med[i_rw]);
  fprintf(stderr, "| %s | %s | %d | %.1f | %.1f | %.2f (%.2f, %.2f–%.2f) | %s | %s | %s | %s |\n", s->name, s->where,
          threads, 1e6 * med[0], 1e6 * med[i_nhwc], med[0] / med[i_nhwc], rmed, rmin, rmax, blk, rb, rw, impl_nhwc);
  /* Primitives, descriptors and buffers are freed at exit: a few hundred MB at most over the whole run. */
}

int main(int argc, char **argv) {
  int rounds = 25, tlist[2] = {1, 2}, nt = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads")) {
      nt = sscanf(argv[i + 1], "%d,%d", &tlist[0], &tlist[1]);
    } else {
      fprintf(stderr, "dnnl-compare: unknown option %s (options: --rounds R, --threads 1,2)\n", argv[i]);
      return 2;
    }
  }
  if (rounds < 3 || rounds > 256 || nt < 1 || tlist[0] < 1 || (nt > 1 && tlist[1] < 1)) {
    fprintf(stderr, "dnnl-compare: --rounds %d must be in [3, 256] and --threads a list of 1 or 2 counts ≥ 1\n", rounds);
    return 2;
  }
  CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
  CK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
  const dnnl_version_t *v = dnnl_version();
  printf("{\"header\":true,\"dnnl\":\"%d.%d.%d\",\"dnnlHash\":\"%s\",\"dnnlCpuRuntime\":%u,\"ourGemm\":\"%s\","
         "\"isa\":%d,\"loadAvg1m\":%.2f}\n",
         v->major, v->minor, v->patch, v->hash, v->cpu_runtime, cn_blas_name(), (int)dnnl_get_effective_cpu_isa(), load_avg());
  for (int t = 0; t < nt; t++) {
    cn_set_threads(tlist[t]);
    omp_set_num_threads(tlist[t]); /* before the primitives exist: oneDNN sizes its kernels' work split at creation */
    for (int i = 0; i < NSHAPES; i++) run_layer(&SHAPES[i], tlist[t], rounds);
  }
  return 0;
}
