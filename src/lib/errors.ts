/**
 * The two kinds of failure the library reports, and the translation of raw Node errors into messages that name the
 * value, the constraint and the fix.
 *
 * - {@link InvalidArgumentError}: a value the caller chose (an option, a name, an environment variable, a size) is
 *   outside what is accepted. The command line exits with status 2 on it, as on its own usage errors.
 * - any other Error: the run failed (corrupt or unreadable data, a failed write, no memory): status 1.
 */
import * as path from 'path';

/** A caller-chosen value is not accepted; the message names the value, what is accepted and the fix. CLI status 2. */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/** Node's system error fields (fs, net, child_process). */
interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** What an errno means, and what to do about it, in words. */
const ERRNO_TEXT: Record<string, { meaning: string; fix: string }> = {
  EACCES: { meaning: 'permission denied', fix: 'give your user access to it (see `ls -l`) or choose another path' },
  EPERM: { meaning: 'operation not permitted', fix: 'give your user access to it (see `ls -l`) or choose another path' },
  ENOENT: { meaning: 'no such file or folder', fix: 'check the path (a relative path is taken from the current folder)' },
  EISDIR: { meaning: 'it is a folder, and a file was expected', fix: 'pass the file itself, not the folder holding it' },
  ENOTDIR: { meaning: 'a part of the path is a file, and a folder was expected', fix: 'check the path' },
  ENOSPC: { meaning: 'no space left on the device', fix: 'free disk space, or set COMPACT_NETS_CACHE to a folder on another disk' },
  EDQUOT: { meaning: 'disk quota exceeded', fix: 'free disk space, or set COMPACT_NETS_CACHE to a folder on another disk' },
  EROFS: { meaning: 'the file system is read-only', fix: 'choose a writable location (for the cache: set COMPACT_NETS_CACHE)' },
  EEXIST: { meaning: 'it already exists', fix: 'remove it or choose another path' },
  ENOTEMPTY: { meaning: 'the folder is not empty', fix: 'remove its contents or choose another path' },
  EMFILE: { meaning: 'too many open files in this process', fix: 'raise the limit (`ulimit -n`)' },
  ENFILE: { meaning: 'too many open files on the system', fix: 'close other programs or raise the system limit' },
  EBUSY: { meaning: 'the resource is busy', fix: 'retry once the process using it is done' },
  ENAMETOOLONG: { meaning: 'the path is too long', fix: 'use a shorter path' },
  ELOOP: { meaning: 'too many levels of symbolic links', fix: 'check the symbolic links on the path' },
  EIO: { meaning: 'an input/output error of the device', fix: 'check the disk (dmesg)' },
  EPIPE: { meaning: 'the reader closed the pipe', fix: 'nothing to do if the output was cut on purpose' },
};

/** The verb of a system call, for "cannot <verb> <path>". */
const SYSCALL_VERB: Record<string, string> = {
  open: 'open', read: 'read', write: 'write to', mkdir: 'create the folder', rmdir: 'remove the folder', unlink: 'remove',
  rename: 'rename', stat: 'read the metadata of', lstat: 'read the metadata of', scandir: 'list the folder', opendir: 'list the folder',
  readdir: 'list the folder', access: 'access', fsync: 'flush', close: 'close', copyfile: 'copy', chmod: 'change the mode of', utime: 'touch',
  mkdtemp: 'create a temporary folder in',
};

/** The translated message of a Node system error (`code` + `syscall` + `path`), or undefined for other errors. */
export function describeSystemError(err: unknown): string | undefined {
  const e = err as SystemError;
  // Node's own system errors carry `syscall`; errors we already translated keep `code` only.
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code) || typeof e.syscall !== 'string') return undefined;
  const text = ERRNO_TEXT[e.code] ?? { meaning: e.message.replace(/^E[A-Z]+: /, '').split(',')[0], fix: 'check the path and the machine' };
  if (e.path === undefined) return `${e.syscall} failed: ${text.meaning} (${e.code}); ${text.fix}`;
  const verb = SYSCALL_VERB[e.syscall as string] ?? e.syscall;
  const onto = e.dest !== undefined ? ` to ${path.resolve(e.dest)}` : '';
  return `cannot ${verb} ${path.resolve(e.path)}${onto}: ${text.meaning} (${e.code}); ${text.fix}`;
}

/** Messages of V8 and Node when a size is too large to allocate, and what they mean for a user. */
const ALLOCATION_FAILURE = /Invalid typed array length|Array buffer allocation failed|Invalid array length|Cannot create a string longer than|Cannot create a Buffer larger than|buffer size|out of memory/i;

/**
 * One line for any error: a system error is translated ({@link describeSystemError}); an allocation failure says that
 * a size read from the input or an option is too large; other errors keep their message.
 */
export function describeError(err: unknown): string {
  const system = describeSystemError(err);
  if (system !== undefined) return system;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && (err instanceof RangeError || (err as SystemError).code === 'ERR_BUFFER_TOO_LARGE') && ALLOCATION_FAILURE.test(message)) {
    return `a size computed from the input is too large to allocate (${message}); a file is corrupt or crafted, or a size option ` +
      '(--width, --classes, --resolution, --batch) is far beyond what this machine holds: check the input or lower the option';
  }
  // Emscripten's abort, or a wasm trap on an address past the heap: the wasm backend's module stopped; in practice
  // (train.ts checks the estimate first, see train/memory-fit.ts) because its heap of at most 4 GiB ran out.
  if (/^Aborted\(/.test(message) || (err instanceof WebAssembly.RuntimeError && /memory access out of bounds/.test(message))) {
    return `the wasm backend stopped (${message.split('.')[0]}), most likely out of memory: its heap holds at most 4 GiB; ` +
      'lower --batch, the width or the resolution';
  }
  return message;
}

/**
 * Re-throws `err` from an operation on `file` as an Error whose message says what was being done (`what`, e.g.
 * "read the weights file") and translates a system error, with an optional `hint`; other errors pass through unchanged.
 */
export function rethrowFileError(err: unknown, what: string, file: string, hint?: string): never {
  const e = err as SystemError;
  if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    const text = ERRNO_TEXT[e.code] ?? { meaning: e.message, fix: 'check the path' };
    const where = e.path !== undefined && path.resolve(e.path) !== path.resolve(file) && !/\.tmp-\d+-[0-9a-f]{8}$/.test(e.path) ? ` (at ${path.resolve(e.path)})` : '';
    const error = new Error(`cannot ${what} ${path.resolve(file)}${where}: ${text.meaning} (${e.code}); ${text.fix}${hint ? `; ${hint}` : ''}`);
    (error as SystemError).code = e.code; // callers may still branch on the errno
    throw error;
  }
  throw err;
}
