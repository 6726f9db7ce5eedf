/** Boundary checks and shape helpers shared by the ops; every error names the value, the constraint and the fix. */

/** Throws unless `value` is an integer ≥ 1. `what` names the argument (e.g. "GroupConv2D 'g1': filters"). */
export function requirePositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer (≥ 1), got ${String(value)}; pass an integer such as 1, 2, 3.`);
  }
  return value;
}

/** Throws unless `value` is an integer ≥ 0. */
export function requireNonNegativeInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${what} must be a non-negative integer (≥ 0), got ${String(value)}.`);
  }
  return value;
}

/** Throws unless `value` is a finite number ≥ 0. */
export function requireNonNegativeNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${what} must be a finite number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

/**
 * Reads [H, W, C] from a Keras shape `[batch, H, W, C]` (batch may be null) and checks the rank and that
 * the spatial/channel sizes are known positive integers.
 */
export function nhwcDims(shape: ReadonlyArray<number | null>, who: string): [number, number, number] {
  if (shape.length !== 4) {
    throw new Error(`${who} expects a rank-4 NHWC input [batch, H, W, C], got shape [${shape.join(', ')}].`);
  }
  const [, h, w, c] = shape;
  for (const [v, n] of [[h, 'H'], [w, 'W'], [c, 'C']] as Array<[number | null, string]>) {
    if (v === null || !Number.isInteger(v) || v < 1) {
      throw new Error(`${who} needs a known positive ${n} in the input shape, got [${shape.join(', ')}].`);
    }
  }
  return [h as number, w as number, c as number];
}

/** Channel count (last axis) of a Keras shape; must be a known positive integer. */
export function channelsOf(shape: ReadonlyArray<number | null>, who: string): number {
  const c = shape[shape.length - 1];
  if (c === null || c === undefined || !Number.isInteger(c) || c < 1) {
    throw new Error(`${who} needs a known positive channel count (last axis), got shape [${shape.join(', ')}].`);
  }
  return c;
}

/** Output length of a conv/pool axis in TensorFlow's convention: 'same' → ⌈L/s⌉, 'valid' → ⌈(L−k+1)/s⌉. */
export function convOutputLength(length: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(length / stride) : Math.ceil((length - kernel + 1) / stride);
}

/** Unwraps a single Keras shape from `Shape | Shape[]` (layers here take one input). */
export function singleShape<T>(inputShape: T[] | T[][]): T[] {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as T[];
}

/** tfjs' base-layer arguments (name, trainable, dtype, inputShape, …); tfjs does not export the type by name. */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof import('@tensorflow/tfjs').layers.Layer>[0]>;
