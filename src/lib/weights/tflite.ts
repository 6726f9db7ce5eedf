/**
 * Reader for TensorFlow Lite `.tflite` files: a FlatBuffer with the schema model → subgraphs →
 * tensors + operators, operator codes and buffers. Only the fields needed to import weights are read.
 *
 * FlatBuffer layout (little-endian): the file starts with a uint32 offset to the root table; a table
 * starts with an int32 "soffset" whose subtraction gives its vtable; the vtable lists uint16 byte
 * offsets of each field inside the table (0 = absent, use the default). Reference fields (tables,
 * vectors, strings) hold a uint32 offset relative to the field itself; a vector is a uint32 length
 * followed by its elements. Every read is bounds-checked so a truncated file gives a clear error.
 */

/** TFLite TensorType enum, by index. */
const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8', 'float64'] as const;
export type TfliteTensorType = (typeof TENSOR_TYPES)[number] | 'unknown';

/** BuiltinOperator names for the codes that appear in image classifiers (others print as BUILTIN_<code>). */
const BUILTIN_NAMES: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED', 14: 'LOGISTIC', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU', 21: 'RELU6', 22: 'RESHAPE',
  25: 'SOFTMAX', 34: 'PAD', 40: 'MEAN', 114: 'QUANTIZE',
};

/** Fused activation of CONV_2D / DEPTHWISE_CONV_2D (ActivationFunctionType enum). */
const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;

export interface TfliteQuantization {
  /** One scale per tensor, or one per slice along `quantizedDimension`. */
  scale: Float32Array;
  /** Same length as `scale`. */
  zeroPoint: number[];
  /** Axis of the per-channel scales (0 for OHWI conv weights, 3 for depthwise [1,h,w,C·m]). */
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: TfliteTensorType;
  /** Index into `TfliteModel.buffers`; buffer 0 is the empty sentinel (activations). */
  buffer: number;
  quantization?: TfliteQuantization;
}

/** Convolution options (CONV_2D and DEPTHWISE_CONV_2D). */
export interface TfliteConvOptions {
  padding: 'SAME' | 'VALID';
  strideH: number;
  strideW: number;
  activation: string;
  depthMultiplier?: number;
}

export interface TfliteOperator {
  /** Builtin operator name, e.g. "CONV_2D"; custom operators read "CUSTOM:<code>". */
  op: string;
  /** Tensor indices; −1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  conv?: TfliteConvOptions;
}

export interface TfliteModel {
  version: number;
  description: string;
  /** Tensors of subgraph 0 (the only one in classifiers). */
  tensors: TfliteTensor[];
  /** Operators of subgraph 0 in execution order. */
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
  /** Raw bytes of every buffer (views into the file; empty for activations). */
  buffers: Uint8Array[];
}

/** Bounds-checked little-endian FlatBuffer access; errors name the source file. */
class FlatBufferView {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(pos: number, size: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + size > this.bytes.length) {
      throw new Error(
        `${this.source}: not a valid .tflite file — ${what} at byte ${pos} lies outside the ${this.bytes.length}-byte file ` +
          '(truncated or corrupt download; fetch the file again and compare its sha256)',
      );
    }
  }
  u8(pos: number, what: string): number { this.check(pos, 1, what); return this.view.getUint8(pos); }
  u16(pos: number, what: string): number { this.check(pos, 2, what); return this.view.getUint16(pos, true); }
  i32(pos: number, what: string): number { this.check(pos, 4, what); return this.view.getInt32(pos, true); }
  u32(pos: number, what: string): number { this.check(pos, 4, what); return this.view.getUint32(pos, true); }
  f32(pos: number, what: string): number { this.check(pos, 4, what); return this.view.getFloat32(pos, true); }
  i64(pos: number, what: string): number {
    this.check(pos, 8, what);
    return Number(this.view.getBigInt64(pos, true));
  }

  /** Position of field `index` of the table at `table`, or undefined when the field is absent. */
  field(table: number, index: number, what: string): number | undefined {
    const vtable = table - this.i32(table, `${what} table`);
    const vtableSize = this.u16(vtable, `${what} vtable`);
    const entry = 4 + 2 * index;
    if (entry + 2 > vtableSize) return undefined;
    const offset = this.u16(vtable + entry, `${what} vtable entry`);
    return offset === 0 ? undefined : table + offset;
  }
  /** Follows a uint32 relative offset stored at `pos`. */
  deref(pos: number, what: string): number {
    const target = pos + this.u32(pos, what);
    this.check(target, 4, what);
    return target;
  }
  /** Table referenced by field `index`, or undefined. */
  table(table: number, index: number, what: string): number | undefined {
    const pos = this.field(table, index, what);
    return pos === undefined ? undefined : this.deref(pos, what);
  }
  /** Vector referenced by field `index`: position of its first element and its length. */
  vector(table: number, index: number, what: string): { start: number; length: number } | undefined {
    const pos = this.field(table, index, what);
    if (pos === undefined) return undefined;
    const at = this.deref(pos, what);
    const length = this.u32(at, `${what} length`);
    return { start: at + 4, length };
  }
  scalarU8(table: number, index: number, fallback: number, what: string): number {
    const pos = this.field(table, index, what);
    return pos === undefined ? fallback : this.u8(pos, what);
  }
  scalarI32(table: number, index: number, fallback: number, what: string): number {
    const pos = this.field(table, index, what);
    return pos === undefined ? fallback : this.i32(pos, what);
  }
  string(table: number, index: number, what: string): string {
    const vec = this.vector(table, index, what);
    if (vec === undefined) return '';
    this.check(vec.start, vec.length, what);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + vec.start, vec.length).toString('utf8');
  }
  i32Vector(table: number, index: number, what: string): number[] {
    const vec = this.vector(table, index, what);
    if (vec === undefined) return [];
    this.check(vec.start, 4 * vec.length, what);
    const out: number[] = [];
    for (let i = 0; i < vec.length; i++) out.push(this.i32(vec.start + 4 * i, what));
    return out;
  }
  /** Elements of a vector of tables, as table positions. */
  tables(table: number, index: number, what: string): number[] {
    const vec = this.vector(table, index, what);
    if (vec === undefined) return [];
    this.check(vec.start, 4 * vec.length, what);
    const out: number[] = [];
    for (let i = 0; i < vec.length; i++) out.push(this.deref(vec.start + 4 * i, what));
    return out;
  }
}

/** Parses the bytes of a `.tflite` file; `source` names the file in errors. Throws on a truncated or foreign file. */
export function parseTflite(bytes: Uint8Array, source = 'tflite model'): TfliteModel {
  if (bytes.length < 8) throw new Error(`${source}: not a .tflite file (only ${bytes.length} bytes)`);
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  if (ident !== 'TFL3') {
    throw new Error(`${source}: not a .tflite file — expected the FlatBuffer identifier "TFL3" at bytes 4..7, found ${JSON.stringify(ident)}`);
  }
  const fb = new FlatBufferView(bytes, source);
  const model = fb.deref(0, 'root table');
  const version = fb.scalarI32(model, 0, 0, 'Model.version');

  const opcodes = fb.tables(model, 1, 'Model.operator_codes').map((code) => {
    const deprecated = fb.scalarU8(code, 0, 0, 'OperatorCode.deprecated_builtin_code');
    const builtin = fb.scalarI32(code, 3, 0, 'OperatorCode.builtin_code');
    // Newer writers store codes ≥ 127 only in builtin_code; older ones only in the byte field.
    const value = Math.max(deprecated, builtin);
    if (value === 32) return `CUSTOM:${fb.string(code, 1, 'OperatorCode.custom_code')}`;
    return BUILTIN_NAMES[value] ?? `BUILTIN_${value}`;
  });

  const subgraphs = fb.tables(model, 2, 'Model.subgraphs');
  if (subgraphs.length === 0) throw new Error(`${source}: the model has no subgraph`);
  const graph = subgraphs[0];

  const tensors = fb.tables(graph, 0, 'SubGraph.tensors').map((t, index): TfliteTensor => {
    const typeIndex = fb.scalarU8(t, 1, 0, 'Tensor.type');
    const tensor: TfliteTensor = {
      index,
      name: fb.string(t, 3, 'Tensor.name'),
      shape: fb.i32Vector(t, 0, 'Tensor.shape'),
      type: TENSOR_TYPES[typeIndex] ?? 'unknown',
      buffer: (() => {
        const pos = fb.field(t, 2, 'Tensor.buffer');
        return pos === undefined ? 0 : fb.u32(pos, 'Tensor.buffer');
      })(),
    };
    const q = fb.table(t, 4, 'Tensor.quantization');
    if (q !== undefined) {
      const scaleVec = fb.vector(q, 2, 'Quantization.scale');
      const zeroVec = fb.vector(q, 3, 'Quantization.zero_point');
      if (scaleVec !== undefined && scaleVec.length > 0) {
        const scale = new Float32Array(scaleVec.length);
        for (let i = 0; i < scale.length; i++) scale[i] = fb.f32(scaleVec.start + 4 * i, 'Quantization.scale');
        const zeroPoint: number[] = [];
        for (let i = 0; i < (zeroVec?.length ?? 0); i++) zeroPoint.push(fb.i64(zeroVec!.start + 8 * i, 'Quantization.zero_point'));
        tensor.quantization = { scale, zeroPoint, quantizedDimension: fb.scalarI32(q, 6, 0, 'Quantization.quantized_dimension') };
      }
    }
    return tensor;
  });

  const operators = fb.tables(graph, 3, 'SubGraph.operators').map((o): TfliteOperator => {
    const opcodeIndex = (() => {
      const pos = fb.field(o, 0, 'Operator.opcode_index');
      return pos === undefined ? 0 : fb.u32(pos, 'Operator.opcode_index');
    })();
    if (opcodeIndex >= opcodes.length) {
      throw new Error(`${source}: an operator refers to opcode ${opcodeIndex}, but the file lists ${opcodes.length} (corrupt file)`);
    }
    const op: TfliteOperator = {
      op: opcodes[opcodeIndex],
      inputs: fb.i32Vector(o, 1, 'Operator.inputs'),
      outputs: fb.i32Vector(o, 2, 'Operator.outputs'),
    };
    const options = fb.table(o, 4, 'Operator.builtin_options');
    if (options !== undefined && (op.op === 'CONV_2D' || op.op === 'DEPTHWISE_CONV_2D')) {
      const dw = op.op === 'DEPTHWISE_CONV_2D';
      op.conv = {
        padding: fb.scalarU8(options, 0, 0, 'ConvOptions.padding') === 1 ? 'VALID' : 'SAME',
        strideW: fb.scalarI32(options, 1, 0, 'ConvOptions.stride_w'),
        strideH: fb.scalarI32(options, 2, 0, 'ConvOptions.stride_h'),
        activation: ACTIVATIONS[fb.scalarU8(options, dw ? 4 : 3, 0, 'ConvOptions.fused_activation_function')] ?? 'UNKNOWN',
      };
      if (dw) op.conv.depthMultiplier = fb.scalarI32(options, 3, 0, 'DepthwiseConv2DOptions.depth_multiplier');
    }
    for (const idx of [...op.inputs, ...op.outputs]) {
      if (idx >= tensors.length) throw new Error(`${source}: operator ${op.op} refers to tensor ${idx} of ${tensors.length} (corrupt file)`);
    }
    return op;
  });

  const buffers = fb.tables(model, 4, 'Model.buffers').map((b) => {
    const vec = fb.vector(b, 0, 'Buffer.data');
    if (vec === undefined) return new Uint8Array(0);
    if (vec.start + vec.length > bytes.length) {
      throw new Error(`${source}: a weight buffer of ${vec.length} bytes runs past the end of the ${bytes.length}-byte file (truncated download)`);
    }
    return bytes.subarray(vec.start, vec.start + vec.length);
  });

  return {
    version,
    description: fb.string(model, 3, 'Model.description'),
    tensors,
    operators,
    inputs: fb.i32Vector(graph, 1, 'SubGraph.inputs'),
    outputs: fb.i32Vector(graph, 2, 'SubGraph.outputs'),
    buffers,
  };
}

/** Bytes per element of the tensor types that hold weights. */
const ELEMENT_BYTES: Partial<Record<TfliteTensorType, number>> = { float32: 4, int32: 4, uint8: 1, int8: 1, int64: 8, int16: 2 };

/**
 * Real values of a constant tensor as float32, in the file's layout (row-major over `shape`).
 * uint8/int8/int32 dequantize as `scale[c]·(q − zero_point[c])`, c indexing `quantizedDimension` when
 * there are several scales. Throws when the tensor has no data or an unsupported type.
 */
export function dequantizeTensor(model: TfliteModel, tensor: TfliteTensor): Float32Array {
  const data = model.buffers[tensor.buffer];
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  const width = ELEMENT_BYTES[tensor.type];
  if (width === undefined || tensor.type === 'int64') {
    throw new Error(`tensor "${tensor.name}": type ${tensor.type} is not supported for weights (float32, uint8, int8, int16, int32)`);
  }
  if (data === undefined || data.length !== count * width) {
    throw new Error(
      `tensor "${tensor.name}" (shape [${tensor.shape}], ${tensor.type}) needs ${count * width} bytes of data but buffer ${tensor.buffer} holds ${data?.length ?? 0}`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const raw = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    raw[i] =
      tensor.type === 'float32' ? view.getFloat32(at, true)
      : tensor.type === 'uint8' ? view.getUint8(at)
      : tensor.type === 'int8' ? view.getInt8(at)
      : tensor.type === 'int16' ? view.getInt16(at, true)
      : view.getInt32(at, true);
  }
  const out = new Float32Array(count);
  const q = tensor.quantization;
  if (tensor.type === 'float32' || q === undefined) {
    if (tensor.type !== 'float32') throw new Error(`tensor "${tensor.name}" is ${tensor.type} but carries no quantization scale`);
    out.set(raw);
    return out;
  }
  const channels = q.scale.length;
  if (q.zeroPoint.length !== 0 && q.zeroPoint.length !== channels) {
    throw new Error(`tensor "${tensor.name}": ${channels} scales but ${q.zeroPoint.length} zero points`);
  }
  if (channels === 1) {
    const zp = q.zeroPoint[0] ?? 0;
    for (let i = 0; i < count; i++) out[i] = q.scale[0] * (raw[i] - zp);
    return out;
  }
  const axis = q.quantizedDimension;
  if (tensor.shape[axis] !== channels) {
    throw new Error(`tensor "${tensor.name}": ${channels} per-channel scales but dimension ${axis} of shape [${tensor.shape}] is ${tensor.shape[axis]}`);
  }
  // Elements after `axis` form the inner stride; the channel index repeats in blocks of that size.
  const inner = tensor.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = q.scale[c] * (raw[i] - (q.zeroPoint[c] ?? 0));
  }
  return out;
}
