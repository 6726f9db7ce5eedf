/**
 * Magnitude pruning (Han et al. 2015, "Learning both weights and connections"): set the fraction
 * `sparsity` of a kernel's weights with the smallest |w| to zero. Done per layer here, so every layer
 * keeps the same fraction (a global threshold would empty small, sensitive layers such as the first conv).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelWeights, writeKernel } from './kernels';

/** Checks a sparsity value (fraction of weights set to zero). */
export function checkSparsity(sparsity: number): void {
  if (!(typeof sparsity === 'number' && sparsity >= 0 && sparsity < 1)) {
    throw new Error(`pruning: sparsity must be a fraction in [0, 1) (e.g. 0.5 zeroes half of each kernel), got ${sparsity}`);
  }
}

/**
 * Returns a copy of `values` with the round(sparsity·n) entries of smallest |value| set to 0
 * (ties broken by position, so exactly that many are zeroed).
 */
export function pruneByMagnitude(values: ArrayLike<number>, sparsity: number): Float32Array {
  checkSparsity(sparsity);
  const out = Float32Array.from(values);
  const k = Math.round(sparsity * out.length);
  if (k === 0) return out;
  const order = Array.from({ length: out.length }, (_, i) => i).sort((a, b) => Math.abs(out[a]) - Math.abs(out[b]) || a - b);
  for (let i = 0; i < k; i++) out[order[i]] = 0;
  return out;
}

/** What {@link magnitudePrune} did. */
export interface PruneReport {
  sparsity: number;
  /** Kernel weights before pruning and after (non-zero). */
  kernelParams: number;
  kernelNonZero: number;
  /** Layers pruned. */
  layers: string[];
}

/**
 * Prunes every conv/dense kernel of `model` in place to `sparsity` (per layer), except layers named in
 * `skip`. Biases and BatchNorm parameters are untouched.
 */
export function magnitudePrune(model: tf.LayersModel, sparsity: number, skip: string[] = []): PruneReport {
  checkSparsity(sparsity);
  const kernels = kernelWeights(model);
  const names = new Set(kernels.map((k) => k.layerName));
  for (const s of skip) {
    if (!names.has(s)) throw new Error(`magnitudePrune: no kernel layer named "${s}" to skip; kernel layers: ${[...names].join(', ')}`);
  }
  const report: PruneReport = { sparsity, kernelParams: 0, kernelNonZero: 0, layers: [] };
  for (const k of kernels) {
    let values = k.variable.read().dataSync() as Float32Array;
    if (!skip.includes(k.layerName)) {
      values = pruneByMagnitude(values, sparsity);
      writeKernel(k, values);
      report.layers.push(k.layerName);
    }
    report.kernelParams += k.size;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) report.kernelNonZero++;
  }
  return report;
}
