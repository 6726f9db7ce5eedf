/*
 * Memory of the kernels: per-thread scratch buffers and the allocation helpers that report a failure to JavaScript
 * instead of aborting (see cn.h, "memory").
 */
#include <stdint.h>
#include <stdlib.h>
#include "cn.h"

/* Size of the last request that failed (bytes); 0 when none since the last cn_throw_oom. */
static size_t g_failed_bytes = 0;
/* Test hook: requests above this many bytes fail as if memory had run out (SIZE_MAX: no limit). */
static size_t g_limit_bytes = SIZE_MAX;

static void note_failure(size_t bytes) { __atomic_store_n(&g_failed_bytes, bytes ? bytes : 1, __ATOMIC_RELAXED); }

static int refused(size_t bytes) {
  if (bytes <= __atomic_load_n(&g_limit_bytes, __ATOMIC_RELAXED)) return 0;
  note_failure(bytes);
  return 1;
}

napi_value cn_throw_oom(napi_env env, const char *fn) {
  size_t bytes = __atomic_exchange_n(&g_failed_bytes, 0, __ATOMIC_RELAXED);
  return cn_throw(env, "%s: out of memory (%zu bytes requested)", fn, bytes);
}

void *cn_alloc(size_t bytes) {
  if (refused(bytes)) return NULL;
  void *p = malloc(bytes);
  if (!p) note_failure(bytes);
  return p;
}

/* Bytes of n floats, saturating (a saturated request simply fails). */
static size_t float_bytes(size_t n) { return n > SIZE_MAX / sizeof(float) ? SIZE_MAX : n * sizeof(float); }

/* Ensures capacity for `need` floats, allocating `want` (≥ need) when the buffer must grow. */
static float *grow(float **buf, size_t *cap, size_t need, size_t want) {
  /* The limit applies to every request, grown or not, so that a test can fail a buffer an earlier call allocated. */
  if (refused(float_bytes(need))) return NULL;
  if (need > *cap) {
    free(*buf);
    void *p = 0;
    if (posix_memalign(&p, 64, float_bytes(want)) != 0) p = 0;
    *buf = (float *)p;
    *cap = p ? want : 0;
    if (!p) note_failure(float_bytes(want));
  }
  return *buf;
}

float *cn_grow(float **buf, size_t *cap, size_t floats) { return grow(buf, cap, floats, floats); }

/* Scratch: slot s of thread t. */
static float *g_scratch[CN_MAX_THREADS][CN_SCRATCH_SLOTS];
static size_t g_scratch_len[CN_MAX_THREADS][CN_SCRATCH_SLOTS];

float *cn_scratch(int slot, size_t floats) {
  int t = cn_thread_index();
  /* Grown with a quarter to spare, so that small regrowths are rare. */
  size_t want = floats > SIZE_MAX / 2 ? floats : floats + floats / 4 + 64;
  return grow(&g_scratch[t][slot], &g_scratch_len[t][slot], floats, want);
}

/* limitAllocations(bytes) → previous limit: test hook; every later request above `bytes` fails as if memory had run
   out (0 lifts the limit, and reports 0). Lets the tests reach each kernel's out-of-memory error without gigabytes. */
static napi_value js_limit_allocations(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  double bytes;
  if (!cn_args(env, info, "limitAllocations", 1, argv) || !cn_double(env, argv[0], "limitAllocations", 0, &bytes))
    return NULL;
  if (!(bytes >= 0) || bytes > 9007199254740992.0)
    return cn_throw(env, "limitAllocations: %g bytes is not a limit; give 0 (none) up to 2^53", bytes);
  size_t before = __atomic_exchange_n(&g_limit_bytes, bytes == 0 ? SIZE_MAX : (size_t)bytes, __ATOMIC_RELAXED);
  napi_create_double(env, before == SIZE_MAX ? 0.0 : (double)before, &out);
  return out;
}
CN_EXPORT("limitAllocations", js_limit_allocations)
