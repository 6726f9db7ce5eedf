/* N-API entry point and argument helpers; kernels register their JS names with CN_EXPORT. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cn.h"

static cn_export *g_exports = 0;
void cn_register_export(cn_export *e) { e->next = g_exports; g_exports = e; }

napi_value cn_throw(napi_env env, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  napi_throw_error(env, "COMPACT_NETS_NATIVE", msg);
  return NULL;
}

int cn_args(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv) {
  size_t argc = CN_MAX_ARGS;
  napi_value args[CN_MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) { cn_throw(env, "%s: cannot read arguments", fn); return 0; }
  if (argc != want) { cn_throw(env, "%s: expected %zu arguments, got %zu", fn, want, argc); return 0; }
  for (size_t i = 0; i < want; i++) argv[i] = args[i];
  return 1;
}

static int typed(napi_env env, napi_value v, const char *fn, int index, napi_typedarray_type want, const char *wname,
                 void **ptr, size_t *len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type;
  if (is && napi_get_typedarray_info(env, v, &type, len, ptr, NULL, NULL) == napi_ok && type == want) return 1;
  cn_throw(env, "%s: argument %d must be a %s", fn, index, wname);
  return 0;
}

int cn_f32(napi_env env, napi_value v, const char *fn, int index, float **ptr, size_t *len) {
  return typed(env, v, fn, index, napi_float32_array, "Float32Array", (void **)ptr, len);
}

int cn_f32_opt(napi_env env, napi_value v, const char *fn, int index, float **ptr, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) { *ptr = NULL; *len = 0; return 1; }
  return cn_f32(env, v, fn, index, ptr, len);
}

int cn_i32(napi_env env, napi_value v, const char *fn, int index, int32_t **ptr, size_t *len) {
  return typed(env, v, fn, index, napi_int32_array, "Int32Array", (void **)ptr, len);
}

int cn_int(napi_env env, napi_value v, const char *fn, int index, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok) { cn_throw(env, "%s: argument %d must be a number", fn, index); return 0; }
  *out = x;
  return 1;
}

int cn_double(napi_env env, napi_value v, const char *fn, int index, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) { cn_throw(env, "%s: argument %d must be a number", fn, index); return 0; }
  return 1;
}

int cn_need(napi_env env, const char *fn, int index, size_t len, size_t need) {
  if (len >= need) return 1;
  cn_throw(env, "%s: argument %d holds %zu floats, the shapes need %zu", fn, index, len, need);
  return 0;
}

int cn_activation(napi_env env, napi_value v, const char *fn, int index, int *act) {
  if (!cn_int(env, v, fn, index, act)) return 0;
  if (*act < CN_ACT_LINEAR || *act > CN_ACT_LEAKYRELU) {
    cn_throw(env, "%s: activation code %d unknown (0 linear, 1 relu, 2 relu6, 3 leakyrelu)", fn, *act);
    return 0;
  }
  return 1;
}

/* ---- core exports ---- */

/* info() → { threads, blas } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, threads, blas;
  napi_create_object(env, &obj);
  napi_create_int32(env, cn_threads(), &threads);
  const char *name = cn_blas_name();
  napi_create_string_utf8(env, name, strlen(name), &blas);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "blas", blas);
  return obj;
}
CN_EXPORT("info", js_info)

/* setThreads(n) */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int n;
  if (!cn_args(env, info, "setThreads", 1, argv) || !cn_int(env, argv[0], "setThreads", 0, &n)) return NULL;
  if (n < 1 || n > 64) return cn_throw(env, "setThreads: %d threads requested; choose 1..64", n);
  cn_set_threads(n);
  return NULL;
}
CN_EXPORT("setThreads", js_set_threads)

/* setSpinMicros(us) → previous value: how long the thread pool polls for work before sleeping (0 = never polls). */
static napi_value js_set_spin(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  int us;
  if (!cn_args(env, info, "setSpinMicros", 1, argv) || !cn_int(env, argv[0], "setSpinMicros", 0, &us)) return NULL;
  if (us < 0 || us > 100000) return cn_throw(env, "setSpinMicros: %d µs requested; choose 0..100000", us);
  long before = cn_spin_us();
  cn_set_spin_us(us);
  napi_create_int32(env, (int)before, &out);
  return out;
}
CN_EXPORT("setSpinMicros", js_set_spin)

/* selectBlas(mode: 0 built-in | 1 OpenBLAS | 2 auto) → name in use: "builtin", "openblas" or "builtin+openblas" (auto);
   the OpenBLAS modes give "builtin" when OpenBLAS did not load. */
static napi_value js_select_blas(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  int want;
  if (!cn_args(env, info, "selectBlas", 1, argv) || !cn_int(env, argv[0], "selectBlas", 0, &want)) return NULL;
  const char *name = cn_blas_select(want);
  napi_create_string_utf8(env, name, strlen(name), &out);
  return out;
}
CN_EXPORT("selectBlas", js_select_blas)

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): row-major, cblas semantics, C updated in place. */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  const char *fn = "sgemm";
  napi_value a[13];
  int ta, tb, M, N, K, lda, ldb, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t la, lb, lc;
  if (!cn_args(env, info, fn, 13, a)) return NULL;
  if (!cn_int(env, a[0], fn, 0, &ta) || !cn_int(env, a[1], fn, 1, &tb) || !cn_int(env, a[2], fn, 2, &M) ||
      !cn_int(env, a[3], fn, 3, &N) || !cn_int(env, a[4], fn, 4, &K) || !cn_double(env, a[5], fn, 5, &alpha) ||
      !cn_f32(env, a[6], fn, 6, &A, &la) || !cn_int(env, a[7], fn, 7, &lda) || !cn_f32(env, a[8], fn, 8, &B, &lb) ||
      !cn_int(env, a[9], fn, 9, &ldb) || !cn_double(env, a[10], fn, 10, &beta) || !cn_f32(env, a[11], fn, 11, &C, &lc) ||
      !cn_int(env, a[12], fn, 12, &ldc))
    return NULL;
  if (M < 0 || N < 0 || K < 0) return cn_throw(env, "sgemm: negative size M=%d N=%d K=%d", M, N, K);
  size_t rowsA = ta ? K : M, rowsB = tb ? N : K;
  if (M == 0 || N == 0) return NULL;
  if (!cn_need(env, fn, 6, la, rowsA ? (rowsA - 1) * (size_t)lda + (ta ? M : K) : 0) ||
      !cn_need(env, fn, 8, lb, rowsB ? (rowsB - 1) * (size_t)ldb + (tb ? K : N) : 0) ||
      !cn_need(env, fn, 11, lc, (size_t)(M - 1) * ldc + N))
    return NULL;
  if (cn_sgemm(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc) != CN_OK) return cn_throw_oom(env, fn);
  return NULL;
}
CN_EXPORT("sgemm", js_sgemm)

NAPI_MODULE_INIT() {
  for (cn_export *e = g_exports; e; e = e->next) {
    napi_value f;
    if (napi_create_function(env, e->name, NAPI_AUTO_LENGTH, e->fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, e->name, f) != napi_ok) return NULL;
  }
  return exports;
}
