/*
 * Data-movement kernels (float32; exact copies, no arithmetic):
 *   copyStrided   dst[Σ i_k·ds_k + do] = src[Σ i_k·ss_k + so] over a box: Slice, Transpose (and any N-d strided copy)
 *   padConstant   out = x with constant borders (PadV2)
 *   concatRows    out[r] = in_0[r] ‖ in_1[r] ‖ … over `outer` rows (Concat on any axis)
 *   splitRows     the inverse: out_i[r] = the i-th piece of x[r] (SplitV on any axis)
 * The tfjs wasm backend does these in JavaScript with one typed-array call per innermost run, which is slow when the
 * runs are short (slicing the channel axis of NHWC tensors: one run per pixel). Here every case is first collapsed
 * (size-1 axes dropped, axes contiguous in both tensors merged) so the innermost run is as long as possible, then the
 * runs are copied with memcpy, in parallel over rows when the tensor is large.
 * Source and destination must not overlap (tensors never share memory); the functions check and throw, since a copy
 * between overlapping strided ranges has no single right answer.
 */
#include <string.h>
#include "cn.h"

/* Ranks above this are rejected (tfjs kernels go up to 6; collapsing only lowers the rank). */
#define CP_MAX_RANK 8
/* Concat / SplitV pieces per call. */
#define CP_MAX_PARTS 256
/* Below this many floats the copy runs on the calling thread: a pool wake-up (~10 µs) costs more than the copy. */
#define CP_PAR_MIN 65536L
/* Edge of the square tiles of the transposing copy (both tiles' cache lines stay in L1). */
#define CP_TILE 16
/* Largest (p, last) plane of a transposing copy handled without tiling: 4096 floats = 16 KB per side. */
#define CP_PLANE 4096

/* Copies n floats; short runs (a few channels) with a loop, which beats a libc call there. */
static inline void copy_run(float *restrict dst, const float *restrict src, long n) {
  if (n <= 16) {
    for (long i = 0; i < n; i++) dst[i] = src[i];
  } else {
    memcpy(dst, src, (size_t)n * sizeof(float));
  }
}

static inline void fill_run(float *restrict dst, float v, long n) {
  for (long i = 0; i < n; i++) dst[i] = v;
}

/* Whether [a, a+na) and [b, b+nb) (in floats) share memory. */
static int overlaps(const float *a, size_t na, const float *b, size_t nb) {
  if (na == 0 || nb == 0) return 0;
  return a < b + nb && b < a + na;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Odometer over m axes (outermost first), tracking a source and a destination offset.                               */

typedef struct {
  int m;
  long ext[CP_MAX_RANK], ss[CP_MAX_RANK], ds[CP_MAX_RANK];
  long idx[CP_MAX_RANK];
  long so, dof;
} odo;

/* Positions the odometer at linear index t (row-major over ext), offsets relative to base offsets so0/do0. */
static void odo_seek(odo *o, long t, long so0, long do0) {
  o->so = so0;
  o->dof = do0;
  for (int k = o->m - 1; k >= 0; k--) {
    long i = t % o->ext[k];
    t /= o->ext[k];
    o->idx[k] = i;
    o->so += i * o->ss[k];
    o->dof += i * o->ds[k];
  }
}

static inline void odo_next(odo *o) {
  for (int k = o->m - 1; k >= 0; k--) {
    o->so += o->ss[k];
    o->dof += o->ds[k];
    if (++o->idx[k] < o->ext[k]) return;
    o->so -= o->ss[k] * o->ext[k];
    o->dof -= o->ds[k] * o->ext[k];
    o->idx[k] = 0;
  }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* copyStrided                                                                                                       */

typedef struct {
  const float *src;
  float *dst;
  odo outer;   /* axes other than the inner one(s) */
  long so, dof;
  long n;      /* run mode: run length; tile mode: extent of the last axis */
  /* tile mode: the second inner axis p (extent, strides) and the last axis' strides */
  long np, sp, dp, sl, dl, ptiles;
} strided_ctx;

/* Run mode: both innermost strides are 1, each outer index copies one contiguous run. */
static void strided_runs(void *vctx, long b, long e) {
  const strided_ctx *c = vctx;
  odo o = c->outer;
  odo_seek(&o, b, c->so, c->dof);
  for (long t = b; t < e; t++) {
    copy_run(c->dst + o.dof, c->src + o.so, c->n);
    odo_next(&o);
  }
}

/* Tile mode: items are (outer index, tile of axis p); each copies the [tile of p] × [all of the last axis] block in
 * CP_TILE×CP_TILE tiles so that neither side's strided accesses leave L1 (transposes). */
static void strided_tiles(void *vctx, long b, long e) {
  const strided_ctx *c = vctx;
  odo o = c->outer;
  long t = b;
  odo_seek(&o, t / c->ptiles, c->so, c->dof);
  long pt = t % c->ptiles;
  const long np = c->np, sp = c->sp, dp = c->dp, sl = c->sl, dl = c->dl, nl = c->n;
  for (; t < e; t++) {
    const float *restrict s0 = c->src + o.so;
    float *restrict d0 = c->dst + o.dof;
    long i0 = pt * CP_TILE, i1 = i0 + CP_TILE < np ? i0 + CP_TILE : np;
    for (long j0 = 0; j0 < nl; j0 += CP_TILE) {
      long j1 = j0 + CP_TILE < nl ? j0 + CP_TILE : nl;
      if (dl == 1) {
        for (long i = i0; i < i1; i++)
          for (long j = j0; j < j1; j++) d0[i * dp + j] = s0[i * sp + j * sl];
      } else {
        for (long i = i0; i < i1; i++)
          for (long j = j0; j < j1; j++) d0[i * dp + j * dl] = s0[i * sp + j * sl];
      }
    }
    if (++pt == c->ptiles) {
      pt = 0;
      odo_next(&o);
    }
  }
}

/* One (p, last) plane small enough for L1 on both sides: d[i·dp + j·dl] = s[i·sp + j·sl]. Channel shuffles give
 * planes [C/g, g] ⇄ [g, C/g] with g ≤ 8: a constant trip count for the short axis lets the compiler unroll it (an
 * (de)interleave), where a generic double loop spends most of its time on 2–3-iteration inner loops. */
#define CP_INTERLEAVE(G)                                                     \
  for (long i = 0; i < np; i++)                                              \
    for (long j = 0; j < (G); j++) d[i * dp + j] = s[i + j * sl];            \
  return;
#define CP_DEINTERLEAVE(G)                                                   \
  for (long j = 0; j < nl; j++)                                              \
    for (long i = 0; i < (G); i++) d[i * dp + j] = s[i + j * sl];            \
  return;
static void plane_copy(float *restrict d, const float *restrict s, long np, long nl, long sp, long sl, long dp,
                       long dl) {
  if (dl == 1 && sp == 1) {
    if (nl <= np) {
      switch (nl) {
        case 2: CP_INTERLEAVE(2)
        case 3: CP_INTERLEAVE(3)
        case 4: CP_INTERLEAVE(4)
        case 5: CP_INTERLEAVE(5)
        case 6: CP_INTERLEAVE(6)
        case 7: CP_INTERLEAVE(7)
        case 8: CP_INTERLEAVE(8)
        default: break;
      }
    } else {
      switch (np) {
        case 2: CP_DEINTERLEAVE(2)
        case 3: CP_DEINTERLEAVE(3)
        case 4: CP_DEINTERLEAVE(4)
        case 5: CP_DEINTERLEAVE(5)
        case 6: CP_DEINTERLEAVE(6)
        case 7: CP_DEINTERLEAVE(7)
        case 8: CP_DEINTERLEAVE(8)
        default: break;
      }
    }
  }
  for (long i = 0; i < np; i++)
    for (long j = 0; j < nl; j++) d[i * dp + j * dl] = s[i * sp + j * sl];
}

/* Plane mode: items are outer indices, each copies its whole (p, last) plane. */
static void strided_planes(void *vctx, long b, long e) {
  const strided_ctx *c = vctx;
  odo o = c->outer;
  odo_seek(&o, b, c->so, c->dof);
  for (long t = b; t < e; t++) {
    plane_copy(c->dst + o.dof, c->src + o.so, c->np, c->n, c->sp, c->sl, c->dp, c->dl);
    odo_next(&o);
  }
}

/* copyStrided(src, dst, rank, shape, srcStrides, srcOffset, dstStrides, dstOffset): for every index i of `shape`,
 * dst[dstOffset + Σ i_k·dstStrides_k] = src[srcOffset + Σ i_k·srcStrides_k]. Strides are non-negative; a zero-size
 * shape copies nothing. The destination positions must be distinct (a stride pattern that maps two indices to the
 * same place gives the last write, in an unspecified order). */
static napi_value js_copy_strided(napi_env env, napi_callback_info info) {
  const char *fn = "copyStrided";
  napi_value a[8];
  float *src, *dst;
  size_t ls, ld, lsh, lss, lds;
  int32_t *shape, *sstr, *dstr;
  int rank, soff, doff;
  if (!cn_args(env, info, fn, 8, a) || !cn_f32(env, a[0], fn, 0, &src, &ls) || !cn_f32(env, a[1], fn, 1, &dst, &ld) ||
      !cn_int(env, a[2], fn, 2, &rank) || !cn_i32(env, a[3], fn, 3, &shape, &lsh) ||
      !cn_i32(env, a[4], fn, 4, &sstr, &lss) || !cn_int(env, a[5], fn, 5, &soff) ||
      !cn_i32(env, a[6], fn, 6, &dstr, &lds) || !cn_int(env, a[7], fn, 7, &doff))
    return NULL;
  if (rank < 0 || rank > CP_MAX_RANK) return cn_throw(env, "%s: rank %d outside 0..%d", fn, rank, CP_MAX_RANK);
  if (!cn_need(env, fn, 3, lsh, rank) || !cn_need(env, fn, 4, lss, rank) || !cn_need(env, fn, 6, lds, rank)) return NULL;
  if (soff < 0 || doff < 0) return cn_throw(env, "%s: negative offset (src %d, dst %d)", fn, soff, doff);
  long ext[CP_MAX_RANK], ss[CP_MAX_RANK], ds[CP_MAX_RANK];
  size_t slast = (size_t)soff, dlast = (size_t)doff, total = 1;
  for (int k = 0; k < rank; k++) {
    if (shape[k] < 0 || sstr[k] < 0 || dstr[k] < 0)
      return cn_throw(env, "%s: axis %d has shape %d, strides %d/%d; none may be negative", fn, k, shape[k], sstr[k],
                      dstr[k]);
    if (shape[k] == 0) return NULL; /* nothing to copy */
    slast += (size_t)(shape[k] - 1) * (size_t)sstr[k];
    dlast += (size_t)(shape[k] - 1) * (size_t)dstr[k];
    total *= (size_t)shape[k];
  }
  /* Highest index read / written + 1 must lie inside the views. */
  if (!cn_need(env, fn, 0, ls, slast + 1) || !cn_need(env, fn, 1, ld, dlast + 1)) return NULL;
  if (overlaps(src + soff, slast + 1 - (size_t)soff, dst + doff, dlast + 1 - (size_t)doff))
    return cn_throw(env, "%s: source and destination overlap", fn);

  /* Collapse: drop size-1 axes, then merge axis k into k+1 when it steps over exactly the whole of k+1 on both sides. */
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (shape[k] == 1) continue;
    if (r > 0 && ss[r - 1] == (long)sstr[k] * shape[k] && ds[r - 1] == (long)dstr[k] * shape[k]) {
      ext[r - 1] *= shape[k];
      ss[r - 1] = sstr[k];
      ds[r - 1] = dstr[k];
      continue;
    }
    ext[r] = shape[k];
    ss[r] = sstr[k];
    ds[r] = dstr[k];
    r++;
  }
  if (r == 0) {
    dst[doff] = src[soff];
    return NULL;
  }
  strided_ctx c;
  memset(&c, 0, sizeof c);
  c.src = src;
  c.dst = dst;
  c.so = soff;
  c.dof = doff;
  const int last = r - 1;
  long items;
  cn_range_fn body;
  if (ss[last] == 1 && ds[last] == 1) {
    c.n = ext[last];
    c.outer.m = last;
    for (int k = 0; k < last; k++) {
      c.outer.ext[k] = ext[k];
      c.outer.ss[k] = ss[k];
      c.outer.ds[k] = ds[k];
    }
    items = (long)(total / (size_t)c.n);
    body = strided_runs;
  } else {
    /* Pair the last axis with the axis p whose stride is smallest on the side where the last axis is strided (for a
     * transpose: the axis contiguous in the source), and tile the (p, last) plane; r == 1 gives a plain strided loop. */
    int p = -1;
    for (int k = 0; k < last; k++) {
      long key = ds[last] == 1 ? ss[k] : ds[k];
      if (p < 0 || key < (ds[last] == 1 ? ss[p] : ds[p])) p = k;
    }
    c.n = ext[last];
    c.sl = ss[last];
    c.dl = ds[last];
    if (p >= 0) {
      c.np = ext[p];
      c.sp = ss[p];
      c.dp = ds[p];
    } else {
      c.np = 1;
    }
    /* Planes that fit in L1 are copied whole (no tiling); larger ones in tiles of rows of p. */
    c.ptiles = c.np * c.n <= CP_PLANE ? 1 : (c.np + CP_TILE - 1) / CP_TILE;
    int m = 0;
    for (int k = 0; k < last; k++) {
      if (k == p) continue;
      c.outer.ext[m] = ext[k];
      c.outer.ss[m] = ss[k];
      c.outer.ds[m] = ds[k];
      m++;
    }
    c.outer.m = m;
    items = (long)(total / (size_t)(c.np * c.n)) * c.ptiles;
    body = c.ptiles == 1 ? strided_planes : strided_tiles;
  }
  if ((long)total >= CP_PAR_MIN)
    cn_parallel_for(items, body, &c);
  else
    body(&c, 0, items);
  return NULL;
}
CN_EXPORT("copyStrided", js_copy_strided)

/* ---------------------------------------------------------------------------------------------------------------- */
/* padConstant                                                                                                       */

typedef struct {
  const float *x;
  float *out;
  odo rows;                 /* output rows: all axes but the last; ss = input strides, ds = output strides */
  long xext[CP_MAX_RANK];   /* input extent per row axis */
  long before[CP_MAX_RANK]; /* padding before per row axis */
  long nb, nx, na;          /* last axis: before, input, after */
  float value;
} pad_ctx;

static void pad_rows(void *vctx, long b, long e) {
  const pad_ctx *c = vctx;
  const int m = c->rows.m;
  const long width = c->nb + c->nx + c->na;
  long idx[CP_MAX_RANK];
  long t = b;
  for (int k = m - 1; k >= 0; k--) {
    idx[k] = t % c->rows.ext[k];
    t /= c->rows.ext[k];
  }
  for (long row = b; row < e; row++) {
    float *restrict o = c->out + row * width;
    long xo = 0;
    int inside = 1;
    for (int k = 0; k < m; k++) {
      long i = idx[k] - c->before[k];
      if (i < 0 || i >= c->xext[k]) {
        inside = 0;
        break;
      }
      xo += i * c->rows.ss[k];
    }
    if (inside) {
      fill_run(o, c->value, c->nb);
      copy_run(o + c->nb, c->x + xo, c->nx);
      fill_run(o + c->nb + c->nx, c->value, c->na);
    } else {
      fill_run(o, c->value, width);
    }
    for (int k = m - 1; k >= 0; k--) {
      if (++idx[k] < c->rows.ext[k]) break;
      idx[k] = 0;
    }
  }
}

/* padConstant(x, out, rank, xShape, before, after, value): out has shape before + xShape + after (per axis) and
 * holds x at offset `before`, `value` elsewhere. Paddings are non-negative. */
static napi_value js_pad_constant(napi_env env, napi_callback_info info) {
  const char *fn = "padConstant";
  napi_value a[7];
  float *x, *out;
  size_t lx, lo, lsh, lb, la;
  int32_t *shape, *bef, *aft;
  int rank;
  double value;
  if (!cn_args(env, info, fn, 7, a) || !cn_f32(env, a[0], fn, 0, &x, &lx) || !cn_f32(env, a[1], fn, 1, &out, &lo) ||
      !cn_int(env, a[2], fn, 2, &rank) || !cn_i32(env, a[3], fn, 3, &shape, &lsh) ||
      !cn_i32(env, a[4], fn, 4, &bef, &lb) || !cn_i32(env, a[5], fn, 5, &aft, &la) ||
      !cn_double(env, a[6], fn, 6, &value))
    return NULL;
  if (rank < 1 || rank > CP_MAX_RANK) return cn_throw(env, "%s: rank %d outside 1..%d", fn, rank, CP_MAX_RANK);
  if (!cn_need(env, fn, 3, lsh, rank) || !cn_need(env, fn, 4, lb, rank) || !cn_need(env, fn, 5, la, rank)) return NULL;
  size_t xsize = 1, osize = 1;
  for (int k = 0; k < rank; k++) {
    if (shape[k] < 0 || bef[k] < 0 || aft[k] < 0)
      return cn_throw(env, "%s: axis %d has size %d, padding %d/%d; none may be negative", fn, k, shape[k], bef[k],
                      aft[k]);
    xsize *= (size_t)shape[k];
    osize *= (size_t)shape[k] + (size_t)bef[k] + (size_t)aft[k];
  }
  if (!cn_need(env, fn, 0, lx, xsize) || !cn_need(env, fn, 1, lo, osize)) return NULL;
  if (osize == 0) return NULL;
  if (overlaps(x, xsize, out, osize)) return cn_throw(env, "%s: input and output overlap", fn);
  if (xsize == 0) {
    fill_run(out, (float)value, (long)osize);
    return NULL;
  }
  /* Collapse: an axis without padding merges into the (collapsed) axis before it, whose paddings then count in rows
   * of the merged axis: output index o·s + i is inside iff o is, and reads input index (o − before)·s + i. */
  long ext[CP_MAX_RANK], nb[CP_MAX_RANK], na[CP_MAX_RANK];
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (r > 0 && bef[k] == 0 && aft[k] == 0) {
      ext[r - 1] *= shape[k];
      nb[r - 1] *= shape[k];
      na[r - 1] *= shape[k];
      continue;
    }
    ext[r] = shape[k];
    nb[r] = bef[k];
    na[r] = aft[k];
    r++;
  }
  pad_ctx c;
  memset(&c, 0, sizeof c);
  c.x = x;
  c.out = out;
  c.value = (float)value;
  const int last = r - 1;
  c.nb = nb[last];
  c.nx = ext[last];
  c.na = na[last];
  c.rows.m = last;
  long xstride = ext[last];
  long rows = 1;
  for (int k = last - 1; k >= 0; k--) {
    c.rows.ext[k] = nb[k] + ext[k] + na[k];
    c.rows.ss[k] = xstride;
    c.xext[k] = ext[k];
    c.before[k] = nb[k];
    xstride *= ext[k];
    rows *= c.rows.ext[k];
  }
  if ((long)osize >= CP_PAR_MIN)
    cn_parallel_for(rows, pad_rows, &c);
  else
    pad_rows(&c, 0, rows);
  return NULL;
}
CN_EXPORT("padConstant", js_pad_constant)

/* ---------------------------------------------------------------------------------------------------------------- */
/* concatRows / splitRows                                                                                            */

/* Reads a JS array of Float32Arrays (argument `index`) into ptrs/lens; returns its length, or -1 after throwing. */
static int f32_list(napi_env env, napi_value v, const char *fn, int index, float **ptrs, size_t *lens) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, v, &is) != napi_ok || !is || napi_get_array_length(env, v, &n) != napi_ok) {
    cn_throw(env, "%s: argument %d must be an array of Float32Arrays", fn, index);
    return -1;
  }
  if (n < 1 || n > CP_MAX_PARTS) {
    cn_throw(env, "%s: argument %d holds %u arrays; give 1..%d", fn, index, n, CP_MAX_PARTS);
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, v, i, &el) != napi_ok || !cn_f32(env, el, fn, index, &ptrs[i], &lens[i])) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (!pending) cn_throw(env, "%s: cannot read element %u of argument %d", fn, i, index);
      return -1;
    }
  }
  return (int)n;
}

typedef struct {
  float **parts;     /* concat: the inputs; split: the outputs */
  float *whole;      /* concat: the output; split: the input */
  const long *inner; /* row length of each part */
  long width;        /* Σ inner */
  int n;
  int split;
} rows_ctx;

static void rows_range(void *vctx, long b, long e) {
  const rows_ctx *c = vctx;
  for (long r = b; r < e; r++) {
    float *w = c->whole + r * c->width;
    for (int i = 0; i < c->n; i++) {
      long len = c->inner[i];
      float *p = c->parts[i] + r * len;
      if (c->split)
        copy_run(p, w, len);
      else
        copy_run(w, p, len);
      w += len;
    }
  }
}

/* Shared body of concatRows(inputs, inners, outer, out) and splitRows(x, outer, inners, outputs): the whole tensor is
 * [outer, Σ inners], part i is [outer, inners[i]] and sits at column Σ_{j<i} inners[j] of each row. */
static napi_value rows_common(napi_env env, const char *fn, int split, napi_value parts_v, int parts_index,
                              napi_value inner_v, int inner_index, napi_value outer_v, int outer_index,
                              napi_value whole_v, int whole_index) {
  float *parts[CP_MAX_PARTS];
  size_t plens[CP_MAX_PARTS];
  long inner[CP_MAX_PARTS];
  float *whole;
  size_t lw, lin;
  int32_t *in32;
  int outer;
  int n = f32_list(env, parts_v, fn, parts_index, parts, plens);
  if (n < 0 || !cn_i32(env, inner_v, fn, inner_index, &in32, &lin) || !cn_int(env, outer_v, fn, outer_index, &outer) ||
      !cn_f32(env, whole_v, fn, whole_index, &whole, &lw))
    return NULL;
  if (lin != (size_t)n) return cn_throw(env, "%s: %d arrays but %zu row lengths", fn, n, lin);
  if (outer < 0) return cn_throw(env, "%s: negative row count %d", fn, outer);
  long width = 0;
  for (int i = 0; i < n; i++) {
    if (in32[i] < 0) return cn_throw(env, "%s: negative row length %d of part %d", fn, in32[i], i);
    inner[i] = in32[i];
    width += inner[i];
    if (!cn_need(env, fn, parts_index, plens[i], (size_t)outer * (size_t)inner[i])) return NULL;
  }
  size_t total = (size_t)outer * (size_t)width;
  if (!cn_need(env, fn, whole_index, lw, total)) return NULL;
  for (int i = 0; i < n; i++) {
    if (overlaps(parts[i], (size_t)outer * (size_t)inner[i], whole, total))
      return cn_throw(env, "%s: part %d overlaps the %s", fn, i, split ? "input" : "output");
    /* Split outputs must not overlap each other either (concat inputs may: they are only read). */
    if (split)
      for (int j = 0; j < i; j++)
        if (overlaps(parts[i], (size_t)outer * (size_t)inner[i], parts[j], (size_t)outer * (size_t)inner[j]))
          return cn_throw(env, "%s: outputs %d and %d overlap", fn, j, i);
  }
  if (total == 0) return NULL;
  rows_ctx c = {parts, whole, inner, width, n, split};
  if ((long)total >= CP_PAR_MIN)
    cn_parallel_for(outer, rows_range, &c);
  else
    rows_range(&c, 0, outer);
  return NULL;
}

/* concatRows(inputs: Float32Array[], inners: Int32Array, outer, out): out[r] = inputs[0][r] ‖ inputs[1][r] ‖ …,
 * row r of input i being inners[i] floats. Concat on axis a: outer = Π shape[:a], inners[i] = Π shape_i[a:]. */
static napi_value js_concat_rows(napi_env env, napi_callback_info info) {
  const char *fn = "concatRows";
  napi_value a[4];
  if (!cn_args(env, info, fn, 4, a)) return NULL;
  return rows_common(env, fn, 0, a[0], 0, a[1], 1, a[2], 2, a[3], 3);
}
CN_EXPORT("concatRows", js_concat_rows)

/* splitRows(x, outer, inners: Int32Array, outputs: Float32Array[]): the inverse of concatRows (SplitV). */
static napi_value js_split_rows(napi_env env, napi_callback_info info) {
  const char *fn = "splitRows";
  napi_value a[4];
  if (!cn_args(env, info, fn, 4, a)) return NULL;
  return rows_common(env, fn, 1, a[3], 3, a[2], 2, a[1], 1, a[0], 0);
}
CN_EXPORT("splitRows", js_split_rows)
