/**
 * Where compact-nets keeps its files, and how it writes them: the repository root, the cache folder
 * (`$COMPACT_NETS_CACHE` or `<repo>/.cache/compact-nets`), atomic writes (temporary file, fsync, rename), and the
 * removal of temporary files that killed writers left behind. No tfjs here: the CLI loads it before any command.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { envFolder } from './env';
import { rethrowFileError } from './errors';

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

/** The cache folder: `$COMPACT_NETS_CACHE` or `<repo>/.cache/compact-nets` (not created here); a file there is an error. */
export function cacheRoot(): string {
  return envFolder('COMPACT_NETS_CACHE') ?? path.join(repoRoot(), '.cache', 'compact-nets');
}

/** Temporary files of {@link writeFileAtomic}: `<final name>.tmp-<pid>-<8 hex digits>`. */
const TEMP_FILE = /\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Whether process `pid` runs on this machine (EPERM: it runs under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that writers killed mid-write left in `dir` (those whose process no longer runs);
 * with `depth` > 0 also in sub-folders down to that depth. Returns the removed paths. Never throws: a folder that
 * cannot be listed or a file that cannot be removed is left as it is.
 */
export function removeStaleTempFiles(dir: string, depth = 0): string[] {
  const removed: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth > 0) removed.push(...removeStaleTempFiles(full, depth - 1));
      continue;
    }
    const match = TEMP_FILE.exec(entry.name);
    if (!match || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
    try {
      fs.unlinkSync(full);
      removed.push(full);
    } catch {
      // Another process removed it first, or it is not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * Writes `data` to `file` atomically: temporary file in the same folder, fsync, rename. On failure the temporary
 * file is removed and the error names `file` (a full disk, a read-only or foreign folder) and the fix.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    removeStaleTempFiles(dir);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The folder itself is unusable (a file on the path): no temporary file was created there.
    }
    const root = cacheRoot();
    const inCache = path.resolve(file).startsWith(root + path.sep);
    rethrowFileError(err, 'write', file, inCache ? `the cache folder is ${root}; set COMPACT_NETS_CACHE to a writable folder to use another` : undefined);
  }
}

