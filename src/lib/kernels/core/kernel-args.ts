/** What a kernel function receives from tfjs, and the attribute checks several kernel families share. */
import * as tf from '@tensorflow/tfjs';

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** A registration record for `tf.registerKernel` on the wasm backend. */
export function wasmKernelConfig(kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** The input tensor `name` of a kernel call; tfjs always passes it, so a missing one is a registration bug. */
export function kernelInput(inputs: tf.NamedTensorInfoMap, name: string, kernelName: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`${kernelName}: input "${name}" is missing (got ${Object.keys(inputs).join(', ')})`);
  return info;
}

/** Whether a dataFormat attribute means NHWC (undefined counts as the tfjs default, NHWC). */
export function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Rejects the NCHW layout, which our TypeScript kernels do not implement (tfjs models here are NHWC). */
export function requireChannelsLast(dataFormat: string | undefined, kernelName: string): void {
  if (!isChannelsLast(dataFormat)) {
    throw new Error(`${kernelName}: dataFormat "${dataFormat}" is not supported on wasm; use NHWC (channels last)`);
  }
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The addon's code of a fused activation (0 linear, 1 relu, 2 relu6, 3 leakyrelu, as CN_ACT_* in native/src/cn.h);
 * null for the activations the native kernels leave to the previous kernel (prelu, elu, sigmoid…).
 */
export function activationCode(activation: string | undefined): number | null {
  switch (activation ?? 'linear') {
    case 'linear': return 0;
    case 'relu': return 1;
    case 'relu6': return 2;
    case 'leakyrelu': return 3;
    default: return null;
  }
}

/** The bias and activation the addon applies after a product (act: see activationCode; bias: one value per channel). */
export interface FusedEpilogue {
  act: number;
  alpha: number;
  bias: tf.TensorInfo | null;
}

/** No bias, linear activation: the epilogue of the unfused kernels. */
export const NO_EPILOGUE: FusedEpilogue = { act: 0, alpha: 0, bias: null };

/**
 * The epilogue of a FusedConv2D / _FusedMatMul call with `channels` output channels, or null where the addon cannot
 * apply it: prelu and activations without a code, a bias that is not float32 with exactly one value per channel.
 */
export function fusedEpilogue(args: KernelArgs, channels: number): FusedEpilogue | null {
  if (args.inputs.preluActivationWeights !== undefined) return null;
  const attrs = (args.attrs ?? {}) as { activation?: string; leakyreluAlpha?: number };
  const act = activationCode(attrs.activation);
  if (act === null) return null;
  const bias = args.inputs.bias;
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== channels ||
    bias.shape[bias.shape.length - 1] !== channels)) return null;
  return { act, alpha: attrs.leakyreluAlpha ?? 0.2, bias: bias ?? null };
}
