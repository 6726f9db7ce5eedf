/**
 * On-disk cache of decoded data sets, so that 60,000 JPEGs are decoded once, not per run.
 *
 * Location: `$COMPACT_NETS_CACHE` when set, otherwise `<repo>/.cache/compact-nets` (git-ignored).
 * An entry is keyed by the loader, the absolute source path, the loader options and a fingerprint
 * of the source (file names with sizes and modification times), so editing, adding or removing a
 * source file makes a new entry. Entries are written to a temporary file and renamed into place,
 * so a killed process never leaves a half-written entry under the final name; the temporary files of
 * processes that died mid-write are removed by the next write into that folder (and by the CLI on start).
 * Each entry carries the sha256 of its pixels and labels, checked on every read: a corrupt entry is rebuilt.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheRoot, writeFileAtomic } from '../files';
import { Dataset, validateDataset } from './dataset';

// Re-exported for the modules that import them from here; they live in ../files.ts, which loads no tfjs (the CLI needs them first).
export { cacheRoot, removeStaleTempFiles, repoRoot, writeFileAtomic } from '../files';

/** Bump when the entry format changes; old entries are then ignored. 2: the header holds the payload's sha256. */
const CACHE_FORMAT = 2;

/** sha256 (hex) of "relative path, size, mtime" for each file under `root`; cheap (stat only). */
export function fingerprintFiles(root: string, relativeFiles: string[]): string {
  const hash = crypto.createHash('sha256');
  for (const rel of relativeFiles) {
    const st = fs.statSync(path.join(root, rel));
    hash.update(`${rel}\t${st.size}\t${Math.round(st.mtimeMs)}\n`);
  }
  return hash.digest('hex');
}

/** What identifies a cache entry. */
export interface CacheKey {
  /** Loader name, e.g. "cifar10-folder". */
  loader: string;
  /** Absolute source path. */
  source: string;
  /** Fingerprint of the source contents (see {@link fingerprintFiles}). */
  fingerprint: string;
  /** Loader options that change the result (split, class subset …). */
  options: Record<string, unknown>;
}

/** Cache controls accepted by every loader. */
export interface CacheOptions {
  /** Cache folder; default {@link cacheRoot}(). */
  cacheDir?: string;
  /** false: neither read nor write the cache. Default true. */
  cache?: boolean;
}

/** The file that holds the entry for `key`. */
export function cacheFile(key: CacheKey, cacheDir = cacheRoot()): string {
  const digest = crypto.createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, ...key })).digest('hex').slice(0, 24);
  return path.join(cacheDir, 'datasets', `${key.loader}-${digest}.bin`);
}

/** sha256 (hex) of an entry's payload: images, then labels as stored. */
function payloadDigest(images: Uint8Array, labels: Uint8Array): string {
  return crypto.createHash('sha256').update(images).update(labels).digest('hex');
}

/** Serialises a data set: uint32 header length, JSON header (with the payload's sha256), images, labels (int32 little-endian). */
function encode(ds: Dataset): Uint8Array {
  const labels = Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength);
  const header = Buffer.from(JSON.stringify({
    name: ds.name, split: ds.split, count: ds.count, height: ds.height, width: ds.width, channels: ds.channels,
    classNames: ds.classNames, files: ds.files, subset: ds.subset, sha256: payloadDigest(ds.images, labels),
  }), 'utf8');
  const out = Buffer.alloc(4 + header.length + ds.images.length + labels.length);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength).copy(out, 4 + header.length);
  labels.copy(out, 4 + header.length + ds.images.length);
  return out;
}

/** Parses an entry written by {@link encode}; throws on any inconsistency: sizes, then the payload's sha256. */
function decode(bytes: Buffer): Dataset {
  if (bytes.length < 4) throw new Error(`entry has ${bytes.length} bytes, too few for a header`);
  const headerLength = bytes.readUInt32LE(0);
  if (4 + headerLength > bytes.length) throw new Error(`header of ${headerLength} bytes runs past the ${bytes.length}-byte entry`);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8'));
  for (const key of ['count', 'height', 'width', 'channels'] as const) {
    if (!Number.isSafeInteger(header[key]) || header[key] < 0) throw new Error(`header field ${key} = ${JSON.stringify(header[key])} is not a size`);
  }
  const pixels = header.count * header.height * header.width * header.channels;
  const start = 4 + headerLength;
  if (bytes.length !== start + pixels + 4 * header.count) throw new Error(`entry has ${bytes.length} bytes, expected ${start + pixels + 4 * header.count}`);
  const digest = payloadDigest(bytes.subarray(start, start + pixels), bytes.subarray(start + pixels));
  if (digest !== header.sha256) throw new Error(`payload sha256 ${digest.slice(0, 16)}… differs from the recorded ${String(header.sha256).slice(0, 16)}…`);
  delete header.sha256;
  const images = new Uint8Array(pixels);
  images.set(bytes.subarray(start, start + pixels));
  const labels = new Int32Array(header.count);
  Buffer.from(labels.buffer).set(bytes.subarray(start + pixels));
  const ds: Dataset = { ...header, images, labels };
  validateDataset(ds);
  return ds;
}

/**
 * Returns the cached data set for `key`, or runs `build`, stores its result and returns it.
 * A corrupt entry (e.g. from an older, buggy build) is reported on stderr and rebuilt.
 */
export function cachedDataset(key: CacheKey, build: () => Dataset, options: CacheOptions = {}): Dataset {
  if (options.cache === false) return build();
  const file = cacheFile(key, options.cacheDir ?? cacheRoot());
  if (fs.existsSync(file)) {
    try {
      return decode(fs.readFileSync(file));
    } catch (err) {
      console.warn(`compact-nets: ignoring corrupt cache entry ${file} (${(err as Error).message}); rebuilding it`);
    }
  }
  const ds = build();
  validateDataset(ds);
  try {
    writeFileAtomic(file, encode(ds));
  } catch (err) {
    // The data set is complete and checked; only the next run's shortcut is lost.
    console.warn(`compact-nets: warning: the decoded data set is not cached: ${(err as Error).message}`);
  }
  return ds;
}
