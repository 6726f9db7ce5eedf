/**
 * On-disk cache of decoded data sets, so that 60,000 JPEGs are decoded once, not per run.
 *
 * Location: `$COMPACT_NETS_CACHE` when set, otherwise `<repo>/.cache/compact-nets` (git-ignored).
 * An entry is keyed by the loader, the absolute source path, the loader options and a fingerprint
 * of the source (file names with sizes and modification times), so editing, adding or removing a
 * source file makes a new entry. Entries are written to a temporary file and renamed into place,
 * so a killed process never leaves a half-written entry under the final name.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, validateDataset } from './dataset';

/** Bump when the entry format changes; old entries are then ignored. */
const CACHE_FORMAT = 1;

/** The repository root: the nearest folder above this file whose package.json is compact-nets. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'compact-nets') return dir;
      } catch {
        // An unreadable package.json is not ours: keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The cache folder: `$COMPACT_NETS_CACHE` or `<repo>/.cache/compact-nets` (not created here). */
export function cacheRoot(): string {
  const fromEnv = process.env.COMPACT_NETS_CACHE;
  return fromEnv && fromEnv.length > 0 ? path.resolve(fromEnv) : path.join(repoRoot(), '.cache', 'compact-nets');
}

/** Writes `data` to `file` atomically: temporary file in the same folder, fsync, rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

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

/** Serialises a data set: uint32 header length, JSON header, images, labels (int32 little-endian). */
function encode(ds: Dataset): Uint8Array {
  const header = Buffer.from(JSON.stringify({
    name: ds.name, split: ds.split, count: ds.count, height: ds.height, width: ds.width, channels: ds.channels,
    classNames: ds.classNames, files: ds.files, subset: ds.subset,
  }), 'utf8');
  const labels = Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength);
  const out = Buffer.alloc(4 + header.length + ds.images.length + labels.length);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength).copy(out, 4 + header.length);
  labels.copy(out, 4 + header.length + ds.images.length);
  return out;
}

/** Parses an entry written by {@link encode}; throws on any inconsistency. */
function decode(bytes: Buffer): Dataset {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8'));
  const pixels = header.count * header.height * header.width * header.channels;
  const start = 4 + headerLength;
  if (bytes.length !== start + pixels + 4 * header.count) throw new Error(`entry has ${bytes.length} bytes, expected ${start + pixels + 4 * header.count}`);
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
  writeFileAtomic(file, encode(ds));
  return ds;
}
