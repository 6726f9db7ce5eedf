/** The weights compression acts on: convolution and fully-connected kernels of a built tfjs model. */
import * as tf from '@tensorflow/tfjs';

/** One kernel of a model, with its layer; `variable.read()`/`write()` access the values. */
export interface KernelWeight {
  layerName: string;
  className: string;
  /** e.g. "kernel", "depthwise_kernel", "pointwise_kernel". */
  weightName: string;
  /** Conv: [kh, kw, C_in, C_out]; depthwise: [kh, kw, C, mult]; dense: [in, out]. */
  shape: number[];
  size: number;
  variable: tf.LayerVariable;
}

/**
 * Every kernel (a weight of rank ≥ 2 whose name ends in "kernel") of `model`, nested models included.
 * Biases and BatchNorm parameters are not kernels: compression methods leave them in float32.
 */
export function kernelWeights(model: tf.LayersModel): KernelWeight[] {
  const out: KernelWeight[] = [];
  const visit = (m: tf.LayersModel) => {
    for (const layer of m.layers) {
      if (layer instanceof tf.LayersModel) {
        visit(layer);
        continue;
      }
      for (const w of layer.weights) {
        const shape = w.shape as number[];
        if (shape.length < 2 || !w.originalName.endsWith('kernel')) continue;
        const weightName = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
        out.push({ layerName: layer.name, className: layer.getClassName(), weightName, shape, size: shape.reduce((a, b) => a * b, 1), variable: w });
      }
    }
  };
  visit(model);
  return out;
}

/** Copies of all weight values of `model` (in `model.weights` order), to restore after an in-place experiment. */
export function snapshotWeights(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

/** Writes a snapshot taken by {@link snapshotWeights} back into `model`. */
export function restoreWeights(model: tf.LayersModel, snapshot: Float32Array[]): void {
  if (snapshot.length !== model.weights.length) {
    throw new Error(`restoreWeights: the snapshot holds ${snapshot.length} weights, the model has ${model.weights.length}; take it from the same model`);
  }
  model.weights.forEach((w, i) => {
    const t = tf.tensor(snapshot[i], w.shape as number[], 'float32');
    w.write(t);
    t.dispose();
  });
}

/** Replaces the values of a kernel by `values` (same length, same layout). */
export function writeKernel(kernel: KernelWeight, values: ArrayLike<number>): void {
  if (values.length !== kernel.size) throw new Error(`writeKernel: ${kernel.layerName}/${kernel.weightName} has ${kernel.size} values, got ${values.length}`);
  const t = tf.tensor(Float32Array.from(values), kernel.shape, 'float32');
  kernel.variable.write(t);
  t.dispose();
}

/** Number of parameters of `model` (all weights, BN statistics included: tfjs `countParams`) and how many are non-zero. */
export function parameterCounts(model: tf.LayersModel): { total: number; nonZero: number } {
  let total = 0;
  let nonZero = 0;
  for (const w of model.weights) {
    const values = w.read().dataSync();
    total += values.length;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonZero++;
  }
  return { total, nonZero };
}
