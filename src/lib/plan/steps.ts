/**
 * The steps of an inference plan: one native kernel call each, over values (activations) that live in one arena.
 * Steps are produced by ./lower.ts (one or a few per layer), merged by ./fuse.ts and placed by ./memory.ts.
 */

/** Fused activation codes of the native epilogues (native/src/cn.h CN_ACT_*): 0 linear, 1 relu, 2 relu6. */
export type ActCode = 0 | 1 | 2;
export const ACT_LINEAR: ActCode = 0;
export const ACT_RELU: ActCode = 1;
export const ACT_RELU6: ActCode = 2;

/** An activation tensor of the plan: its element count (floats, batch included) and NHWC-style shape. */
export interface PlanValue {
  shape: number[];
  size: number;
}

/** What every step has: the layers it computes (for messages and reports), the values it reads and the one it writes. */
interface StepBase {
  layers: string[];
  inputs: number[];
  output: number;
}

/**
 * Dense or grouped convolution (also a Dense layer, as a 1×1 convolution over rows): y = act(conv(x, w) + bias
 * [+ residual]); geom as the addon's conv2d ([B,H,W,C,OH,OW,CO,KH,KW,sh,sw,dh,dw,pt,pl,G]), w [KH,KW,C/G,CO].
 * inputs[0] = x; inputs[1] = the residual when `residual` is set.
 */
export interface ConvStep extends StepBase {
  kind: 'conv';
  w: Float32Array;
  bias: Float32Array | null;
  geom: Int32Array;
  act: ActCode;
  residual: boolean;
}

/** Depthwise convolution: geom [B,H,W,C,M,OH,OW,KH,KW,sh,sw,dh,dw,pt,pl], w [KH,KW,C,M], y [B,OH,OW,C·M]. */
export interface DepthwiseStep extends StepBase {
  kind: 'depthwise';
  w: Float32Array;
  bias: Float32Array | null;
  geom: Int32Array;
  act: ActCode;
}

/** y = act(a + b), inputs [a, b] of equal size. */
export interface AddStep extends StepBase {
  kind: 'add';
  act: ActCode;
}

/** y[r, c] = act(x[r, c]·scale[c] + shift[c]) over rows × channels (a BatchNorm left unfolded, or an activation). */
export interface AffineStep extends StepBase {
  kind: 'affine';
  scale: Float32Array | null;
  shift: Float32Array | null;
  rows: number;
  channels: number;
  act: ActCode;
}

/** Max or average pooling: geom [B,H,W,C,OH,OW,KH,KW,sh,sw,pt,pl] (padding ignored by max, not counted by average). */
export interface PoolStep extends StepBase {
  kind: 'maxPool' | 'avgPool';
  geom: Int32Array;
}

/** PyTorch adaptive average pooling: geom [B,H,W,C,OH,OW]. */
export interface AdaptivePoolStep extends StepBase {
  kind: 'adaptiveAvgPool';
  geom: Int32Array;
}

/** Zero padding of a rank-4 tensor: y = pad(x) with `before`/`after` per axis. */
export interface PadStep extends StepBase {
  kind: 'pad';
  shape: Int32Array;
  before: Int32Array;
  after: Int32Array;
}

/** A strided copy (channel slice, channel shuffle, permute): y[dst(i)] = x[src(i)] for every index i of `shape`. */
export interface CopyStep extends StepBase {
  kind: 'copy';
  shape: Int32Array;
  srcStrides: Int32Array;
  srcOffset: number;
  dstStrides: Int32Array;
}

/** Row-wise concatenation: inputs[i] [outer, inners[i]] → y [outer, Σ inners]. */
export interface ConcatStep extends StepBase {
  kind: 'concat';
  inners: Int32Array;
  outer: number;
}

/** ShiftNet's fixed shift: runs [c0, c1, dy, dx]…, geom [N,H,W,C]. */
export interface GroupedShiftStep extends StepBase {
  kind: 'groupedShift';
  runs: Int32Array;
  geom: Int32Array;
}

/** Per-channel weighted shifts (SSL: one tap, ASL: four bilinear taps): dims [n,h,w,c,oh,ow,stride,k]. */
export interface ChannelShiftStep extends StepBase {
  kind: 'channelShift';
  weights: Float32Array;
  offY: Int32Array;
  offX: Int32Array;
  dims: [number, number, number, number, number, number, number, number];
}

/** One step of a plan. */
export type Step = ConvStep | DepthwiseStep | AddStep | AffineStep | PoolStep | AdaptivePoolStep | PadStep | CopyStep |
  ConcatStep | GroupedShiftStep | ChannelShiftStep;

/** A plan's graph before memory placement: values, steps in execution order, the input and output values. */
export interface PlanGraph {
  values: PlanValue[];
  steps: Step[];
  input: number;
  output: number;
}

/** The inputs whose buffer a step may overwrite with its output (element-wise reads at the same index only). */
export function inPlaceCandidates(step: Step): number[] {
  switch (step.kind) {
    case 'add':
      return step.inputs;
    case 'affine':
      return [step.inputs[0]];
    case 'conv':
      // The residual is copied into y before the product (native conv2dResidual): y may be the residual's memory.
      // Not when the shortcut is also the convolution's input (y = conv(t) + t): x must stay intact while it runs.
      return step.residual && step.inputs[1] !== step.inputs[0] ? [step.inputs[1]] : [];
    default:
      return [];
  }
}
