/**
 * Loads the weights of a TF-slim MobileNet V1/V2 `.tflite` file into a model built by our `mobilenet_v1` /
 * `mobilenet_v2` builders (`loadTfliteMobilenet` in src/models/pretrained.ts builds it from the file's configuration).
 *
 * Matching is by order: the file's CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED operators in execution order
 * against our Conv2D / DepthwiseConv2D / Dense layers in graph order, each pair checked for exact kernel shape
 * and stride. Anything left on either side is an error listing it.
 *
 * Folded batch norm: the files hold conv weights with BN folded in and BN's shift as a conv bias. Our builders
 * keep a bias-free conv followed by BN, so the bias goes into that BN made an exact identity plus shift
 * (gamma 1, beta = bias, mean 0, variance 1 − ε): the imported network computes the file's function and
 * remains an ordinary instance of the builder (fine-tunable, same parameter names).
 */
import * as tf from '@tensorflow/tfjs';
import { makeDivisible } from '../channels';
import { kernelLayers, KernelLayer, setBnAsBias, setLayerWeights, shapeText } from './assign';
import { dequantizeTensor, TfliteModel, TfliteOperator } from './tflite';

/** One weighted operator of a file, converted to tfjs layout. */
export interface TfliteLayerWeights {
  op: string;
  /** Name of the weight tensor in the file (TF-slim scope, e.g. "MobilenetV1/Conv2d_0/..."). */
  name: string;
  /** tfjs layout: HWIO (conv), [h,w,C,m] (depthwise), [in,out] (fully connected). */
  kernel: { data: Float32Array; shape: number[] };
  bias?: Float32Array;
  /** [h, w]; undefined for FULLY_CONNECTED. */
  strides?: number[];
}

/** Transposes a row-major OHWI array to HWIO (tfjs conv layout): permutation [1,2,3,0]. */
export function ohwiToHwio(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const [o, h, w, i] = shape;
  const out = new Float32Array(data.length);
  for (let oo = 0; oo < o; oo++) {
    for (let hh = 0; hh < h; hh++) {
      for (let ww = 0; ww < w; ww++) {
        for (let ii = 0; ii < i; ii++) out[((hh * w + ww) * i + ii) * o + oo] = data[((oo * h + hh) * w + ww) * i + ii];
      }
    }
  }
  return { data: out, shape: [h, w, i, o] };
}

/** Weighted operators of `tflite` in execution order, dequantized to float32 and converted to tfjs layout. */
export function tfliteLayerWeights(tflite: TfliteModel): TfliteLayerWeights[] {
  const out: TfliteLayerWeights[] = [];
  for (const op of tflite.operators) {
    if (op.op !== 'CONV_2D' && op.op !== 'DEPTHWISE_CONV_2D' && op.op !== 'FULLY_CONNECTED') continue;
    const weight = tflite.tensors[op.inputs[1]];
    const raw = dequantizeTensor(tflite, weight);
    let kernel: { data: Float32Array; shape: number[] };
    if (op.op === 'CONV_2D') {
      kernel = ohwiToHwio(raw, weight.shape);
    } else if (op.op === 'DEPTHWISE_CONV_2D') {
      // [1,h,w,C·m] is already [h,w,C,m] in memory; the multiplier comes from the options.
      const [, h, w, cm] = weight.shape;
      const m = op.conv?.depthMultiplier || 1;
      kernel = { data: raw, shape: [h, w, cm / m, m] };
    } else {
      const [o, i] = weight.shape;
      const t = new Float32Array(raw.length);
      for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) t[ii * o + oo] = raw[oo * i + ii];
      kernel = { data: t, shape: [i, o] };
    }
    const biasIndex = op.inputs[2];
    const entry: TfliteLayerWeights = { op: op.op, name: weight.name.split(';')[0], kernel };
    if (biasIndex !== undefined && biasIndex >= 0) entry.bias = dequantizeTensor(tflite, tflite.tensors[biasIndex]);
    if (op.conv) entry.strides = [op.conv.strideH, op.conv.strideW];
    out.push(entry);
  }
  return out;
}

/** How a file operator becomes a layer's kernel, or why it cannot. Returns the kernel in the layer's layout. */
function kernelFor(source: TfliteLayerWeights, target: KernelLayer): { data: Float32Array; shape: number[] } | string {
  const k = source.kernel;
  if (target.kind === 'dense' && source.op === 'CONV_2D' && k.shape[0] === 1 && k.shape[1] === 1) {
    // TF-slim's classifier is a 1×1 conv on the pooled 1×1 map: the same as a dense layer [in, out].
    return { data: k.data, shape: [k.shape[2], k.shape[3]] };
  }
  const compatible =
    (target.kind === 'conv' && source.op === 'CONV_2D') ||
    (target.kind === 'depthwise' && source.op === 'DEPTHWISE_CONV_2D') ||
    (target.kind === 'dense' && source.op === 'FULLY_CONNECTED');
  if (!compatible) return `${source.op} cannot load into a ${target.layer.getClassName()} layer`;
  if (target.strides && source.strides && shapeText(target.strides) !== shapeText(source.strides)) {
    return `stride ${shapeText(source.strides)} differs from the layer's ${shapeText(target.strides)}`;
  }
  return k;
}

export interface TfliteLoadReport {
  /** Pairs "file tensor → our layer", in order. */
  assigned: Array<{ tensor: string; layer: string }>;
}

/**
 * Loads the weights of `tflite` into `model` (built at the file's width, resolution and 1001 classes).
 * Throws listing the first mismatch and everything left unmatched on either side. `source` names the file.
 */
export function loadTfliteWeights(model: tf.LayersModel, tflite: TfliteModel, source: string): TfliteLoadReport {
  const fileLayers = tfliteLayerWeights(tflite);
  const ours = kernelLayers(model);
  const inputShape = tflite.tensors[tflite.inputs[0]]?.shape ?? [];
  const modelInput = model.inputs[0].shape;
  if (inputShape.length === 4 && (modelInput[1] !== inputShape[1] || modelInput[2] !== inputShape[2])) {
    throw new Error(`${source}: the file's input is ${inputShape[1]}×${inputShape[2]} but model "${model.name}" takes ${modelInput[1]}×${modelInput[2]}; build it with resolution ${inputShape[1]}`);
  }
  const problems: string[] = [];
  const plan: Array<{ file: TfliteLayerWeights; layer: KernelLayer; kernel: { data: Float32Array; shape: number[] } }> = [];
  const n = Math.min(fileLayers.length, ours.length);
  for (let i = 0; i < n && problems.length === 0; i++) {
    const file = fileLayers[i];
    const layer = ours[i];
    const kernel = kernelFor(file, layer);
    if (typeof kernel === 'string') {
      problems.push(`#${i} ${file.name} ${shapeText(file.kernel.shape)} → layer "${layer.layer.name}": ${kernel}`);
    } else if (shapeText(kernel.shape) !== shapeText(layer.kernelShape)) {
      problems.push(`#${i} ${file.name}: kernel ${shapeText(kernel.shape)} does not match layer "${layer.layer.name}" ${shapeText(layer.kernelShape)}`);
    } else if (file.bias !== undefined && !layer.hasBias && layer.bn === undefined) {
      problems.push(`#${i} ${file.name} has a bias but layer "${layer.layer.name}" has neither a bias nor a following BatchNormalization`);
    } else {
      plan.push({ file, layer, kernel });
    }
  }
  if (problems.length > 0 || fileLayers.length !== ours.length) {
    const firstUnmatched = plan.length;
    const leftFile = fileLayers.slice(firstUnmatched).map((f) => `${f.name} ${shapeText(f.kernel.shape)}`);
    const leftOurs = ours.slice(firstUnmatched).map((l) => `${l.layer.name} ${shapeText(l.kernelShape)}`);
    throw new Error(
      `${source} does not fit model "${model.name}" (a different architecture, width or resolution?). ` +
        `${problems.join('; ')}${problems.length ? '. ' : ''}` +
        `Left over in the file (${leftFile.length}): ${leftFile.slice(0, 8).join(', ')}${leftFile.length > 8 ? ', …' : ''}. ` +
        `Left over in the model (${leftOurs.length}): ${leftOurs.slice(0, 8).join(', ')}${leftOurs.length > 8 ? ', …' : ''}.`,
    );
  }
  const assigned: TfliteLoadReport['assigned'] = [];
  for (const { file, layer, kernel } of plan) {
    const what = `${source}: ${file.name}`;
    const values = [kernel];
    if (layer.hasBias) {
      const biasShape = layer.layer.weights[1].shape as number[];
      values.push({ data: file.bias ?? new Float32Array(biasShape[0]), shape: biasShape });
    }
    setLayerWeights(layer.layer, values, what);
    if (!layer.hasBias && layer.bn !== undefined) {
      // No bias in the file (rare) means a zero shift; the BN must still be made the identity.
      setBnAsBias(layer.bn, file.bias ?? new Float32Array(layer.bn.weights[0].shape[0] as number), what);
    }
    assigned.push({ tensor: file.name, layer: layer.layer.name });
  }
  return { assigned };
}

/** Architecture and configuration of a TF-slim MobileNet file, read from its operators and shapes. */
export interface TfliteMobilenetConfig {
  model: 'mobilenet_v1' | 'mobilenet_v2';
  width: number;
  resolution: number;
  classes: number;
}

/** Width multipliers published for MobileNet V1 and V2 (checked in this order). */
const PUBLISHED_WIDTHS: Record<TfliteMobilenetConfig['model'], number[]> = { mobilenet_v1: [0.25, 0.5, 0.75, 1.0], mobilenet_v2: [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] };

/**
 * Infers builder name, width α, resolution and classes from a TF-slim MobileNet file: V2 has ADD operators
 * (residuals); α is the published width whose stem and last conv widths match the file. Throws for other files.
 */
export function inferTfliteMobilenetConfig(tflite: TfliteModel, source: string): TfliteMobilenetConfig {
  const layers = tfliteLayerWeights(tflite);
  const input = tflite.tensors[tflite.inputs[0]];
  if (layers.length < 3 || input === undefined || input.shape.length !== 4 || input.shape[3] !== 3) {
    throw new Error(`${source}: not an image classifier with an [1,H,W,3] input and conv layers (input ${input ? shapeText(input.shape) : 'missing'})`);
  }
  const model = tflite.operators.some((o: TfliteOperator) => o.op === 'ADD') ? 'mobilenet_v2' : 'mobilenet_v1';
  const stem = layers[0].kernel.shape[3];
  const head = layers[layers.length - 1].kernel;
  const lastConv = head.shape[head.shape.length - 2];
  const classes = head.shape[head.shape.length - 1];
  const width = PUBLISHED_WIDTHS[model].find((a: number) =>
    model === 'mobilenet_v1'
      ? Math.floor(32 * a) === stem && Math.floor(1024 * a) === lastConv
      : makeDivisible(32 * a) === stem && (a > 1 ? makeDivisible(1280 * a) : 1280) === lastConv,
  );
  if (width === undefined) {
    throw new Error(`${source}: a ${model} file with stem ${stem} and last conv ${lastConv} channels matches no published width (${PUBLISHED_WIDTHS[model].join(', ')})`);
  }
  return { model, width, resolution: input.shape[1], classes };
}
