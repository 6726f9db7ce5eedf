/**
 * One converter per tfjs layer class: each turns a layer applied to graph values into ONNX nodes. Weights are read
 * from the layer as it is (random, trained or loaded), so learned shift offsets export as trained.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder, OnnxExportError } from './builder';
import { identityLayout, NCHW, onnxAxis, onnxShapeForReshape, toIdentity, toLayout, toNchw, Value } from './layout';
import { emitActiveShift, emitIntegerShift, emitSparseShift } from './shift';
import { shiftOffsets } from '../ops/shift';
import { adaptivePoolBins } from '../blocks/torch-pooling';
import { batchNormAffine as batchNormAffineOf } from '../batch-norm-affine';
import { zeroPaddingAmounts } from '../shape';

/** What a converter receives: the builder, the layer, its input values and, for a convolution, a BatchNorm to fold. */
export interface ConvertContext {
  b: GraphBuilder;
  layer: tf.layers.Layer;
  inputs: Value[];
  /** tfjs output shape without the batch axis. */
  outputShape: number[];
  /** The BatchNormalization layer that directly and only follows this convolution, folded into its weights. */
  foldBatchNorm?: tf.layers.Layer;
  /** For a 'valid' MaxPooling2D: the zero padding [top, bottom, left, right] of the ZeroPadding2D that only feeds it. */
  zeroPadding?: [number, number, number, number];
}

type Converter = (ctx: ConvertContext) => Value;

type Config = tf.serialization.ConfigDict;

function fail(ctx: ConvertContext, what: string): never {
  throw new OnnxExportError(`layer "${ctx.layer.name}" (${ctx.layer.getClassName()}): ${what}`);
}

/** A layer weight by its short name (e.g. "kernel", "gamma"), as float32 values and shape; undefined when absent. */
function weight(layer: tf.layers.Layer, short: string): { data: Float32Array; shape: number[] } | undefined {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === short || v.name.split('/').pop()?.replace(/_\d+$/, '') === short);
  if (w === undefined) return undefined;
  const t = w.read();
  // Read-only use: converters build new arrays from it and never write into it (on cpu this is the backend's storage).
  return { data: t.dataSync() as Float32Array, shape: t.shape };
}

function requiredWeight(ctx: ConvertContext, layer: tf.layers.Layer, short: string): { data: Float32Array; shape: number[] } {
  const w = weight(layer, short);
  if (w === undefined) fail(ctx, `has no weight "${short}" (weights: ${layer.weights.map((v) => v.originalName).join(', ')})`);
  return w;
}

function pair(v: unknown, what: string, ctx: ConvertContext): [number, number] {
  const arr = Array.isArray(v) ? v : [v, v];
  if (arr.length !== 2 || !arr.every((x) => typeof x === 'number' && Number.isInteger(x))) fail(ctx, `${what} must be one or two integers, got ${JSON.stringify(v)}`);
  return [arr[0] as number, arr[1] as number];
}

function requireChannelsLast(ctx: ConvertContext, config: Config): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') fail(ctx, `dataFormat ${String(config.dataFormat)} is not supported; build the model channelsLast (NHWC)`);
}

/** ONNX pads [top, left, bottom, right] of a conv/pool for TF padding ('same' puts the odd pixel after, like TF). */
function spatialPads(ctx: ConvertContext, padding: unknown, inHW: [number, number], kernel: [number, number], strides: [number, number], dilation: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') fail(ctx, `padding ${JSON.stringify(padding)} is not supported; use 'same' or 'valid'`);
  const before: number[] = [];
  const after: number[] = [];
  for (let a = 0; a < 2; a++) {
    const effective = (kernel[a] - 1) * dilation[a] + 1;
    const out = Math.ceil(inHW[a] / strides[a]);
    const total = Math.max((out - 1) * strides[a] + effective - inHW[a], 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [before[0], before[1], after[0], after[1]];
}

/** Emits a Keras activation by name on `v`; 'linear' emits nothing. */
export function emitActivation(b: GraphBuilder, v: Value, activation: string, base: string, ctx?: ConvertContext): Value {
  const out = (name: string): Value => ({ ...v, name });
  switch (activation) {
    case 'linear':
      return v;
    case 'relu':
      return out(b.node('Relu', [v.name], `${base}.relu`));
    case 'relu6':
      return out(b.node('Clip', [v.name, b.floatScalar(0), b.floatScalar(6)], `${base}.relu6`));
    case 'sigmoid':
      return out(b.node('Sigmoid', [v.name], `${base}.sigmoid`));
    case 'tanh':
      return out(b.node('Tanh', [v.name], `${base}.tanh`));
    case 'elu':
      return out(b.node('Elu', [v.name], `${base}.elu`, { alpha: { float: 1 } }));
    case 'selu':
      return out(b.node('Selu', [v.name], `${base}.selu`));
    case 'softplus':
      return out(b.node('Softplus', [v.name], `${base}.softplus`));
    case 'softsign':
      return out(b.node('Softsign', [v.name], `${base}.softsign`));
    case 'hardSigmoid':
      return out(b.node('HardSigmoid', [v.name], `${base}.hard_sigmoid`, { alpha: { float: 0.2 }, beta: { float: 0.5 } }));
    case 'swish':
      return out(b.node('Mul', [v.name, b.node('Sigmoid', [v.name], `${base}.swish_gate`)], `${base}.swish`));
    case 'mish': {
      const t = b.node('Tanh', [b.node('Softplus', [v.name], `${base}.mish_softplus`)], `${base}.mish_tanh`);
      return out(b.node('Mul', [v.name, t], `${base}.mish`));
    }
    case 'gelu': {
      const erf = b.node('Erf', [b.node('Mul', [v.name, b.floatScalar(Math.SQRT1_2)], `${base}.gelu_scaled`)], `${base}.gelu_erf`);
      const cdf = b.node('Mul', [b.node('Add', [erf, b.floatScalar(1)], `${base}.gelu_1p`), b.floatScalar(0.5)], `${base}.gelu_cdf`);
      return out(b.node('Mul', [v.name, cdf], `${base}.gelu`));
    }
    case 'softmax': {
      // Softmax over the tfjs last axis: put it last in ONNX too (then every opset's Softmax agrees).
      const id = toIdentity(b, v);
      return { ...id, name: b.node('Softmax', [id.name], `${base}.softmax`, { axis: id.layout.length - 1 }) };
    }
    default: {
      const msg = `activation "${activation}" has no ONNX conversion; supported: linear, relu, relu6, sigmoid, tanh, elu, selu, softplus, softsign, hardSigmoid, swish, mish, gelu, softmax`;
      if (ctx) fail(ctx, msg);
      throw new OnnxExportError(msg);
    }
  }
}

/** Conv2D, DepthwiseConv2D and our GroupConv2D → one ONNX Conv (BatchNorm folded in when given) + activation. */
const convolution: Converter = (ctx) => {
  const { b, layer } = ctx;
  const config = layer.getConfig();
  const cls = layer.getClassName();
  requireChannelsLast(ctx, config);
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [h, w, cin] = x.shape;
  const kernel = pair(config.kernelSize, 'kernelSize', ctx);
  const strides = pair(config.strides ?? 1, 'strides', ctx);
  const dilation = pair(config.dilationRate ?? 1, 'dilationRate', ctx);
  if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) fail(ctx, 'strides > 1 with dilation > 1 is not defined in tfjs');
  const k = requiredWeight(ctx, layer, cls === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel');
  const [kh, kw, kin, kout] = k.shape;
  let cout: number;
  let group: number;
  // ONNX weight [Cout, Cin/group, kh, kw].
  let onnxWeight: Float32Array;
  if (cls === 'DepthwiseConv2D') {
    const multiplier = kout;
    cout = kin * multiplier;
    group = kin;
    onnxWeight = new Float32Array(k.data.length);
    // tfjs output channel c·m + j comes from input channel c with kernel [.., .., c, j].
    for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let c = 0; c < kin; c++) for (let j = 0; j < multiplier; j++) {
      onnxWeight[((c * multiplier + j) * kh + y) * kw + xx] = k.data[((y * kw + xx) * kin + c) * multiplier + j];
    }
  } else {
    cout = kout;
    group = cls === 'GroupConv2D' ? (config.groups as number) : 1;
    if (kin * group !== cin) fail(ctx, `kernel input depth ${kin} × groups ${group} ≠ input channels ${cin}`);
    onnxWeight = new Float32Array(k.data.length);
    for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < kin; i++) for (let o = 0; o < kout; o++) {
      onnxWeight[((o * kin + i) * kh + y) * kw + xx] = k.data[((y * kw + xx) * kin + i) * kout + o];
    }
  }
  const biasWeight = config.useBias === true ? requiredWeight(ctx, layer, 'bias').data : null;
  let bias: Float32Array | null = biasWeight;
  if (ctx.foldBatchNorm !== undefined) {
    const bn = batchNormAffine(ctx, ctx.foldBatchNorm, cout);
    const perOut = onnxWeight.length / cout;
    for (let o = 0; o < cout; o++) for (let i = 0; i < perOut; i++) onnxWeight[o * perOut + i] = Math.fround(onnxWeight[o * perOut + i] * bn.scale[o]);
    bias = Float32Array.from({ length: cout }, (_, o) => (biasWeight === null ? 0 : biasWeight[o]) * bn.scale[o] + bn.shift[o]);
  }
  const wName = b.floatTensor(`${layer.name}.weight`, onnxWeight, [cout, cin / group, kh, kw]);
  const inputs = [x.name, wName];
  if (bias !== null) inputs.push(b.floatTensor(`${layer.name}.bias`, bias, [cout]));
  const pads = spatialPads(ctx, config.padding, [h, w], kernel, strides, dilation);
  const y = b.node('Conv', inputs, ctx.foldBatchNorm !== undefined ? `${layer.name}+${ctx.foldBatchNorm.name}` : layer.name, {
    kernel_shape: [kh, kw], strides, dilations: dilation, pads, group,
  });
  return emitActivation(b, { name: y, shape: ctx.outputShape, layout: [...NCHW] }, String(config.activation ?? 'linear'), layer.name, ctx);
};

/** Per-channel y = x·scale + shift of an inference-mode BatchNormalization (computed in double precision). */
function batchNormAffine(ctx: ConvertContext, bn: tf.layers.Layer, channels: number): { scale: Float64Array; shift: Float64Array } {
  const config = bn.getConfig();
  const eps = config.epsilon as number;
  const mean = requiredWeight(ctx, bn, 'moving_mean').data;
  const variance = requiredWeight(ctx, bn, 'moving_variance').data;
  const gamma = config.scale === false ? null : requiredWeight(ctx, bn, 'gamma').data;
  const beta = config.center === false ? null : requiredWeight(ctx, bn, 'beta').data;
  if (mean.length !== channels) fail(ctx, `BatchNorm "${bn.name}" has ${mean.length} channels, the convolution ${channels}`);
  return batchNormAffineOf({ mean, variance, gamma, beta, epsilon: eps }, channels);
}

/** Whether a BatchNormalization normalises the last (channel) axis — the only form folded or exported. */
export function isChannelBatchNorm(layer: tf.layers.Layer, rank: number): boolean {
  const axis = layer.getConfig().axis;
  const a = Array.isArray(axis) ? axis : [axis];
  return a.length === 1 && (a[0] === -1 || a[0] === rank - 1);
}

const batchNormalization: Converter = (ctx) => {
  const { b, layer } = ctx;
  const v = ctx.inputs[0];
  const rank = v.layout.length;
  if (!isChannelBatchNorm(layer, rank)) fail(ctx, `axis ${JSON.stringify(layer.getConfig().axis)} is not supported; only the last (channel) axis`);
  // ONNX BatchNormalization normalises axis 1: NCHW for images, identity for [N, F].
  const x = rank === 4 ? toNchw(b, v, `layer "${layer.name}"`) : rank === 2 ? toIdentity(b, v) : fail(ctx, `rank-${rank} input is not supported (rank 2 or 4)`);
  const channels = v.shape[v.shape.length - 1];
  const config = layer.getConfig();
  const ones = new Float32Array(channels).fill(1);
  const zeros = new Float32Array(channels);
  const gamma = config.scale === false ? ones : requiredWeight(ctx, layer, 'gamma').data;
  const beta = config.center === false ? zeros : requiredWeight(ctx, layer, 'beta').data;
  const inputs = [
    x.name,
    b.floatTensor(`${layer.name}.gamma`, gamma, [channels]),
    b.floatTensor(`${layer.name}.beta`, beta, [channels]),
    b.floatTensor(`${layer.name}.mean`, requiredWeight(ctx, layer, 'moving_mean').data, [channels]),
    b.floatTensor(`${layer.name}.var`, requiredWeight(ctx, layer, 'moving_variance').data, [channels]),
  ];
  return { ...x, name: b.node('BatchNormalization', inputs, layer.name, { epsilon: { float: config.epsilon as number } }) };
};

const dense: Converter = (ctx) => {
  const { b, layer } = ctx;
  const config = layer.getConfig();
  const x = toIdentity(b, ctx.inputs[0]);
  const k = requiredWeight(ctx, layer, 'kernel');
  const [fin, units] = k.shape;
  const wName = b.floatTensor(`${layer.name}.weight`, k.data, [fin, units]);
  const bias = config.useBias === false ? null : b.floatTensor(`${layer.name}.bias`, requiredWeight(ctx, layer, 'bias').data, [units]);
  let y: string;
  if (x.layout.length === 2) {
    y = b.node('Gemm', bias === null ? [x.name, wName] : [x.name, wName, bias], layer.name);
  } else {
    y = b.node('MatMul', [x.name, wName], `${layer.name}.matmul`);
    if (bias !== null) y = b.node('Add', [y, bias], layer.name);
  }
  return emitActivation(b, { name: y, shape: ctx.outputShape, layout: identityLayout(x.layout.length) }, String(config.activation ?? 'linear'), layer.name, ctx);
};

const relu: Converter = (ctx) => {
  const config = ctx.layer.getConfig();
  const v = ctx.inputs[0];
  const maxValue = config.maxValue as number | null | undefined;
  if (maxValue === undefined || maxValue === null) return { ...v, name: ctx.b.node('Relu', [v.name], ctx.layer.name) };
  return { ...v, name: ctx.b.node('Clip', [v.name, ctx.b.floatScalar(0), ctx.b.floatScalar(maxValue)], ctx.layer.name) };
};

const activationLayer: Converter = (ctx) => emitActivation(ctx.b, ctx.inputs[0], String(ctx.layer.getConfig().activation), ctx.layer.name, ctx);

/** Layers that are the identity at inference (dropout and noise). */
const identity: Converter = (ctx) => ctx.inputs[0];

const pooling = (op: 'MaxPool' | 'AveragePool'): Converter => (ctx) => {
  const { b, layer } = ctx;
  const config = layer.getConfig();
  requireChannelsLast(ctx, config);
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const kernel = pair(config.poolSize, 'poolSize', ctx);
  const strides = pair(config.strides ?? config.poolSize, 'strides', ctx);
  if (ctx.zeroPadding !== undefined) return zeroPaddedMaxPool(ctx, x, kernel, strides, ctx.zeroPadding);
  const pads = spatialPads(ctx, config.padding, [x.shape[0], x.shape[1]], kernel, strides, [1, 1]);
  // TF 'same' averages over the pixels inside the image (count_include_pad = 0) and max-pools ignoring the padding.
  const y = b.node(op, [x.name], layer.name, { kernel_shape: kernel, strides, pads });
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
};

/**
 * ZeroPadding2D → 'valid' MaxPooling2D (our PyTorch-style pools) as MaxPool with `pads` (which ONNX pads with −∞)
 * followed by Max with a constant that is 0 where a window reaches into the padding and −∞ elsewhere: the zeros of the
 * padding take part in the max exactly as in tfjs, also for negative inputs. A plain Pad → MaxPool pair would be
 * exact in ONNX too, but onnxruntime's optimizer (PadFusion, 1.30) folds a zero Pad into MaxPool's −∞ pads.
 */
function zeroPaddedMaxPool(ctx: ConvertContext, x: Value, kernel: [number, number], strides: [number, number], pad: [number, number, number, number]): Value {
  const { b, layer } = ctx;
  const [top, bottom, left, right] = pad;
  const [h, w] = x.shape;
  const [oh, ow] = ctx.outputShape;
  const pooled = b.node('MaxPool', [x.name], pad.some((p) => p > 0) ? `${layer.name}.pool` : layer.name, {
    kernel_shape: kernel, strides, pads: [top, left, bottom, right],
  });
  if (!pad.some((p) => p > 0)) return { name: pooled, shape: ctx.outputShape, layout: [...NCHW] };
  const touches = (i: number, s: number, k: number, before: number, size: number): boolean => i * s - before < 0 || i * s - before + k - 1 > size - 1;
  const mask = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    mask[i * ow + j] = touches(i, strides[0], kernel[0], top, h) || touches(j, strides[1], kernel[1], left, w) ? 0 : -Infinity;
  }
  const y = b.node('Max', [pooled, b.floatTensor(`${layer.name}.padding_floor`, mask, [1, 1, oh, ow])], layer.name);
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
}


const globalPooling = (op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter => (ctx) => {
  const { b, layer } = ctx;
  requireChannelsLast(ctx, layer.getConfig());
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const pooled = b.node(op, [x.name], `${layer.name}.pool`);
  return { name: b.node('Flatten', [pooled], layer.name, { axis: 1 }), shape: ctx.outputShape, layout: [0, 1] };
};

const zeroPadding: Converter = (ctx) => {
  const { b, layer } = ctx;
  const config = layer.getConfig();
  requireChannelsLast(ctx, config);
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [top, bottom, left, right] = zeroPaddingAmounts(layer);
  const y = b.node('Pad', [x.name, b.int64([0, 0, top, left, 0, 0, bottom, right])], layer.name, { mode: 'constant' });
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
};

/** Our AdaptiveAvgPool2d (PyTorch bins): AveragePool when the bins tile the map, else two pooling-matrix products. */
const adaptiveAvgPool: Converter = (ctx) => {
  const { b, layer } = ctx;
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [h, w] = x.shape;
  const o = layer.getConfig().outputSize as number;
  const out = (name: string): Value => ({ name, shape: ctx.outputShape, layout: [...NCHW] });
  if (h === o && w === o) return x;
  if (h % o === 0 && w % o === 0) {
    const kernel = [h / o, w / o];
    return out(b.node('AveragePool', [x.name], layer.name, { kernel_shape: kernel, strides: kernel, pads: [0, 0, 0, 0] }));
  }
  // Row pooling P_h [o, H] and column pooling P_wᵀ [W, o]: y = P_h · x · P_wᵀ per image and channel.
  const matrix = (n: number, transpose: boolean): Float32Array => {
    const m = new Float32Array(o * n);
    adaptivePoolBins(n, o).forEach(([s, e], i) => {
      for (let j = s; j < e; j++) m[transpose ? j * o + i : i * n + j] = 1 / (e - s);
    });
    return m;
  };
  const cols = b.node('MatMul', [x.name, b.floatTensor(`${layer.name}.cols`, matrix(w, true), [w, o])], `${layer.name}.pool_w`);
  return out(b.node('MatMul', [b.floatTensor(`${layer.name}.rows`, matrix(h, false), [o, h]), cols], layer.name));
};

const flatten: Converter = (ctx) => {
  const x = toIdentity(ctx.b, ctx.inputs[0]);
  return { name: ctx.b.node('Flatten', [x.name], ctx.layer.name, { axis: 1 }), shape: ctx.outputShape, layout: [0, 1] };
};

/** Keras Permute: the ONNX tensor stays, only its layout changes (a later layer transposes if it must). */
const permute: Converter = (ctx) => {
  const v = ctx.inputs[0];
  const dims = ctx.layer.getConfig().dims as number[];
  const q = [0, ...dims]; // output tfjs axis j = input tfjs axis q[j]
  const inverse = new Array<number>(q.length);
  q.forEach((inAxis, outAxis) => {
    inverse[inAxis] = outAxis;
  });
  return { name: v.name, shape: ctx.outputShape, layout: v.layout.map((inAxis) => inverse[inAxis]) };
};

const reshape: Converter = (ctx) => {
  const x = toIdentity(ctx.b, ctx.inputs[0]);
  const target = ctx.layer.getConfig().targetShape as number[];
  const y = ctx.b.node('Reshape', [x.name, ctx.b.int64([0, ...target])], ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: identityLayout(target.length + 1) };
};

/** Merge layers: every input in the first input's layout, then one variadic or chained ONNX op. */
const merge = (kind: 'Add' | 'Multiply' | 'Maximum' | 'Minimum' | 'Average'): Converter => (ctx) => {
  const { b, layer } = ctx;
  const first = ctx.inputs[0];
  const xs = ctx.inputs.map((v) => toLayout(b, v, first.layout).name);
  if (ctx.inputs.some((v) => v.shape.join() !== first.shape.join())) fail(ctx, 'inputs of different shapes (broadcasting merges) are not supported');
  let y: string;
  switch (kind) {
    case 'Add':
      y = xs.length === 2 ? b.node('Add', xs, layer.name) : b.node('Sum', xs, layer.name);
      break;
    case 'Multiply':
      y = xs.slice(1).reduce((acc, v, i) => b.node('Mul', [acc, v], i === xs.length - 2 ? layer.name : `${layer.name}.mul`), xs[0]);
      break;
    case 'Maximum':
      y = b.node('Max', xs, layer.name);
      break;
    case 'Minimum':
      y = b.node('Min', xs, layer.name);
      break;
    case 'Average':
      y = b.node('Mean', xs, layer.name);
      break;
  }
  return { name: y, shape: ctx.outputShape, layout: [...first.layout] };
};

const concatenate: Converter = (ctx) => {
  const first = ctx.inputs[0];
  const xs = ctx.inputs.map((v) => toLayout(ctx.b, v, first.layout).name);
  const axis = onnxAxis(first, (ctx.layer.getConfig().axis as number | undefined) ?? -1);
  return { name: ctx.b.node('Concat', xs, ctx.layer.name, { axis }), shape: ctx.outputShape, layout: [...first.layout] };
};

const channelSlice: Converter = (ctx) => {
  const v = ctx.inputs[0];
  const config = ctx.layer.getConfig();
  const start = config.start as number;
  const size = config.size as number;
  const axis = onnxAxis(v, -1);
  const y = ctx.b.node('Slice', [v.name, ctx.b.int64([start]), ctx.b.int64([start + size]), ctx.b.int64([axis])], ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: [...v.layout] };
};

/** ShuffleNet's shuffle on the channel axis a: Reshape (…, g, C/g, …) → swap the two → Reshape back. */
const channelShuffle: Converter = (ctx) => {
  const { b, layer } = ctx;
  const v = ctx.inputs[0];
  const g = layer.getConfig().groups as number;
  const axis = onnxAxis(v, -1);
  const shape = onnxShapeForReshape(v);
  const c = shape[axis];
  const split = [...shape.slice(0, axis), g, c / g, ...shape.slice(axis + 1)];
  const perm = split.map((_, i) => (i === axis ? axis + 1 : i === axis + 1 ? axis : i));
  const grouped = b.node('Reshape', [v.name, b.int64(split)], `${layer.name}.split`);
  const swapped = b.node('Transpose', [grouped], `${layer.name}.swap`, { perm });
  return { name: b.node('Reshape', [swapped, b.int64(shape)], layer.name), shape: ctx.outputShape, layout: [...v.layout] };
};

/** Offsets [C, 2] of a learned shift layer; non-finite values are refused (they would poison every output). */
function shiftOffsetValues(ctx: ConvertContext): Float32Array {
  const off = requiredWeight(ctx, ctx.layer, 'offsets').data;
  const bad = off.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(ctx, `offset ${bad >> 1} (${bad % 2 === 0 ? 'x' : 'y'}) is ${off[bad]}; a trained model must have finite offsets`);
  return off;
}

const fixedShift: Converter = (ctx) => {
  const { b, layer } = ctx;
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [h, w, c] = x.shape;
  const config = layer.getConfig();
  const pairs = shiftOffsets(c, config.kernelSize as number, (config.dilation as number | undefined) ?? 1);
  const y = emitIntegerShift(b, x.name, {
    channels: c, height: h, width: w, outHeight: h, outWidth: w, stride: 1, oy: pairs.map((p) => p[0]), ox: pairs.map((p) => p[1]),
  }, layer.name);
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
};

const sparseShift: Converter = (ctx) => {
  const { b, layer } = ctx;
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [h, w, c] = x.shape;
  const y = emitSparseShift(b, x.name, { channels: c, height: h, width: w }, shiftOffsetValues(ctx), (layer.getConfig().stride as number | undefined) ?? 1, layer.name);
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
};

const activeShift: Converter = (ctx) => {
  const { b, layer } = ctx;
  const x = toNchw(b, ctx.inputs[0], `layer "${layer.name}"`);
  const [h, w, c] = x.shape;
  const config = layer.getConfig();
  const y = emitActiveShift(b, x.name, { channels: c, height: h, width: w }, shiftOffsetValues(ctx),
    (config.stride as number | undefined) ?? 1, (config.padding as number | undefined) ?? 0, layer.name);
  return { name: y, shape: ctx.outputShape, layout: [...NCHW] };
};

/** Converters by tfjs class name. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Conv2D: convolution,
  DepthwiseConv2D: convolution,
  GroupConv2D: convolution,
  BatchNormalization: batchNormalization,
  Dense: dense,
  ReLU: relu,
  Activation: activationLayer,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  ZeroPadding2D: zeroPadding,
  AdaptiveAvgPool2d: adaptiveAvgPool,
  Flatten: flatten,
  Permute: permute,
  Reshape: reshape,
  Add: merge('Add'),
  Multiply: merge('Multiply'),
  Maximum: merge('Maximum'),
  Minimum: merge('Minimum'),
  Average: merge('Average'),
  Concatenate: concatenate,
  ChannelSlice: channelSlice,
  ChannelShuffle: channelShuffle,
  Shift: fixedShift,
  SparseShift: sparseShift,
  ActiveShift: activeShift,
};

/** Classes whose convolution a directly following BatchNormalization is folded into. */
export const FOLDABLE_CONVOLUTIONS: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D', 'GroupConv2D']);
