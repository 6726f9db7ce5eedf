/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend in TypeScript (tfjs-wasm has none): the gradient of
 * depthwiseConv2d with respect to its filter.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, float32View } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';
import { depthwiseInfo, validOutputRange } from './geometry';

const NAME = tf.DepthwiseConv2dNativeBackpropFilter;

/**
 * dW[kh, kw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·M + m], with ih = oh·sh + kh·dh − padTop (same for w).
 * Shapes: x [B, H, W, C], dy [B, OH, OW, C·M] → dW = attrs.filterShape [KH, KW, C, M] (M = channel multiplier).
 */
function depthwiseBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, NAME);
  const x = kernelInput(args.inputs, 'x', NAME);
  const dy = kernelInput(args.inputs, 'dy', NAME);
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xs = float32View(backend, x, NAME);
  const dys = float32View(backend, dy, NAME);
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(dw.length);
  accumulateDepthwiseFilterGradient(xs, dys, acc, info);
  dw.set(acc);
  return out;
}

/**
 * Adds Σ x·dy into `acc`; [KH, KW, C, M] flattened puts output channel c·M + m at offset (kh·KW + kw)·C·M + c·M + m.
 * Loop order (b, oh, kh, kw, ow, channel): the valid ow range is computed once per tap, the innermost loop runs over
 * contiguous channels, and each output row's terms (≤ OW of them) are summed in a float32 row buffer before the
 * float64 accumulator takes them, which keeps the hot loop free of float64 stores.
 */
function accumulateDepthwiseFilterGradient(xs: Float32Array, dys: Float32Array, acc: Float64Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const row = new Float32Array(outChannels);
  const owRanges = Array.from({ length: filterWidth }, (_, kw) => validOutputRange(kw * dilationWidth - padLeft, strideWidth, inWidth, outWidth));
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const dyRowOff = (b * outHeight + oh) * outWidth * outChannels;
      for (let kh = 0; kh < filterHeight; kh++) {
        const ih = oh * strideHeight + kh * dilationHeight - padTop;
        if (ih < 0 || ih >= inHeight) continue;
        const xRowOff = (b * inHeight + ih) * inWidth;
        for (let kw = 0; kw < filterWidth; kw++) {
          const [owFirst, owEnd] = owRanges[kw];
          if (owFirst >= owEnd) continue;
          row.fill(0);
          for (let ow = owFirst; ow < owEnd; ow++) {
            const xOff = (xRowOff + ow * strideWidth + kw * dilationWidth - padLeft) * inChannels;
            const dyOff = dyRowOff + ow * outChannels;
            if (mult === 1) {
              for (let c = 0; c < inChannels; c++) row[c] += xs[xOff + c] * dys[dyOff + c];
            } else {
              for (let c = 0, o = 0; c < inChannels; c++) {
                const xv = xs[xOff + c];
                for (let m = 0; m < mult; m++, o++) row[o] += xv * dys[dyOff + o];
              }
            }
          }
          const wOff = (kh * filterWidth + kw) * outChannels;
          for (let o = 0; o < outChannels; o++) acc[wOff + o] += row[o];
        }
      }
    }
  }
}

/** Registration record for `tf.registerKernel`. */
export const depthwiseBackpropFilterConfig = wasmKernelConfig(NAME, depthwiseBackpropFilterWasm);
