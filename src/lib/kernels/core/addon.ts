/**
 * Loading of our C addon, the optional native kernels (native/src, built by tools/build-native.sh into
 * dist/native/compact_nets.node). Not to be confused with tfjs-wasm's own C++ kernels (./tfjs-wasm-kernels.ts).
 * They compute in place on the wasm backend's heap (zero copy), with threads and the system BLAS when present.
 * Absent addon (no compiler at install time) or COMPACT_NETS_NATIVE=0: everything runs on the wasm kernels.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { envChoice, envFlag, envInteger } from '../../env';
import { InvalidArgumentError } from '../../errors';

/** Environment variable: `0` disables the native kernels (the wasm backend's kernels and ours in TypeScript run). */
const NATIVE_ENV_VAR = 'COMPACT_NETS_NATIVE';
/** Environment variable: thread count of the native kernels (default: the machine's logical cores). */
const THREADS_ENV_VAR = 'COMPACT_NETS_THREADS';
/** Environment variables the C side reads itself (gemm.c, thread-pool.c); validated here before the addon loads. */
const BLAS_ENV_VAR = 'COMPACT_NETS_BLAS';
const SPIN_ENV_VAR = 'COMPACT_NETS_SPIN_US';

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
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN; // "2.0", "0x2" and "2e0" are not thread counts
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new InvalidArgumentError(`${source} = "${value}" is not a thread count; give an integer from 1 to 64 (e.g. ${THREADS_ENV_VAR}=2)`);
  }
  return n;
}

/** Sets the native kernels' thread count (1..64); a no-op without the addon. */
export function setNativeThreads(n: number): void {
  const threads = parseThreads(String(n), 'thread count');
  nativeAddon()?.setThreads(threads);
}

function load(): void {
  // Every variable is checked before anything loads: C's atol/strcmp would read "300us" as 300 and "mkl" as auto.
  const enabled = envFlag(NATIVE_ENV_VAR);
  envChoice(BLAS_ENV_VAR);
  const spinMicros = envInteger(SPIN_ENV_VAR);
  const threadsFromEnv = process.env[THREADS_ENV_VAR];
  const threads = threadsFromEnv !== undefined && threadsFromEnv.trim() !== ''
    ? parseThreads(threadsFromEnv, `$${THREADS_ENV_VAR}`)
    : Math.min(64, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  if (enabled === false) {
    status = { loaded: false, path: ADDON_PATH, reason: `disabled by ${NATIVE_ENV_VAR}=${process.env[NATIVE_ENV_VAR]}` };
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
  addon.setThreads(threads);
  if (spinMicros !== undefined) addon.setSpinMicros(spinMicros);
  status = { loaded: true, path: ADDON_PATH };
}
