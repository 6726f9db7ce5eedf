/**
 * Low-rank factorisation of one layer (Denton et al. 2014; Jaderberg et al. 2014): a conv kernel
 * [k, k, M, N] read as a (k·k·M) × N matrix W (a dense kernel [in, out] is already one) is replaced by
 * its best rank-r approximation U_r·S_r·V_rᵀ. Deployed, that is a k×k conv M→r followed by a 1×1 conv
 * r→N (dense: two dense layers), with r·(k·k·M + N) parameters instead of k·k·M·N. Here the product is
 * written back into the original layer, which computes exactly what the two-layer form would.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelWeight, kernelWeights, writeKernel } from './kernels';
import { frobenius, lowRankApproximation, matrix } from './svd';

/** Rows and columns of the matrix a kernel is read as: (product of all axes but the last) × last axis. */
export function kernelMatrixShape(shape: number[]): { rows: number; cols: number } {
  const cols = shape[shape.length - 1];
  return { rows: shape.reduce((a, b) => a * b, 1) / cols, cols };
}

/** The kernel of `model` with the most values (the layer where factorisation can save the most). */
export function largestKernel(model: tf.LayersModel): KernelWeight {
  const kernels = kernelWeights(model).filter((k) => k.className !== 'DepthwiseConv2D');
  if (kernels.length === 0) throw new Error('largestKernel: the model has no conv or dense kernel');
  return kernels.reduce((best, k) => (k.size > best.size ? k : best));
}

/** What {@link factorizeLayer} did. */
export interface LowRankReport {
  layerName: string;
  rank: number;
  rows: number;
  cols: number;
  /** Kernel parameters before (rows·cols) and in the factorised form r·(rows + cols). */
  paramsBefore: number;
  paramsAfter: number;
  /** ‖W − W_r‖_F / ‖W‖_F. */
  relativeError: number;
}

/**
 * Replaces the kernel of layer `layerName` by its rank-`rank` approximation in place.
 * Throws when the layer has no conv/dense kernel or the rank is outside 1 … min(rows, cols).
 */
export function factorizeLayer(model: tf.LayersModel, layerName: string, rank: number): LowRankReport {
  const kernels = kernelWeights(model).filter((k) => k.layerName === layerName && k.className !== 'DepthwiseConv2D');
  if (kernels.length !== 1) {
    const names = kernelWeights(model).filter((k) => k.className !== 'DepthwiseConv2D').map((k) => k.layerName);
    throw new Error(`factorizeLayer: no single conv/dense kernel in layer "${layerName}"; layers with one: ${names.join(', ')}`);
  }
  const k = kernels[0];
  const { rows, cols } = kernelMatrixShape(k.shape);
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(rows, cols)) {
    throw new Error(`factorizeLayer: rank must be an integer in 1..${Math.min(rows, cols)} for layer "${layerName}" (${rows} × ${cols}), got ${rank}`);
  }
  const w = matrix(rows, cols, k.variable.read().dataSync());
  const approx = lowRankApproximation(w, rank);
  const diff = { rows, cols, data: approx.data.map((x, i) => x - w.data[i]) };
  writeKernel(k, approx.data);
  return {
    layerName, rank, rows, cols, paramsBefore: rows * cols, paramsAfter: rank * (rows + cols),
    relativeError: frobenius(diff) / Math.max(frobenius(w), 1e-30),
  };
}
