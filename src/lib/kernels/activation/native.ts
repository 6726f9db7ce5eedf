/**
 * Glue of the C addon's activation gradients (rangeMaskGrad in native/src/activation.c) for RANGE_MASK_GRAD, in place on
 * the wasm heap; declines (null) what it does not implement, which then runs on the TypeScript kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, heapF32 } from '../core/heap';
import type { KernelArgs } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import { RANGE_MASK_GRAD, RangeMaskAttrs } from './range-mask-grad';

/** The addon function of native/src/activation.c (sizes in floats; output written in place). */
export interface ActivationAddon {
  /** dy, x, dx [n]: dx = dy where lower <(=) x ≤ upper; NaN x → NaN if nanPropagates (1) else 0; else 0. */
  rangeMaskGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, n: number, lower: number, lowerInclusive: number,
    upper: number, nanPropagates: number): void;
}

/** RANGE_MASK_GRAD: dy, x (same shape, float32) → dx; declines other dtypes, mismatched or empty shapes. */
function rangeMaskGradNative(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const { dy, x } = args.inputs;
  if (dy === undefined || x === undefined || !allFloat32(dy, x) || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
  const n = tf.util.sizeFromShape(x.shape);
  if (n === 0) return null;
  const { lower, lowerInclusive, upper, nanPropagates } = args.attrs as unknown as RangeMaskAttrs;
  const out = backend.makeOutput(x.shape, 'float32');
  (addon as unknown as ActivationAddon).rangeMaskGrad(heapF32(backend, dy), heapF32(backend, x), heapF32(backend, out), n, lower,
    lowerInclusive ? 1 : 0, upper, nanPropagates ? 1 : 0);
  return out;
}

/** The activation gradient served by the addon. */
export const ACTIVATION_NATIVE_OVERRIDES: readonly NativeOverride[] = [{ kernelName: RANGE_MASK_GRAD, impl: rangeMaskGradNative }];
