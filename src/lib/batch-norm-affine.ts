/**
 * An inference-mode BatchNormalization as a per-channel affine map y = x·scale + shift, in double precision: what
 * both the ONNX exporter and the inference plan fold into the convolution before it (or apply on their own).
 */

/** The statistics and parameters of one BatchNorm layer (gamma / beta null when the layer has no scale / center). */
export interface BatchNormStatistics {
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
  gamma: ArrayLike<number> | null;
  beta: ArrayLike<number> | null;
  epsilon: number;
}

/** scale[c] = γ[c] / √(var[c] + ε), shift[c] = β[c] − mean[c]·scale[c], for c < channels. */
export function batchNormAffine(bn: BatchNormStatistics, channels: number): { scale: Float64Array; shift: Float64Array } {
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (bn.gamma === null ? 1 : bn.gamma[c]) / Math.sqrt(bn.variance[c] + bn.epsilon);
    shift[c] = (bn.beta === null ? 0 : bn.beta[c]) - bn.mean[c] * scale[c];
  }
  return { scale, shift };
}
