/**
 * tfjs LayersModel → ONNX inference graph (the library behind `compact-nets export`).
 *
 * The graph takes NCHW input, as ONNX users expect: feed `x_onnx = transpose(x_tfjs, [0, 3, 1, 2])` where our
 * tfjs model takes NHWC (the metadata prop `inputLayout` says so too); logits come out as [N, classes], same as ours.
 * The batch axis is symbolic ("N"). BatchNorm is folded into the convolution right before it when that conv has no
 * activation of its own and feeds only the BatchNorm (exact up to float rounding); other BatchNorms stay
 * BatchNormalization nodes. Weights are exported as they are in the model (random, trained or loaded).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import * as tf from '@tensorflow/tfjs';
import { checkOpset, DEFAULT_OPSET, GraphBuilder, irVersionForOpset, OnnxExportError } from './builder';
import { zeroPaddingAmounts } from '../shape';
import { CONVERTERS, FOLDABLE_CONVOLUTIONS, isChannelBatchNorm } from './layers';
import { identityLayout, NCHW, toIdentity, Value } from './layout';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** ONNX opset, MIN_OPSET…MAX_OPSET (builder.ts); default DEFAULT_OPSET. */
  opset?: number;
  /** Fold BatchNorm into the preceding convolution where exact; default true. */
  foldBatchNorm?: boolean;
  /** Graph name; default the model's name. */
  graphName?: string;
  /** Extra metadata_props (e.g. the registry name and config). */
  metadata?: Record<string, string>;
}

/** The exported graph and what it contains. */
export interface OnnxExportResult {
  /** The serialised ModelProto. */
  bytes: Uint8Array;
  opset: number;
  irVersion: number;
  inputName: string;
  outputName: string;
  /** ONNX input shape, batch symbolic: ['N', 3, H, W] for an image model. */
  inputShape: Array<number | string>;
  /** ONNX output shape, e.g. ['N', 1000]. */
  outputShape: Array<number | string>;
  /** Operator type → number of nodes. */
  opCounts: Record<string, number>;
  /** BatchNorms folded into convolutions. */
  foldedBatchNorms: number;
  /**
   * What became what: per tfjs layer class, how many layers, how many were absorbed by a neighbour (a BatchNorm folded
   * into the convolution before it, a ZeroPadding2D taken over by the max pool after it) and the ONNX nodes their
   * conversions emitted (layout Transposes included). Nodes added for the graph output fall under '(graph output)'.
   */
  byLayerClass: Record<string, LayerClassConversion>;
}

/** The conversion of one tfjs layer class: layers, layers absorbed by a neighbour, and the ONNX nodes emitted. */
export interface LayerClassConversion {
  layers: number;
  absorbed: number;
  /** ONNX operator type → nodes. */
  ops: Record<string, number>;
}

export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'output';

/** Layer classes the exporter converts (anything else is refused with an error that lists these). */
export function supportedLayerClasses(): string[] {
  return ['InputLayer', ...Object.keys(CONVERTERS)].sort();
}

function producerVersion(): string {
  for (const candidate of [path.resolve(__dirname, '..', '..', '..', 'package.json'), path.resolve(__dirname, '..', '..', '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'compact-nets' && pkg.version) return pkg.version;
    } catch {
      // try the next location (src/ and dist/src/ differ by one level)
    }
  }
  return 'unknown';
}

function withoutBatch(shape: tf.Shape, who: string): number[] {
  return shape.slice(1).map((d) => {
    if (d === null || d === undefined) throw new OnnxExportError(`${who}: unknown dimension in shape [${shape.join(', ')}]; build the model with a fixed input resolution`);
    return d;
  });
}

/** The layer's single node in this model; shared layers (applied more than once) are refused. */
function onlyNode(layer: tf.layers.Layer): { inboundLayers: tf.layers.Layer[]; tensorIndices: number[] } {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) {
    throw new OnnxExportError(`layer "${layer.name}" is applied ${nodes.length} times (a shared layer); the exporter supports one application per layer`);
  }
  return nodes[0] as unknown as { inboundLayers: tf.layers.Layer[]; tensorIndices: number[] };
}

/** Converts `model` (one image or tensor input, one output) to an ONNX inference graph. Throws OnnxExportError when it cannot. */
export function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExportResult {
  const opset = checkOpset(options.opset ?? DEFAULT_OPSET);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new OnnxExportError(`model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the exporter supports one of each`);
  }
  const layers = model.layers;
  // Who reads each layer's output: a BatchNorm can be folded only into a conv that feeds nothing else.
  const consumers = new Map<string, tf.layers.Layer[]>();
  for (const layer of layers) {
    for (const from of onlyNode(layer).inboundLayers) {
      const list = consumers.get(from.name) ?? [];
      list.push(layer);
      consumers.set(from.name, list);
    }
  }
  const outputLayer = model.outputs[0].sourceLayer;
  const foldInto = new Map<string, tf.layers.Layer>(); // conv name → BN
  const folded = new Set<string>(); // BN names
  if (options.foldBatchNorm ?? true) {
    for (const layer of layers) {
      if (!FOLDABLE_CONVOLUTIONS.has(layer.getClassName())) continue;
      const readers = consumers.get(layer.name) ?? [];
      const activation = layer.getConfig().activation ?? 'linear';
      if (readers.length !== 1 || activation !== 'linear' || layer === outputLayer) continue;
      const bn = readers[0];
      if (bn.getClassName() === 'BatchNormalization' && isChannelBatchNorm(bn, 4)) {
        foldInto.set(layer.name, bn);
        folded.add(bn.name);
      }
    }
  }

  // ZeroPadding2D → 'valid' MaxPooling2D pairs: the pool takes the padding over (see zeroPaddedMaxPool in layers.ts).
  const padBefore = new Map<string, [number, number, number, number]>(); // pool name → padding
  const paddingIntoPool = new Set<string>(); // ZeroPadding2D names
  for (const layer of layers) {
    if (layer.getClassName() !== 'ZeroPadding2D' || layer === outputLayer) continue;
    const readers = consumers.get(layer.name) ?? [];
    const pool = readers[0];
    const config = layer.getConfig();
    if (readers.length === 1 && pool.getClassName() === 'MaxPooling2D' && pool.getConfig().padding === 'valid' && (config.dataFormat ?? 'channelsLast') === 'channelsLast') {
      padBefore.set(pool.name, zeroPaddingAmounts(layer));
      paddingIntoPool.add(layer.name);
    }
  }

  const b = new GraphBuilder();
  const values = new Map<string, Value>();
  const byLayerClass: Record<string, LayerClassConversion> = {};
  const conversionOf = (cls: string): LayerClassConversion => (byLayerClass[cls] ??= { layers: 0, absorbed: 0, ops: {} });
  const countNodes = (into: LayerClassConversion, from: number): void => {
    for (const n of b.nodes.slice(from)) into.ops[n.opType as string] = (into.ops[n.opType as string] ?? 0) + 1;
  };
  let inputSpec: Array<number | string> = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    const outputShape = withoutBatch(layer.outputShape as tf.Shape, `layer "${layer.name}"`);
    if (cls === 'InputLayer') {
      const name = b.reserve(ONNX_INPUT_NAME);
      if (outputShape.length === 3) {
        inputSpec = ['N', outputShape[2], outputShape[0], outputShape[1]];
        values.set(layer.name, { name, shape: outputShape, layout: [...NCHW] });
      } else {
        inputSpec = ['N', ...outputShape];
        values.set(layer.name, { name, shape: outputShape, layout: identityLayout(outputShape.length + 1) });
      }
      continue;
    }
    const node = onlyNode(layer);
    const inputs = node.inboundLayers.map((from, i) => {
      if (node.tensorIndices[i] !== 0) throw new OnnxExportError(`layer "${layer.name}" reads output ${node.tensorIndices[i]} of "${from.name}"; multi-output layers are not supported`);
      const v = values.get(from.name);
      if (v === undefined) throw new Error(`layer "${layer.name}" reads "${from.name}", which was not converted before it`);
      return v;
    });
    const conversion = conversionOf(cls);
    conversion.layers++;
    if (folded.has(layer.name) || paddingIntoPool.has(layer.name)) {
      conversion.absorbed++;
      values.set(layer.name, inputs[0]); // the conv before it applies the BatchNorm; the pool after it, the padding
      continue;
    }
    const convert = CONVERTERS[cls];
    if (convert === undefined) {
      throw new OnnxExportError(`layer "${layer.name}" of class ${cls} has no ONNX conversion; supported classes: ${supportedLayerClasses().join(', ')}`);
    }
    const nodesBefore = b.nodes.length;
    values.set(layer.name, convert({ b, layer, inputs, outputShape, foldBatchNorm: foldInto.get(layer.name), zeroPadding: padBefore.get(layer.name) }));
    countNodes(conversion, nodesBefore);
  }
  let out = values.get(outputLayer.name);
  if (out === undefined) throw new Error(`output layer "${outputLayer.name}" was not converted`);
  const nodesBeforeOutput = b.nodes.length;
  out = toIdentity(b, out);
  let outputName = out.name;
  if (outputName === ONNX_INPUT_NAME || b.initializers.some((t) => t.name === outputName)) {
    outputName = b.node('Identity', [outputName], ONNX_OUTPUT_NAME);
  } else {
    b.rename(outputName, ONNX_OUTPUT_NAME);
    outputName = ONNX_OUTPUT_NAME;
  }
  if (b.nodes.length > nodesBeforeOutput) countNodes(conversionOf('(graph output)'), nodesBeforeOutput);
  const outputSpec: Array<number | string> = ['N', ...out.shape];
  const metadata: Record<string, string> = {
    inputLayout: inputSpec.length === 4 ? 'NCHW (our tfjs model takes NHWC: x_onnx = transpose(x_tfjs, [0, 3, 1, 2]))' : 'as the tfjs model',
    ...options.metadata,
  };
  const bytes = b.toBytes({
    opset,
    graphName: options.graphName ?? model.name,
    inputs: [{ name: ONNX_INPUT_NAME, shape: inputSpec }],
    outputs: [{ name: outputName, shape: outputSpec }],
    producerVersion: producerVersion(),
    docString: `compact-nets export of ${model.name}: input ${ONNX_INPUT_NAME} [${inputSpec.join(', ')}] float32, output ${outputName} [${outputSpec.join(', ')}]`,
    metadata,
  });
  return {
    bytes, opset, irVersion: irVersionForOpset(opset), inputName: ONNX_INPUT_NAME, outputName,
    inputShape: inputSpec, outputShape: outputSpec, opCounts: b.opCounts(), foldedBatchNorms: folded.size, byLayerClass,
  };
}

/**
 * Writes `bytes` to `file` without ever leaving a partial file: a temporary file in the same folder, then a rename.
 * The folder must exist; errors name the path and the reason.
 */
export function writeFileNoPartial(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new OnnxExportError(`cannot write ${file}: folder ${dir} does not exist; create it first`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new OnnxExportError(`cannot write ${file}: it is a folder; name a file such as ${path.join(file, 'model.onnx')}`);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new OnnxExportError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
