/**
 * Fusion passes over a lowered plan graph, each exact up to float rounding:
 *  - zero padding into the convolution that alone reads it (its geometry's top/left padding grows; the bottom/right
 *    padding is implied by the output size, and the native convolutions read zeros there);
 *  - a BatchNorm into the convolution that alone feeds it (w·scale per output channel, bias·scale + shift);
 *  - a residual Add into the convolution that alone feeds it (native conv2dResidual: added inside the GEMM);
 *  - a relu/relu6 into the step that alone feeds it (convolution, depthwise, add or affine epilogue).
 * A value read by the model output counts as read, so nothing the caller sees is fused away.
 */
import { ACT_LINEAR, ConvStep, DepthwiseStep, PlanGraph, Step } from './steps';

/** How many steps (and the model output) read each value. */
function readerCounts(g: PlanGraph): number[] {
  const n = new Array<number>(g.values.length).fill(0);
  for (const s of g.steps) for (const v of s.inputs) n[v]++;
  n[g.output]++;
  return n;
}

/** The index of the step writing each value (−1: the model input or nobody). */
function producers(g: PlanGraph): number[] {
  const p = new Array<number>(g.values.length).fill(-1);
  g.steps.forEach((s, i) => {
    p[s.output] = i;
  });
  return p;
}

/**
 * Runs `tryFuse(step, index)` over every step; a true return means the step was absorbed by its producer and is
 * dropped. Counts and producers are recomputed after every fusion (graphs are a few hundred steps).
 */
function pass(g: PlanGraph, tryFuse: (s: Step, readers: number[], producer: number[]) => boolean): void {
  for (let i = 0; i < g.steps.length;) {
    if (tryFuse(g.steps[i], readerCounts(g), producers(g))) g.steps.splice(i, 1);
    else i++;
  }
}

/** The conv or depthwise step producing `v` when `v` has no other reader; null otherwise. */
function soleConvProducer(g: PlanGraph, v: number, readers: number[], producer: number[]): ConvStep | DepthwiseStep | null {
  if (readers[v] !== 1 || producer[v] < 0) return null;
  const p = g.steps[producer[v]];
  return p.kind === 'conv' || p.kind === 'depthwise' ? p : null;
}

/** ZeroPadding2D (spatial only) → the following convolution's geometry (H, W at 1, 2; pt, pl at 13, 14 in both layouts). */
function fusePadding(g: PlanGraph): void {
  const readersOf = (v: number): Step[] => g.steps.filter((s) => s.inputs.includes(v));
  pass(g, (s, readers) => {
    if (s.kind !== 'pad' || s.before[0] !== 0 || s.after[0] !== 0 || s.before[3] !== 0 || s.after[3] !== 0) return false;
    if (readers[s.output] !== 1) return false;
    const [conv] = readersOf(s.output);
    if (conv === undefined || (conv.kind !== 'conv' && conv.kind !== 'depthwise') || conv.inputs[0] !== s.output) return false;
    if (conv.kind === 'conv' && conv.geom[7] === 1 && conv.geom[8] === 1 && conv.geom[1] === 1 && conv.geom[2] === 1) return false; // a Dense
    conv.geom[1] = s.shape[1];
    conv.geom[2] = s.shape[2];
    conv.geom[13] += s.before[1];
    conv.geom[14] += s.before[2];
    conv.inputs[0] = s.inputs[0];
    conv.layers.unshift(...s.layers);
    return true;
  });
}

/** BatchNorm (affine with scale and shift, no activation) into the linear convolution feeding only it. */
function foldBatchNorms(g: PlanGraph): void {
  pass(g, (s, readers, producer) => {
    if (s.kind !== 'affine' || s.scale === null || s.shift === null || s.act !== ACT_LINEAR) return false;
    const conv = soleConvProducer(g, s.inputs[0], readers, producer);
    if (conv === null || conv.act !== ACT_LINEAR || (conv.kind === 'conv' && conv.residual)) return false;
    const co = s.scale.length;
    // Filters are [..., CO] with the output channel innermost (depthwise: [KH, KW, C, M], channel c·M + j).
    for (let i = 0; i < conv.w.length; i++) conv.w[i] = Math.fround(conv.w[i] * s.scale[i % co]);
    const bias = new Float32Array(co);
    for (let o = 0; o < co; o++) bias[o] = (conv.bias === null ? 0 : conv.bias[o]) * s.scale[o] + s.shift[o];
    conv.bias = bias;
    conv.output = s.output;
    conv.layers.push(...s.layers);
    return true;
  });
}

/** A two-input Add into the linear convolution producing one operand, when the other is ready before that convolution. */
function fuseResiduals(g: PlanGraph): void {
  pass(g, (s, readers, producer) => {
    if (s.kind !== 'add' || s.act !== ACT_LINEAR || s.inputs.length !== 2) return false;
    for (const [c, other] of [[s.inputs[0], s.inputs[1]], [s.inputs[1], s.inputs[0]]]) {
      const conv = soleConvProducer(g, c, readers, producer);
      if (conv === null || conv.kind !== 'conv' || conv.residual || conv.act !== ACT_LINEAR || c === other) continue;
      if (producer[other] >= g.steps.indexOf(conv)) continue; // the shortcut must exist when the convolution runs
      conv.inputs = [conv.inputs[0], other];
      conv.residual = true;
      conv.output = s.output;
      conv.layers.push(...s.layers);
      return true;
    }
    return false;
  });
}

/** A pure activation (affine without scale and shift) into the linear step feeding only it. */
function fuseActivations(g: PlanGraph): void {
  pass(g, (s, readers, producer) => {
    if (s.kind !== 'affine' || s.scale !== null || s.shift !== null) return false;
    const v = s.inputs[0];
    if (readers[v] !== 1 || producer[v] < 0) return false;
    const p = g.steps[producer[v]];
    if (!(p.kind === 'conv' || p.kind === 'depthwise' || p.kind === 'add' || p.kind === 'affine') || p.act !== ACT_LINEAR) return false;
    p.act = s.act;
    p.output = s.output;
    p.layers.push(...s.layers);
    return true;
  });
}

/** Applies every fusion in place; returns the graph. */
export function fuseGraph(g: PlanGraph): PlanGraph {
  fusePadding(g);
  foldBatchNorms(g);
  // Residuals before activations: the ReLU after a ResNet Add then lands in the convolution that absorbed the Add.
  fuseResiduals(g);
  fuseActivations(g);
  return g;
}
