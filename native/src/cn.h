/*
 * compact-nets native kernels (our C addon): shared declarations.
 * The addon computes in place on memory owned by JavaScript (the tfjs wasm backend's heap, seen as Float32Arrays),
 * so every kernel takes plain pointers and sizes; nothing here allocates tensors. One file per kernel family, as in
 * src/lib/kernels/<family>: conv.c (+ patches.c), matmul.c (+ gemm.c), depthwise.c, shift.c, batch-norm.c,
 * activation.c, reduce.c, copy.c, pooling.c; shared: thread-pool.c, memory.c, addon.c (N-API glue).
 */
#ifndef CN_H
#define CN_H
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

/* ---- threads (thread-pool.c) ---- */
/* Number of threads kernels use (the calling thread included); at least 1. */
int cn_threads(void);
/* Sets the thread count (1..64); also passed to the BLAS library. */
void cn_set_threads(int n);
/* Runs fn(ctx, begin, end) over [0, n) split into at most cn_threads() contiguous ranges; returns when all are done. */
typedef void (*cn_range_fn)(void *ctx, long begin, long end);
void cn_parallel_for(long n, cn_range_fn fn, void *ctx);
/* Microseconds the pool polls before sleeping (workers between jobs, the caller for its workers). */
void cn_set_spin_us(long us);
long cn_spin_us(void);
/* Index of the calling worker inside cn_parallel_for (0 = caller), for per-thread scratch. */
int cn_thread_index(void);
/* Most threads the pool runs (and the most per-thread scratch sets). */
#define CN_MAX_THREADS 64

/* ---- memory (memory.c) ----
 * Kernels never abort on a failed allocation: the allocator records the size it could not get, the kernel returns
 * CN_ENOMEM up to its N-API entry, and the entry throws a JavaScript Error naming itself and that size
 * (cn_throw_oom). The test hook limitAllocations(bytes) makes every request above `bytes` fail the same way. */
enum { CN_OK = 0, CN_ENOMEM = -1 };
/* Scratch slots: per-thread buffers, grown on demand and kept (kernels reuse the same sizes every step); a buffer is
 * valid until the next cn_scratch call with the same slot on the same thread. One slot per kind of content: */
enum {
  CN_SCRATCH_IM2COL,    /* conv.c: im2col rows of a tile (each worker's) or of a chunk (the caller's) */
  CN_SCRATCH_PARTIALS,  /* per-block partial sums and per-channel coefficients: batch-norm.c, reduce.c, shift.c */
  CN_SCRATCH_DEPTHWISE, /* depthwise.c: each worker's filter-gradient sums */
  CN_SCRATCH_ARGMAX,    /* pooling.c: the argmax position of every window (maxPoolGrad) */
  CN_SCRATCH_SLOTS
};
/* `floats` floats of the calling thread's buffer `slot`, 64-byte aligned; NULL (recorded) when memory ran out. */
float *cn_scratch(int slot, size_t floats);
/* Grows the 64-byte aligned buffer *buf of capacity *cap (floats) to at least `floats`; returns it, or NULL (recorded,
 * old buffer freed) when memory ran out. For buffers a kernel keeps across calls (scratch, GEMM packing). */
float *cn_grow(float **buf, size_t *cap, size_t floats);
/* malloc(bytes), or NULL (recorded) when memory ran out; release with free(). */
void *cn_alloc(size_t bytes);
/* Throws "<fn>: out of memory (<bytes> bytes requested)" for the last failed request; returns NULL. */
napi_value cn_throw_oom(napi_env env, const char *fn);

/* ---- GEMM (gemm.c) ---- */
/* Row-major C[M,N] = alpha·op(A)·op(B) + beta·C, op = transpose when trans != 0 (cblas semantics). Returns CN_OK, or
   CN_ENOMEM when a packing buffer could not be allocated (C is then partly written). */
int cn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc);
/* cn_sgemm followed by C[i, j] = act(C[i, j] + bias[j]) (bias may be NULL; act a CN_ACT_* code, leaky slope
   act_alpha), applied by the built-in kernel to each finished tile while it is in registers (no second pass over C).
   The same operations in the same order as cn_sgemm then cn_bias_activation, so results are identical. */
int cn_sgemm_epi(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc, const float *bias, int act, float act_alpha);
/* B [K, N] (row stride ldb) packed once for cn_sgemm_prepacked: cn_packed_b_floats(K, N) floats (the layout of the
   built-in kernel's panels, which depends on the build). For weights used by many products (inference plans). */
size_t cn_packed_b_floats(int K, int N);
/* Rows of the built-in kernel's register tile (14 with AVX-512, else 6): callers size row blocks in multiples of it. */
int cn_gemm_tile_rows(void);
void cn_pack_b(int K, int N, const float *B, int ldb, float *out);
/* cn_sgemm_epi(0, 0, M, N, K, 1, A, lda, B, ·, beta, C, ldc, bias, act, act_alpha) with B packed by cn_pack_b: the
   built-in kernel without its per-call packing of B (which for a 7×7 map costs about as much as the product). */
int cn_sgemm_prepacked(int M, int N, int K, const float *A, int lda, const float *Bp, float beta, float *C, int ldc,
                       const float *bias, int act, float act_alpha);
/* The GEMM in use: "builtin", "openblas" (every product) or "builtin+openblas" (auto: per shape, see gemm.c). */
const char *cn_blas_name(void);
/* GEMM choices of cn_blas_select / selectBlas. */
enum { CN_GEMM_BUILTIN = 0, CN_GEMM_OPENBLAS = 1, CN_GEMM_AUTO = 2 };
/* Chooses the GEMM (OpenBLAS modes fall back to built-in when OpenBLAS did not load); returns cn_blas_name(). */
const char *cn_blas_select(int mode);
/* Passes the thread count on to OpenBLAS (thread-pool.c calls it from cn_set_threads). */
void cn_blas_set_threads(int n);

/* Fused activations after a product, as the JavaScript side codes them (activationCode in kernels/core). */
enum { CN_ACT_LINEAR = 0, CN_ACT_RELU = 1, CN_ACT_RELU6 = 2, CN_ACT_LEAKYRELU = 3 };
/* act(v) for one value, comparisons written so that NaN passes through, as tfjs's activations do. */
static inline float cn_act(float v, int act, float alpha) {
  switch (act) {
    case CN_ACT_RELU: return v < 0.0f ? 0.0f : v;
    case CN_ACT_RELU6: { float r = v < 0.0f ? 0.0f : v; return r > 6.0f ? 6.0f : r; }
    case CN_ACT_LEAKYRELU: return v < 0.0f ? alpha * v : v;
    default: return v;
  }
}
/* y[r, j] = act(y[r, j] + bias[j]) for rows r of y [rows, n] (bias may be NULL), on the pool when it is large. NaN
   passes through every activation, as in tfjs. */
void cn_bias_activation(float *y, long rows, int n, const float *bias, int act, float alpha);
/* The same on the calling thread only (inside a pool task). */
void cn_bias_activation_rows(float *y, long rows, int n, const float *bias, int act, float alpha);

/* Elements per parallel block of the element-wise and reduction kernels: large enough that the pool's wake-up cost
 * (~10 µs) stays small, small enough that a batch-32 CIFAR feature map gives every thread several blocks. Reductions
 * add per-block partial sums in block order, so their results do not depend on the thread count. */
#define CN_BLOCK 65536L

/* ---- short copies ----
 * Channel runs of a few to a few dozen floats: a libc memcpy/memset call per run costs more than the copy (ShiftNet's
 * shift moved 40-byte runs at 8 GB/s that way). Vector moves with overlapping tails, no loops for GCC/Clang to turn
 * back into library calls. */
typedef float cn_v8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef float cn_v4 __attribute__((vector_size(16), aligned(4), may_alias));

/* d[0:n) = s[0:n); the ranges must not overlap. */
static inline void cn_copy_floats(float *restrict d, const float *restrict s, long n) {
  if (n >= 8) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      *(cn_v8 *)(d + i) = *(const cn_v8 *)(s + i);
      __asm__("" : "+r"(i)); /* keeps GCC/Clang from turning the loop back into a memmove call */
    }
    if (i < n) *(cn_v8 *)(d + n - 8) = *(const cn_v8 *)(s + n - 8);
  } else if (n >= 4) {
    *(cn_v4 *)d = *(const cn_v4 *)s;
    *(cn_v4 *)(d + n - 4) = *(const cn_v4 *)(s + n - 4);
  } else {
    if (n > 0) d[0] = s[0];
    if (n > 1) d[1] = s[1];
    if (n > 2) d[2] = s[2];
  }
}

/* d[0:n) = 0. */
static inline void cn_zero_floats(float *d, long n) {
  const cn_v8 z8 = {0};
  const cn_v4 z4 = {0};
  if (n >= 8) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      *(cn_v8 *)(d + i) = z8;
      __asm__("" : "+r"(i)); /* no memset call either */
    }
    if (i < n) *(cn_v8 *)(d + n - 8) = z8;
  } else if (n >= 4) {
    *(cn_v4 *)d = z4;
    *(cn_v4 *)(d + n - 4) = z4;
  } else {
    if (n > 0) d[0] = 0.0f;
    if (n > 1) d[1] = 0.0f;
    if (n > 2) d[2] = 0.0f;
  }
}

/* ---- per-channel affine (batch-norm.c) ----
 * out[r, k] = (x[r, k] − mean[k]) · mul[k] + off[k] for x, out [rows, C]: batch norm once its statistics and
 * multiplier are known (training forward and inference), on the pool. */
void cn_normalize_channels(const float *x, const float *mean, const float *mul, const float *off, float *out, long rows,
                           int C);

/* ---- im2col / col2im (patches.c, for conv.c) ----
 * Patches of a window of cn channels out of each C-channel pixel of x [B, H, W, C] (pointers already offset to the
 * window's first channel): all C for a dense convolution, one group's Cg for a grouped one. cols has K = KH·KW·cn
 * floats per output pixel, in (ky, kx, c) order. */
typedef struct {
  int B, H, W, C;     /* x [B, H, W, C] */
  int cn;             /* channels of the window */
  int OH, OW, KH, KW; /* output grid, filter size */
  int sh, sw, dh, dw; /* strides, dilations */
  int pt, pl;         /* top / left padding */
} cn_patches;
/* cols rows p0..p1 = patches of output pixels first + p (zeros over the padding); on the calling thread. */
void cn_im2col_range(const cn_patches *g, const float *x, float *cols, long first, long p0, long p1);
/* cols rows 0..pixels, on the pool. */
void cn_im2col(const cn_patches *g, const float *x, float *cols, long first, long pixels);
/* dx += col2im(cols) for output rows (b·OH + oy) row0..row1, cols holding their (row1 − row0)·OW patch rows; on the
   pool, each thread owning whole input rows. */
void cn_col2im_rows(const cn_patches *g, const float *cols, float *dx, long row0, long row1);

/* Direct convolution of few-channel inputs (gemm.c): y [B,OH,OW,CO] = act(conv(x, w) + bias + beta·y), w [KH,KW,C,CO],
   beta 0 or 1, for G = 1, no dilation, KW·C ≤ CN_SMALL_CONV_ROW, KH·KW·C ≤ 256, KH ≤ 8 (stems on RGB input): the GEMM
   tile reads each filter row's window of the input in place, no im2col. Returns CN_OK, CN_ENOMEM, or 1 when the
   geometry or the build (no AVX-512) is not covered (nothing written; use the im2col path). */
#define CN_SMALL_CONV_ROW 32
int cn_conv_small(const cn_patches *g, const float *x, const float *w, int CO, const float *bias, int act, float alpha,
                  float beta, float *y);

/* ---- N-API glue (addon.c) ---- */
#define CN_MAX_ARGS 24
/* Reads exactly `want` arguments; on mismatch throws a JS error naming the function and returns 0. */
int cn_args(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv);
/* Float32Array argument → pointer and length; throws and returns 0 when the value is not a Float32Array. */
int cn_f32(napi_env env, napi_value v, const char *fn, int index, float **ptr, size_t *len);
/* Like cn_f32 but null/undefined give ptr = NULL (optional inputs such as a bias). */
int cn_f32_opt(napi_env env, napi_value v, const char *fn, int index, float **ptr, size_t *len);
/* Int32Array argument → pointer and length. */
int cn_i32(napi_env env, napi_value v, const char *fn, int index, int32_t **ptr, size_t *len);
/* Number argument → int / double. */
int cn_int(napi_env env, napi_value v, const char *fn, int index, int *out);
int cn_double(napi_env env, napi_value v, const char *fn, int index, double *out);
/* Throws a JS Error with a formatted message; returns NULL for `return cn_throw(...)`. */
napi_value cn_throw(napi_env env, const char *fmt, ...);
/* Requires len >= need for argument `index`; throws otherwise. */
int cn_need(napi_env env, const char *fn, int index, size_t len, size_t need);
/* Activation code argument (CN_ACT_*); throws on an unknown code. */
int cn_activation(napi_env env, napi_value v, const char *fn, int index, int *act);

/* a·b·c, or 0 on size_t overflow (callers reject 0 for non-empty shapes). */
static inline size_t cn_mul3(size_t a, size_t b, size_t c) {
  size_t ab, abc;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return 0;
  return abc;
}
/* Self-registration of exported functions: CN_EXPORT(name, fn) in any source file adds `name` to the module. */
typedef struct cn_export {
  const char *name;
  napi_callback fn;
  struct cn_export *next;
} cn_export;
void cn_register_export(cn_export *e);
#define CN_EXPORT(jsname, cfn)                                                         \
  static cn_export cn_export_##cfn = {jsname, cfn, 0};                                 \
  __attribute__((constructor)) static void cn_export_ctor_##cfn(void) { cn_register_export(&cn_export_##cfn); }

#endif
