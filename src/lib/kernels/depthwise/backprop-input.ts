/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend in TypeScript (tfjs-wasm has none): the gradient of
 * depthwiseConv2d with respect to its input.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, float32View } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';
import { depthwiseInfo, validOutputRange } from './geometry';

const NAME = tf.DepthwiseConv2dNativeBackpropInput;

/**
 * dx[b, ih, iw, c] = Σ_{kh, kw, m} dy[b, oh, ow, c·M + m] · W[kh, kw, c, m] over the (oh, ow) whose window covers (ih, iw).
 * Shapes: dy [B, OH, OW, C·M], filter [KH, KW, C, M] → dx = attrs.inputShape [B, H, W, C].
 */
function depthwiseBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, NAME);
  const dy = kernelInput(args.inputs, 'dy', NAME);
  const filter = kernelInput(args.inputs, 'filter', NAME);
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const out = backend.makeOutput(info.inShape, 'float32');
  const dys = float32View(backend, dy, NAME);
  const ws = float32View(backend, filter, NAME);
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  // Scatter form (each dy pixel adds into the inputs its window read): one pass over dy, contiguous channel loops.
  // Each dx element receives at most KH·KW·M terms, so float32 accumulation is accurate enough.
  dx.fill(0);
  scatterDepthwiseInputGradient(dys, ws, dx, info);
  return out;
}

/**
 * Adds every dy·W product into dx ([B, H, W, C] flattened). Loop order (b, oh, kh, kw, ow, channel): the valid ow
 * range of each tap is computed once, so the two innermost loops carry no bounds checks, and the channel loop is
 * contiguous in dy, W and dx.
 */
function scatterDepthwiseInputGradient(dys: Float32Array, ws: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const owRanges = Array.from({ length: filterWidth }, (_, kw) => validOutputRange(kw * dilationWidth - padLeft, strideWidth, inWidth, outWidth));
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const dyRowOff = (b * outHeight + oh) * outWidth * outChannels;
      for (let kh = 0; kh < filterHeight; kh++) {
        const ih = oh * strideHeight + kh * dilationHeight - padTop;
        if (ih < 0 || ih >= inHeight) continue;
        const dxRowOff = (b * inHeight + ih) * inWidth;
        for (let kw = 0; kw < filterWidth; kw++) {
          const [owFirst, owEnd] = owRanges[kw];
          const wOff = (kh * filterWidth + kw) * outChannels;
          for (let ow = owFirst; ow < owEnd; ow++) {
            const dxOff = (dxRowOff + ow * strideWidth + kw * dilationWidth - padLeft) * inChannels;
            const dyOff = dyRowOff + ow * outChannels;
            if (mult === 1) {
              for (let c = 0; c < inChannels; c++) dx[dxOff + c] += dys[dyOff + c] * ws[wOff + c];
            } else {
              for (let c = 0, o = 0; c < inChannels; c++) {
                let sum = 0;
                for (let m = 0; m < mult; m++, o++) sum += dys[dyOff + o] * ws[wOff + o];
                dx[dxOff + c] += sum;
              }
            }
          }
        }
      }
    }
  }
}

/** Registration record for `tf.registerKernel`. */
export const depthwiseBackpropInputConfig = wasmKernelConfig(NAME, depthwiseBackpropInputWasm);
