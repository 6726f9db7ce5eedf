/**
 * Identity and same-dtype Cast for the wasm backend without a copy: the output shares the input's memory with a
 * reference count, as the `cpu` backend does (no tfjs kernel writes into its inputs, so sharing is safe).
 * Why: tfjs-core clones every tensor a gradient saves (Engine.saveTensorsForBackwardMode → Identity); the wasm kernel
 * copies each one, which profiled at 713 of 788 Identity calls and ~0.1 s of a 0.8 s MobileNet V1 training step.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';
import { delegateToTfjsWasm } from '../core/tfjs-wasm-kernels';

let sharedCalls = 0;

/** How many Identity/Cast calls shared memory instead of copying (lets tests check that the fast path ran). */
export function sharedIdentityCalls(): number {
  return sharedCalls;
}

/** A new tensor record on x's memory (reference counted). */
function share(backend: ReturnType<typeof asWasmBackend>, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  sharedCalls++;
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/** Identity x → x (shared memory); strings go to tfjs-wasm's kernel. */
function identityWasm(args: KernelArgs): tf.TensorInfo {
  const x = kernelInput(args.inputs, 'x', tf.Identity);
  if (x.dtype === 'string') return delegateToTfjsWasm(tf.Identity, args);
  return share(asWasmBackend(args.backend, tf.Identity), x);
}

/** Cast x to attrs.dtype: shared memory when the dtype does not change, else tfjs-wasm's (copying) cast. */
function castWasm(args: KernelArgs): tf.TensorInfo {
  const x = kernelInput(args.inputs, 'x', tf.Cast);
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (dtype !== x.dtype || x.dtype === 'string') return delegateToTfjsWasm(tf.Cast, args);
  return share(asWasmBackend(args.backend, tf.Cast), x);
}

/** Registration records (overrides: tfjs-wasm's kernels are captured first and handle the other cases). */
export const identityConfig = wasmKernelConfig(tf.Identity, identityWasm);
export const castConfig = wasmKernelConfig(tf.Cast, castWasm);
