/**
 * Axis bookkeeping between our NHWC tfjs tensors and the NCHW tensors of the ONNX graph.
 *
 * Every tfjs tensor of the model is represented in the graph by an ONNX tensor and a layout: a permutation
 * `layout` such that ONNX axis i holds tfjs axis layout[i] (batch is axis 0 on both sides and never moves). An image
 * tensor [N, H, W, C] lives as NCHW, layout [0, 3, 1, 2]; a flat [N, F] as identity. Layers that care about axes ask
 * for a layout and get a Transpose only when the tensor is not already in it; tfjs's Permute changes only the layout.
 */
import { GraphBuilder } from './builder';

/** A tfjs tensor as it exists in the ONNX graph. */
export interface Value {
  /** ONNX tensor name. */
  name: string;
  /** tfjs shape without the batch axis, e.g. [H, W, C]. */
  shape: number[];
  /** ONNX axis i holds tfjs axis layout[i]; layout[0] = 0 (batch). */
  layout: number[];
}

/** [0, 1, …, rank − 1]. */
export function identityLayout(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** The ONNX layout of an image tensor: NHWC in tfjs → NCHW in ONNX. */
export const NCHW: readonly number[] = [0, 3, 1, 2];

function sameLayout(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Rearranges `v` into `target` with one Transpose (none when it already is). */
export function toLayout(b: GraphBuilder, v: Value, target: readonly number[]): Value {
  if (target.length !== v.layout.length) {
    throw new Error(`layout ${target.join(',')} does not fit a rank-${v.layout.length} tensor ${v.name}`);
  }
  if (sameLayout(v.layout, target)) return v;
  const perm = target.map((axis) => v.layout.indexOf(axis));
  return { name: b.node('Transpose', [v.name], `${v.name}.transpose`, { perm }), shape: v.shape, layout: [...target] };
}

/** `v` as NCHW; throws unless it is a rank-4 tfjs tensor. */
export function toNchw(b: GraphBuilder, v: Value, who: string): Value {
  if (v.shape.length !== 3) throw new Error(`${who} needs a rank-4 NHWC input, got [batch, ${v.shape.join(', ')}]`);
  return toLayout(b, v, NCHW);
}

/** `v` with ONNX axes in tfjs order. */
export function toIdentity(b: GraphBuilder, v: Value): Value {
  return toLayout(b, v, identityLayout(v.layout.length));
}

/** The ONNX axis that holds tfjs axis `tfjsAxis` (negative counts from the end, as in Keras). */
export function onnxAxis(v: Value, tfjsAxis: number): number {
  const rank = v.layout.length;
  const axis = tfjsAxis < 0 ? tfjsAxis + rank : tfjsAxis;
  if (axis < 0 || axis >= rank) throw new Error(`axis ${tfjsAxis} is out of range for a rank-${rank} tensor`);
  return v.layout.indexOf(axis);
}

/** ONNX shape of `v` with the batch axis written as 0 (Reshape's "copy this dimension"). */
export function onnxShapeForReshape(v: Value): number[] {
  const full = [0, ...v.shape];
  return v.layout.map((axis) => full[axis]);
}
