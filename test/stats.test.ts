import { strict as assert } from 'assert';
import { compare, incompleteBeta, logGamma, median, studentTCdf, studentTQuantile, summarize } from '../src/lib/stats';
import { Rng } from '../src/lib/seed';

/** Student-t density, for the numerical-integration oracle. */
function tDensity(t: number, df: number): number {
  return Math.exp(logGammaRef((df + 1) / 2) - logGammaRef(df / 2)) / Math.sqrt(df * Math.PI) * Math.pow(1 + (t * t) / df, -(df + 1) / 2);
}

/** ln Γ by Stirling's series after shifting x above 20: an implementation independent of the Lanczos one under test. */
function logGammaRef(x: number): number {
  let shift = 0;
  while (x < 20) {
    shift += Math.log(x);
    x += 1;
  }
  const series = 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5) - 1 / (1680 * x ** 7);
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** P(T ≤ t) by Simpson's rule from 0 (where the CDF is 1/2). */
function tCdfByIntegration(t: number, df: number): number {
  const n = 20000;
  const h = t / n;
  let s = tDensity(0, df) + tDensity(t, df);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * tDensity(i * h, df);
  return 0.5 + (s * h) / 3;
}

/** Standard normal draw (Box–Muller) from our seeded generator. */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

describe('stats: special functions against closed forms and tables', () => {
  it('logGamma matches factorials, Γ(1/2) = √π and an independent Stirling evaluation', () => {
    for (let n = 1; n <= 15; n++) {
      let f = 1;
      for (let k = 2; k < n; k++) f *= k;
      assert.ok(Math.abs(logGamma(n) - Math.log(f)) < 1e-10, `Γ(${n})`);
    }
    assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
    for (const x of [0.3, 1.7, 2.5, 7.25, 33.3]) assert.ok(Math.abs(logGamma(x) - logGammaRef(x)) < 1e-9, `x = ${x}`);
    assert.throws(() => logGamma(0), /x must be > 0, got 0/);
  });

  it('incompleteBeta matches I_x(a,1) = x^a, I_x(1,b) = 1 − (1−x)^b and the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)', () => {
    for (const x of [0.01, 0.2, 0.5, 0.77, 0.99]) {
      for (const a of [0.5, 1, 2.5, 7]) {
        assert.ok(Math.abs(incompleteBeta(x, a, 1) - x ** a) < 1e-12, `I_${x}(${a}, 1)`);
        assert.ok(Math.abs(incompleteBeta(x, 1, a) - (1 - (1 - x) ** a)) < 1e-12, `I_${x}(1, ${a})`);
        assert.ok(Math.abs(incompleteBeta(x, a, 3.3) - (1 - incompleteBeta(1 - x, 3.3, a))) < 1e-12);
      }
    }
    assert.throws(() => incompleteBeta(1.2, 1, 1), /x must be in \[0, 1\], got 1.2/);
  });

  it('studentTCdf matches the closed forms for df = 1 and 2 and numerical integration for fractional df', () => {
    for (const t of [-8, -1.3, -0.2, 0, 0.4, 1, 2.5, 12]) {
      assert.ok(Math.abs(studentTCdf(t, 1) - (0.5 + Math.atan(t) / Math.PI)) < 1e-12, `df 1, t ${t}`);
      assert.ok(Math.abs(studentTCdf(t, 2) - (0.5 + t / (2 * Math.sqrt(2 + t * t)))) < 1e-12, `df 2, t ${t}`);
    }
    for (const df of [2.7, 3.9, 7.31, 18.5]) {
      for (const t of [0.5, 1.7, 3.2]) {
        assert.ok(Math.abs(studentTCdf(t, df) - tCdfByIntegration(t, df)) < 1e-9, `df ${df}, t ${t}`);
        assert.ok(Math.abs(studentTCdf(-t, df) - (1 - studentTCdf(t, df))) < 1e-14);
      }
    }
  });

  it('studentTQuantile reproduces the printed two-sided 95 % critical values', () => {
    const table: Array<[number, number]> = [[1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [5, 2.5706], [10, 2.2281], [30, 2.0423], [1000, 1.9623]];
    for (const [df, t] of table) assert.ok(Math.abs(studentTQuantile(0.975, df) - t) < 5e-5, `df ${df}: ${studentTQuantile(0.975, df)}`);
    assert.ok(Math.abs(studentTQuantile(0.95, 5) - 2.015) < 5e-4);
    assert.ok(Math.abs(studentTQuantile(0.025, 4) + 2.7764) < 5e-5);
    for (const df of [1.5, 4.2, 9]) for (const p of [0.6, 0.9, 0.995]) assert.ok(Math.abs(studentTCdf(studentTQuantile(p, df), df) - p) < 1e-10);
    assert.throws(() => studentTQuantile(1, 3), /p must be strictly between 0 and 1, got 1/);
  });
});

describe('stats: summarize and compare', () => {
  it('summarize gives n, mean, the n−1 standard deviation, min and max', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.deepEqual([s.n, s.mean, s.min, s.max], [8, 5, 2, 9]);
    assert.ok(Math.abs(s.sd - Math.sqrt(32 / 7)) < 1e-12);
    assert.equal(summarize([0.4]).sd, 0);
    assert.throws(() => summarize([]), /no values/);
    assert.throws(() => summarize([1, NaN]), /value 1 is NaN/);
  });

  it('compare computes Welch’s interval by hand for a worked example (B better)', () => {
    // Means 2 and 5, sd 1 each, n 3 each: se = √(2/3), df = 4, t(0.975, 4) = 2.7764.
    const c = compare([1, 2, 3], [4, 5, 6]);
    assert.equal(c.difference, -3);
    assert.ok(Math.abs(c.df - 4) < 1e-12);
    const half = 2.776445 * Math.sqrt(2 / 3);
    assert.ok(Math.abs(c.interval[0] - (-3 - half)) < 1e-5 && Math.abs(c.interval[1] - (-3 + half)) < 1e-5);
    assert.equal(c.verdict, 'B better');
    assert.ok(Math.abs(c.pValue - 2 * (1 - tCdfByIntegration(3 / Math.sqrt(2 / 3), 4))) < 1e-8);
    assert.equal(compare([4, 5, 6], [1, 2, 3]).verdict, 'A better');
    assert.equal(compare([1, 2, 3], [4, 5, 6], { higherIsBetter: false }).verdict, 'A better', 'for a loss, lower is better');
  });

  it('compare accepts run records (top1) and unequal group sizes with unequal variances', () => {
    const c = compare([{ top1: 0.61 }, { top1: 0.63 }, { top1: 0.62 }, { top1: 0.6 }], [{ top1: 0.5 }, { top1: 0.58 }, { top1: 0.66 }]);
    // Welch–Satterthwaite by hand: va = s_a²/4, vb = s_b²/3.
    const sa2 = ((0.61 - 0.615) ** 2 + (0.63 - 0.615) ** 2 + (0.62 - 0.615) ** 2 + (0.6 - 0.615) ** 2) / 3;
    const sb2 = (0.08 ** 2 + 0 + 0.08 ** 2) / 2;
    const va = sa2 / 4;
    const vb = sb2 / 3;
    assert.ok(Math.abs(c.df - (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2)) < 1e-9);
    assert.equal(c.verdict, 'within noise');
    assert.ok(c.interval[0] < 0 && c.interval[1] > 0);
  });

  it('A/A comparisons (same distribution, 3 seeds a side) come out within noise about 95 % of the time', () => {
    const rng = new Rng(7);
    let falseAlarms = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const draw = () => Array.from({ length: 3 }, () => 0.55 + 0.02 * normal(rng));
      if (compare(draw(), draw()).verdict !== 'within noise') falseAlarms++;
    }
    const rate = falseAlarms / trials;
    assert.ok(rate > 0.025 && rate < 0.065, `false-alarm rate ${rate}`);
  });

  it('a real difference of 5 noise sds is found almost always', () => {
    const rng = new Rng(11);
    let found = 0;
    for (let t = 0; t < 500; t++) {
      const a = Array.from({ length: 3 }, () => 0.6 + 0.01 * normal(rng));
      const b = Array.from({ length: 3 }, () => 0.55 + 0.01 * normal(rng));
      if (compare(a, b).verdict === 'A better') found++;
    }
    assert.ok(found / 500 > 0.9, `power ${found / 500}`);
  });

  it('identical repeated values: an exact difference is decisive, no difference is within noise', () => {
    assert.equal(compare([0.5, 0.5], [0.4, 0.4]).verdict, 'A better');
    assert.equal(compare([0.5, 0.5], [0.5, 0.5]).verdict, 'within noise');
  });

  it('rejects one run per side, non-finite values and a bad confidence', () => {
    assert.throws(() => compare([0.5], [0.4, 0.3]), /side A has 1 run\(s\); at least 2 per side/);
    assert.throws(() => compare([0.5, 0.6], [0.4, NaN]), /run 1 of B has no finite value/);
    assert.throws(() => compare([0.5, 0.6], [0.4, 0.3], { confidence: 95 }), /confidence must be strictly between 0 and 1, got 95/);
  });
});

describe('median', () => {
  it('is the middle value of an odd count and the mean of the two middle values of an even count, in any order', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([7]), 7);
  });

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('rejects an empty list', () => {
    assert.throws(() => median([]), /median of an empty list/);
  });
});
