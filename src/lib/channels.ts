/**
 * Channel rounding used by width multipliers.
 *
 * `makeDivisible` is TF-slim's `_make_divisible` (tensorflow/models research/slim/nets/mobilenet/mobilenet.py),
 * also torchvision `models/_utils.py::_make_divisible`: round to the nearest multiple of `divisor`, never below
 * `minValue`, and never more than 10 % below the target (then add one `divisor`).
 */

export interface MakeDivisibleOptions {
  /** Smallest result; default `divisor`. */
  minValue?: number;
  /** The result may not fall below `roundLimit · v`; default 0.9 (TF-slim / torchvision). */
  roundLimit?: number;
}

/** Rounds `v` channels to a multiple of `divisor` as TF-slim/torchvision do (e.g. makeDivisible(32·0.35) = 16). */
export function makeDivisible(v: number, divisor = 8, options: MakeDivisibleOptions = {}): number {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`makeDivisible: channel count must be a positive number, got ${v}`);
  if (!Number.isInteger(divisor) || divisor < 1) throw new Error(`makeDivisible: divisor must be a positive integer, got ${divisor}`);
  const minValue = options.minValue ?? divisor;
  const roundLimit = options.roundLimit ?? 0.9;
  if (!(roundLimit > 0 && roundLimit <= 1)) throw new Error(`makeDivisible: roundLimit must be in (0, 1], got ${roundLimit}`);
  // Python's int(v + d/2) // d * d: truncation equals floor for positive v.
  let rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * v) rounded += divisor;
  return rounded;
}
