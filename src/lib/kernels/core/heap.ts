/** Access to the wasm backend's heap for kernels written in TypeScript and for the C addon's glue. */
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
 * Float32 view onto a tensor's heap memory (no copy); rejects other dtypes with a named error.
 * Views are invalidated when the heap grows, so take them only after every `makeOutput` call of the kernel.
 */
export function float32View(backend: BackendWasm, info: tf.TensorInfo, kernelName: string): Float32Array {
  if (info.dtype !== 'float32') {
    throw new Error(`${kernelName}: expected a float32 tensor, got dtype ${info.dtype} (cast the input with tf.cast(x, 'float32'))`);
  }
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Float32 view of a tensor the caller has checked to be float32 (see allFloat32); same rule on heap growth. */
export function heapF32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Whether every tensor is float32 (the native kernels decline other dtypes). */
export function allFloat32(...infos: tf.TensorInfo[]): boolean {
  return infos.every((t) => t.dtype === 'float32');
}

/** A view of `info`'s memory under another shape of the same size (no kernel, no copy). */
export function reshapedView(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
