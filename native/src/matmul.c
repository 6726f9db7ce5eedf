/*
 * Batched matrix products with a fused bias and activation (BatchMatMul, _FusedMatMul) on cn_sgemm (gemm.c).
 */
#include "cn.h"

/*
 * batchMatMul(a, b, bias|null, c, batchA, batchB, M, N, K, transA, transB, act, alpha):
 * c[batch, M, N] = act(op(a[i]) · op(b[i]) + bias[N]), batch = max(batchA, batchB); a side with batch 1 broadcasts.
 * a[i] is [M, K] ([K, M] when transA), b[i] is [K, N] ([N, K] when transB).
 */
static napi_value js_batch_mat_mul(napi_env env, napi_callback_info info) {
  const char *fn = "batchMatMul";
  napi_value a[13];
  float *A, *B, *bias, *C;
  size_t la, lb, lbias, lc;
  int ba, bb, M, N, K, ta, tb, act;
  double alpha;
  if (!cn_args(env, info, fn, 13, a) || !cn_f32(env, a[0], fn, 0, &A, &la) || !cn_f32(env, a[1], fn, 1, &B, &lb) ||
      !cn_f32_opt(env, a[2], fn, 2, &bias, &lbias) || !cn_f32(env, a[3], fn, 3, &C, &lc) ||
      !cn_int(env, a[4], fn, 4, &ba) || !cn_int(env, a[5], fn, 5, &bb) || !cn_int(env, a[6], fn, 6, &M) ||
      !cn_int(env, a[7], fn, 7, &N) || !cn_int(env, a[8], fn, 8, &K) || !cn_int(env, a[9], fn, 9, &ta) ||
      !cn_int(env, a[10], fn, 10, &tb) || !cn_activation(env, a[11], fn, 11, &act) || !cn_double(env, a[12], fn, 12, &alpha))
    return NULL;
  if (ba < 1 || bb < 1 || M < 1 || N < 1 || K < 1)
    return cn_throw(env, "%s: sizes must be positive (batchA %d, batchB %d, M %d, N %d, K %d)", fn, ba, bb, M, N, K);
  if (ba != bb && ba != 1 && bb != 1)
    return cn_throw(env, "%s: batch sizes %d and %d do not broadcast (equal, or one of them 1)", fn, ba, bb);
  int batch = ba > bb ? ba : bb;
  size_t sa = cn_mul3((size_t)M, (size_t)K, 1), sb = cn_mul3((size_t)K, (size_t)N, 1), sc = cn_mul3((size_t)M, (size_t)N, 1);
  size_t na = cn_mul3(sa, (size_t)ba, 1), nb = cn_mul3(sb, (size_t)bb, 1), nc = cn_mul3(sc, (size_t)batch, 1);
  if (!na || !nb || !nc) return cn_throw(env, "%s: shapes too large", fn);
  if (!cn_need(env, fn, 0, la, na) || !cn_need(env, fn, 1, lb, nb) || (bias && !cn_need(env, fn, 2, lbias, (size_t)N)) ||
      !cn_need(env, fn, 3, lc, nc))
    return NULL;
  for (int i = 0; i < batch; i++) {
    const float *ai = A + (ba == 1 ? 0 : (size_t)i * sa), *bi = B + (bb == 1 ? 0 : (size_t)i * sb);
    if (cn_sgemm(ta != 0, tb != 0, M, N, K, 1.0f, ai, ta ? M : K, bi, tb ? K : N, 0.0f, C + (size_t)i * sc, N) != CN_OK)
      return cn_throw_oom(env, fn);
  }
  cn_bias_activation(C, (long)batch * M, N, bias, act, (float)alpha);
  return NULL;
}
CN_EXPORT("batchMatMul", js_batch_mat_mul)
