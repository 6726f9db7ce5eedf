/**
 * Conv2DBackpropInput for the wasm backend in TypeScript: a MatMul fast path for pointwise (1×1, stride 1, unpadded)
 * convolutions, delegating every other case to tfjs-wasm's own kernel. That kernel runs 1×1 as generic loops
 * (profiled: ≈ 25 % of a MobileNet V1 training step at 32×32), while dx = dy·Wᵀ is one product on XNNPACK.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, reshapedView } from '../core/heap';
import { KernelArgs, kernelInput, requireChannelsLast, wasmKernelConfig } from '../core/kernel-args';
import { delegateToTfjsWasm, tfjsWasmMatMul, tfjsWasmTranspose } from '../core/tfjs-wasm-kernels';

const NAME = tf.Conv2DBackpropInput;

let pointwiseCalls = 0;

/** How many calls took the pointwise MatMul path so far (lets tests check which path ran; nested calls are invisible to tf.profile). */
export function pointwiseBackpropInputCalls(): number {
  return pointwiseCalls;
}

/**
 * dx = conv2d input gradient. Shapes: dy [B, OH, OW, Co], filter [KH, KW, Ci, Co] → attrs.inputShape [B, H, W, Ci].
 * Pointwise case: dx viewed as [B·H·W, Ci] = dy [B·H·W, Co] · Wᵀ [Co, Ci].
 */
function conv2DBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const wasm = asWasmBackend(args.backend, NAME);
  const dy = kernelInput(args.inputs, 'dy', NAME);
  const filter = kernelInput(args.inputs, 'filter', NAME);
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  requireChannelsLast(attrs.dataFormat, NAME);
  const [kh, kw, ci, co] = filter.shape;
  const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const [b, h, w] = attrs.inputShape;
  const pointwise = kh === 1 && kw === 1 && strides[0] === 1 && strides[1] === 1 && (attrs.pad === 'valid' || attrs.pad === 'same' || attrs.pad === 0) &&
    dy.shape[1] === h && dy.shape[2] === w && dy.dtype === 'float32' && filter.dtype === 'float32';
  if (!pointwise) return delegateToTfjsWasm(NAME, args);
  pointwiseCalls++;
  const rows = b * h * w;
  const wT = tfjsWasmTranspose(wasm, reshapedView(filter, [ci, co]), [1, 0], NAME);
  const product = tfjsWasmMatMul(wasm, reshapedView(dy, [1, rows, co]), reshapedView(wT, [1, co, ci]), NAME);
  wasm.disposeData(wT.dataId);
  return reshapedView(product, [...attrs.inputShape]);
}

/** Registration record (an override: tfjs-wasm's kernel is captured first and runs the other cases). */
export const conv2DBackpropInputConfig = wasmKernelConfig(NAME, conv2DBackpropInputWasm);
