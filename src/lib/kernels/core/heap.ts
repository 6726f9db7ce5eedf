/** Access to the wasm backend's heap for kernels written in TypeScript. */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The backend object a wasm kernel receives, narrowed to the wasm backend's API. */
export function asWasmBackend(backend: unknown, kernelName: string): BackendWasm {
  const candidate = backend as Partial<BackendWasm> | null;
  if (candidate == null || typeof candidate.makeOutput !== 'function' || typeof candidate.typedArrayFromHeap !== 'function') {
    throw new Error(`${kernelName}: this kernel is registered for the wasm backend only and received another backend`);
  }
  return candidate as BackendWasm;
}

/**
 * Float32 view onto a tensor's heap memory (no copy).
 * Views are invalidated when the heap grows, so take them only after every `makeOutput` call of the kernel.
 */
export function float32View(backend: BackendWasm, info: tf.TensorInfo, kernelName: string): Float32Array {
  if (info.dtype !== 'float32') {
    throw new Error(`${kernelName}: expected a float32 tensor, got dtype ${info.dtype} (cast the input with tf.cast(x, 'float32'))`);
  }
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Rejects the NCHW layout, which these kernels do not implement (tfjs models here are NHWC). */
export function requireChannelsLast(dataFormat: string | undefined, kernelName: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName}: dataFormat "${dataFormat}" is not supported on wasm; use NHWC (channels last)`);
  }
}

/** The input tensor `name` of a kernel call; tfjs always passes it, so a missing one is a registration bug. */
export function kernelInput(inputs: tf.NamedTensorInfoMap, name: string, kernelName: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`${kernelName}: input "${name}" is missing (got ${Object.keys(inputs).join(', ')})`);
  return info;
}
