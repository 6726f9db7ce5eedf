/**
 * Shared helpers of the weight importers: enumerate a model's weighted layers in graph order, set a
 * layer's weights with exact shape checks, and express a folded-BN conv bias through a BN layer.
 */
import * as tf from '@tensorflow/tfjs';

/** A layer that carries a kernel: conv, depthwise conv or fully connected. */
export interface KernelLayer {
  layer: tf.layers.Layer;
  kind: 'conv' | 'depthwise' | 'dense';
  /** tfjs layout: HWIO for conv, [h,w,C,m] for depthwise, [in,out] for dense. */
  kernelShape: number[];
  hasBias: boolean;
  /** Strides [h, w] (convs only). */
  strides?: number[];
  /** The BatchNormalization layer that consumes this layer's output directly, if any. */
  bn?: tf.layers.Layer;
}

const KIND_BY_CLASS: Record<string, KernelLayer['kind']> = { Conv2D: 'conv', DepthwiseConv2D: 'depthwise', Dense: 'dense' };

/** The single layer that consumes `layer`'s output, or undefined when there are none or several. */
function soleConsumer(layer: tf.layers.Layer): tf.layers.Layer | undefined {
  const nodes = layer.outboundNodes;
  return nodes.length === 1 ? nodes[0].outboundLayer : undefined;
}

/** Weighted layers of `model` in graph order (tfjs' topological layer order), each with the BN that follows it. */
export function kernelLayers(model: tf.LayersModel): KernelLayer[] {
  const out: KernelLayer[] = [];
  for (const layer of model.layers) {
    const kind = KIND_BY_CLASS[layer.getClassName()];
    if (kind === undefined) continue;
    const weights = layer.getWeights(false);
    const config = layer.getConfig() as { strides?: number[] | number };
    const next = soleConsumer(layer);
    const entry: KernelLayer = { layer, kind, kernelShape: weights[0].shape.slice(), hasBias: weights.length > 1 };
    if (kind !== 'dense') entry.strides = Array.isArray(config.strides) ? config.strides : [Number(config.strides), Number(config.strides)];
    if (next !== undefined && next.getClassName() === 'BatchNormalization') entry.bn = next;
    out.push(entry);
  }
  return out;
}

/** Formats a shape as "[3,3,8,16]". */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Sets all weights of `layer` (in `layer.weights` order) from float32 arrays; every shape must match exactly.
 * `what` names the source of the values in errors.
 */
export function setLayerWeights(layer: tf.layers.Layer, values: Array<{ data: Float32Array; shape: number[] }>, what: string): void {
  const current = layer.weights;
  if (current.length !== values.length) {
    throw new Error(`${what} → layer "${layer.name}": the layer has ${current.length} weights, the file gives ${values.length}`);
  }
  values.forEach((v, i) => {
    const want = current[i].shape as number[];
    if (shapeText(want) !== shapeText(v.shape)) {
      throw new Error(`${what} → layer "${layer.name}" weight "${current[i].name}": shape ${shapeText(v.shape)} does not match the layer's ${shapeText(want)}`);
    }
    const count = v.shape.reduce((a, b) => a * b, 1);
    if (v.data.length !== count) throw new Error(`${what}: ${v.data.length} values for shape ${shapeText(v.shape)}`);
  });
  const tensors = values.map((v) => tf.tensor(v.data, v.shape, 'float32'));
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

/** BN weights as [gamma, beta, moving_mean, moving_variance], after checking the layer has exactly those. */
function bnLayout(bn: tf.layers.Layer): { channels: number; epsilon: number } {
  const config = bn.getConfig() as { epsilon?: number; scale?: boolean; center?: boolean };
  if (config.scale === false || config.center === false || bn.weights.length !== 4) {
    throw new Error(`layer "${bn.name}": expected a BatchNormalization with gamma, beta, moving mean and variance (scale and center on)`);
  }
  return { channels: bn.weights[0].shape[0] as number, epsilon: config.epsilon ?? 1e-3 };
}

/**
 * Makes `bn` compute x + bias: gamma = 1, beta = bias, moving_mean = 0, moving_variance = 1 − ε, so
 * that (x − 0)/√(var + ε) = x up to one float32 rounding. Used for TFLite files, whose BN is folded into
 * the conv (weights scaled, BN shift as the conv bias) while our builders keep a bias-free conv + BN.
 */
export function setBnAsBias(bn: tf.layers.Layer, bias: Float32Array, what: string): void {
  const { channels, epsilon } = bnLayout(bn);
  if (bias.length !== channels) {
    throw new Error(`${what} → layer "${bn.name}": bias has ${bias.length} channels, the layer ${channels}`);
  }
  const shape = [channels];
  setLayerWeights(
    bn,
    [
      { data: new Float32Array(channels).fill(1), shape },
      { data: bias, shape },
      { data: new Float32Array(channels), shape },
      { data: new Float32Array(channels).fill(1 - epsilon), shape },
    ],
    what,
  );
}
