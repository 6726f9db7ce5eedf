/** Chooses and starts the tfjs backend: tfjs-node when installed, else wasm with our training kernels. */
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { nativeStatus, NativeStatus, registerWasmKernels } from './kernels';
import { installEagerBackprop } from './eager-backprop';
import { InvalidArgumentError } from './errors';
import { onnxRuntimeInfo } from './onnx/runtime';

/** Environment variable that picks the backend when `initBackend` gets no name. */
export const BACKEND_ENV_VAR = 'COMPACT_NETS_BACKEND';

/** Names `initBackend` accepts; `node` is an alias of `tensorflow`. */
export const BACKEND_CHOICES = ['tensorflow', 'node', 'wasm', 'cpu'] as const;

export interface BackendInfo {
  /** tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Version of @tensorflow/tfjs. */
  tfjs: string;
  /** Whether `require('@tensorflow/tfjs-node')` succeeds. */
  tfjsNodeFound: boolean;
  /** wasm only: whether the SIMD build runs. */
  wasmSimd?: boolean;
  /** wasm only: XNNPACK threads. */
  threads?: number;
  /** wasm only: our native kernels (dist/native/compact_nets.node): loaded or why not, threads, BLAS. */
  native?: NativeStatus & { kernels: string[] };
}

export interface EnvironmentInfo extends BackendInfo {
  tfjsCore: string;
  tfjsBackendWasm: string | null;
  tslab: string | null;
  typescript: string | null;
  node: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpuCores: number;
  /** onnxruntime-node's version when it loads here; null when it does not (then onnxruntimeNodeStatus says why). */
  onnxruntimeNode: string | null;
  /** 'loads', or why onnxruntime-node does not load (export --verify, table --latency's ORT column and the ORT lessons need it). */
  onnxruntimeNodeStatus: string;
}

let current: BackendInfo | null = null;
let tfjsNodeLoad: { found: boolean; error?: string } | null = null;

/** Loads tfjs-node once (it registers the 'tensorflow' backend on import) and remembers whether that worked. */
function loadTfjsNode(): { found: boolean; error?: string } {
  if (tfjsNodeLoad === null) {
    try {
      require('@tensorflow/tfjs-node');
      tfjsNodeLoad = { found: true };
    } catch (err) {
      tfjsNodeLoad = { found: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
    }
  }
  return tfjsNodeLoad;
}

/** Maps a user-given name (any case, `node` alias) to a tfjs backend name, or throws listing the choices. */
export function resolveBackendName(name: string, source: string): 'tensorflow' | 'wasm' | 'cpu' {
  const lower = name.trim().toLowerCase();
  if (lower === 'tensorflow' || lower === 'node') return 'tensorflow';
  if (lower === 'wasm' || lower === 'cpu') return lower;
  throw new InvalidArgumentError(
    `unknown backend "${name}" (from ${source}); choose one of ${BACKEND_CHOICES.join(', ')}, ` +
      `given as an argument or via the environment variable ${BACKEND_ENV_VAR}`,
  );
}

/**
 * Starts a backend and returns what runs. Without `name`: $COMPACT_NETS_BACKEND if set, else `tensorflow` when
 * tfjs-node loads, else `wasm`. `cpu` is used only when asked for explicitly. Cheap when called again with the same choice.
 */
export async function initBackend(name?: string): Promise<BackendInfo> {
  const fromEnv = process.env[BACKEND_ENV_VAR];
  let wanted: 'tensorflow' | 'wasm' | 'cpu';
  if (name !== undefined) wanted = resolveBackendName(name, 'the backend argument');
  else if (fromEnv !== undefined && fromEnv !== '') wanted = resolveBackendName(fromEnv, `$${BACKEND_ENV_VAR}`);
  else wanted = loadTfjsNode().found ? 'tensorflow' : 'wasm';

  if (current !== null && current.backend === wanted && tf.getBackend() === wanted) return { ...current };
  if (wanted === 'tensorflow') await startTensorflow();
  else if (wanted === 'wasm') await startWasm();
  else await setBackendOrThrow('cpu');
  current = await describe(wanted);
  return { ...current };
}

async function startTensorflow(): Promise<void> {
  const load = loadTfjsNode();
  if (!load.found) {
    throw new Error(
      `backend "tensorflow" needs @tensorflow/tfjs-node, which does not load here (${load.error}). ` +
        'Install it with `npm install @tensorflow/tfjs-node` (it downloads libtensorflow, so it needs internet access), ' +
        `or choose another backend: wasm (set ${BACKEND_ENV_VAR}=wasm).`,
    );
  }
  await setBackendOrThrow('tensorflow');
}

async function startWasm(): Promise<void> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // The threaded build spawns workers from blob URLs, which Node cannot run: force the single-threaded (SIMD) build.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!wasmPathsSet) {
    // In Node the .wasm files sit next to the package's bundle; say so explicitly rather than rely on script-relative lookup.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    wasmPathsSet = true;
  }
  nativeKernels = registerWasmKernels();
  installEagerBackprop();
  await setBackendOrThrow('wasm');
}
let wasmPathsSet = false;
let nativeKernels: string[] = [];

/** tf.setBackend returns false (and only warns) when a backend fails to start; we refuse to continue on another one. */
async function setBackendOrThrow(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tfjs backend "${name}" failed to start (tf.setBackend returned ${ok}); see the warning above`);
  }
}

async function describe(backend: string): Promise<BackendInfo> {
  const info: BackendInfo = { backend, tfjs: tf.version.tfjs, tfjsNodeFound: loadTfjsNode().found };
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    info.wasmSimd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.threads = wasm.getThreadsCount();
    info.native = { ...nativeStatus(), kernels: [...nativeKernels] };
  }
  return info;
}

/** One line naming what computes: e.g. "wasm (SIMD) + native kernels: 14 (openblas, 2 threads)" or the reason they are off. */
export function backendSummary(info: BackendInfo): string {
  if (info.backend !== 'wasm') return info.backend;
  const base = `wasm${info.wasmSimd ? ' (SIMD)' : ''}`;
  const n = info.native;
  if (n === undefined) return base;
  if (!n.loaded) return `${base}; native kernels off: ${n.reason ?? 'unknown reason'}`;
  return `${base} + native kernels: ${n.kernels.length} (${n.blas ?? '?'} GEMM, ${n.threads ?? '?'} threads)`;
}

/** Table labels of the fields whose names alone are ambiguous (two kinds of threads run: wasm's and the addon's). */
const ROW_LABELS: Record<string, string> = {
  threads: 'wasm threads',
  wasmSimd: 'wasm SIMD',
  tfjsNodeFound: 'tfjs-node installed',
  tfjsBackendWasm: 'tfjs-backend-wasm',
  tfjsCore: 'tfjs-core',
  onnxruntimeNode: 'onnxruntime-node',
  onnxruntimeNodeStatus: 'onnxruntime-node status',
};

/**
 * {@link EnvironmentInfo} as rows for a table, every value readable text: what computes (the summary line), the native
 * addon's kernels listed by name (sorted), or why it is off; a package that is not installed reads "(not installed)".
 */
export function environmentRows(info: EnvironmentInfo): Array<{ setting: string; value: string }> {
  const rows: Array<{ setting: string; value: string }> = [{ setting: 'computes with', value: backendSummary(info) }];
  for (const [key, value] of Object.entries(info)) {
    if (key === 'native') continue; // an object: spelled out below
    // onnxruntime-node may be installed yet fail to load: its status row says which.
    const absent = key === 'onnxruntimeNode' ? '(does not load)' : '(not installed)';
    rows.push({ setting: ROW_LABELS[key] ?? key, value: value === null ? absent : String(value) });
  }
  const n = info.native;
  if (n !== undefined) {
    rows.push({ setting: 'native addon', value: n.loaded ? `loaded (${n.blas ?? '?'} GEMM, ${n.threads ?? '?'} threads)` : `off: ${n.reason ?? 'unknown reason'}` });
    if (n.loaded) rows.push({ setting: `native kernels (${n.kernels.length})`, value: n.kernels.length > 0 ? [...n.kernels].sort().join(', ') : '(none registered)' });
  }
  return rows;
}

/** Version field of an installed package's package.json, or null when the package is absent. */
function packageVersion(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Info on the active backend (starting the default one when none runs yet) plus library, Node and machine versions. */
export async function environmentInfo(): Promise<EnvironmentInfo> {
  // Describe whatever runs now, even if set by tf.setBackend directly: asking for info must not switch backends.
  const active = tf.engine().backendName;
  const backend = active === null ? await initBackend() : current !== null && current.backend === active ? { ...current } : await describe(active);
  const cpus = os.cpus();
  // Loading onnxruntime-node is attempted, never required: a machine without it still reports everything else.
  const ort = onnxRuntimeInfo();
  return {
    ...backend,
    tfjsCore: tf.version_core,
    tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
    tslab: packageVersion('tslab'),
    typescript: packageVersion('typescript'),
    node: process.versions.node,
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cpuCores: cpus.length,
    onnxruntimeNode: ort.available ? ort.version ?? 'unknown version' : null,
    onnxruntimeNodeStatus: ort.available ? 'loads' : ort.reason ?? 'does not load (no reason given)',
  };
}
