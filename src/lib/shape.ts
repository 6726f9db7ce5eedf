/** Shape arithmetic shared by the kernels' glue, the inference plan and the cost counter. */

/** Number of elements of a tensor of shape `dims` (1 for a scalar). */
export function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** Row-major strides (in elements) of `shape`, innermost 1. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}
