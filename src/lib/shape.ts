/** Shape arithmetic shared by the kernels' glue, the inference plan, the ONNX exporter and the cost counter. */
import type * as tf from '@tensorflow/tfjs';

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

/** [top, bottom, left, right] of a ZeroPadding2D layer's config (a number, [rows, cols] or [[t, b], [l, r]]). */
export function zeroPaddingAmounts(layer: tf.layers.Layer): [number, number, number, number] {
  const p = layer.getConfig().padding as number | number[] | number[][];
  if (typeof p === 'number') return [p, p, p, p];
  if (typeof p[0] === 'number') return [p[0] as number, p[0] as number, p[1] as number, p[1] as number];
  const [[t, b], [l, r]] = p as number[][];
  return [t, b, l, r];
}
