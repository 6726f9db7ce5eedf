/**
 * onnxruntime-node, loaded on first use: a machine where it cannot load (unsupported platform, files missing) still
 * runs everything else, and the commands that need it say why it is missing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';

/** onnxruntime-node is not available; the message says why and how to get it. */
export class OnnxRuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxRuntimeUnavailableError';
  }
}

let cached: { ort: typeof Ort } | { error: string } | undefined;

/** The onnxruntime-node module; throws OnnxRuntimeUnavailableError naming the cause when it does not load. */
export function loadOnnxRuntime(): typeof Ort {
  if (cached === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      cached = { ort: require('onnxruntime-node') as typeof Ort };
    } catch (err) {
      const first = String((err as Error).message ?? err).split('\n')[0];
      cached = { error: `onnxruntime-node could not be loaded (${first}); it is a dependency of this project: run \`npm ci\` (it ships its CPU runtime for linux/darwin/win32 x64 and arm64)` };
    }
  }
  if ('error' in cached) throw new OnnxRuntimeUnavailableError(cached.error);
  return cached.ort;
}

/** Whether onnxruntime-node loads here, its version, or why not. */
export function onnxRuntimeInfo(): { available: boolean; version?: string; reason?: string } {
  try {
    const ort = loadOnnxRuntime();
    return { available: true, version: ort.env.versions.node ?? ort.env.versions.common };
  } catch (err) {
    return { available: false, reason: (err as Error).message };
  }
}

/** "onnxruntime-node 1.30.0" (the runtime named in reports). */
export function onnxRuntimeLabel(): string {
  const info = onnxRuntimeInfo();
  return info.available ? `onnxruntime-node ${info.version}` : 'onnxruntime-node (unavailable)';
}

/**
 * onnxruntime's graph-optimisation levels, from none to every one. 'basic': constant folding, removal of redundant
 * nodes, Conv + BatchNormalization fusion; 'extended': + operator fusions such as Conv + Relu/Clip → FusedConv and
 * Slice runs → Split; 'layout' and 'all': + the NCHWc blocked layout on CPUs that have it (Reorder nodes).
 */
export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

/** Returns `level` when it is one of GRAPH_OPTIMIZATION_LEVELS; otherwise throws naming the value and the choices. */
export function checkGraphOptimizationLevel(level: unknown, who = 'onnxruntime'): GraphOptimizationLevel {
  if (typeof level !== 'string' || !(GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`${who}: graphOptimization ${JSON.stringify(level)} is not a level; choose one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')} (default all)`);
  }
  return level as GraphOptimizationLevel;
}

/**
 * Session options: CPU, `threads` intra-op threads, one inter-op thread, sequential execution, graph optimisations at
 * `graphOptimization` (default 'all', onnxruntime's own default).
 */
export function sessionOptions(threads: number, graphOptimization: GraphOptimizationLevel = 'all'): Ort.InferenceSession.SessionOptions {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`onnxruntime threads must be a positive integer, got ${threads}`);
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: checkGraphOptimizationLevel(graphOptimization),
  };
}

/** An inference session on the model bytes or file, with `threads` intra-op threads and optimisations at `graphOptimization`. */
export async function createSession(model: Uint8Array | string, threads = 1, graphOptimization: GraphOptimizationLevel = 'all'): Promise<Ort.InferenceSession> {
  const ort = loadOnnxRuntime();
  const opts = sessionOptions(threads, graphOptimization);
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}

/**
 * The graph onnxruntime actually runs after its optimiser at `graphOptimization`: operator type → number of nodes
 * (types of onnxruntime's own domain included, e.g. FusedConv, ReorderInput). onnxruntime writes the optimised model
 * to a temporary file (removed after), which is read back here.
 */
export async function optimizedOpCounts(model: Uint8Array | string, graphOptimization: GraphOptimizationLevel = 'all'): Promise<Record<string, number>> {
  const ort = loadOnnxRuntime();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compact-nets-ort-'));
  const file = path.join(dir, 'optimized.onnx');
  try {
    // Severity 3 (errors only): at 'layout'/'all' onnxruntime warns that the saved graph is specific to this CPU.
    const opts = { ...sessionOptions(1, graphOptimization), optimizedModelFilePath: file, logSeverityLevel: 3 as const };
    const session = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
    await session.release();
    const graph = onnx.ModelProto.decode(fs.readFileSync(file)).graph;
    const counts: Record<string, number> = {};
    for (const n of graph?.node ?? []) counts[n.opType as string] = (counts[n.opType as string] ?? 0) + 1;
    return counts;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
