/**
 * Glue of the C addon's batch-norm kernels (native/src/batch-norm.c) for FusedBatchNorm (inference) and BATCH_NORM_GRAD
 * (its gradient), in place on the wasm heap; each declines (null) what it does not implement, which then runs on the
 * kernel registered before it (tfjs-wasm's FusedBatchNorm, our TypeScript BATCH_NORM_GRAD).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import { BATCH_NORM_GRAD, makeGradOutputs } from './grad';

/** The addon functions of native/src/batch-norm.c for these kernels (sizes in floats; outputs written in place). */
export interface BatchNormAddon {
  /** x, dy, dx [rows, C]; mean, variance, scale, dMean, dVariance, dScale, dOffset [C]. */
  batchNormGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array,
    eps: number, rows: number, C: number, dx: Float32Array, dMean: Float32Array, dVariance: Float32Array,
    dScale: Float32Array, dOffset: Float32Array): void;
  /** x, out [rows, C]; mean, variance, offset, scale: C values or 1 (offset/scale may be null). */
  batchNormInference(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, eps: number, rows: number, C: number, out: Float32Array): void;
}

function bn(addon: NativeAddon): BatchNormAddon {
  return addon as unknown as BatchNormAddon;
}

/**
 * BATCH_NORM_GRAD: x, dy [..., C]; mean, variance, scale [C] → [dx, dMean, dVariance, dScale, dOffset]; declines
 * other dtypes, empty x, or statistics whose size is not C.
 */
function batchNormGradNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo[] | null {
  const { x, dy, mean, variance, scale } = args.inputs;
  if (x === undefined || dy === undefined || mean === undefined || variance === undefined || scale === undefined) return null;
  if (!allFloat32(x, dy, mean, variance, scale) || x.shape.length === 0 || !tf.util.arraysEqual(x.shape, dy.shape)) return null;
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (c === 0 || size === 0) return null;
  for (const t of [mean, variance, scale]) if (tf.util.sizeFromShape(t.shape) !== c) return null;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const outs = makeGradOutputs(backend, x.shape);
  // Views only after every makeOutput: a heap growth detaches earlier ones.
  const [dx, dMean, dVar, dScale, dOffset] = outs.map((o) => heapF32(backend, o));
  bn(addon).batchNormGrad(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, mean), heapF32(backend, variance),
    heapF32(backend, scale), eps, size / c, c, dx, dMean, dVar, dScale, dOffset);
  return outs;
}

/**
 * FusedBatchNorm: x [..., C]; mean, variance, offset?, scale? each of size C or 1 → (x − mean)·scale/√(var+ε) + offset.
 * Declines other dtypes, empty x, and parameter sizes other than C or 1 (the wasm kernel broadcasts those cyclically).
 */
function fusedBatchNormNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { x, mean, variance, offset, scale } = args.inputs;
  if (x === undefined || mean === undefined || variance === undefined || x.shape.length === 0) return null;
  const params = [mean, variance, ...(offset != null ? [offset] : []), ...(scale != null ? [scale] : [])];
  if (!allFloat32(x, ...params)) return null;
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (c === 0 || size === 0) return null;
  for (const t of params) {
    const n = tf.util.sizeFromShape(t.shape);
    if (n !== c && n !== 1) return null;
  }
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const out = backend.makeOutput(x.shape, 'float32');
  bn(addon).batchNormInference(heapF32(backend, x), heapF32(backend, mean), heapF32(backend, variance),
    offset != null ? heapF32(backend, offset) : null, scale != null ? heapF32(backend, scale) : null, eps, size / c, c,
    heapF32(backend, out));
  return out;
}

/** The batch-norm kernels served by the addon (the fused training kernels are registered by ./fused-training.ts). */
export const BATCH_NORM_NATIVE_OVERRIDES: readonly NativeOverride[] = [
  { kernelName: BATCH_NORM_GRAD, impl: batchNormGradNative },
  { kernelName: tf.FusedBatchNorm, impl: fusedBatchNormNative },
];
