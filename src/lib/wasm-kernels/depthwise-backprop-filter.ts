/** DepthwiseConv2dNativeBackpropFilter for the wasm backend: gradient of depthwiseConv2d with respect to its filter. */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, float32View, kernelInput } from './heap';

const NAME = tf.DepthwiseConv2dNativeBackpropFilter;

/**
 * dW[kh, kw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·M + m], with ih = oh·sh + kh·dh − padTop (same for w).
 * Shapes: x [B, H, W, C], dy [B, OH, OW, C·M] → dW = attrs.filterShape [KH, KW, C, M] (M = channel multiplier).
 */
export function depthwiseBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, NAME);
  const x = kernelInput(args.inputs, 'x', NAME);
  const dy = kernelInput(args.inputs, 'dy', NAME);
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad,
    attrs.dimRoundingMode, true,
  );
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xs = float32View(backend, x, NAME);
  const dys = float32View(backend, dy, NAME);
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(dw.length);
  accumulateDepthwiseFilterGradient(xs, dys, acc, info);
  dw.set(acc);
  return out;
}

/** Adds Σ x·dy into `acc`; [KH, KW, C, M] flattened puts output channel c·M + m at offset (kh·KW + kw)·C·M + c·M + m. */
function accumulateDepthwiseFilterGradient(xs: Float32Array, dys: Float32Array, acc: Float64Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const xOff = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wOff = (kh * filterWidth + kw) * outChannels;
            if (mult === 1) {
              for (let c = 0; c < inChannels; c++) acc[wOff + c] += xs[xOff + c] * dys[dyOff + c];
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xv = xs[xOff + c];
                const base = c * mult;
                for (let m = 0; m < mult; m++) acc[wOff + base + m] += xv * dys[dyOff + base + m];
              }
            }
          }
        }
      }
    }
  }
}

/** Registration record for `tf.registerKernel`. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilterWasm as unknown as tf.KernelFunc,
};
