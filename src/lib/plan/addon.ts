/** The addon entry points an inference plan calls (native/src: conv.c, depthwise.c, pooling.c, copy.c, shift.c, plan.c). */
import type { ChannelShiftAddon } from '../kernels/shift/native';
import type { ConvAddon } from '../kernels/conv/native';
import type { CopyAddon } from '../kernels/copy/native';
import type { DepthwiseAddon } from '../kernels/depthwise/native';
import type { PoolingAddon } from '../kernels/pooling/native';

/** The plan's own kernels (native/src/plan.c and conv.c's residual variant). Sizes in floats, outputs in place. */
export interface PlanKernels {
  /** y [B,OH,OW,CO] = act(conv(x, w) + bias + residual); residual may be y itself (in place), else disjoint from it. */
  conv2dResidual(x: Float32Array, w: Float32Array, bias: Float32Array | null, residual: Float32Array, y: Float32Array,
    geom: Int32Array, act: number, alpha: number): void;
  /** y[0:n) = act(a + b); y may be a or b. */
  planAdd(a: Float32Array, b: Float32Array, y: Float32Array, n: number, act: number, alpha: number): void;
  /** y [rows, C] = act(x·scale[c] + shift[c]) (null: 1 and 0); y may be x. */
  planAffine(x: Float32Array, scale: Float32Array | null, shift: Float32Array | null, y: Float32Array, rows: number,
    channels: number, act: number, alpha: number): void;
  /** y [B,OH,OW,C] = PyTorch adaptive average pooling of x [B,H,W,C]; geom [B,H,W,C,OH,OW]. */
  adaptiveAvgPool(x: Float32Array, y: Float32Array, geom: Int32Array): void;
  /** ShiftNet's fixed shift: x, y [N,H,W,C], runs R×[c0, c1, dy, dx], geom [N,H,W,C]. */
  groupedShift(x: Float32Array, y: Float32Array, runs: Int32Array, geom: Int32Array): void;
}

/**
 * Dense convolutions with the filter packed once at compile time (native/src/conv.c); optional: a plan compiled
 * against an older build calls conv2d instead. The packed layout belongs to the addon build that packed it.
 */
export interface PackedConvKernels {
  /** Floats of the packed filter of a dense convolution (geom as conv2d's); 0 when it takes no packed filter. */
  conv2dPackedFloats?(geom: Int32Array): number;
  /** Packs w [KH,KW,C,CO] into `out` (conv2dPackedFloats(geom) floats). */
  packConv2dFilter?(w: Float32Array, geom: Int32Array, out: Float32Array): void;
  /** conv2d (residual null) or conv2dResidual with the packed filter. */
  conv2dPacked?(x: Float32Array, wp: Float32Array, bias: Float32Array | null, residual: Float32Array | null, y: Float32Array,
    geom: Int32Array, act: number, alpha: number): void;
}

/** Everything a plan calls. */
export type PlanAddon = PlanKernels & ConvAddon & DepthwiseAddon & PoolingAddon & CopyAddon & ChannelShiftAddon & PackedConvKernels;

/** Names of the entry points checked before compiling (a stale build lacks the newest). */
export const PLAN_KERNELS: readonly string[] = [
  'conv2d', 'conv2dResidual', 'depthwiseConv2d', 'planAdd', 'planAffine', 'adaptiveAvgPool', 'maxPool', 'avgPool',
  'padConstant', 'copyStrided', 'concatRows', 'groupedShift', 'channelShift',
];
