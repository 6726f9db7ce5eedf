/**
 * A small ONNX graph builder over the `onnx-proto` message classes (protobufjs code generated from onnx.proto): nodes,
 * initializers, cached int64/float constants and unique tensor names, serialised by protobufjs (no hand-written
 * encoder). Tensors are stored as little-endian `raw_data`, as the ONNX spec requires.
 */
import { onnx } from 'onnx-proto';

/** Opsets the exporter writes: 11 (Pad, Clip and Slice take their parameters as inputs) to 23. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 23;
/** Default opset: 17 is read by every current runtime (onnxruntime ≥ 1.13, TensorRT ≥ 8.6, OpenVINO ≥ 2022.3). */
export const DEFAULT_OPSET = 17;

/**
 * The IR version each opset was released with (onnx/helper.py VERSION_TABLE), so that checkers accept the file: the
 * fields this exporter writes have the same encoding in every IR version ≥ 6.
 */
export function irVersionForOpset(opset: number): number {
  if (opset <= 12) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/** Throws unless `opset` is an integer in [MIN_OPSET, MAX_OPSET]; the message names the range. */
export function checkOpset(opset: unknown): number {
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError(`opset ${String(opset)} is not supported; choose an integer from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  return opset;
}

/** An export the exporter refuses (unsupported layer or option, bad opset): the CLI reports it and exits with status 2. */
export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}

/** An attribute value: number (int unless `float` says so), string, or list of ints/floats. */
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ONNX attribute ${name}: ${value} is not an integer; pass { float: v } for a float attribute`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) {
    value.forEach((v) => {
      if (!Number.isInteger(v)) throw new Error(`ONNX attribute ${name}: ${v} is not an integer; pass { floats: [...] } for floats`);
    });
    return { name, type: AttributeType.INTS, ints: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian bytes of a typed array (a view on little-endian hosts, a byte-swapped copy elsewhere). */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  // A view, not a copy: the exporter hands over arrays it no longer writes (a 138 M-weight VGG would copy 550 MB).
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else values.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return bytes;
}

/** A graph input or output: name, element type float32, shape with a symbolic batch axis (a string) or sizes. */
export interface ValueSpec {
  name: string;
  shape: Array<number | string>;
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  const dim = v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name: v.name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } } };
}

/** Accumulates nodes and initializers of one graph. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A tensor name not used before, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves `name` as is (graph inputs); throws when taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name ${name} is used twice`);
    this.used.add(name);
    return name;
  }

  /** Adds a float32 initializer of shape `dims`; returns its (unique) name. */
  floatTensor(base: string, values: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`ONNX initializer ${base}: ${values.length} values for shape [${dims.join(', ')}]`);
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(values) });
    return name;
  }

  /** An int64 constant (shared by every node that needs the same values), e.g. Slice starts or Reshape shapes. */
  int64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constants.get(key);
    if (cached !== undefined) return cached;
    const name = this.uniqueName(`const_i64_${this.constants.size}`);
    this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: littleEndianBytes(BigInt64Array.from(values.map((v) => BigInt(v)))) });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant (Clip bounds), shared by value. */
  floatScalar(value: number): string {
    const key = `f32:${value}`;
    const cached = this.constants.get(key);
    if (cached !== undefined) return cached;
    const name = this.uniqueName(`const_f32_${this.constants.size}`);
    this.initializers.push({ name, dims: [], dataType: DataType.FLOAT, rawData: littleEndianBytes(Float32Array.of(value)) });
    this.constants.set(key, name);
    return name;
  }

  /** Appends a node; returns its single output's name (a fresh name derived from `outputBase`). */
  node(opType: string, inputs: string[], outputBase: string, attributes: Record<string, AttributeValue> = {}): string {
    const output = this.uniqueName(outputBase);
    this.nodes.push({
      opType,
      input: inputs,
      output: [output],
      name: output,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Renames tensor `from` to `to` wherever a node produces or reads it (to give the graph output a fixed name). */
  rename(from: string, to: string): void {
    this.reserve(to);
    for (const n of this.nodes) {
      n.output = (n.output ?? []).map((o) => (o === from ? to : o));
      n.input = (n.input ?? []).map((i) => (i === from ? to : i));
      if (n.name === from) n.name = to;
    }
  }

  /** Number of nodes of each operator type. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType as string] = (counts[n.opType as string] ?? 0) + 1;
    return counts;
  }

  /** Serialises the graph as a ModelProto. */
  toBytes(o: {
    opset: number; graphName: string; inputs: ValueSpec[]; outputs: ValueSpec[]; producerVersion: string;
    docString?: string; metadata?: Record<string, string>;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: irVersionForOpset(o.opset),
      opsetImport: [{ domain: '', version: o.opset }],
      producerName: 'compact-nets',
      producerVersion: o.producerVersion,
      docString: o.docString ?? '',
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: o.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: o.inputs.map(valueInfo),
        output: o.outputs.map(valueInfo),
      },
    });
    const err = onnx.ModelProto.verify(model);
    if (err !== null) throw new Error(`ONNX model failed protobuf verification: ${err}`);
    return onnx.ModelProto.encode(model).finish();
  }
}
