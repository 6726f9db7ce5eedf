/**
 * LayersModel → unfused plan graph: one step per computing layer (views — Flatten, Reshape, dropout and noise — and
 * identity layers become no step at all: their output is their input's value). NHWC throughout, as the model computes.
 * Geometry comes from tfjs's own helpers (computeConv2DInfo, computePool2DInfo), so padding matches the tfjs path.
 */
import * as tf from '@tensorflow/tfjs';
import { shiftOffsets, groupedShiftRuns } from '../ops/shift';
import { roundHalfAwayFromZero } from '../ops/sparse-shift';
import { shiftOutputLength } from '../ops/shift-gather';
import { batchNormAffine as affineOf } from '../batch-norm-affine';
import { product, stridesOf, zeroPaddingAmounts } from '../shape';
import { PlanUnsupportedError } from './errors';
import { ACT_LINEAR, ACT_RELU, ACT_RELU6, ActCode, PlanGraph, PlanValue, Step } from './steps';

type Config = tf.serialization.ConfigDict;

/** A step without its layers, inputs and output (distributed over the union, so each kind keeps its fields). */
type StepBody = Step extends infer S ? (S extends Step ? Omit<S, 'layers' | 'inputs' | 'output'> : never) : never;

/** Layers that are the identity at inference (their output is a view of their input). */
const IDENTITY_CLASSES = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Flatten', 'Reshape']);

/** The classes {@link lowerModel} accepts (anything else is refused by name). */
export const PLAN_LAYER_CLASSES: readonly string[] = [
  'InputLayer', ...IDENTITY_CLASSES, 'Conv2D', 'DepthwiseConv2D', 'GroupConv2D', 'Dense', 'BatchNormalization', 'ReLU',
  'Activation', 'Add', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
  'ZeroPadding2D', 'AdaptiveAvgPool2d', 'Concatenate', 'ChannelSlice', 'ChannelShuffle', 'Permute', 'Shift',
  'SparseShift', 'ActiveShift',
].sort();

/** A layer weight by its short name ("kernel", "gamma", …) as float32 values (a copy), or undefined. */
export function layerWeight(layer: tf.layers.Layer, short: string): Float32Array | undefined {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === short);
  return w === undefined ? undefined : Float32Array.from(w.read().dataSync() as Float32Array);
}

function unsupported(layer: tf.layers.Layer, what: string): never {
  throw new PlanUnsupportedError(layer.getClassName(), layer.name, what);
}

function requiredWeight(layer: tf.layers.Layer, short: string): Float32Array {
  const w = layerWeight(layer, short);
  if (w === undefined) unsupported(layer, `has no weight "${short}" (weights: ${layer.weights.map((v) => v.originalName).join(', ')})`);
  return w;
}

/** The activation code of a Keras activation name; null for ones the native epilogues do not compute. */
export function activationCodeOf(name: unknown): ActCode | null {
  const n = name === undefined || name === null ? 'linear' : String(name);
  return n === 'linear' ? ACT_LINEAR : n === 'relu' ? ACT_RELU : n === 'relu6' ? ACT_RELU6 : null;
}

function activationOf(layer: tf.layers.Layer, name: unknown): ActCode {
  const code = activationCodeOf(name);
  if (code === null) unsupported(layer, `has activation "${String(name)}"; the plan fuses linear, relu and relu6 only`);
  return code;
}

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number];
}

function requireChannelsLast(layer: tf.layers.Layer, config: Config): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') unsupported(layer, `has dataFormat ${String(config.dataFormat)}; the plan computes NHWC (channelsLast) only`);
}


/** The model's layers lowered to steps for `batch` images; throws PlanUnsupportedError on a layer it cannot express. */
export function lowerModel(model: tf.LayersModel, batch: number): PlanGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new PlanUnsupportedError('LayersModel', model.name, `has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the plan supports one of each`);
  }
  const values: PlanValue[] = [];
  const steps: Step[] = [];
  const valueOf = new Map<string, number>(); // layer name → value of its output
  const newValue = (shape: number[]): number => {
    values.push({ shape, size: product(shape) });
    return values.length - 1;
  };
  let input = -1;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const config = layer.getConfig();
    const outShape = [batch, ...(layer.outputShape as number[]).slice(1)];
    if (outShape.some((d) => !Number.isInteger(d) || d < 1)) unsupported(layer, `has output shape [${(layer.outputShape as number[]).join(', ')}]; build the model with a fixed input resolution`);
    if (cls === 'InputLayer') {
      input = newValue(outShape);
      valueOf.set(layer.name, input);
      continue;
    }
    if (layer.inboundNodes.length !== 1) unsupported(layer, `is applied ${layer.inboundNodes.length} times (a shared layer); the plan supports one application per layer`);
    const node = layer.inboundNodes[0] as unknown as { inboundLayers: tf.layers.Layer[]; tensorIndices: number[] };
    const ins = node.inboundLayers.map((from, i) => {
      if (node.tensorIndices[i] !== 0) unsupported(layer, `reads output ${node.tensorIndices[i]} of "${from.name}"; multi-output layers are not supported`);
      const v = valueOf.get(from.name);
      if (v === undefined) throw new Error(`inference plan: layer "${layer.name}" reads "${from.name}", which was not lowered before it`);
      return v;
    });
    const x = ins[0];
    // The first input's shape as its layer produces it (a view such as Flatten shares its source's value, not its shape).
    const xShape = [batch, ...(node.inboundLayers[0].outputShape as number[]).slice(1)];
    const view = (): void => {
      valueOf.set(layer.name, x);
    };
    const emit = (step: StepBody): void => {
      const y = newValue(outShape);
      steps.push({ layers: [layer.name], inputs: ins, ...step, output: y } as Step);
      valueOf.set(layer.name, y);
    };
    switch (cls) {
      case 'Dropout': case 'SpatialDropout1D': case 'GaussianNoise': case 'GaussianDropout': case 'AlphaDropout': case 'Flatten':
        view();
        break;
      case 'Reshape':
        // NHWC memory is row-major: a reshape moves nothing.
        view();
        break;
      case 'Conv2D': case 'GroupConv2D': case 'DepthwiseConv2D': {
        requireChannelsLast(layer, config);
        if (xShape.length !== 4) unsupported(layer, `has a rank-${xShape.length} input; the plan convolves NHWC images`);
        const depthwise = cls === 'DepthwiseConv2D';
        const w = requiredWeight(layer, depthwise ? 'depthwise_kernel' : 'kernel');
        const wShape = layer.weights.find((v) => v.originalName.split('/').pop() === (depthwise ? 'depthwise_kernel' : 'kernel'))?.shape as number[];
        const groups = cls === 'GroupConv2D' ? (config.groups as number) : 1;
        const filterShape = depthwise ? wShape : [wShape[0], wShape[1], xShape[3], wShape[3]]; // computeConv2DInfo checks C
        const padding = config.padding as 'same' | 'valid';
        if (padding !== 'same' && padding !== 'valid') unsupported(layer, `has padding ${JSON.stringify(padding)}; the plan supports 'same' and 'valid'`);
        const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
          pair(config.strides ?? 1), pair(config.dilationRate ?? 1), padding, undefined, depthwise, 'channelsLast');
        const bias = config.useBias === false ? null : layerWeight(layer, 'bias') ?? null;
        const act = activationOf(layer, config.activation);
        const common = [info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left];
        if (depthwise) {
          const geom = Int32Array.from([batch, info.inHeight, info.inWidth, info.inChannels, info.outChannels / info.inChannels,
            info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, ...common]);
          emit({ kind: 'depthwise', w, bias, geom, act });
        } else {
          const geom = Int32Array.from([batch, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
            info.outChannels, info.filterHeight, info.filterWidth, ...common, groups]);
          emit({ kind: 'conv', w, bias, geom, act, residual: false });
        }
        break;
      }
      case 'Dense': {
        const w = requiredWeight(layer, 'kernel');
        const fin = xShape[xShape.length - 1];
        const units = outShape[outShape.length - 1];
        const rows = values[x].size / fin;
        const bias = config.useBias === false ? null : layerWeight(layer, 'bias') ?? null;
        // A 1×1 convolution over `rows` pixels of `fin` channels: x·W + b with the epilogue's activation.
        const geom = Int32Array.from([rows, 1, 1, fin, 1, 1, units, 1, 1, 1, 1, 1, 1, 0, 0, 1]);
        emit({ kind: 'conv', w, bias, geom, act: activationOf(layer, config.activation), residual: false });
        break;
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(config.axis) ? config.axis : [config.axis];
        if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === xShape.length - 1)) unsupported(layer, `normalises axis ${JSON.stringify(config.axis)}; the plan supports the last (channel) axis only`);
        const c = xShape[xShape.length - 1];
        const { scale, shift } = batchNormAffine(layer, c);
        emit({ kind: 'affine', scale: Float32Array.from(scale), shift: Float32Array.from(shift), rows: values[x].size / c, channels: c, act: ACT_LINEAR });
        break;
      }
      case 'ReLU': {
        const maxValue = config.maxValue as number | null | undefined;
        const slope = config.negativeSlope as number | undefined;
        const threshold = config.threshold as number | undefined;
        if ((slope !== undefined && slope !== 0) || (threshold !== undefined && threshold !== 0)) unsupported(layer, 'has a negative slope or threshold; the plan fuses plain relu and relu6');
        const act = maxValue === undefined || maxValue === null ? ACT_RELU : maxValue === 6 ? ACT_RELU6 : unsupported(layer, `has maxValue ${maxValue}; the plan fuses relu (none) and relu6 (6) only`);
        emit({ kind: 'affine', scale: null, shift: null, rows: values[x].size / xShape[xShape.length - 1], channels: xShape[xShape.length - 1], act });
        break;
      }
      case 'Activation': {
        const act = activationOf(layer, config.activation);
        if (act === ACT_LINEAR) view();
        else emit({ kind: 'affine', scale: null, shift: null, rows: values[x].size / xShape[xShape.length - 1], channels: xShape[xShape.length - 1], act });
        break;
      }
      case 'Add': {
        if (ins.some((v) => values[v].size !== values[x].size)) unsupported(layer, 'adds inputs of different shapes (broadcasting); the plan adds equal shapes only');
        // n inputs: a chain of two-input adds, the last one writing the layer's value.
        let acc = ins[0];
        for (let i = 1; i < ins.length; i++) {
          const y = newValue(outShape);
          steps.push({ kind: 'add', layers: [layer.name], inputs: [acc, ins[i]], output: y, act: ACT_LINEAR });
          acc = y;
        }
        valueOf.set(layer.name, acc);
        break;
      }
      case 'MaxPooling2D': case 'AveragePooling2D': {
        requireChannelsLast(layer, config);
        const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], pair(config.poolSize),
          pair(config.strides ?? config.poolSize), 1, config.padding as 'same' | 'valid');
        emit({ kind: cls === 'MaxPooling2D' ? 'maxPool' : 'avgPool', geom: poolGeometry(info) });
        break;
      }
      case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': {
        requireChannelsLast(layer, config);
        const [, h, w, c] = xShape;
        // One window over the whole map: [B, 1, 1, C], the memory of [B, C].
        const geom = Int32Array.from([batch, h, w, c, 1, 1, h, w, 1, 1, 0, 0]);
        emit({ kind: cls === 'GlobalMaxPooling2D' ? 'maxPool' : 'avgPool', geom });
        break;
      }
      case 'ZeroPadding2D': {
        requireChannelsLast(layer, config);
        const [t, b, l, r] = zeroPaddingAmounts(layer);
        emit({ kind: 'pad', shape: Int32Array.from(xShape), before: Int32Array.from([0, t, l, 0]), after: Int32Array.from([0, b, r, 0]) });
        break;
      }
      case 'AdaptiveAvgPool2d': {
        const [, h, w, c] = xShape;
        const o = config.outputSize as number;
        if (h === o && w === o) view();
        else emit({ kind: 'adaptiveAvgPool', geom: Int32Array.from([batch, h, w, c, o, o]) });
        break;
      }
      case 'Concatenate': {
        const rank = xShape.length;
        const a = (config.axis as number | undefined) ?? -1;
        const axis = a < 0 ? a + rank : a;
        if (axis < 1 || axis >= rank) unsupported(layer, `concatenates along axis ${a}; the plan concatenates non-batch axes only`);
        const outer = product(xShape.slice(0, axis));
        const inShapes = node.inboundLayers.map((l) => [batch, ...(l.outputShape as number[]).slice(1)]);
        emit({ kind: 'concat', inners: Int32Array.from(inShapes.map((s) => product(s.slice(axis)))), outer });
        break;
      }
      case 'ChannelSlice': {
        const c = xShape[xShape.length - 1];
        const size = config.size as number;
        const rows = values[x].size / c;
        emit({ kind: 'copy', shape: Int32Array.from([rows, size]), srcStrides: Int32Array.from([c, 1]), srcOffset: config.start as number, dstStrides: Int32Array.from([size, 1]) });
        break;
      }
      case 'ChannelShuffle': {
        const c = xShape[xShape.length - 1];
        const g = config.groups as number;
        const rows = values[x].size / c;
        // y[r, j·g + i] = x[r, i·(C/g) + j]: walk y's [rows, C/g, g] in order.
        emit({ kind: 'copy', shape: Int32Array.from([rows, c / g, g]), srcStrides: Int32Array.from([c, 1, c / g]), srcOffset: 0, dstStrides: Int32Array.from([c, g, 1]) });
        break;
      }
      case 'Permute': {
        const q = [0, ...(config.dims as number[])]; // output axis k = input axis q[k]
        const inStrides = stridesOf(xShape);
        emit({ kind: 'copy', shape: Int32Array.from(outShape), srcStrides: Int32Array.from(q.map((a) => inStrides[a])), srcOffset: 0, dstStrides: Int32Array.from(stridesOf(outShape)) });
        break;
      }
      case 'Shift': {
        const [n, h, w, c] = xShape;
        const pairs = shiftOffsets(c, config.kernelSize as number, (config.dilation as number | undefined) ?? 1);
        emit({ kind: 'groupedShift', runs: Int32Array.from(groupedShiftRuns(pairs)), geom: Int32Array.from([n, h, w, c]) });
        break;
      }
      case 'SparseShift': case 'ActiveShift': {
        const [n, h, w, c] = xShape;
        const off = requiredWeight(layer, 'offsets');
        const bad = off.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) unsupported(layer, `has offset ${off[bad]} at ${bad}; offsets must be finite`);
        const stride = (config.stride as number | undefined) ?? 1;
        const pad = cls === 'ActiveShift' ? ((config.padding as number | undefined) ?? 0) : 0;
        const oh = shiftOutputLength(h, stride, pad);
        const ow = shiftOutputLength(w, stride, pad);
        const taps = cls === 'SparseShift' ? sparseTaps(off, c) : bilinearTaps(off, c, pad);
        emit({ kind: 'channelShift', ...taps, dims: [n, h, w, c, oh, ow, stride, taps.weights.length / c] });
        break;
      }
      default:
        unsupported(layer, `has no plan step; the plan supports ${PLAN_LAYER_CLASSES.join(', ')}`);
    }
  }
  const output = valueOf.get(model.outputs[0].sourceLayer.name);
  if (output === undefined || input < 0) throw new Error(`inference plan: model "${model.name}" has no input layer or its output was not lowered`);
  return { values, steps, input, output };
}

/** [B,H,W,C,OH,OW,KH,KW,sh,sw,pt,pl] of the addon's pooling kernels. */
function poolGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left]);
}

/** Per-channel y = x·scale + shift of an inference-mode BatchNormalization, in double precision. */
export function batchNormAffine(layer: tf.layers.Layer, channels: number): { scale: Float64Array; shift: Float64Array } {
  const config = layer.getConfig();
  const eps = config.epsilon as number;
  const mean = requiredWeight(layer, 'moving_mean');
  const variance = requiredWeight(layer, 'moving_variance');
  const gamma = config.scale === false ? null : requiredWeight(layer, 'gamma');
  const beta = config.center === false ? null : requiredWeight(layer, 'beta');
  if (mean.length !== channels) unsupported(layer, `has ${mean.length} channels, its input ${channels}`);
  return affineOf({ mean, variance, gamma, beta, epsilon: eps }, channels);
}

/** SSL at inference: one tap per channel at the rounded offsets (column 0 = x, 1 = y), weight 1. */
function sparseTaps(off: Float32Array, c: number): { weights: Float32Array; offY: Int32Array; offX: Int32Array } {
  const offY = new Int32Array(c);
  const offX = new Int32Array(c);
  for (let ch = 0; ch < c; ch++) {
    offX[ch] = roundHalfAwayFromZero(off[2 * ch]);
    offY[ch] = roundHalfAwayFromZero(off[2 * ch + 1]);
  }
  return { weights: new Float32Array(c).fill(1), offY, offX };
}

/** ASL: four taps (corners 00, 01, 10, 11) at ⌊offset⌋ + corner − pad, weighted bilinearly by the fractions. */
function bilinearTaps(off: Float32Array, c: number, pad: number): { weights: Float32Array; offY: Int32Array; offX: Int32Array } {
  const weights = new Float32Array(4 * c);
  const offY = new Int32Array(4 * c);
  const offX = new Int32Array(4 * c);
  const corners = [[0, 0], [0, 1], [1, 0], [1, 1]];
  for (let ch = 0; ch < c; ch++) {
    const bx = Math.floor(off[2 * ch]);
    const by = Math.floor(off[2 * ch + 1]);
    // The fractions as the layer computes them: in float32.
    const fx = Math.fround(off[2 * ch] - bx);
    const fy = Math.fround(off[2 * ch + 1] - by);
    corners.forEach(([i, j], t) => {
      weights[t * c + ch] = (j === 1 ? fx : Math.fround(1 - fx)) * (i === 1 ? fy : Math.fround(1 - fy));
      offY[t * c + ch] = by + i - pad;
      offX[t * c + ch] = bx + j - pad;
    });
  }
  return { weights, offY, offX };
}
