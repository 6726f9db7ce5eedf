/**
 * Comparisons of computed values with expected ones, within a tolerance or bit for bit, each naming the worst or the
 * first offending element in its failure message.
 */
import { strict as assert } from 'assert';

/** max |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts max |actual − expected| ≤ tol, naming the worst index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} at ${at} (actual ${actual[at]}, expected ${expected[at]}) > ${tol}`);
}

/** Asserts |a − b| ≤ tol for two numbers. */
export function assertNear(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);
}

/** Asserts |ours − published| / published ≤ rounding (relative). */
export function withinRounding(ours: number, published: number, rounding: number, what: string): void {
  assert.ok(Math.abs(ours - published) / published <= rounding + 1e-12, `${what}: ours ${ours} vs published ${published} (±${(rounding * 100).toFixed(2)} %)`);
}

/**
 * max|a − b| / max(floor, max|b|): error relative to the oracle's scale over the finite values; NaN/±inf must sit at
 * the same places with the same values (else Infinity). Fails when the scale is 0 (the case would test nothing).
 * `floor` bounds the scale from below where exact gradients are 0 and only rounding remains.
 */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 0): number {
  assert.equal(actual.length, expected.length, 'length');
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  assert.ok(scale > 0, 'oracle is all zeros: the case does not test anything');
  return diff / scale;
}

/** Asserts scaledError(actual, expected, floor) ≤ tol (default 1e-4 of the oracle's scale), naming the check. */
export function assertScaled(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4, floor = 0): void {
  const e = scaledError(actual, expected, floor);
  assert.ok(e <= tol, `${what}: scaled error ${e.toExponential(2)} > ${tol}`);
}

/** Asserts |actual − expected| ≤ max(absTol, relTol·|expected|) at every index, naming the first one outside. */
export function assertCloseRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relTol = 1e-4, absTol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > Math.max(absTol, relTol * Math.abs(expected[i]))) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs expected ${expected[i]} (|diff| ${err.toExponential(2)})`);
    }
  }
}

/**
 * Asserts two float arrays hold the same values bit for bit (NaN equals NaN); −0 equals 0 unless `signedZeros`.
 * For exact kernels (copies, shifts) and for runs that must be deterministic.
 */
export function assertSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, { signedZeros = false } = {}): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Object.is(actual[i], expected[i]) || (!signedZeros && actual[i] === 0 && expected[i] === 0)) continue;
    assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}
