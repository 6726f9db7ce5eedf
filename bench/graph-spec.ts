/**
 * Exports a tfjs model's layer graph as plain JSON so that the PyTorch peer (bench/peer.py) rebuilds the SAME
 * architecture layer for layer, instead of a hand-written look-alike that could drift from ours.
 */
import * as tf from '@tensorflow/tfjs';

/** One layer: its class, the config fields the peer needs, its inputs (layer names) and shapes without batch axis. */
export interface LayerSpec {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inbound: string[];
  inputShapes: number[][];
  outputShape: number[];
  /** Learned parameter count of the layer (all weights, BN statistics included), for the peer to cross-check. */
  params: number;
}

/** A whole model in topological order; `output` names the layer whose output is the model's output. */
export interface GraphSpec {
  layers: LayerSpec[];
  output: string;
}

/** Shapes from tfjs carry a leading null batch axis; the peer wants [H, W, C] / [F]. */
function dropBatch(shape: tf.Shape): number[] {
  return shape.slice(1).map((d) => {
    if (d === null) throw new Error(`graph export: unknown dimension in shape [${shape.join(', ')}]; build the model with a fixed resolution`);
    return d;
  });
}

/** Config fields worth sending: everything JSON-serialisable except initializers and regularizers (the peer uses its own). */
function portableConfig(layer: tf.layers.Layer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(layer.getConfig())) {
    if (/Initializer|Regularizer|Constraint/.test(key)) continue;
    out[key] = value;
  }
  return out;
}

/** The model's layers with inbound connections and static shapes; only single-output models (ours all are). */
export function exportGraph(model: tf.LayersModel): GraphSpec {
  if (model.outputs.length !== 1) throw new Error(`graph export: model ${model.name} has ${model.outputs.length} outputs; expected 1`);
  const layers: LayerSpec[] = model.layers.map((layer) => {
    const node = layer.inboundNodes[0];
    const inbound = node === undefined ? [] : node.inboundLayers.map((l) => l.name);
    const inShapes = layer.getClassName() === 'InputLayer' ? [] : node.inputShapes;
    const shapeList = (Array.isArray(inShapes[0]) ? inShapes : [inShapes]) as tf.Shape[];
    return {
      name: layer.name,
      className: layer.getClassName(),
      config: portableConfig(layer),
      inbound,
      inputShapes: inbound.length === 0 ? [] : shapeList.map(dropBatch),
      outputShape: dropBatch(layer.outputShape as tf.Shape),
      params: layer.countParams(),
    };
  });
  return { layers, output: model.outputs[0].sourceLayer.name };
}
