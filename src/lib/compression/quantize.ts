/**
 * Post-training weight quantisation, simulated: each kernel is mapped to `bits`-bit unsigned integers
 * with an affine scheme w ≈ scale·(q − zeroPoint) (TFLite / Jacob et al. 2018), per tensor or per output
 * channel, then dequantised back to float32 so the unchanged tfjs model runs the rounded weights.
 * Accuracy is what integer weights would give; speed is not (no integer kernels run).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelWeights, writeKernel } from './kernels';

/** Per-tensor (one scale) or per-channel (one scale per output channel = last kernel axis). */
export type QuantGranularity = 'tensor' | 'channel';

/** A quantised array: integer codes plus one (scale, zeroPoint) per channel. */
export interface QuantizedArray {
  bits: number;
  /** Codes in 0 … 2^bits − 1, same layout as the input. */
  codes: Uint8Array;
  /** Length = number of channels (1 for per-tensor). */
  scales: Float32Array;
  zeroPoints: Uint8Array;
  /** Channel of element i is i % channels (the last axis is fastest in tfjs layout). */
  channels: number;
}

/** Checks the bit width (2 … 8: codes fit one byte). */
export function checkBits(bits: number): void {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new Error(`quantization: bits must be an integer in 2..8, got ${bits}`);
}

/**
 * Affine quantisation of `values` with `channels` interleaved channels (element i belongs to channel
 * i % channels). The range of each channel is widened to include 0, so 0 (e.g. a pruned weight) stays exactly 0.
 */
export function quantizeAffine(values: ArrayLike<number>, bits: number, channels = 1): QuantizedArray {
  checkBits(bits);
  if (!(Number.isInteger(channels) && channels >= 1 && values.length % channels === 0)) {
    throw new Error(`quantizeAffine: channels must be a positive integer dividing the ${values.length} values, got ${channels}`);
  }
  const levels = 2 ** bits - 1;
  const lo = new Float64Array(channels);
  const hi = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    if (!Number.isFinite(values[i])) throw new Error(`quantizeAffine: value ${i} is ${values[i]}; weights must be finite`);
    lo[c] = Math.min(lo[c], values[i]);
    hi[c] = Math.max(hi[c], values[i]);
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const range = hi[c] - lo[c];
    scales[c] = range > 0 ? range / levels : 1; // an all-zero channel: any scale represents it exactly
    zeroPoints[c] = Math.min(levels, Math.max(0, Math.round(-lo[c] / scales[c])));
  }
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    codes[i] = Math.min(levels, Math.max(0, Math.round(values[i] / scales[c]) + zeroPoints[c]));
  }
  return { bits, codes, scales, zeroPoints, channels };
}

/** Float values w = scale·(q − zeroPoint) of a quantised array. */
export function dequantize(q: QuantizedArray): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % q.channels;
    out[i] = q.scales[c] * (q.codes[i] - q.zeroPoints[c]);
  }
  return out;
}

/** Storage of a quantised array in bytes: packed codes + a float32 scale and a 1-byte zero point per channel. */
export function quantizedBytes(q: QuantizedArray): number {
  return Math.ceil((q.codes.length * q.bits) / 8) + q.channels * 5;
}

/** What {@link quantizeModel} did. */
export interface QuantizeReport {
  bits: number;
  granularity: QuantGranularity;
  /** Bytes of the model: quantised kernels + everything else (biases, BN) in float32. */
  bytes: number;
  /** Bytes of the same model in float32 (4 per parameter). */
  floatBytes: number;
  /** Largest |w − dequantised w| over all kernels. */
  maxAbsError: number;
}

/** Quantises every conv/dense kernel of `model` in place (quantise → dequantise); returns sizes in bytes. */
export function quantizeModel(model: tf.LayersModel, bits: number, granularity: QuantGranularity = 'channel'): QuantizeReport {
  checkBits(bits);
  if (granularity !== 'tensor' && granularity !== 'channel') {
    throw new Error(`quantizeModel: granularity must be "tensor" or "channel", got "${granularity}"`);
  }
  const kernels = kernelWeights(model);
  const totalParams = model.weights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
  let kernelParams = 0;
  let bytes = 0;
  let maxAbsError = 0;
  for (const k of kernels) {
    const values = k.variable.read().dataSync() as Float32Array;
    const q = quantizeAffine(values, bits, granularity === 'channel' ? k.shape[k.shape.length - 1] : 1);
    const back = dequantize(q);
    for (let i = 0; i < back.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(back[i] - values[i]));
    writeKernel(k, back);
    kernelParams += k.size;
    bytes += quantizedBytes(q);
  }
  bytes += 4 * (totalParams - kernelParams);
  return { bits, granularity, bytes, floatBytes: 4 * totalParams, maxAbsError };
}
