/**
 * Fetches an official data archive into the cache, for readers with internet access. The build
 * machines have none: there the error says where to put a local copy instead.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ProgressReporter } from '../progress';
import { cacheRoot, writeFileAtomic } from './cache';
import { CIFAR10_BINARY_SHA256, CIFAR10_BINARY_URL } from './cifar10';

/** A downloadable archive. */
export interface ArchiveSpec {
  url: string;
  /** Expected sha256 of the file, lowercase hex. */
  sha256: string;
  /** File name in `<cache>/downloads/`. */
  fileName: string;
}

/** The official CIFAR-10 binary archive (162 MiB). */
export const CIFAR10_ARCHIVE: ArchiveSpec = { url: CIFAR10_BINARY_URL, sha256: CIFAR10_BINARY_SHA256, fileName: 'cifar-10-binary.tar.gz' };

/** sha256 (hex) of a file's content. */
export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Returns the path of `spec`'s archive in `<cacheDir>/downloads/`, downloading it first when absent
 * (progress in bytes through `progress`), then checking its sha256. A mismatch or a network failure
 * throws an error that names the local path where a manually fetched copy can be put.
 */
export async function downloadArchive(spec: ArchiveSpec, options: { cacheDir?: string; progress?: ProgressReporter } = {}): Promise<string> {
  const dest = path.join(options.cacheDir ?? cacheRoot(), 'downloads', spec.fileName);
  const manual = `download ${spec.url} on a machine with internet and copy it to ${dest} (sha256 ${spec.sha256}), or pass the archive's path to the loader`;
  if (fs.existsSync(dest)) {
    const actual = sha256File(dest);
    if (actual === spec.sha256) return dest;
    throw new Error(`${dest} has sha256 ${actual}, expected ${spec.sha256}: the copy is corrupt or a different file; delete it and ${manual}`);
  }
  let response: Response;
  try {
    response = await fetch(spec.url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot download ${spec.url} (${cause?.code ?? cause?.message ?? (err as Error).message}); no internet access? Instead, ${manual}`);
  }
  if (!response.ok || !response.body) throw new Error(`download of ${spec.url} failed with HTTP ${response.status}; instead, ${manual}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    options.progress?.update({ step: received, total });
  }
  const bytes = Buffer.concat(chunks);
  const actual = crypto.createHash('sha256').update(bytes).digest('hex');
  options.progress?.done(`${(received / 2 ** 20).toFixed(1)} MiB`);
  if (actual !== spec.sha256) throw new Error(`downloaded ${spec.url} has sha256 ${actual}, expected ${spec.sha256}; nothing was saved; retry, or ${manual}`);
  writeFileAtomic(dest, bytes);
  return dest;
}
