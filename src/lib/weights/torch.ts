/**
 * Reader for PyTorch `torch.save` files (the zip format of torch ≥ 1.6) holding a `state_dict`, with no Python.
 *
 * Layout: a zip whose `<archive>/data.pkl` is a pickle (protocol 2) of an OrderedDict name → tensor, where each
 * tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` and each storage
 * a persistent id `('storage', torch.FloatStorage, key, location, numel)` whose bytes are the zip entry
 * `<archive>/data/<key>` (raw little-endian elements). A minimal pickle VM below runs the opcodes torch emits and
 * refuses any other global, so a malicious pickle cannot make it do more than build dicts, tuples and tensors.
 */
import * as fs from 'fs';
import * as os from 'os';
import { unzipSync } from 'fflate';
import { rethrowFileError } from '../errors';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** Storage class name → element type and size. */
const STORAGE_TYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** A tensor of a state_dict, its values converted to float32 in contiguous row-major order. */
export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  data: Float32Array;
}

/** Ordered name → tensor map, in the file's order. */
export type TorchStateDict = Map<string, TorchTensor>;

interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: TorchDtype;
  bytes: number;
  numel: number;
}
interface GlobalRef {
  kind: 'global';
  module: string;
  name: string;
}
interface PendingTensor {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
class Mark {}
type PickleValue = unknown;

/** Globals the VM may call: everything else is refused (and named in the error). */
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
]);

/** Runs the pickle `bytes` and returns the top object; `source` names the file in errors. */
export function unpickle(bytes: Uint8Array, source: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new Error(`${source}: pickle truncated at byte ${pos} (corrupt or incomplete file)`);
  };
  const u8 = (): number => { need(1); return bytes[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const text = (n: number): string => { need(n); const s = Buffer.from(bytes.buffer, bytes.byteOffset + pos, n).toString('utf8'); pos += n; return s; };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new Error(`${source}: pickle truncated inside a GLOBAL opcode`);
    const s = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) throw new Error(`${source}: pickle stack underflow at byte ${pos} (corrupt file)`);
    return stack.pop();
  };
  const popMark = (): PickleValue[] => {
    let i = stack.length - 1;
    while (i >= 0 && !(stack[i] instanceof Mark)) i--;
    if (i < 0) throw new Error(`${source}: pickle MARK missing at byte ${pos} (corrupt file)`);
    const items = stack.splice(i + 1);
    stack.pop();
    return items;
  };
  const global = (module: string, name: string): GlobalRef => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      throw new Error(`${source}: the pickle uses ${full}, which a state_dict does not contain; save the model with torch.save(model.state_dict(), path)`);
    }
    return { kind: 'global', module, name };
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) throw new Error(`${source}: SETITEM on a non-dict (corrupt file)`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const call = (fn: PickleValue, args: PickleValue): PickleValue => {
    const g = fn as GlobalRef;
    if (!g || g.kind !== 'global' || !Array.isArray(args)) throw new Error(`${source}: REDUCE on a non-callable (corrupt file)`);
    const full = `${g.module}.${g.name}`;
    if (full === 'collections.OrderedDict') return new Map();
    if (full === 'torch._utils._rebuild_parameter') return args[0];
    if (full === 'torch._utils._rebuild_tensor_v2') {
      const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
      if (!storage || storage.kind !== 'storage') throw new Error(`${source}: a tensor without storage (corrupt file)`);
      const pending: PendingTensor = { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] };
      return pending;
    }
    throw new Error(`${source}: cannot call ${full}`);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: pos += 8; break; // FRAME (length only)
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(new Mark()); break; // MARK
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop() as string; const module = pop() as string; stack.push(global(module, name)); break; } // STACK_GLOBAL
      case 0x71: memo.set(u8(), stack[stack.length - 1]); break; // BINPUT
      case 0x72: memo.set(u32(), stack[stack.length - 1]); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new Error(`${source}: pickle refers to memo ${key}, never stored (corrupt file)`);
        stack.push(memo.get(key));
        break;
      }
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); (stack[stack.length - 1] as PickleValue[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (stack[stack.length - 1] as PickleValue[]).push(...items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(stack[stack.length - 1], [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(stack[stack.length - 1], items); break; } // SETITEMS
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement of n bytes
        const n = u8();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
        if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(Number(v));
        break;
      }
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x55: stack.push(text(u8())); break; // SHORT_BINSTRING
      case 0x54: stack.push(text(i32())); break; // BINSTRING
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: pop(); break; // BUILD: the state (an OrderedDict's _metadata) is not needed
      case 0x51: { // BINPERSID: ('storage', StorageClass, key, location, numel)
        const pid = pop() as PickleValue[];
        const cls = pid[1] as GlobalRef;
        const type = cls && cls.kind === 'global' ? STORAGE_TYPES[cls.name] : undefined;
        if (!Array.isArray(pid) || pid[0] !== 'storage' || type === undefined) {
          throw new Error(`${source}: unsupported persistent id ${JSON.stringify(pid)} (expected a torch storage)`);
        }
        const ref: StorageRef = { kind: 'storage', key: String(pid[2]), dtype: type.dtype, bytes: type.bytes, numel: Number(pid[4]) };
        stack.push(ref);
        break;
      }
      default:
        throw new Error(`${source}: pickle opcode 0x${op.toString(16)} at byte ${pos - 1} is not supported by this reader (not a plain state_dict?)`);
    }
  }
}

/** Typed arrays use the platform's byte order; the fast path needs it to be the file's (little-endian). */
const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Converts IEEE half-precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Reads element `i` of a storage's bytes as a number. */
function elementReader(storage: StorageRef, bytes: Uint8Array): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (storage.dtype) {
    case 'float32': return (i) => v.getFloat32(4 * i, true);
    case 'float64': return (i) => v.getFloat64(8 * i, true);
    case 'float16': return (i) => halfToFloat(v.getUint16(2 * i, true));
    case 'int64': return (i) => Number(v.getBigInt64(8 * i, true));
    case 'int32': return (i) => v.getInt32(4 * i, true);
    case 'int16': return (i) => v.getInt16(2 * i, true);
    case 'int8': return (i) => v.getInt8(i);
    default: return (i) => v.getUint8(i);
  }
}

/**
 * Limits of the reader (1 GiB, 2^28 float32 elements): far above the largest state_dict it imports (vgg16: 138 M
 * elements, 528 MiB) and far below what would exhaust memory, so a crafted file is refused before any allocation.
 */
export const MAX_STATE_DICT_BYTES = 2 ** 30;
export const MAX_STATE_DICT_ELEMENTS = 2 ** 28;

/** A size limit hit inside fflate's filter callback (told apart from fflate's own errors). */
class TorchLimitError extends Error {}

/** Element count of a tensor's shape; throws naming the tensor when a dimension is not a non-negative integer. */
function elementCount(t: PendingTensor, name: string, source: string): number {
  if (t.shape.length !== t.stride.length || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !t.stride.every(Number.isSafeInteger) || !Number.isSafeInteger(t.offset)) {
    throw new Error(`${source}: "${name}" has shape [${t.shape}], stride [${t.stride}] and offset ${t.offset}; sizes must be non-negative integers with one stride per dimension (corrupt file)`);
  }
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Gathers a strided view of a storage into a contiguous float32 array. */
function materialise(t: PendingTensor, bytes: Uint8Array, name: string, source: string): TorchTensor {
  const count = elementCount(t, name, source);
  if (bytes.length < t.storage.numel * t.storage.bytes) {
    throw new Error(`${source}: storage of "${name}" has ${bytes.length} bytes, expected ${t.storage.numel * t.storage.bytes} (truncated file)`);
  }
  let last = t.offset;
  t.shape.forEach((d, i) => { if (d > 0) last += (d - 1) * t.stride[i]; });
  if (count > 0 && (t.offset < 0 || last >= t.storage.numel)) {
    throw new Error(`${source}: "${name}" [${t.shape}] reaches element ${last} of a ${t.storage.numel}-element storage (corrupt file)`);
  }
  const contiguous = t.shape.every((_, i) => t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1) || t.shape[i] === 1);
  if (contiguous && t.storage.dtype === 'float32' && LITTLE_ENDIAN) {
    // Fast path (the common case): one copy of the raw bytes; the copy also aligns them for Float32Array.
    const start = bytes.byteOffset + 4 * t.offset;
    return { dtype: 'float32', shape: t.shape, data: new Float32Array(bytes.buffer.slice(start, start + 4 * count)) };
  }
  const read = elementReader(t.storage, bytes);
  const data = new Float32Array(count);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = t.offset;
    for (let d = 0; d < index.length; d++) at += index[d] * t.stride[d];
    data[i] = read(at);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return { dtype: t.storage.dtype, shape: t.shape, data };
}

/** Parses the bytes of a `torch.save(state_dict)` file into name → float32 tensor; `source` names the file. */
export function parseTorchStateDict(bytes: Uint8Array, source = 'state_dict'): TorchStateDict {
  if (!(bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)) {
    const legacy = bytes.length >= 2 && bytes[0] === 0x80;
    throw new Error(
      `${source}: not a zip-format torch.save file` +
        (legacy ? ' (it is the legacy pre-1.6 pickle format: re-save it with torch ≥ 1.6 and _use_new_zipfile_serialization=True)' : ' (no zip signature; truncated or not a PyTorch file)'),
    );
  }
  let entries: Record<string, Uint8Array>;
  let declared = 0;
  try {
    // fflate allocates each entry's declared uncompressed size before inflating it: check the sizes first.
    entries = unzipSync(bytes, {
      filter: (entry) => {
        declared += entry.originalSize;
        if (declared > MAX_STATE_DICT_BYTES) throw new TorchLimitError(`${source}: the zip archive declares more than ${MAX_STATE_DICT_BYTES / 2 ** 30} GiB of contents (entry "${entry.name}": ${entry.originalSize} bytes, ${declared} in all), more than any state_dict this reader accepts (vgg16's is 528 MiB); the file is corrupt or crafted (a zip bomb?)`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof TorchLimitError) throw new Error(err.message);
    throw new Error(`${source}: the zip archive is corrupt or truncated (${(err as Error).message}); download the file again`);
  }
  const pklName = Object.keys(entries).find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (pklName === undefined) throw new Error(`${source}: no data.pkl in the archive (entries: ${Object.keys(entries).slice(0, 5).join(', ')})`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const top = unpickle(entries[pklName], source);
  // A checkpoint dict sometimes nests the weights under "state_dict" or "model".
  let dict = top;
  if (dict instanceof Map && !([...dict.values()].some((v) => (v as PendingTensor)?.kind === 'tensor'))) {
    dict = dict.get('state_dict') ?? dict.get('model') ?? dict;
  }
  if (!(dict instanceof Map)) throw new Error(`${source}: the pickle holds no dict of tensors (save model.state_dict())`);
  // Every size is checked before the first tensor is materialised: nothing is allocated for a file that will be refused.
  let elements = 0;
  for (const [key, value] of dict) {
    const t = value as PendingTensor;
    if (!t || t.kind !== 'tensor') continue;
    elements += elementCount(t, String(key), source);
    if (elements > MAX_STATE_DICT_ELEMENTS) {
      throw new Error(`${source}: tensor "${String(key)}" [${t.shape}] brings the state_dict to ${elements} elements, more than the ${MAX_STATE_DICT_ELEMENTS} (1 GiB of float32) this reader accepts (vgg16 has 138 M); the file is corrupt or crafted`);
    }
  }
  const out: TorchStateDict = new Map();
  for (const [key, value] of dict) {
    const t = value as PendingTensor;
    if (!t || t.kind !== 'tensor') continue;
    const storageBytes = entries[`${prefix}data/${t.storage.key}`];
    if (storageBytes === undefined) throw new Error(`${source}: storage ${t.storage.key} of "${String(key)}" is missing from the archive (truncated file)`);
    out.set(String(key), materialise(t, storageBytes, String(key), source));
  }
  if (out.size === 0) throw new Error(`${source}: the file holds no tensors`);
  return out;
}

/** Reads a `torch.save(state_dict)` file. Throws naming the file when it is missing, truncated or not a state_dict. */
export function readTorchStateDict(file: string): TorchStateDict {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    rethrowFileError(err, 'read the weights file', file);
  }
  return parseTorchStateDict(bytes, file);
}
