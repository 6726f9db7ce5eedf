/**
 * compilePlan: a trained LayersModel → an inference plan run by the native addon. The model is lowered to steps
 * (./lower.ts), fused (./fuse.ts: BatchNorm folded, padding, activations and residual adds into convolution
 * epilogues), placed in one arena (./memory.ts), and each step is bound to its addon call over fixed views of the
 * arena, so that a forward pass is a loop of native calls with no allocation and no tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeStatus } from '../kernels/core/addon';
import { PlanUnavailableError } from './errors';
import { fuseGraph } from './fuse';
import { lowerModel } from './lower';
import { planMemory } from './memory';
import { PlanGraph, Step } from './steps';
import { PLAN_KERNELS, PlanAddon } from './addon';

/** Options of {@link compilePlan}. */
export interface PlanOptions {
  /** Images per forward pass, fixed at compile time; default 1. */
  batch?: number;
}

/** What one step of a compiled plan computes (for reports): its kind and the layers it covers. */
export interface PlanStepInfo {
  kind: Step['kind'];
  layers: string[];
}

/** A compiled inference plan; run it with runPlan. Holds its arena (see `arenaFloats`) until dropped. */
export interface Plan {
  modelName: string;
  batch: number;
  /** Input [batch, H, W, C] and output (e.g. [batch, classes]) shapes. */
  inputShape: number[];
  outputShape: number[];
  steps: PlanStepInfo[];
  /** Floats of the arena that holds every activation (input and output included). */
  arenaFloats: number;
  /** Floats one buffer per activation would take (the arena's saving is the difference). */
  activationFloats: number;
  /** Steps computing in place over a dying input. */
  inPlaceSteps: number;
  /** The arena's input and output regions. */
  readonly input: Float32Array;
  readonly output: Float32Array;
  /** One native call per step, in order (bound to arena views at compile time). */
  readonly calls: ReadonlyArray<() => void>;
}

/** The loaded addon with every kernel the plan calls, or PlanUnavailableError saying why not. */
export function planAddon(): PlanAddon {
  const addon = nativeAddon();
  if (addon === null) throw new PlanUnavailableError(nativeStatus().reason ?? 'not loaded');
  const missing = PLAN_KERNELS.filter((k) => typeof addon[k] !== 'function');
  if (missing.length > 0) throw new PlanUnavailableError(`the built addon lacks ${missing.join(', ')}; rebuild it with \`sh tools/build-native.sh\``);
  return addon as unknown as PlanAddon;
}

/**
 * Compiles `model` for `options.batch` images (default 1). Throws PlanUnsupportedError naming the first layer the plan
 * cannot express, PlanUnavailableError without the native addon; in both cases the tfjs path (model.predict) runs it.
 */
export function compilePlan(model: tf.LayersModel, options: PlanOptions = {}): Plan {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`compilePlan: batch = ${batch} must be a positive integer (images per forward pass)`);
  const addon = planAddon();
  const graph = fuseGraph(lowerModel(model, batch));
  const memory = planMemory(graph);
  const arena = new Float32Array(memory.arenaFloats);
  const view = (v: number): Float32Array => {
    if (memory.offsets[v] < 0) throw new Error(`compilePlan: value ${v} has no place in the arena`);
    return arena.subarray(memory.offsets[v], memory.offsets[v] + graph.values[v].size);
  };
  return {
    modelName: model.name,
    batch,
    inputShape: graph.values[graph.input].shape,
    outputShape: graph.values[graph.output].shape,
    steps: graph.steps.map((s) => ({ kind: s.kind, layers: s.layers })),
    arenaFloats: memory.arenaFloats,
    activationFloats: memory.activationFloats,
    inPlaceSteps: memory.inPlaceSteps,
    input: view(graph.input),
    output: view(graph.output),
    calls: graph.steps.map((s) => bindStep(addon, s, graph, view)),
  };
}

/**
 * The filter of a dense convolution packed once for the addon's GEMM (it would otherwise be packed at every call: as
 * costly as the product on 7×7 and 13×13 maps); null when the addon says the convolution takes none (groups, one
 * pixel, few-channel stems: conv2dPackedFloats gives 0) or predates packed filters.
 */
function packedFilter(a: PlanAddon, s: Step & { kind: 'conv' }): Float32Array | null {
  if (a.conv2dPackedFloats === undefined || a.packConv2dFilter === undefined || a.conv2dPacked === undefined) return null;
  const floats = a.conv2dPackedFloats(s.geom);
  if (floats === 0) return null;
  const wp = new Float32Array(floats);
  a.packConv2dFilter(s.w, s.geom, wp);
  return wp;
}

/** The addon call computing step `s` over its arena views (exported for bench/plan-profile.ts, which binds steps to another build of the addon). */
export function bindStep(a: PlanAddon, s: Step, g: PlanGraph, view: (v: number) => Float32Array): () => void {
  const y = view(s.output);
  const x = view(s.inputs[0]);
  switch (s.kind) {
    case 'conv': {
      const { w, bias, geom, act } = s;
      const wp = packedFilter(a, s);
      if (wp !== null && a.conv2dPacked !== undefined) {
        const conv2dPacked = a.conv2dPacked.bind(a);
        const r = s.residual ? view(s.inputs[1]) : null;
        return () => conv2dPacked(x, wp, bias, r, y, geom, act, 0);
      }
      if (!s.residual) return () => a.conv2d(x, w, bias, y, geom, act, 0);
      const r = view(s.inputs[1]);
      return () => a.conv2dResidual(x, w, bias, r, y, geom, act, 0);
    }
    case 'depthwise': {
      const { w, bias, geom, act } = s;
      return () => a.depthwiseConv2d(x, w, bias, y, geom, act, 0);
    }
    case 'add': {
      const b = view(s.inputs[1]);
      const n = y.length;
      return () => a.planAdd(x, b, y, n, s.act, 0);
    }
    case 'affine':
      return () => a.planAffine(x, s.scale, s.shift, y, s.rows, s.channels, s.act, 0);
    case 'maxPool':
      return () => a.maxPool(x, y, s.geom);
    case 'avgPool':
      return () => a.avgPool(x, y, s.geom);
    case 'adaptiveAvgPool':
      return () => a.adaptiveAvgPool(x, y, s.geom);
    case 'pad':
      return () => a.padConstant(x, y, 4, s.shape, s.before, s.after, 0);
    case 'copy':
      return () => a.copyStrided(x, y, s.shape.length, s.shape, s.srcStrides, s.srcOffset, s.dstStrides, 0);
    case 'concat': {
      const xs = s.inputs.map(view);
      return () => a.concatRows(xs, s.inners, s.outer, y);
    }
    case 'groupedShift':
      return () => a.groupedShift(x, y, s.runs, s.geom);
    case 'channelShift': {
      const [n, h, w, c, oh, ow, stride, k] = s.dims;
      return () => a.channelShift(x, s.weights, s.offY, s.offX, n, h, w, c, oh, ow, stride, k, y);
    }
    default: {
      const never: never = s;
      throw new Error(`compilePlan: unknown step ${JSON.stringify(never)} (graph of ${g.steps.length} steps)`);
    }
  }
}
