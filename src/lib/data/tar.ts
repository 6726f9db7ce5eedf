/** Minimal reader for (optionally gzip-compressed) POSIX/ustar tar archives, enough for the official data archives. */
import * as zlib from 'zlib';

/** One regular file of an archive. */
export interface TarEntry {
  name: string;
  data: Uint8Array;
}

/** True when `bytes` start with the gzip signature 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Largest decompressed size accepted (512 MiB): the data archives read here are far smaller (CIFAR-10's tar: 175 MiB,
 * Fashion-MNIST's train images: 45 MiB), so more is a corrupt file or a decompression bomb, refused before it fills memory.
 */
export const MAX_GUNZIP_BYTES = 512 * 2 ** 20;

/** Gunzips `bytes` (at most `maxBytes` of output); errors name the archive and say it is truncated, corrupt or too large. */
export function gunzip(bytes: Uint8Array, name: string, maxBytes = MAX_GUNZIP_BYTES): Uint8Array {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${name} decompresses to more than ${(maxBytes / 2 ** 20).toFixed(0)} MiB, more than any data file read here; it is corrupt or not the expected file (a decompression bomb?) — download it again`);
    }
    throw new Error(`cannot decompress ${name}: ${(err as Error).message}; the file is truncated or corrupt — download it again`);
  }
}

function readString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return Buffer.from(block.subarray(start, end)).toString('utf8');
}

/** Lists the regular files of a tar archive (gzip-compressed or not). `name` is used in errors. */
export function readTar(archive: Uint8Array, name: string): TarEntry[] {
  const bytes = isGzip(archive) ? gunzip(archive, name) : archive;
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return entries; // end-of-archive marker
    const sizeField = readString(header, 124, 12).trim();
    const size = parseInt(sizeField || '0', 8);
    if (!Number.isFinite(size)) throw new Error(`${name}: bad tar header at byte ${offset} (size field "${sizeField}"); not a tar archive or corrupt`);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = readString(header, 500 - 155, 155);
    let entryName = readString(header, 0, 100);
    if (readString(header, 257, 5) === 'ustar' && prefix) entryName = `${prefix}/${entryName}`;
    const start = offset + 512;
    if (start + size > bytes.length) {
      throw new Error(`${name} is truncated: entry "${longName ?? entryName}" needs ${size} bytes at byte ${start}, the archive ends at ${bytes.length}; download it again`);
    }
    const data = bytes.subarray(start, start + size);
    if (type === 'L') {
      longName = readString(data, 0, data.length); // GNU long name for the next entry
    } else {
      if (type === '0' || type === '\0') entries.push({ name: longName ?? entryName, data });
      longName = undefined;
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} is truncated: no end-of-archive marker after byte ${offset}; download it again`);
}

/** Builds an uncompressed ustar archive of `entries` (used by tests and to repackage data). */
export function writeTar(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const entry of entries) {
    const header = new Uint8Array(512);
    const enc = (text: string, at: number) => header.set(Buffer.from(text, 'utf8'), at);
    if (Buffer.byteLength(entry.name) > 99) throw new Error(`writeTar: name "${entry.name}" is longer than 99 bytes`);
    enc(entry.name, 0);
    enc('0000644\0', 100);
    enc('0000000\0', 108);
    enc('0000000\0', 116);
    enc(entry.data.length.toString(8).padStart(11, '0') + '\0', 124);
    enc('00000000000\0', 136);
    header[156] = 0x30;
    enc('ustar\0', 257);
    enc('00', 263);
    // The checksum is computed with its own field read as spaces.
    header.fill(0x20, 148, 156);
    const sum = header.reduce((a, b) => a + b, 0);
    enc(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, entry.data, new Uint8Array((512 - (entry.data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}
