/**
 * Loading of our C addon, the optional native kernels (native/src, built by tools/build-native.sh into
 * dist/native/compact_nets.node). Not to be confused with tfjs-wasm's own C++ kernels (./tfjs-wasm-kernels.ts).
 * They compute in place on the wasm backend's heap (zero copy), with threads and the system BLAS when present.
 * Absent addon (no compiler at install time) or COMPACT_NETS_NATIVE=0: everything runs on the wasm kernels.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Environment variable: `0` disables the native kernels (the wasm backend's kernels and ours in TypeScript run). */
const NATIVE_ENV_VAR = 'COMPACT_NETS_NATIVE';
/** Environment variable: thread count of the native kernels (default: the machine's logical cores). */
const THREADS_ENV_VAR = 'COMPACT_NETS_THREADS';

/** The addon's functions (Float32Array arguments are views of the wasm heap or any other memory). */
export interface NativeAddon {
  info(): { threads: number; blas: string };
  setThreads(n: number): void;
  /** Sets how long (µs, 0..100000) the thread pool polls for work before sleeping; returns the previous value. */
  setSpinMicros(us: number): number;
  /**
   * GEMM choice: 0 built-in, 1 OpenBLAS for every product, 2 auto (built-in, OpenBLAS for Aᵀ·B and few rows); without
   * OpenBLAS every mode is built-in. Returns the name now in use: "builtin", "openblas" or "builtin+openblas".
   */
  selectBlas(mode: number): string;
  /** Row-major C[M,N] = alpha·op(A)·op(B) + beta·C (cblas semantics, leading dimensions in floats). */
  sgemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
    B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void;
  // Kernel entry points are declared by the family modules that call them (see ../<family>/native.ts).
  [name: string]: unknown;
}

/** What `nativeStatus()` reports: whether the addon runs and why not. */
export interface NativeStatus {
  loaded: boolean;
  path: string;
  /** Why it is not loaded (disabled, not built, failed to load). */
  reason?: string;
  threads?: number;
  blas?: string;
}

/** Path of the built addon: dist/native/compact_nets.node (this file compiles to dist/src/lib/kernels/core/addon.js). */
const ADDON_PATH = path.resolve(__dirname, '..', '..', '..', '..', 'native', 'compact_nets.node');

let addon: NativeAddon | null = null;
let status: NativeStatus | null = null;

/** Loads the addon once (honouring COMPACT_NETS_NATIVE and COMPACT_NETS_THREADS); null when it is not available. */
export function nativeAddon(): NativeAddon | null {
  if (status === null) load();
  return addon;
}

/** Whether the native kernels run, where from, with how many threads and which BLAS. */
export function nativeStatus(): NativeStatus {
  if (status === null) load();
  const s = status as NativeStatus;
  return addon !== null ? { ...s, ...addon.info() } : { ...s };
}

/** Parses a thread count from the environment or an argument; rejects non-integers and values outside 1..64. */
export function parseThreads(value: string, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(`${source} = "${value}" is not a thread count; give an integer from 1 to 64 (e.g. ${THREADS_ENV_VAR}=2)`);
  }
  return n;
}

/** Sets the native kernels' thread count (1..64); a no-op without the addon. */
export function setNativeThreads(n: number): void {
  const threads = parseThreads(String(n), 'thread count');
  nativeAddon()?.setThreads(threads);
}

function load(): void {
  const flag = process.env[NATIVE_ENV_VAR];
  if (flag === '0' || flag === 'false' || flag === 'off') {
    status = { loaded: false, path: ADDON_PATH, reason: `disabled by ${NATIVE_ENV_VAR}=${flag}` };
    return;
  }
  if (!fs.existsSync(ADDON_PATH)) {
    status = { loaded: false, path: ADDON_PATH, reason: 'not built (no C compiler or Node headers at install time; run `npm run build` after installing clang or gcc)' };
    return;
  }
  try {
    addon = require(ADDON_PATH) as NativeAddon;
  } catch (err) {
    status = { loaded: false, path: ADDON_PATH, reason: `failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    return;
  }
  const fromEnv = process.env[THREADS_ENV_VAR];
  const threads = fromEnv !== undefined && fromEnv !== '' ? parseThreads(fromEnv, `$${THREADS_ENV_VAR}`) : Math.min(64, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  addon.setThreads(threads);
  status = { loaded: true, path: ADDON_PATH };
}
