/**
 * Reads a tfjs model's layer graph (each layer's inbound node) into the nodes and edges of a block diagram: one box
 * per operation, with the padding before it and the batch norm / activation after it folded into its label, sibling
 * channel slices grouped into one split, and add / concat / shuffle as nodes of their own. Nothing is described by
 * hand: labels come from each layer's class and `getConfig()`, channel counts from its shapes.
 *
 * Used by the block diagrams of notebooks 03–08 (src/lessons/diagrams.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** What a diagram node stands for; the renderer gives each kind its own shape. */
export type DiagramNodeKind = 'input' | 'output' | 'layer' | 'norm' | 'add' | 'concat' | 'split' | 'shuffle';

/** Colour family of a node: which kind of operation does the work. */
export type DiagramFamily = 'terminal' | 'conv' | 'depthwise' | 'group' | 'shift' | 'pool' | 'norm' | 'merge' | 'other';

/** One box (or circle, trapezoid, hexagon) of a block diagram. */
export interface DiagramNode {
  /** 'n0', 'n1', … in topological order. */
  id: string;
  kind: DiagramNodeKind;
  family: DiagramFamily;
  /** First label line, e.g. "3×3 depthwise conv, stride 2". */
  title: string;
  /** Second label line, e.g. "144→144 · BN · ReLU6" (channels in→out, then what is fused after the op). */
  detail: string;
  /** Shape of each output without the batch axis, [H, W, C] (one per piece of a split; the input's for an output terminal). */
  outputShapes: number[][];
  /** Names of the tfjs layers the node draws, in data-flow order (empty for an output terminal). */
  layers: string[];
  /** Their tfjs class names, parallel to `layers`. */
  classNames: string[];
}

/** A data-flow arrow between two nodes. */
export interface DiagramEdge {
  from: string;
  to: string;
  /** Which output of `from` (the slice index of a split; 0 otherwise). */
  fromSlot: number;
  /** Which input of `to` (operand order of an add or concat; 0 otherwise). */
  toSlot: number;
}

/** Nodes in topological order and the edges between them. */
export interface DiagramGraph {
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

/** A layer with what the diagram needs from it. */
interface LayerInfo {
  layer: tf.layers.Layer;
  name: string;
  className: string;
  config: tf.serialization.ConfigDict;
  /** Names of the layers feeding it, in input order. */
  inputs: string[];
  /** Shapes of those inputs (batch axis included). */
  inputShapes: number[][];
  outputShape: number[];
  /** Names of the layers consuming its output. */
  consumers: string[];
}

/** Layers that only normalise or activate: folded into the box of the operation before them. */
const ATTACHABLE = new Set(['BatchNormalization', 'ReLU', 'Activation', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU', 'Softmax']);

/** Layers whose zero padding is drawn as part of their own box. */
const PADDABLE = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'GroupConv2D', 'AveragePooling2D', 'MaxPooling2D']);

/** Node kinds an attachable layer may be folded into (an operation box or a norm/activation box). */
const ATTACH_TARGETS = new Set<DiagramNodeKind>(['layer', 'norm']);

/** Normalises tfjs' `Shape | Shape[]` to a list of shapes, null (batch) axes kept as -1. */
function shapeList(shapes: tf.Shape | tf.Shape[]): number[][] {
  const list = (shapes.length > 0 && Array.isArray(shapes[0]) ? shapes : [shapes]) as tf.Shape[];
  return list.map((s) => s.map((d) => (d === null ? -1 : d)));
}

/** Channels (last axis) of an NHWC or [N, C] shape. */
function channels(shape: number[]): number {
  return shape[shape.length - 1];
}

/** "16×16×96" for [N, 16, 16, 96]; "96" for [N, 96]. */
export function shapeText(shape: number[]): string {
  return shape.slice(1).join('×');
}

/** Reads each layer's single inbound node; rejects shared layers and multi-output layers, which a block never has. */
function readLayers(model: tf.LayersModel): Map<string, LayerInfo> {
  const infos = new Map<string, LayerInfo>();
  for (const layer of model.layers) {
    if (layer.inboundNodes.length !== 1) {
      throw new Error(
        `layer '${layer.name}' is applied ${layer.inboundNodes.length} times in the model; a block diagram draws each layer once — build the block once per diagram`,
      );
    }
    const node = layer.inboundNodes[0];
    if (node.tensorIndices.some((i) => i !== 0) || shapeList(node.outputShapes).length !== 1) {
      throw new Error(`layer '${layer.name}' (${layer.getClassName()}) has several outputs; block diagrams draw single-output layers only`);
    }
    infos.set(layer.name, {
      layer,
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig(),
      inputs: node.inboundLayers.map((l) => l.name),
      inputShapes: node.inboundLayers.length === 0 ? [] : shapeList(node.inputShapes),
      outputShape: shapeList(node.outputShapes)[0],
      consumers: [],
    });
  }
  for (const info of infos.values()) {
    for (const input of info.inputs) {
      const producer = infos.get(input);
      if (producer === undefined) throw new Error(`layer '${info.name}' reads '${input}', which is not a layer of the model`);
      producer.consumers.push(info.name);
    }
  }
  return infos;
}

/** Kahn's topological order; among ready layers the one created first (layer id) goes first, so the order is deterministic. */
function topologicalOrder(infos: Map<string, LayerInfo>): LayerInfo[] {
  const pending = new Map<string, number>();
  for (const info of infos.values()) pending.set(info.name, info.inputs.length);
  const ready = [...infos.values()].filter((i) => i.inputs.length === 0);
  const order: LayerInfo[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a.layer.id - b.layer.id);
    const next = ready.shift()!;
    order.push(next);
    for (const consumer of next.consumers) {
      const left = pending.get(consumer)! - 1;
      pending.set(consumer, left);
      if (left === 0) ready.push(infos.get(consumer)!);
    }
  }
  if (order.length !== infos.size) throw new Error('the layer graph has a cycle; a block diagram needs a directed acyclic graph');
  return order;
}

/** A number or the first entry of a [k, k] config value. */
function firstOf(value: unknown): number {
  return Array.isArray(value) ? Number(value[0]) : Number(value);
}

/** "3×3" for a square window, "1×7" otherwise. */
function windowText(value: unknown): string {
  const [a, b] = Array.isArray(value) ? value.map(Number) : [Number(value), Number(value)];
  return `${a}×${b ?? a}`;
}

/** ", stride 2" when the stride is not 1. */
function strideText(value: unknown): string {
  const s = firstOf(value ?? 1);
  return s === 1 ? '' : `, stride ${s}`;
}

/** What an operation layer is called in a box, and its colour family. */
function describeOperation(info: LayerInfo): { title: string; family: DiagramFamily } {
  const c = info.config;
  switch (info.className) {
    case 'Conv2D': {
      const dilation = firstOf(c.dilationRate ?? 1);
      return { title: `${windowText(c.kernelSize)} conv${strideText(c.strides)}${dilation === 1 ? '' : `, dilation ${dilation}`}`, family: 'conv' };
    }
    case 'DepthwiseConv2D': {
      const multiplier = Number(c.depthMultiplier ?? 1);
      // A depthwise conv is a group conv with one group per input channel: say so, it is what the lessons compare.
      const groups = channels(info.inputShapes[0]);
      return { title: `${windowText(c.kernelSize)} depthwise conv, g=${groups}${strideText(c.strides)}${multiplier === 1 ? '' : `, ×${multiplier}`}`, family: 'depthwise' };
    }
    case 'SeparableConv2D':
      return { title: `${windowText(c.kernelSize)} separable conv${strideText(c.strides)}`, family: 'depthwise' };
    case 'GroupConv2D': {
      const groups = Number(c.groups);
      if (groups === 1) return { title: `${windowText(c.kernelSize)} conv${strideText(c.strides)}`, family: 'conv' };
      return { title: `${windowText(c.kernelSize)} group conv, g=${groups}${strideText(c.strides)}`, family: 'group' };
    }
    case 'Shift': {
      const dilation = Number(c.dilation ?? 1);
      return { title: `shift ${windowText(c.kernelSize)}${dilation === 1 ? '' : `, dilation ${dilation}`}`, family: 'shift' };
    }
    case 'ActiveShift':
      return { title: `active shift (ASL)${strideText(c.stride)}`, family: 'shift' };
    case 'SparseShift':
      return { title: `sparse shift (SSL)${strideText(c.stride)}`, family: 'shift' };
    case 'AveragePooling2D':
      return { title: `${windowText(c.poolSize)} avg pool${strideText(c.strides ?? c.poolSize)}`, family: 'pool' };
    case 'MaxPooling2D':
      return { title: `${windowText(c.poolSize)} max pool${strideText(c.strides ?? c.poolSize)}`, family: 'pool' };
    case 'GlobalAveragePooling2D':
      return { title: 'global avg pool', family: 'pool' };
    case 'Dense':
      return { title: 'fully connected', family: 'conv' };
    case 'ZeroPadding2D':
      return { title: 'zero padding', family: 'other' };
    case 'ChannelSlice':
      return { title: `channel slice [${Number(c.start)}, ${Number(c.start) + Number(c.size)})`, family: 'other' };
    default:
      return { title: info.className, family: 'other' };
  }
}

/** Short name of a normalisation or activation layer: "BN", "ReLU", "ReLU6", "sigmoid", … */
function attachableText(info: LayerInfo): string {
  const c = info.config;
  if (info.className === 'BatchNormalization') return 'BN';
  if (info.className === 'ReLU') return c.maxValue === 6 ? 'ReLU6' : c.maxValue == null ? 'ReLU' : `ReLU (max ${String(c.maxValue)})`;
  if (info.className === 'Activation') {
    const name = String(c.activation);
    return name === 'relu' ? 'ReLU' : name === 'relu6' ? 'ReLU6' : name;
  }
  return info.className;
}

/** Node under construction: the layers it draws, in order. */
interface Draft {
  id: string;
  kind: DiagramNodeKind;
  layers: LayerInfo[];
}

/** The graph of a built model. Every layer lands in exactly one node; input and output terminals are added. */
export function layerGraph(model: tf.LayersModel): DiagramGraph {
  const infos = readLayers(model);
  const order = topologicalOrder(infos);
  const drafts: Draft[] = [];
  const draftOf = new Map<string, Draft>();
  const newDraft = (kind: DiagramNodeKind, layers: LayerInfo[]): Draft => {
    const draft: Draft = { id: `n${drafts.length}`, kind, layers };
    drafts.push(draft);
    for (const l of layers) draftOf.set(l.name, draft);
    return draft;
  };
  const only = (names: string[]) => (names.length === 1 ? infos.get(names[0])! : undefined);
  for (const info of order) {
    if (draftOf.has(info.name)) continue;
    const producer = only(info.inputs);
    if (info.className === 'InputLayer') {
      newDraft('input', [info]);
    } else if (info.className === 'ChannelSlice' && producer !== undefined) {
      // Slices of one tensor are one split; the pieces leave it in channel order.
      const siblings = producer.consumers.map((n) => infos.get(n)!).filter((s) => s.className === 'ChannelSlice');
      if (siblings.length >= 2) newDraft('split', siblings.sort((a, b) => Number(a.config.start) - Number(b.config.start)));
      else newDraft('layer', [info]);
    } else if (info.className === 'ZeroPadding2D' && info.consumers.length === 1 && PADDABLE.has(infos.get(info.consumers[0])!.className)) {
      // Drawn with the operation it pads (that operation is next in topological order or later; it claims the pad then).
      continue;
    } else if (ATTACHABLE.has(info.className) && producer !== undefined) {
      const host = draftOf.get(producer.name);
      const foldable = host !== undefined && producer.consumers.length === 1 && ATTACH_TARGETS.has(host.kind) && host.layers[host.layers.length - 1] === producer;
      if (foldable) {
        host.layers.push(info);
        draftOf.set(info.name, host);
      } else {
        newDraft('norm', [info]);
      }
    } else {
      const kind: DiagramNodeKind =
        info.className === 'Add' ? 'add' : info.className === 'Concatenate' ? 'concat' : info.className === 'ChannelShuffle' ? 'shuffle' : 'layer';
      const pad = producer !== undefined && producer.className === 'ZeroPadding2D' && !draftOf.has(producer.name) && PADDABLE.has(info.className) ? producer : undefined;
      newDraft(kind, pad !== undefined ? [pad, info] : [info]);
    }
  }
  // A padding whose consumer never claimed it (not expected with the rules above) still gets a box.
  for (const info of order) if (!draftOf.has(info.name)) newDraft('layer', [info]);

  const nodes: DiagramNode[] = drafts.map((d) => describeDraft(d));
  const edges: DiagramEdge[] = [];
  for (const d of drafts) {
    if (d.kind === 'input') continue;
    // The node's inputs are those of its first layer (a split's slices all read the same tensor).
    const head = d.layers[0];
    head.inputs.forEach((name, slot) => {
      const from = draftOf.get(name)!;
      const fromSlot = from.kind === 'split' ? from.layers.indexOf(infos.get(name)!) : 0;
      edges.push({ from: from.id, to: d.id, fromSlot, toSlot: slot });
    });
  }
  for (const output of model.outputs) {
    const from = draftOf.get(output.sourceLayer.name)!;
    const id = `n${nodes.length}`;
    const shape = shapeList(output.shape)[0];
    nodes.push({ id, kind: 'output', family: 'terminal', title: 'output', detail: shapeText(shape), outputShapes: [shape.slice(1)], layers: [], classNames: [] });
    const fromSlot = from.kind === 'split' ? from.layers.findIndex((l) => l.name === output.sourceLayer.name) : 0;
    edges.push({ from: from.id, to: id, fromSlot, toSlot: 0 });
  }
  return { nodes, edges };
}

/** Labels of a finished node, from its layers' classes, configs and shapes. */
function describeDraft(d: Draft): DiagramNode {
  const layers = d.layers.map((l) => l.name);
  const classNames = d.layers.map((l) => l.className);
  // A split has one output per slice; every other node one, that of its last layer.
  const outputShapes = (d.kind === 'split' ? d.layers : [d.layers[d.layers.length - 1]]).map((l) => l.outputShape.slice(1));
  const base = { id: d.id, kind: d.kind, outputShapes, layers, classNames };
  const first = d.layers[0];
  const last = d.layers[d.layers.length - 1];
  switch (d.kind) {
    case 'input':
      return { ...base, family: 'terminal', title: 'input', detail: shapeText(first.outputShape) };
    case 'split':
      return { ...base, family: 'merge', title: 'channel split', detail: d.layers.map((l) => channels(l.outputShape)).join(' | ') };
    case 'concat':
      return { ...base, family: 'merge', title: 'concat', detail: `${first.inputShapes.map(channels).join('+')}→${channels(first.outputShape)}` };
    case 'add':
      return { ...base, family: 'merge', title: '+', detail: `add, ${channels(first.outputShape)} ch` };
    case 'shuffle':
      return { ...base, family: 'merge', title: 'channel shuffle', detail: `g=${Number(first.config.groups)}, ${channels(first.outputShape)} ch` };
    case 'norm':
      return { ...base, family: 'norm', title: d.layers.map(attachableText).join(' · '), detail: `${channels(last.outputShape)} ch` };
    default: {
      const main = d.layers.find((l) => l.className !== 'ZeroPadding2D') ?? first;
      const { title, family } = describeOperation(main);
      const after = d.layers.slice(d.layers.indexOf(main) + 1).map(attachableText);
      // A conv with batch norm and no activation is the "linear" output the lessons point at (MobileNet V2, ShuffleNet).
      const linear = ['conv', 'depthwise', 'group'].includes(family) && after.length > 0 && after.every((a) => a === 'BN');
      const parts = [`${channels(first.inputShapes[0] ?? first.outputShape)}→${channels(last.outputShape)}`, ...after, ...(linear ? ['linear'] : [])];
      return { ...base, family, title, detail: parts.join(' · ') };
    }
  }
}
