/** Shared by the ONNX tests: weights that make every layer matter, and one export + onnxruntime comparison. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { exportOnnx, OnnxExportOptions, verifyOnnx, VerifyResult } from '../src/lib/onnx';

/** Largest |ours − onnxruntime| the acceptance allows on logits. */
export const LOGIT_TOLERANCE = 1e-3;

/** Deterministic uniform numbers in [lo, hi) (a small LCG: the tests must not depend on tfjs's RNG state). */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0 || 1;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  };
}

/** SSL offsets that exercise rounding: halves (round away from zero), just below/above halves, integers, beyond ±2. */
export const SSL_TEST_VALUES = [0.5, -0.5, 1.49, -1.51, 2.6, -2.4, 0, 1, -1, 0.3, -0.7, 3.5];

/**
 * Gives every BatchNorm non-trivial statistics (so that folding them is tested and activations keep an O(1) scale),
 * biases values in [−0.2, 0.2], ASL offsets non-integer values in [−2.5, 2.5] (a quarter of them integers) and SSL
 * offsets from SSL_TEST_VALUES.
 */
export function randomizeInferenceState(model: tf.LayersModel, seed = 1): void {
  const u = seededUniform(seed);
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'BatchNormalization') {
      for (const w of layer.weights) {
        const short = w.originalName.split('/').pop();
        const n = tf.util.sizeFromShape(w.shape as number[]);
        const range: Record<string, [number, number]> = { gamma: [0.6, 1.4], beta: [-0.3, 0.3], moving_mean: [-0.3, 0.3], moving_variance: [0.5, 1.6] };
        const r = range[short ?? ''];
        if (r !== undefined) w.write(tf.tensor(Float32Array.from({ length: n }, () => u(r[0], r[1])), w.shape as number[]));
      }
    }
    const bias = layer.weights.find((w) => w.originalName.split('/').pop() === 'bias');
    if (bias !== undefined) {
      // Zero-initialised biases would leave networks without BatchNorm (VGG, AlexNet) with near-zero logits.
      const n = tf.util.sizeFromShape(bias.shape as number[]);
      bias.write(tf.tensor(Float32Array.from({ length: n }, () => u(-0.2, 0.2)), bias.shape as number[]));
    }
    if (cls === 'ActiveShift' || cls === 'SparseShift') {
      const w = layer.weights[0];
      const n = tf.util.sizeFromShape(w.shape as number[]);
      const values = Float32Array.from({ length: n }, (_, i) => {
        if (cls === 'SparseShift') return SSL_TEST_VALUES[Math.floor(u(0, SSL_TEST_VALUES.length))];
        return i % 4 === 0 ? Math.round(u(-2, 2)) : u(-2.5, 2.5);
      });
      w.write(tf.tensor(values, w.shape as number[]));
    }
  }
}

/** Exports `model`, runs it in onnxruntime beside ours, asserts agreement ≤ LOGIT_TOLERANCE and a non-trivial output. */
export async function exportAndVerify(model: tf.LayersModel, what: string, options: OnnxExportOptions = {}): Promise<VerifyResult & { bytes: number; opCounts: Record<string, number> }> {
  const result = exportOnnx(model, options);
  const check = await verifyOnnx(model, result.bytes, { batch: 2, seed: 3 });
  assert.ok(check.maxAbsDiff <= LOGIT_TOLERANCE, `${what}: largest logit difference ${check.maxAbsDiff} > ${LOGIT_TOLERANCE}`);
  // An output of zeros would agree with anything: the comparison must be able to fail.
  assert.ok(check.maxAbsOutput > 1e-3, `${what}: outputs are all ≈ 0 (max |logit| ${check.maxAbsOutput}); the comparison would prove nothing`);
  return { ...check, bytes: result.bytes.length, opCounts: result.opCounts };
}
