/**
 * Singular value decomposition of small dense matrices, written out so the lesson can show what
 * low-rank factorisation does: one-sided Jacobi (Hestenes) — plane rotations applied to pairs of
 * columns until every pair is orthogonal. This is the Jacobi eigen-method on AᵀA carried out on A
 * itself, which keeps the accuracy of the small singular values (AᵀA would square the condition number).
 */

/** A dense matrix, row-major: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A thin SVD A = U·diag(s)·Vᵀ with U [rows × k], s [k] (descending, ≥ 0), V [cols × k], k = min(rows, cols). */
export interface Svd {
  u: Matrix;
  s: Float64Array;
  v: Matrix;
}

/** Wraps a row-major array as a matrix, checking that its length is rows·cols. */
export function matrix(rows: number, cols: number, data: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new Error(`matrix: rows and cols must be positive integers, got ${rows} × ${cols}`);
  }
  if (data.length !== rows * cols) throw new Error(`matrix: ${rows} × ${cols} needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data: Float64Array.from(data) };
}

/** Transpose of `a`. */
export function transpose(a: Matrix): Matrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: out };
}

/** One-sided Jacobi SVD for rows ≥ cols; columns are stored contiguously (column-major) while rotating. */
function jacobiTall(a: Matrix, maxSweeps: number): Svd {
  const m = a.rows;
  const n = a.cols;
  const u = new Float64Array(m * n); // column-major copy of A: column j at [j*m, (j+1)*m)
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) u[j * m + i] = a.data[i * n + j];
  const v = new Float64Array(n * n); // column-major, starts as the identity
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const eps = 1e-15;
  let converged = false;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[p * m + i];
          const uq = u[q * m + i];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        converged = false;
        // Rotation that zeroes the (p, q) entry of AᵀA (Golub & Van Loan §8.6.3).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const up = u[p * m + i];
          const uq = u[q * m + i];
          u[p * m + i] = c * up - s * uq;
          u[q * m + i] = s * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[p * n + i];
          const vq = v[q * n + i];
          v[p * n + i] = c * vp - s * vq;
          v[q * n + i] = s * vp + c * vq;
        }
      }
    }
  }
  if (!converged) throw new Error(`svd: one-sided Jacobi did not converge in ${maxSweeps} sweeps (matrix ${m} × ${n}); the input may hold NaN or Inf`);
  const sigma = Array.from({ length: n }, (_, j) => {
    let norm = 0;
    for (let i = 0; i < m; i++) norm += u[j * m + i] ** 2;
    return Math.sqrt(norm);
  });
  const order = sigma.map((_, j) => j).sort((x, y) => sigma[y] - sigma[x]);
  const U = new Float64Array(m * n);
  const V = new Float64Array(n * n);
  const S = new Float64Array(n);
  order.forEach((src, k) => {
    S[k] = sigma[src];
    // A zero singular value leaves its U column zero: the factorisation stays exact (s = 0 there).
    const inv = sigma[src] > 0 ? 1 / sigma[src] : 0;
    for (let i = 0; i < m; i++) U[i * n + k] = u[src * m + i] * inv;
    for (let i = 0; i < n; i++) V[i * n + k] = v[src * n + i];
  });
  return { u: { rows: m, cols: n, data: U }, s: S, v: { rows: n, cols: n, data: V } };
}

/** Thin SVD of `a` (any shape); singular values in descending order. Cost O(sweeps · min² · max). */
export function svd(a: Matrix, maxSweeps = 60): Svd {
  for (const x of a.data) if (!Number.isFinite(x)) throw new Error('svd: the matrix holds a non-finite value (NaN or ±Inf)');
  if (a.rows >= a.cols) return jacobiTall(a, maxSweeps);
  const t = jacobiTall(transpose(a), maxSweeps); // Aᵀ = U S Vᵀ  ⇒  A = V S Uᵀ
  return { u: t.v, s: t.s, v: t.u };
}

/** Best rank-`rank` approximation of `a` in the Frobenius norm (Eckart–Young): U_r·diag(s_r)·V_rᵀ. */
export function lowRankApproximation(a: Matrix, rank: number): Matrix {
  const k = Math.min(a.rows, a.cols);
  if (!Number.isInteger(rank) || rank < 1 || rank > k) {
    throw new Error(`lowRankApproximation: rank must be an integer in 1..${k} (min of ${a.rows} × ${a.cols}), got ${rank}`);
  }
  const { u, s, v } = svd(a);
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += u.data[i * u.cols + r] * s[r] * v.data[j * v.cols + r];
      out[i * a.cols + j] = sum;
    }
  }
  return { rows: a.rows, cols: a.cols, data: out };
}

/** Frobenius norm ‖a‖_F. */
export function frobenius(a: Matrix): number {
  let sum = 0;
  for (const x of a.data) sum += x * x;
  return Math.sqrt(sum);
}
