/*
 * Roofline probe: the attainable rates of this machine, as JSON on stdout (bench/roofline.ts reads it).
 *  - GEMM peak (GMAC/s): square row-major sgemm C = A·B of side N through cn_sgemm (native/src/gemm.c), with our
 *    built-in GEMM and with OpenBLAS (when libopenblas.so.0 loads), and oneDNN's dnnl_sgemm when built with
 *    -DPROBE_DNNL (bench/c/build.sh does so where libdnnl-dev is installed: its AVX-512 kernels set the machine's peak
 *    where OpenBLAS runs AVX2 ones), at 1 and 2 threads.
 *  - Streaming bandwidth (GB/s): STREAM-style copy (a = b, 8 bytes per element) and triad (a = b + s·c, 12 bytes per
 *    element; write-allocate traffic not counted, as STREAM does) over arrays far larger than the caches, split on
 *    our thread pool (cn_parallel_for) so the 2-thread figure uses the threads our kernels use.
 * The machine is shared and its speed drifts, so candidates alternate in rounds; each result gives the median and the
 * best round. The best is the machine's capacity (a round that ran undisturbed); the median, what a shared machine gave.
 * Usage: probe [--gemm-n N] [--rounds R] [--mb MB]   (built by bench/c/build.sh)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cn.h"
#include "timing.h"
#ifdef PROBE_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

/* Sorts v[0..n) and returns its median. */
static double median(double *v, int n) { return median_sorting(v, n); }
/* Largest of v[0..n) once median() has sorted it. */
static double best(const double *sorted, int n) { return sorted[n - 1]; }

typedef struct { float *a, *b, *c; } stream_arrays;
static void copy_range(void *ctx, long i0, long i1) {
  stream_arrays *s = ctx;
  for (long i = i0; i < i1; i++) s->a[i] = s->b[i];
}
static void triad_range(void *ctx, long i0, long i1) {
  stream_arrays *s = ctx;
  for (long i = i0; i < i1; i++) s->a[i] = s->b[i] + 3.0f * s->c[i];
}

static void load_avg(double *l1) {
  FILE *f = fopen("/proc/loadavg", "r");
  *l1 = -1;
  if (f) { if (fscanf(f, "%lf", l1) != 1) *l1 = -1; fclose(f); }
}

int main(int argc, char **argv) {
  int n = 1024, rounds = 61; /* calls of a few ms: on a shared machine some rounds run between other tasks' slices */
  long mb = 64; /* per array: 2–3 arrays are 128–192 MB, past the L3 of the machines this runs on */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--gemm-n")) n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--mb")) mb = atol(argv[i + 1]);
    else { fprintf(stderr, "probe: unknown option %s (options: --gemm-n N, --rounds R, --mb MB)\n", argv[i]); return 2; }
  }
  if (n < 64 || rounds < 1 || mb < 16) {
    fprintf(stderr, "probe: --gemm-n %d must be ≥ 64, --rounds %d ≥ 1, --mb %ld ≥ 16\n", n, rounds, mb);
    return 2;
  }
  double load0;
  load_avg(&load0);
  float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n), *C = malloc(sizeof(float) * n * n);
  long len = mb * (1L << 20) / 4;
  stream_arrays s = {malloc(sizeof(float) * len), malloc(sizeof(float) * len), malloc(sizeof(float) * len)};
  if (!A || !B || !C || !s.a || !s.b || !s.c) { fprintf(stderr, "probe: out of memory (--mb %ld too large?)\n", mb); return 1; }
  for (long i = 0; i < (long)n * n; i++) { A[i] = (float)(i % 17) * 0.01f; B[i] = (float)(i % 13) * 0.02f; }
  for (long i = 0; i < len; i++) { s.a[i] = 0; s.b[i] = 1; s.c[i] = 2; } /* touches every page before timing */
  const int have_openblas = strcmp(cn_blas_select(CN_GEMM_OPENBLAS), "openblas") == 0;
  printf("{\"probe\":\"bench/c/probe.c\",\"gemmN\":%d,\"rounds\":%d,\"arrayMB\":%ld,\"openblas\":%s,\"results\":[", n, rounds,
         mb, have_openblas ? "true" : "false");
  int first = 1;
  for (int t = 1; t <= 2; t++) {
    cn_set_threads(t);
    /* GEMMs in turn each round (builtin, OpenBLAS, oneDNN, builtin, …): drift hits all alike. */
    const char *names[3] = {"builtin", "openblas", "dnnl"};
    int which[3], nm = 0;
    which[nm++] = 0;
    if (have_openblas) which[nm++] = 1;
#ifdef PROBE_DNNL
    which[nm++] = 2;
    omp_set_num_threads(t);
#endif
    double g[3][64], bw[2][64];
    for (int r = 0; r < rounds && r < 64; r++) {
      for (int m = 0; m < nm; m++) {
        for (int rep = 0; rep < 2; rep++) { /* first call warms packing buffers and waits out the other pool's spin */
          double t0 = now_s();
          if (which[m] < 2) {
            cn_blas_select(which[m] == 0 ? CN_GEMM_BUILTIN : CN_GEMM_OPENBLAS);
            cn_sgemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
          } else {
#ifdef PROBE_DNNL
            if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, A, n, B, n, 0.0f, C, n) != dnnl_success) {
              fprintf(stderr, "probe: dnnl_sgemm failed for n = %d\n", n);
              return 1;
            }
#endif
          }
          g[m][r] = (double)n * n * n / (now_s() - t0);
        }
      }
      double t0 = now_s();
      cn_parallel_for(len, copy_range, &s);
      double t1 = now_s();
      cn_parallel_for(len, triad_range, &s);
      double t2 = now_s();
      bw[0][r] = 8.0 * len / (t1 - t0);
      bw[1][r] = 12.0 * len / (t2 - t1);
    }
    const int R = rounds < 64 ? rounds : 64;
    for (int m = 0; m < nm; m++) {
      const double med = median(g[m], R);
      printf("%s{\"threads\":%d,\"what\":\"gemm\",\"gemm\":\"%s\",\"gmacPerSec\":%.3f,\"gmacPerSecBest\":%.3f}",
             first ? "" : ",", t, names[which[m]], med / 1e9, best(g[m], R) / 1e9);
      first = 0;
    }
    for (int k = 0; k < 2; k++) {
      const double med = median(bw[k], R);
      printf(",{\"threads\":%d,\"what\":\"bandwidth\",\"kernel\":\"%s\",\"gbPerSec\":%.3f,\"gbPerSecBest\":%.3f}", t,
             k ? "triad" : "copy", med / 1e9, best(bw[k], R) / 1e9);
    }
  }
  double load1;
  load_avg(&load1);
  printf("],\"loadAvg1mBefore\":%.2f,\"loadAvg1mAfter\":%.2f}\n", load0, load1);
  return 0;
}
