/** Geometry of a depthwise convolution, shared by the TypeScript kernels and the addon's glue. */
import * as tf from '@tensorflow/tfjs';

/** The attributes every depthwise kernel carries. */
export interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs's Conv2DInfo of a depthwise convolution of x [B, H, W, C] with a filter [KH, KW, C, M] (throws on bad attrs). */
export function depthwiseInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides,
    attrs.dilations ?? 1, attrs.pad as 'same', attrs.dimRoundingMode, true,
  );
}

/** First and one-past-last output index o with 0 ≤ o·stride + offset < length (offset = k·dilation − pad). */
export function validOutputRange(offset: number, stride: number, length: number, outLength: number): [number, number] {
  const first = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const last = Math.min(outLength, Math.floor((length - 1 - offset) / stride) + 1);
  return [first, Math.max(first, last)];
}
