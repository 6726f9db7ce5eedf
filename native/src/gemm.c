/*
 * Single-precision GEMM: the system OpenBLAS when it can be loaded at run time (the same library Debian's PyTorch
 * uses), else a built-in blocked kernel written with GCC/Clang vector extensions (compiled for the build machine);
 * and the bias + activation epilogue that the convolutions and matrix products apply to its result.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "cn.h"

typedef void (*cblas_sgemm_fn)(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A,
                               int lda, const float *B, int ldb, float beta, float *C, int ldc);
typedef void (*openblas_threads_fn)(int);

static cblas_sgemm_fn g_cblas = 0;
static openblas_threads_fn g_blas_threads = 0;
/* Which GEMM runs: CN_GEMM_BUILTIN, CN_GEMM_OPENBLAS (every product) or CN_GEMM_AUTO (per shape, see use_openblas). */
static int g_mode = CN_GEMM_BUILTIN;
static int g_blas_tried = 0;

static void load_blas(void) {
  if (g_blas_tried) return;
  g_blas_tried = 1;
  const char *force = getenv("COMPACT_NETS_BLAS");
  if (force && strcmp(force, "builtin") == 0) return;
  /* OpenBLAS workers spin ~0.1 s after each call by default (2^28 cycles), stealing the cores our own pool needs
     between GEMMs; 2^16 cycles is enough to bridge back-to-back GEMMs. A user's own setting wins. */
  setenv("OPENBLAS_THREAD_TIMEOUT", "16", 0);
  const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.0.dylib", 0};
  for (int i = 0; names[i]; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    g_cblas = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    g_blas_threads = (openblas_threads_fn)dlsym(h, "openblas_set_num_threads");
    if (g_cblas) {
      g_mode = force && strcmp(force, "openblas") == 0 ? CN_GEMM_OPENBLAS : CN_GEMM_AUTO;
      if (g_blas_threads) g_blas_threads(cn_threads());
      return;
    }
  }
}

const char *cn_blas_name(void) {
  load_blas();
  return g_mode == CN_GEMM_AUTO ? "builtin+openblas" : g_mode == CN_GEMM_OPENBLAS ? "openblas" : "builtin";
}

void cn_blas_set_threads(int n) {
  load_blas();
  if (g_blas_threads) g_blas_threads(n);
}

/* Chooses the GEMM: CN_GEMM_BUILTIN, CN_GEMM_OPENBLAS or CN_GEMM_AUTO (the last two only if OpenBLAS loaded, else
   built-in). Returns the name now in use. */
const char *cn_blas_select(int mode) {
  load_blas();
  g_mode = g_cblas != 0 && (mode == CN_GEMM_OPENBLAS || mode == CN_GEMM_AUTO) ? mode : CN_GEMM_BUILTIN;
  return cn_blas_name();
}

/* ---------------- built-in kernel ----------------
 * A BLIS-style blocked GEMM: B is packed per (KC × NC) block into NR-column panels (shared by all threads), a
 * transposed A per (MC × KC) block into MR-row panels (per thread; untransposed A is read in place, its rows being
 * contiguous), and an MR×NR register tile of FMAs runs over them. Packing absorbs the transposes, so no transposed
 * copies are made; with beta = 0 the first K block stores instead of accumulating, so C is never zeroed first. The
 * last K block applies the optional epilogue (bias per column, activation) to each tile while it is in registers, so
 * convolutions need no second pass over their output.
 * Two tiles, chosen at compile time (-march=native):
 *  - AVX-512 (32 zmm registers): 14×32, 28 accumulators + 2 B vectors + 1 broadcast. On cores with full-width
 *    512-bit FMA units (Zen 5, Intel server cores) this doubles the FMAs per instruction of the AVX2 tile; 14 rows
 *    divide the pixel counts of 224² networks (112², 56², 28², 14² are multiples of 14; 7² = 3.5 tiles).
 *  - otherwise AVX2 with FMA (16 ymm registers): 6×16, 12 accumulators + 2 B vectors + 1 broadcast.
 * AVX2: KC·NR·4 = 16 KB of B per micro-panel stays in L1, MC·KC·4 of A in L2, KC·NC·4 = 4 MB of B in L3; AVX-512:
 * 64 KB micro-panels from L2 (see KC), also 4 MB B blocks.
 */
/* aligned(4) + may_alias: unaligned vector loads/stores by plain dereference (memcpy makes GCC 12 bounce the
 * vectors through the stack in 16-byte halves, a 6× slowdown of the inner loop). */
typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));

#if defined(__AVX512F__)
#include <immintrin.h>
#define MR 14
#define NR 32
#define MC 112  /* multiple of MR */
/* K block: 512 measured 1–3.5 % faster than 256 on the 224² zoo's plans (fewer passes over C for K = 320…1024) and
   1.5–10 % on large products (M 2048–8192, K 288–1152); its 64 KB B micro-panel is read from L2, which keeps up. */
#define KC 512
#define NC 2048 /* multiple of NR; KC·NC·4 = 4 MB of packed B per thread, as with the AVX2 blocking */
#define FUSED_EPILOGUE 1 /* the tile applies bias + activation in registers (store_tile) */
#else
#define MR 6
#define NR 16
#define MC 96   /* multiple of MR */
#define KC 256
#define NC 4096 /* multiple of NR */
/* The 6×16 tile's scalar epilogue per tile measured 1.2–1.5× slower than one pass over C afterwards (relu6 layers of
   MobileNet V2): without AVX-512 the epilogue runs as that pass (epilogue_pass). */
#define FUSED_EPILOGUE 0
#endif

static inline v8 load8(const float *p) { return *(const v8 *)p; }
static inline void store8(float *p, v8 v) { *(v8 *)p = v; }

/* The epilogue of the last K block: C = act(C + bias[col]) (bias may be NULL; NULL epilogue: nothing). */
typedef struct {
  const float *bias; /* indexed by the column of C (already offset to the product's first column) */
  int act;
  float alpha;
} gemm_epi;


/* The epilogue on a finished mr × nr tile of C at column j (the AVX2 tile, one-row products, OpenBLAS results; the
   tile is still in L1). One loop per activation, so that each vectorises (a switch per element does not: 4–5× slower
   for the relu6 layers of MobileNet V2). */
static void epi_tile(const gemm_epi *e, float *C, int ldc, int mr, int nr, int j) {
  const float *bias = e->bias ? e->bias + j : 0;
  const float alpha = e->alpha;
  for (int r = 0; r < mr; r++) {
    float *restrict c = C + (size_t)r * ldc;
    if (bias) for (int q = 0; q < nr; q++) c[q] += bias[q];
    switch (e->act) {
      case CN_ACT_RELU: for (int q = 0; q < nr; q++) c[q] = cn_act(c[q], CN_ACT_RELU, alpha); break;
      case CN_ACT_RELU6: for (int q = 0; q < nr; q++) c[q] = cn_act(c[q], CN_ACT_RELU6, alpha); break;
      case CN_ACT_LEAKYRELU: for (int q = 0; q < nr; q++) c[q] = cn_act(c[q], CN_ACT_LEAKYRELU, alpha); break;
      default: break;
    }
  }
}

/* Per-thread packing buffers, grown on demand (the pool's workers live as long as the process). */
static __thread float *t_apack, *t_bpack;
static __thread size_t t_apack_len, t_bpack_len;

/* Packs rows i0..i0+mc of op(A), columns k0..k0+kc, as MR-row panels [kc][MR] (rows past mc are zero). */
static void pack_a(int transA, const float *A, int lda, int i0, int mc, int k0, int kc, float *Ap) {
  for (int p = 0; p < mc; p += MR, Ap += (size_t)kc * MR) {
    int mr = mc - p < MR ? mc - p : MR;
    if (transA) { /* op(A)(i, k) = A[k, i]: the MR rows of one k are contiguous */
      for (int k = 0; k < kc; k++) {
        const float *src = A + (size_t)(k0 + k) * lda + i0 + p;
        float *dst = Ap + (size_t)k * MR;
        for (int r = 0; r < mr; r++) dst[r] = src[r];
        for (int r = mr; r < MR; r++) dst[r] = 0.0f;
      }
    } else {
      for (int r = 0; r < MR; r++) {
        if (r < mr) {
          const float *src = A + (size_t)(i0 + p + r) * lda + k0;
          for (int k = 0; k < kc; k++) Ap[(size_t)k * MR + r] = src[k];
        } else {
          for (int k = 0; k < kc; k++) Ap[(size_t)k * MR + r] = 0.0f;
        }
      }
    }
  }
}

/* Packs columns j0..j0+nc of op(B), rows k0..k0+kc, as NR-column panels [kc][NR] (columns past nc are zero). */
static void pack_b(int transB, const float *B, int ldb, int j0, int nc, int k0, int kc, float *Bp) {
  for (int q = 0; q < nc; q += NR, Bp += (size_t)kc * NR) {
    int nr = nc - q < NR ? nc - q : NR;
    if (!transB) {
      for (int k = 0; k < kc; k++) {
        const float *src = B + (size_t)(k0 + k) * ldb + j0 + q;
        float *dst = Bp + (size_t)k * NR;
        if (nr == NR) memcpy(dst, src, sizeof(float) * NR);
        else {
          for (int j = 0; j < nr; j++) dst[j] = src[j];
          for (int j = nr; j < NR; j++) dst[j] = 0.0f;
        }
      }
    } else { /* op(B)(k, j) = B[j, k] */
      for (int j = 0; j < NR; j++) {
        if (j < nr) {
          const float *src = B + (size_t)(j0 + q + j) * ldb + k0;
          for (int k = 0; k < kc; k++) Bp[(size_t)k * NR + j] = src[k];
        } else {
          for (int k = 0; k < kc; k++) Bp[(size_t)k * NR + j] = 0.0f;
        }
      }
    }
  }
}

#if defined(__AVX512F__)
/* act(v) on 16 lanes; compare-and-blend (not max/min, which turn NaN into the bound). */
static inline __m512 act16(__m512 v, int act, float alpha) {
  const __m512 zero = _mm512_setzero_ps();
  switch (act) {
    case CN_ACT_RELU: return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);
    case CN_ACT_RELU6: {
      const __m512 six = _mm512_set1_ps(6.0f);
      v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);
      return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, six, _CMP_GT_OQ), six);
    }
    case CN_ACT_LEAKYRELU:
      return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(alpha));
    default: return v;
  }
}

/* One finished 16-lane row piece: [c +] alpha·acc, then the epilogue (bias, activation `act`). Full pieces use plain
   loads and stores; edge pieces are masked (lanes outside `m` are neither read nor written, so edge tiles never touch
   memory past C's columns). alpha = 1 (every convolution) skips the multiply: 1·x = x exactly. */
static inline __attribute__((always_inline)) void store16(float *c, __m512 acc, int full, __mmask16 m, float alpha,
                                                          int overwrite, const float *bias, int act, float slope) {
  __m512 v = alpha == 1.0f ? acc : _mm512_mul_ps(_mm512_set1_ps(alpha), acc);
  if (!overwrite) v = _mm512_add_ps(full ? _mm512_loadu_ps(c) : _mm512_maskz_loadu_ps(m, c), v);
  if (bias) v = _mm512_add_ps(v, full ? _mm512_loadu_ps(bias) : _mm512_maskz_loadu_ps(m, bias));
  v = act16(v, act, slope);
  if (full) _mm512_storeu_ps(c, v);
  else _mm512_mask_storeu_ps(c, m, v);
}

/* Stores an mr × (16·halves) tile of accumulators; `act` is a constant at each call site (see store_tile). */
static inline __attribute__((always_inline)) void store_tile_act(float *C, int ldc, const __m512 *c0, const __m512 *c1,
                                                                 int mr, int nr, float alpha, int overwrite,
                                                                 const float *bias, int act, float slope) {
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; r++) {
      float *c = C + (size_t)r * ldc;
      store16(c, c0[r], 1, 0xFFFF, alpha, overwrite, bias, act, slope);
      store16(c + 16, c1[r], 1, 0xFFFF, alpha, overwrite, bias ? bias + 16 : 0, act, slope);
    }
    return;
  }
  const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1u);
  const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : 0;
  for (int r = 0; r < mr; r++) {
    float *c = C + (size_t)r * ldc;
    store16(c, c0[r], m0 == 0xFFFF, m0, alpha, overwrite, bias, act, slope);
    if (c1 && m1) store16(c + 16, c1[r], m1 == 0xFFFF, m1, alpha, overwrite, bias ? bias + 16 : 0, act, slope);
  }
}

/* The tile store with the activation switch hoisted out of the per-vector code. c1 NULL: a 16-column tile. */
static void store_tile(float *C, int ldc, const __m512 *c0, const __m512 *c1, int mr, int nr, float alpha,
                       int overwrite, const gemm_epi *e, int j) {
  const float *bias = e && e->bias ? e->bias + j : 0;
  switch (e ? e->act : CN_ACT_LINEAR) {
    case CN_ACT_RELU: store_tile_act(C, ldc, c0, c1, mr, nr, alpha, overwrite, bias, CN_ACT_RELU, 0.0f); break;
    case CN_ACT_RELU6: store_tile_act(C, ldc, c0, c1, mr, nr, alpha, overwrite, bias, CN_ACT_RELU6, 0.0f); break;
    case CN_ACT_LEAKYRELU: store_tile_act(C, ldc, c0, c1, mr, nr, alpha, overwrite, bias, CN_ACT_LEAKYRELU, e->alpha); break;
    default: store_tile_act(C, ldc, c0, c1, mr, nr, alpha, overwrite, bias, CN_ACT_LINEAR, 0.0f); break;
  }
}

/*
 * C[0:mr, 0:nr] (+)= alpha · A (MR×kc) · Bp (kc×NR panel), 14×32 register tile (or 14×16 when nr ≤ 16: half the
 * FMAs for narrow outputs). A(r, k) = Ap[r·rs + k·ks]: a packed panel (rs 1, ks MR) or, for untransposed A, the matrix
 * rows themselves (rs lda, ks 1). Rows past mr are computed (A holds zeros or valid rows there) but not stored.
 * always_inline: each call site gets its own copy with rs/ks folded.
 */
static inline __attribute__((always_inline)) void micro_avx512(int kc, const float *restrict Ap, long rs, long ks,
                                                               const float *restrict Bp, float *C, int ldc, int mr,
                                                               int nr, float alpha, int overwrite, const gemm_epi *e,
                                                               int j, const int ROWS) {
  __m512 c0[MR], c1[MR];
  for (int r = ROWS; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps(); /* never stored (mr ≤ ROWS) */
  if (nr > 16) {
    for (int r = 0; r < ROWS; r++) c0[r] = c1[r] = _mm512_setzero_ps();
    for (long k = 0; k < kc; k++, Bp += NR) {
      const __m512 b0 = _mm512_loadu_ps(Bp), b1 = _mm512_loadu_ps(Bp + 16);
      const float *a = Ap + k * ks;
      for (int r = 0; r < ROWS; r++) {
        const __m512 av = _mm512_set1_ps(a[r * rs]);
        c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
      }
    }
    store_tile(C, ldc, c0, c1, mr, nr, alpha, overwrite, e, j);
  } else {
    for (int r = 0; r < ROWS; r++) c0[r] = _mm512_setzero_ps();
    for (long k = 0; k < kc; k++, Bp += NR) {
      const __m512 b0 = _mm512_loadu_ps(Bp);
      const float *a = Ap + k * ks;
      for (int r = 0; r < ROWS; r++) c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * rs]), b0, c0[r]);
    }
    store_tile(C, ldc, c0, 0, mr, nr, alpha, overwrite, e, j);
  }
}

/* The two instantiations: A packed in MR-row panels, and untransposed A read in place (row stride lda). */
/* Partial panels of at most MR/2 rows (the 7-row tail of a 7×7 map, the last row of 13×13 = 12·14 + 1) run a
   half-height tile: half the FMAs of computing zero rows. */
static void micro_packed(int kc, const float *Ap, const float *Bp, float *C, int ldc, int mr, int nr, float alpha,
                         int overwrite, const gemm_epi *e, int j) {
  if (mr <= MR / 2) micro_avx512(kc, Ap, 1, MR, Bp, C, ldc, mr, nr, alpha, overwrite, e, j, MR / 2);
  else micro_avx512(kc, Ap, 1, MR, Bp, C, ldc, mr, nr, alpha, overwrite, e, j, MR);
}
static void micro_rows(int kc, const float *A, long lda, const float *Bp, float *C, int ldc, int mr, int nr,
                       float alpha, int overwrite, const gemm_epi *e, int j) {
  micro_avx512(kc, A, lda, 1, Bp, C, ldc, mr, nr, alpha, overwrite, e, j, MR);
}

/* ---------------- direct convolution of few-channel inputs (stems) ----------------
 * With KW·C floats per filter row (9 for a 3×3 stem on RGB), im2col copies runs too short to pay and writes K floats
 * per pixel. Here the tile reads the input in place instead: for MR output pixels of one output row, filter row ky is a
 * window of KW·C contiguous floats starting every sw·C floats along input row oy·sh − pt + ky, which is exactly an
 * untransposed A with row stride sw·C. Pixels whose window leaves the input (padding) and the last < MR pixels of a
 * run are gathered, zeros included, into a packed panel and run through the packed tile.
 */
typedef struct {
  const cn_patches *g;
  const float *x, *Bp;
  float *y;
  int CO, overwrite;
  gemm_epi epi;
  const gemm_epi *e;
  int failed;
} small_conv_job;

/* Tile over MR pixels whose windows lie inside the input: xr[t] = filter row t's window of pixel 0, rs = sw·C. */
static void micro_windows(int T, int L, const float *const *xr, long rs, const float *restrict Bp, float *C, int ldc,
                          int nr, int overwrite, const gemm_epi *e, int j) {
  __m512 c0[MR], c1[MR];
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  for (int t = 0; t < T; t++) {
    const float *a = xr[t];
    for (int k = 0; k < L; k++, a++, Bp += NR) {
      const __m512 b0 = _mm512_loadu_ps(Bp), b1 = _mm512_loadu_ps(Bp + 16);
      for (int r = 0; r < MR; r++) {
        const __m512 av = _mm512_set1_ps(a[r * rs]);
        c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
      }
    }
  }
  store_tile(C, ldc, c0, c1, MR, nr, 1.0f, overwrite, e, j);
}

/* Packs pixels ox0..ox0+n (n ≤ MR) of output row (b, oy) as an MR-row panel [K][MR] (K in (ky, kx, c) order), with
   zeros over the padding and in rows n..MR. */
static void pack_pixels(const cn_patches *g, const float *x, long b, long oy, long ox0, int n, float *Ap) {
  const int C = g->C, K = g->KH * g->KW * C;
  for (int i = 0; i < K * MR; i++) Ap[i] = 0.0f;
  for (int r = 0; r < n; r++) {
    const long ox = ox0 + r;
    for (int ky = 0; ky < g->KH; ky++) {
      const long iy = oy * g->sh - g->pt + ky;
      if (iy < 0 || iy >= g->H) continue;
      for (int kx = 0; kx < g->KW; kx++) {
        const long ix = ox * g->sw - g->pl + kx;
        if (ix < 0 || ix >= g->W) continue;
        const float *src = x + ((b * g->H + iy) * g->W + ix) * C;
        for (int c = 0; c < C; c++) Ap[((ky * g->KW + kx) * C + c) * MR + r] = src[c];
      }
    }
  }
}

/* Output rows [r0, r1) of the small-filter convolution. */
static void small_conv_rows(void *ctx, long r0, long r1) {
  small_conv_job *j = (small_conv_job *)ctx;
  const cn_patches *g = j->g;
  const int C = g->C, K = g->KH * g->KW * C, L = g->KW * C, CO = j->CO, panels = (CO + NR - 1) / NR;
  float *Ap = cn_grow(&t_apack, &t_apack_len, (size_t)KC * MR);
  if (!Ap) {
    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  /* Pixels whose window lies inside the row: ox·sw − pl ≥ 0 and ox·sw − pl + KW ≤ W. */
  long in0 = (g->pl + g->sw - 1) / g->sw, in1 = g->W - g->KW + g->pl >= 0 ? (g->W - g->KW + g->pl) / g->sw + 1 : 0;
  if (in1 > g->OW) in1 = g->OW;
  if (in0 > in1) in0 = in1;
  for (long r = r0; r < r1; r++) {
    const long b = r / g->OH, oy = r % g->OH;
    float *yrow = j->y + (size_t)r * g->OW * CO;
    const long iy0 = oy * g->sh - g->pt;
    const int rows_inside = iy0 >= 0 && iy0 + g->KH <= g->H;
    /* Runs of pixels: [0, a) gathered, [a, e) in place by whole tiles, [e, OW) gathered. */
    const long a = rows_inside ? in0 : 0;
    long e = rows_inside ? in0 + (in1 - in0) / MR * MR : 0;
    const float *xr[8];
    for (int t = 0; t < g->KH && rows_inside; t++) xr[t] = j->x + ((b * g->H + iy0 + t) * g->W + a * g->sw - g->pl) * (long)C;
    /* When y is overwritten, the in-place pixels left over after whole tiles are covered by one more tile ending at
       in1 (it recomputes a few pixels of the previous tile, writing the same values) instead of being gathered. */
    const int overlap = rows_inside && j->overwrite && in1 - in0 >= MR && e < in1;
    for (long i = 0, n = (e - a) / MR + overlap; i < n; i++) {
      const long ox = i < (e - a) / MR ? a + i * MR : in1 - MR;
      const float *xt[8];
      for (int t = 0; t < g->KH; t++) xt[t] = xr[t] + (ox - a) * g->sw * (long)C;
      for (int q = 0; q < panels; q++) {
        const int nr = CO - q * NR < NR ? CO - q * NR : NR;
        micro_windows(g->KH, L, xt, (long)g->sw * C, j->Bp + (size_t)q * K * NR, yrow + ox * CO + q * NR, CO, nr,
                      j->overwrite, j->e, q * NR);
      }
    }
    if (overlap) e = in1;
    for (int side = 0; side < 2; side++) {
      const long s0 = side == 0 ? 0 : e, s1 = side == 0 ? a : g->OW;
      for (long ox = s0; ox < s1; ox += MR) {
        const int n = s1 - ox < MR ? (int)(s1 - ox) : MR;
        pack_pixels(g, j->x, b, oy, ox, n, Ap);
        for (int q = 0; q < panels; q++) {
          const int nr = CO - q * NR < NR ? CO - q * NR : NR;
          micro_packed(K, Ap, j->Bp + (size_t)q * K * NR, yrow + ox * CO + q * NR, CO, n, nr, 1.0f, j->overwrite, j->e,
                       q * NR);
        }
      }
    }
  }
}

int cn_conv_small(const cn_patches *g, const float *x, const float *w, int CO, const float *bias, int act, float alpha,
                  float beta, float *y) {
  const int K = g->KH * g->KW * g->C;
  /* Only few-channel inputs: with 16+ channels (SqueezeNet's 3×3 expands) this path measured 1.2–1.6× slower than
     im2col + GEMM, whose row blocks keep each B panel in L1 across many tiles. */
  if (g->cn != g->C || g->dh != 1 || g->dw != 1 || g->KW * g->C > CN_SMALL_CONV_ROW || K > KC || g->KH > 8 ||
      CO > NC || (beta != 0.0f && beta != 1.0f))
    return 1;
  float *Bp = cn_grow(&t_bpack, &t_bpack_len, (size_t)KC * NC);
  if (!Bp) return CN_ENOMEM;
  pack_b(0, w, CO, 0, CO, 0, K, Bp);
  small_conv_job j = {g, x, Bp, y, CO, beta == 0.0f, {bias, act, alpha}, 0, 0};
  j.e = bias || act != CN_ACT_LINEAR ? &j.epi : 0;
  const long rows = (long)g->B * g->OH;
  if ((double)rows * g->OW * CO * K < 5e5) small_conv_rows(&j, 0, rows);
  else cn_parallel_for(rows, small_conv_rows, &j);
  return j.failed ? CN_ENOMEM : CN_OK;
}
#else
/*
 * C[0:mr, 0:nr] += alpha · A (MR×kc) · Bp (kc×NR panel), 6×16 register tile. A(r, k) = Ap[r·rs + k·ks]: a packed
 * panel (rs 1, ks MR) or, for untransposed A, the matrix rows themselves (rs lda, ks 1; no packing needed then).
 */
static void micro_6x16(int kc, const float *restrict Ap, long rs, long ks, const float *restrict Bp, float *C, int ldc,
                       int mr, int nr, float alpha, int overwrite) {
  v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  const float *a0 = Ap, *a1 = Ap + rs, *a2 = a1 + rs, *a3 = a2 + rs, *a4 = a3 + rs, *a5 = a4 + rs;
  for (long k = 0; k < kc * ks; k += ks, Bp += NR) {
    v8 b0 = load8(Bp), b1 = load8(Bp + 8);
    float a;
    a = a0[k]; c00 += a * b0; c01 += a * b1;
    a = a1[k]; c10 += a * b0; c11 += a * b1;
    a = a2[k]; c20 += a * b0; c21 += a * b1;
    a = a3[k]; c30 += a * b0; c31 += a * b1;
    a = a4[k]; c40 += a * b0; c41 += a * b1;
    a = a5[k]; c50 += a * b0; c51 += a * b1;
  }
  v8 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR && overwrite) {
    for (int r = 0; r < MR; r++) {
      float *c = C + (size_t)r * ldc;
      store8(c, alpha * acc[r][0]);
      store8(c + 8, alpha * acc[r][1]);
    }
  } else if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; r++) {
      float *c = C + (size_t)r * ldc;
      store8(c, load8(c) + alpha * acc[r][0]);
      store8(c + 8, load8(c + 8) + alpha * acc[r][1]);
    }
  } else if (overwrite) {
    float tmp[MR][NR];
    for (int r = 0; r < MR; r++) { store8(tmp[r], acc[r][0]); store8(tmp[r] + 8, acc[r][1]); }
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < nr; j++) C[(size_t)r * ldc + j] = alpha * tmp[r][j];
  } else { /* edge tile: only the valid part of C may be touched */
    float tmp[MR][NR];
    for (int r = 0; r < MR; r++) { store8(tmp[r], acc[r][0]); store8(tmp[r] + 8, acc[r][1]); }
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < nr; j++) C[(size_t)r * ldc + j] += alpha * tmp[r][j];
  }
}
static void micro_packed(int kc, const float *Ap, const float *Bp, float *C, int ldc, int mr, int nr, float alpha,
                         int overwrite, const gemm_epi *e, int j) {
  micro_6x16(kc, Ap, 1, MR, Bp, C, ldc, mr, nr, alpha, overwrite);
  if (e) epi_tile(e, C, ldc, mr, nr, j);
}
static void micro_rows(int kc, const float *A, long lda, const float *Bp, float *C, int ldc, int mr, int nr,
                       float alpha, int overwrite, const gemm_epi *e, int j) {
  micro_6x16(kc, A, lda, 1, Bp, C, ldc, mr, nr, alpha, overwrite);
  if (e) epi_tile(e, C, ldc, mr, nr, j);
}
/* The direct path needs the AVX-512 tile; callers fall back to im2col. */
int cn_conv_small(const cn_patches *g, const float *x, const float *w, int CO, const float *bias, int act, float alpha,
                  float beta, float *y) {
  (void)g, (void)x, (void)w, (void)CO, (void)bias, (void)act, (void)alpha, (void)beta, (void)y;
  return 1;
}
#endif

typedef struct {
  int transA;
  const float *A;
  int lda;
  const float *Bp; /* packed B block: kc × nc */
  const float *Ap; /* packed A (whole M) when parallel over column panels; NULL when each thread packs its rows */
  float *C;
  int ldc;
  int M, nc, kc, j0, k0;
  int mc; /* rows per row block (≤ MC, a multiple of MR) */
  float alpha;
  int overwrite; /* beta = 0 and first K block: store instead of accumulating (saves zeroing C first) */
  int failed;    /* a worker could not get its packing buffer */
  const gemm_epi *epi; /* the last K block's epilogue, else NULL */
} block_job;

/*
 * Rows [i0, i0+mc) × packed B panels q0..q1. Ap holds the packed A panels, or is NULL for untransposed A read in
 * place (then only a last partial panel, fewer than MR rows, is packed: at tail).
 */
static void run_block(const block_job *g, const float *Ap, const float *tail, int i0, int mc, int q0, int q1) {
  for (int q = q0; q < q1; q++) { /* B micro-panel stays in L1 across the A panels */
    int j = q * NR, nr = g->nc - j < NR ? g->nc - j : NR;
    const float *bp = g->Bp + (size_t)q * g->kc * NR;
    for (int p = 0; p < mc; p += MR) {
      int mr = mc - p < MR ? mc - p : MR;
      float *c = g->C + (size_t)(i0 + p) * g->ldc + g->j0 + j;
      if (Ap) micro_packed(g->kc, Ap + (size_t)(p / MR) * g->kc * MR, bp, c, g->ldc, mr, nr, g->alpha, g->overwrite, g->epi, g->j0 + j);
      else if (mr == MR) micro_rows(g->kc, g->A + (size_t)(i0 + p) * g->lda + g->k0, g->lda, bp, c, g->ldc, mr, nr, g->alpha, g->overwrite, g->epi, g->j0 + j);
      else micro_packed(g->kc, tail, bp, c, g->ldc, mr, nr, g->alpha, g->overwrite, g->epi, g->j0 + j);
    }
  }
}

/* Parallel over row blocks of g->mc rows: each thread packs its own A block. */
static void rows_task(void *ctx, long b0, long b1) {
  block_job *g = (block_job *)ctx;
  float *Ap = cn_grow(&t_apack, &t_apack_len, (size_t)MC * KC);
  if (!Ap) {
    __atomic_store_n(&g->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  int panels = (g->nc + NR - 1) / NR;
  for (long b = b0; b < b1; b++) {
    int i0 = (int)b * g->mc, mc = g->M - i0 < g->mc ? g->M - i0 : g->mc;
    if (g->transA) {
      pack_a(1, g->A, g->lda, i0, mc, g->k0, g->kc, Ap);
      run_block(g, Ap, 0, i0, mc, 0, panels);
    } else { /* rows are read in place; a partial last panel is packed (zero rows) so the tile never reads past M */
      int full = mc / MR * MR;
      if (full < mc) pack_a(0, g->A, g->lda, i0 + full, mc - full, g->k0, g->kc, Ap);
      run_block(g, 0, Ap, i0, mc, 0, panels);
    }
  }
}

/* Parallel over NR column panels (few rows): A is packed once for all of M by the caller. */
static void cols_task(void *ctx, long q0, long q1) {
  const block_job *g = (const block_job *)ctx;
  for (int i0 = 0; i0 < g->M; i0 += MC) {
    int mc = g->M - i0 < MC ? g->M - i0 : MC;
    run_block(g, g->Ap + (size_t)(i0 / MR) * g->kc * MR, 0, i0, mc, (int)q0, (int)q1);
  }
}

typedef struct {
  int transB;
  const float *B;
  int ldb, j0, nc, k0, kc;
  float *Bp;
} pack_b_job;

/* Packs B panels [q0, q1) of one block (each worker its own panels, into the shared buffer). */
static void pack_b_task(void *ctx, long q0, long q1) {
  const pack_b_job *p = (const pack_b_job *)ctx;
  int j = (int)q0 * NR, n = (int)(q1 - q0) * NR;
  if (n > p->nc - j) n = p->nc - j;
  pack_b(p->transB, p->B, p->ldb, p->j0 + j, n, p->k0, p->kc, p->Bp + (size_t)q0 * p->kc * NR);
}

/* Rows per row block: MC, or fewer so that every thread gets the same number of blocks when there are few. */
static int rows_per_block(int M, int threads) {
  long blocks = (M + MC - 1) / MC;
  if (threads <= 1 || blocks >= 4L * threads) return MC;
  blocks = (blocks + threads - 1) / threads * threads;
  int mc = (int)((M + blocks - 1) / blocks);
  return (mc + MR - 1) / MR * MR;
}

typedef struct {
  const gemm_epi *e;
  float *C;
  int ldc, N;
} epi_pass_job;

static void epi_pass_rows(void *ctx, long r0, long r1) {
  const epi_pass_job *p = (const epi_pass_job *)ctx;
  epi_tile(p->e, p->C + (size_t)r0 * p->ldc, p->ldc, (int)(r1 - r0), p->N, 0);
}

/* The epilogue as one pass over C [M, N] after the product (builds without the fused tile store), on the pool when
   the product used it. */
static void epilogue_pass(const gemm_epi *e, float *C, int ldc, int M, int N, int threads) {
  epi_pass_job p = {e, C, ldc, N};
  if (threads > 1 && (long)M * N >= 16384) cn_parallel_for(M, epi_pass_rows, &p);
  else epi_pass_rows(&p, 0, M);
}

/* Offset of block (j0, k0) in a B packed whole by cn_pack_b (column blocks of NC, each K rows of NR-column panels). */
static size_t packed_offset(int N, int K, int j0, int k0) {
  const int nc = N - j0 < NC ? N - j0 : NC, ncpad = (nc + NR - 1) / NR * NR;
  return (size_t)j0 * K + (size_t)k0 * ncpad; /* every column block before j0 is a full NC (a multiple of NR) */
}

int cn_gemm_tile_rows(void) { return MR; }

size_t cn_packed_b_floats(int K, int N) {
  return (size_t)K * (size_t)((N + NR - 1) / NR * NR);
}

void cn_pack_b(int K, int N, const float *B, int ldb, float *out) {
  for (int j0 = 0; j0 < N; j0 += NC) {
    const int nc = N - j0 < NC ? N - j0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) pack_b(0, B, ldb, j0, nc, k0, K - k0 < KC ? K - k0 : KC, out + packed_offset(N, K, j0, k0));
  }
}

/* Bpre: B already packed by cn_pack_b (transB ignored), or NULL to pack B here. */
static int builtin_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc, const gemm_epi *epi,
                         const float *Bpre) {
  /* beta first, so the kernel only accumulates; beta = 0 instead lets the first K block overwrite C. */
  const int overwrite = beta == 0.0f && K > 0 && alpha != 0.0f;
  for (int i = 0; i < M && !overwrite; i++) {
    float *c = C + (size_t)i * ldc;
    if (beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)N);
    else if (beta != 1.0f) for (int j = 0; j < N; j++) c[j] *= beta;
  }
  if (K == 0 || alpha == 0.0f) {
    if (epi) epi_tile(epi, C, ldc, M, N, 0);
    return CN_OK;
  }
  /* Waking the pool costs tens of microseconds: products under ~0.5 M MACs run on the calling thread alone. */
  const int threads = (double)M * N * K < 5e5 ? 1 : cn_threads();
  const int mc = rows_per_block(M, threads);
  const long row_blocks = (M + mc - 1) / mc;
  /* Under two MR panels per thread (dense layers, small batches): split the columns instead. */
  const int by_cols = threads > 1 && (M + MR - 1) / MR < 2 * threads && N > NR;
  const int mpad = (M + MR - 1) / MR * MR;
  for (int j0 = 0; j0 < N; j0 += NC) {
    int nc = N - j0 < NC ? N - j0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC;
      long b_panels = (nc + NR - 1) / NR;
      const float *Bp;
      if (Bpre) {
        Bp = Bpre + packed_offset(N, K, j0, k0);
      } else {
        float *buf = cn_grow(&t_bpack, &t_bpack_len, (size_t)KC * NC);
        if (!buf) return CN_ENOMEM;
        pack_b_job pb = {transB, B, ldb, j0, nc, k0, kc, buf};
        /* Packing B serially would idle the other threads for ~10 % of a small-M product. */
        if (threads > 1 && (long)kc * nc >= 32768) cn_parallel_for(b_panels, pack_b_task, &pb);
        else pack_b_task(&pb, 0, b_panels);
        Bp = buf;
      }
      block_job g = {transA, A, lda, Bp, 0, C, ldc, M, nc, kc, j0, k0, mc, alpha, overwrite && k0 == 0, 0,
                     FUSED_EPILOGUE && k0 + kc == K ? epi : 0};
      if (by_cols) {
        float *Ap = cn_grow(&t_apack, &t_apack_len, (size_t)(mpad > MC ? mpad : MC) * KC);
        if (!Ap) return CN_ENOMEM;
        pack_a(transA, A, lda, 0, M, k0, kc, Ap);
        g.Ap = Ap;
        g.mc = MC;
        cn_parallel_for(b_panels, cols_task, &g);
      } else if (threads > 1 && row_blocks > 1) {
        cn_parallel_for(row_blocks, rows_task, &g);
      } else {
        rows_task(&g, 0, row_blocks);
      }
      if (g.failed) return CN_ENOMEM;
    }
  }
  if (!FUSED_EPILOGUE && epi) epilogue_pass(epi, C, ldc, M, N, threads);
  return CN_OK;
}

/*
 * The auto policy. Measured on a 2-core AMD EPYC (AVX2) over the shapes our convolutions produce (pixels 1..32768,
 * channels 16..512; tools/gemm-grid.js): the built-in kernel is faster for C = A·B and A·Bᵀ (forward and input
 * gradients: a 0.7–0.8× median time, 0.5× for narrow K) once M reaches a few dozen rows; OpenBLAS is faster for
 * Aᵀ·B with a long K (filter gradients, a reduction over every pixel: built-in 1.3× slower), which it blocks over K
 * better, and for a handful of rows (batch-1 dense layers, 1×1 convolutions on 1×1 to 4×4 maps: up to 1.4×), where
 * packing all of B costs more than the product.
 */
#define AUTO_MIN_ROWS 24
static int use_openblas(int transA, int transB, int M) {
  if (g_mode == CN_GEMM_OPENBLAS) return 1;
  return g_mode == CN_GEMM_AUTO && ((transA && !transB) || M < AUTO_MIN_ROWS);
}

/* ---------------- one row: y = x · B (batch-1 dense layers, 1×1 convolutions of a 1×1 map) ----------------
 * A single row cannot reuse B, so the product is a stream over B at memory speed: B's rows are read in order, four
 * at a time, into a y that stays in L1 (the sum of each y[j] still runs k = 0, 1, 2 … in order). Packing B (built-in
 * kernel) or OpenBLAS's blocking cost 2–3× that stream. Threads split the columns.
 */
typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));

typedef struct {
  int K, N;
  const float *x, *B;
  int ldb;
  float beta; /* 0 or 1 */
  float *y;
  const gemm_epi *epi;
} gemv_job;

#define GEMV_COLS 256 /* columns per task: 1 KB of y per B row; a B row of 1,000+ columns is still read in long runs */

static void gemv_task(void *ctx, long t0, long t1) {
  const gemv_job *g = (const gemv_job *)ctx;
  const int c0 = (int)t0 * GEMV_COLS, c1 = (int)t1 * GEMV_COLS < g->N ? (int)t1 * GEMV_COLS : g->N;
  const int n = c1 - c0, nv = n / 16 * 16;
  float *restrict y = g->y + c0;
  const float *restrict x = g->x;
  if (g->beta == 0.0f) memset(y, 0, sizeof(float) * (size_t)n);
  int k = 0;
  for (; k + 4 <= g->K; k += 4) {
    const float *b0 = g->B + (size_t)k * g->ldb + c0, *b1 = b0 + g->ldb, *b2 = b1 + g->ldb, *b3 = b2 + g->ldb;
    const float x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
    for (int j = 0; j < nv; j += 16) {
      v16 v = *(v16 *)(y + j);
      v += x0 * *(const v16 *)(b0 + j);
      v += x1 * *(const v16 *)(b1 + j);
      v += x2 * *(const v16 *)(b2 + j);
      v += x3 * *(const v16 *)(b3 + j);
      *(v16 *)(y + j) = v;
    }
    for (int j = nv; j < n; j++) {
      float v = y[j];
      v += x0 * b0[j];
      v += x1 * b1[j];
      v += x2 * b2[j];
      v += x3 * b3[j];
      y[j] = v;
    }
  }
  for (; k < g->K; k++) {
    const float *b0 = g->B + (size_t)k * g->ldb + c0;
    const float x0 = x[k];
    for (int j = 0; j < nv; j += 16) *(v16 *)(y + j) += x0 * *(const v16 *)(b0 + j);
    for (int j = nv; j < n; j++) y[j] += x0 * b0[j];
  }
  if (g->epi) epi_tile(g->epi, y, n, 1, n, c0);
}

int cn_sgemm_epi(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc, const float *bias, int act, float act_alpha) {
  if (M <= 0 || N <= 0) return CN_OK;
  load_blas();
  const gemm_epi e = {bias, act, act_alpha};
  const gemm_epi *epi = bias || act != CN_ACT_LINEAR ? &e : 0;
  /* One row of C = A · B (alpha 1, beta 0 or 1, the products of convolutions and dense layers): the stream above. */
  if (M == 1 && !transA && !transB && alpha == 1.0f && (beta == 0.0f || beta == 1.0f) && K > 0 && g_mode != CN_GEMM_OPENBLAS) {
    gemv_job g = {K, N, A, B, ldb, beta, C, epi};
    const long tasks = (N + GEMV_COLS - 1) / GEMV_COLS;
    if ((double)N * K < 5e5 || cn_threads() == 1) gemv_task(&g, 0, tasks);
    else cn_parallel_for(tasks, gemv_task, &g);
    return CN_OK;
  }
  if (use_openblas(transA, transB, M)) {
    g_cblas(101 /* RowMajor */, transA ? 112 : 111, transB ? 112 : 111, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (epi) epi_tile(epi, C, ldc, M, N, 0);
    return CN_OK;
  }
  return builtin_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epi, 0);
}

int cn_sgemm_prepacked(int M, int N, int K, const float *A, int lda, const float *Bp, float beta, float *C, int ldc,
                       const float *bias, int act, float act_alpha) {
  if (M <= 0 || N <= 0) return CN_OK;
  const gemm_epi e = {bias, act, act_alpha};
  return builtin_sgemm(0, 0, M, N, K, 1.0f, A, lda, 0, 0, beta, C, ldc, bias || act != CN_ACT_LINEAR ? &e : 0, Bp);
}

int cn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc) {
  return cn_sgemm_epi(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, CN_ACT_LINEAR, 0.0f);
}

/* ---------------- epilogue: bias and activation, row by row ---------------- */
typedef struct {
  float *y;
  int n;
  const float *bias;
  int act;
  float alpha;
} epi_job;

static void epilogue_range(void *ctx, long r0, long r1) {
  const epi_job *e = (const epi_job *)ctx;
  const int n = e->n;
  const float alpha = e->alpha;
  for (long r = r0; r < r1; r++) {
    float *p = e->y + r * n;
    if (e->bias) for (int j = 0; j < n; j++) p[j] += e->bias[j];
    /* Comparisons written so NaN passes through, as tfjs's activations do. */
    switch (e->act) {
      case CN_ACT_RELU: for (int j = 0; j < n; j++) p[j] = p[j] < 0.0f ? 0.0f : p[j]; break;
      case CN_ACT_RELU6:
        for (int j = 0; j < n; j++) { float v = p[j] < 0.0f ? 0.0f : p[j]; p[j] = v > 6.0f ? 6.0f : v; }
        break;
      case CN_ACT_LEAKYRELU: for (int j = 0; j < n; j++) p[j] = p[j] < 0.0f ? alpha * p[j] : p[j]; break;
      default: break;
    }
  }
}

void cn_bias_activation_rows(float *y, long rows, int n, const float *bias, int act, float alpha) {
  if (!bias && act == CN_ACT_LINEAR) return;
  epi_job e = {y, n, bias, act, alpha};
  epilogue_range(&e, 0, rows);
}

void cn_bias_activation(float *y, long rows, int n, const float *bias, int act, float alpha) {
  if (!bias && act == CN_ACT_LINEAR) return;
  epi_job e = {y, n, bias, act, alpha};
  /* Threads only pay off beyond a few thousand elements. */
  if ((long)n * rows < 16384) epilogue_range(&e, 0, rows);
  else cn_parallel_for(rows, epilogue_range, &e);
}
