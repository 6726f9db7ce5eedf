/**
 * onnxruntime-node, loaded on first use: a machine where it cannot load (unsupported platform, files missing) still
 * runs everything else, and the commands that need it say why it is missing.
 */
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

/** Session options: CPU, `threads` intra-op threads, one inter-op thread, sequential execution, all graph optimisations. */
export function sessionOptions(threads: number): Ort.InferenceSession.SessionOptions {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`onnxruntime threads must be a positive integer, got ${threads}`);
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/** An inference session on the model bytes or file. */
export async function createSession(model: Uint8Array | string, threads = 1): Promise<Ort.InferenceSession> {
  const ort = loadOnnxRuntime();
  const opts = sessionOptions(threads);
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}
