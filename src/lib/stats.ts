/**
 * Statistics of measurements: the median, a summary per configuration (n, mean, sample standard deviation) and
 * {@link compare}, which decides whether two configurations differ by more than their seed-to-seed noise.
 *
 * The comparison is Welch's t interval for the difference of two means (no equal-variance assumption,
 * fractional degrees of freedom), the usual choice for a handful of seeds per side. The Student-t
 * distribution is computed here from the regularised incomplete beta function, so the module needs
 * no statistics package.
 */

/** Median of a non-empty list of numbers (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of an empty list: measure at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** n, mean, sample standard deviation (n − 1 in the denominator; 0 for n = 1), min and max of some values. */
export interface Summary {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** Summarises finite values; throws on an empty list or a non-finite value (naming its position). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values (a configuration needs at least one finished run)');
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`summarize: value ${i} is ${v}; every value must be a finite number`);
  });
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return { n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...values), max: Math.max(...values) };
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error below 1e-13). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma: x must be > 0, got ${x}`);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return h;
  }
  return h; // converged to double precision well before 300 terms for the arguments used here
}

/** Regularised incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new Error(`incompleteBeta: a and b must be > 0, got a = ${a}, b = ${b}`);
  if (!(x >= 0 && x <= 1)) throw new Error(`incompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast on one side of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) on the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (fractional df allowed, as Welch's test needs). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTCdf: degrees of freedom must be > 0, got ${df}`);
  if (Number.isNaN(t)) throw new Error('studentTCdf: t is NaN');
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p for Student's t with `df` > 0 degrees of freedom, p in (0, 1). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be strictly between 0 and 1, got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: degrees of freedom must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bracket, then bisect: the CDF is monotone and cheap; 200 halvings reach double precision.
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-14 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The outcome of {@link compare}: which side is better, or that the interval of the difference includes 0. */
export type Verdict = 'A better' | 'B better' | 'within noise';

/** What {@link compare} returns. `difference` and `interval` are mean(A) − mean(B), in the values' units. */
export interface Comparison {
  a: Summary;
  b: Summary;
  difference: number;
  /** Confidence interval of the difference of the means (Welch). */
  interval: [number, number];
  /** Confidence level of the interval, e.g. 0.95. */
  confidence: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value of "no difference". */
  pValue: number;
  verdict: Verdict;
  method: 'welch-t';
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** Confidence level of the interval, in (0, 1); default 0.95. */
  confidence?: number;
  /** Whether larger values are better (accuracy: yes, default; loss: no). */
  higherIsBetter?: boolean;
}

/** A run's value for {@link compare}: a number, or a record whose `top1` (fraction) is compared. */
export type Measurement = number | { top1: number };

function valueOf(m: Measurement, side: string, i: number): number {
  const v = typeof m === 'number' ? m : m?.top1;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`compare: run ${i} of ${side} has no finite value (got ${JSON.stringify(m)}); pass numbers or records with a numeric top1`);
  }
  return v;
}

/**
 * Compares configuration A with configuration B over repeated runs (one value per seed): Welch's t interval for
 * mean(A) − mean(B) at `confidence` (default 95 %), and the verdict "A better" / "B better" when the interval
 * excludes 0, else "within noise". Needs at least 2 runs per side (the noise cannot be estimated from one).
 */
export function compare(runsA: readonly Measurement[], runsB: readonly Measurement[], options: CompareOptions = {}): Comparison {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new Error(`compare: confidence must be strictly between 0 and 1, got ${confidence}`);
  for (const [side, runs] of [['A', runsA], ['B', runsB]] as const) {
    if (runs.length < 2) {
      throw new Error(`compare: side ${side} has ${runs.length} run(s); at least 2 per side are needed to estimate the seed-to-seed noise (3 or more recommended)`);
    }
  }
  const a = summarize(runsA.map((m, i) => valueOf(m, 'A', i)));
  const b = summarize(runsB.map((m, i) => valueOf(m, 'B', i)));
  const difference = a.mean - b.mean;
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se = Math.sqrt(va + vb);
  let df: number;
  let interval: [number, number];
  let pValue: number;
  if (se === 0) {
    // Both sides repeat one value exactly: the difference is known without error.
    df = a.n + b.n - 2;
    interval = [difference, difference];
    pValue = difference === 0 ? 1 : 0;
  } else {
    df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
    const half = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
    interval = [difference - half, difference + half];
    pValue = 2 * (1 - studentTCdf(Math.abs(difference) / se, df));
  }
  const higherIsBetter = options.higherIsBetter ?? true;
  let verdict: Verdict = 'within noise';
  if (interval[0] > 0) verdict = higherIsBetter ? 'A better' : 'B better';
  else if (interval[1] < 0) verdict = higherIsBetter ? 'B better' : 'A better';
  return { a, b, difference, interval, confidence, df, pValue, verdict, method: 'welch-t' };
}
