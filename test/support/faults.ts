/**
 * Tiny crafted files for fault tests (and tools/fault-inject.js): data sets in each loader's layout with one defect
 * each, torch.save files written without Python (including a zip bomb and absurd tensor shapes), decompression bombs.
 * Everything is kilobytes on disk; the bombs only *declare* gigabytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as jpeg from 'jpeg-js';
import { zipSync } from 'fflate';

/** Writes `data` to `file`, creating its folder; returns `file`. */
export function writeFile(file: string, data: string | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

/** `n` CIFAR-10 binary records (label byte + 3,072 pixel bytes), label of record i = `labelOf(i)` (default i mod 10). */
export function cifarRecords(n: number, labelOf: (i: number) => number = (i) => i % 10): Buffer {
  const out = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = labelOf(i);
    for (let p = 1; p < 3073; p++) out[i * 3073 + p] = (i * 31 + p * 7) & 0xff;
  }
  return out;
}

/** An IDX ubyte file: magic 0x08 0x<rank>, big-endian dims, data. */
export function idxFile(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** A Fashion-MNIST folder (gzip IDX, train and t10k) of `images` 28×28 images; label i = `labelOf(i)`. */
export function fashionMnistFolder(dir: string, options: { images?: number; labelOf?: (i: number) => number } = {}): string {
  const n = options.images ?? 20;
  const labelOf = options.labelOf ?? ((i: number) => i % 10);
  for (const prefix of ['train', 't10k']) {
    writeFile(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), zlib.gzipSync(idxFile([n, 28, 28], Buffer.alloc(n * 784, 7))));
    writeFile(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), zlib.gzipSync(idxFile([n], Uint8Array.from({ length: n }, (_, i) => labelOf(i)))));
  }
  return dir;
}

/** gzip of `head` then `members` gzip members of `chunkBytes` zero bytes: kilobytes that inflate to members × chunkBytes. */
export function gzipBomb(head: Uint8Array, chunkBytes: number, members: number): Buffer {
  const zero = zlib.gzipSync(Buffer.alloc(chunkBytes), { level: 9 });
  return Buffer.concat([zlib.gzipSync(head), ...Array.from({ length: members }, () => zero)]);
}

const jpegMemo = new Map<string, Buffer>();

/** A `size`×`size` baseline JPEG whose pixels depend on `seed` mod 4 (encoding is slow; four looks suffice). */
export function jpegBytes(size: number, seed: number): Buffer {
  const key = `${size}:${seed % 4}`;
  let bytes = jpegMemo.get(key);
  if (bytes === undefined) {
    const data = Buffer.alloc(size * size * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (seed % 4) * 101) & 0xff;
    bytes = jpeg.encode({ data, width: size, height: size }, 80).data;
    jpegMemo.set(key, bytes);
  }
  return bytes;
}

/**
 * A Tiny ImageNet folder: `wnids.txt` (as given, repeats included), `perClass` 64×64 train JPEGs per distinct wnid,
 * `val/val_annotations.txt` with the lines `val` (default: two images per class), their JPEGs except `skipVal`.
 */
export function tinyImageNetFolder(dir: string, options: { wnids?: string[]; perClass?: number; val?: string[]; skipVal?: string[] } = {}): string {
  const wnids = options.wnids ?? ['n01', 'n02', 'n03'];
  writeFile(path.join(dir, 'wnids.txt'), wnids.join('\n') + '\n');
  const unique = [...new Set(wnids)];
  unique.forEach((w, c) => {
    for (let i = 0; i < (options.perClass ?? 3); i++) writeFile(path.join(dir, 'train', w, 'images', `${w}_${i}.JPEG`), jpegBytes(64, c * 10 + i));
  });
  const lines = options.val ?? unique.flatMap((w, c) => [0, 1].map((i) => `val_${c}_${i}.JPEG\t${w}\t0\t0\t63\t63`));
  lines.forEach((line, i) => {
    const file = line.split(/\s+/)[0];
    if (!(options.skipVal ?? []).includes(file)) writeFile(path.join(dir, 'val', 'images', file), jpegBytes(64, 50 + i));
  });
  writeFile(path.join(dir, 'val', 'val_annotations.txt'), lines.join('\n') + '\n');
  return dir;
}

/** An ImageNet evaluation folder: `images/` with 40×40 JPEGs `files`, and `labels.txt` with `labelLines`. */
export function imagenetFolder(dir: string, labelLines: string[], files = ['a.JPEG', 'b.JPEG']): string {
  files.forEach((f, i) => writeFile(path.join(dir, 'images', f), jpegBytes(40, i)));
  writeFile(path.join(dir, 'labels.txt'), labelLines.join('\n') + '\n');
  return dir;
}

/** A PNG whose header declares `width`×`height` RGB pixels, with almost no pixel data (a decompression-size attack). */
export function pngDeclaring(width: number, height: number): Buffer {
  const crc32 = (buf: Uint8Array): number => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

/** One tensor of a crafted state_dict: float32 storage of `numel` elements viewed with `shape`/`stride`. */
export interface CraftedTensor {
  name: string;
  shape: number[];
  stride: number[];
  numel: number;
  offset?: number;
}

/**
 * The pickle (protocol 2) torch.save writes for a state_dict of `tensors`: an OrderedDict of
 * `_rebuild_tensor_v2(persistent storage, offset, shape, stride, False, OrderedDict())`. With `callGlobal` the pickle
 * instead calls that global (e.g. ["os", "system"]) with one string argument: a malicious file.
 */
export function statePickle(tensors: CraftedTensor[], callGlobal?: [string, string]): Buffer {
  const parts: Buffer[] = [];
  const op = (...b: number[]) => parts.push(Buffer.from(b));
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(b.length, 1);
    parts.push(h, b);
  };
  const int = (n: number) => {
    const h = Buffer.alloc(5);
    h[0] = 0x4a; // BININT
    h.writeInt32LE(n, 1);
    parts.push(h);
  };
  const global = (module: string, name: string) => parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  op(0x80, 2); // PROTO 2
  if (callGlobal) {
    global(...callGlobal);
    str('echo pwned');
    op(0x85, 0x52, 0x2e); // TUPLE1, REDUCE, STOP
    return Buffer.concat(parts);
  }
  global('collections', 'OrderedDict');
  op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  tensors.forEach((t, i) => {
    str(t.name);
    global('torch._utils', '_rebuild_tensor_v2');
    op(0x28); // MARK: the arguments
    op(0x28); // MARK: the persistent id
    str('storage');
    global('torch', 'FloatStorage');
    str(String(i));
    str('cpu');
    int(t.numel);
    op(0x74, 0x51); // TUPLE, BINPERSID
    int(t.offset ?? 0);
    op(0x28);
    t.shape.forEach(int);
    op(0x74);
    op(0x28);
    t.stride.forEach(int);
    op(0x74);
    op(0x89); // requires_grad = False
    global('collections', 'OrderedDict');
    op(0x29, 0x52);
    op(0x74, 0x52, 0x73); // TUPLE, REDUCE, SETITEM
  });
  op(0x2e); // STOP
  return Buffer.concat(parts);
}

/** A torch.save zip of `tensors` (storages of zeros), entries stored like torch does. */
export function torchFile(tensors: CraftedTensor[], callGlobal?: [string, string]): Buffer {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': statePickle(tensors, callGlobal) };
  tensors.forEach((t, i) => {
    files[`archive/data/${i}`] = new Uint8Array(4 * t.numel);
  });
  return Buffer.from(zipSync(files, { level: 0 }));
}

/** A zip whose one deflated entry declares `declared` uncompressed bytes (< 2^32) in both headers: a zip bomb's signature. */
export function zipDeclaring(declared: number): Buffer {
  const zip = Buffer.from(zipSync({ 'archive/data.pkl': new Uint8Array(100000) }, { level: 9 }));
  zip.writeUInt32LE(declared >>> 0, 22); // local file header: uncompressed size
  const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(declared >>> 0, central + 24); // central directory: uncompressed size
  return zip;
}
