/**
 * Channel slicing / splitting (ShuffleNet V2's channel split, FE-Net's [C/2 | C/4 | C/4] split; docs/sources.md §5.7).
 * 0 params, 0 MACs.
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import { BaseLayerArgs, channelsOf, requireNonNegativeInt, requirePositiveInt, singleShape } from './validate';

/** Arguments of {@link ChannelSlice}. */
export interface ChannelSliceArgs extends BaseLayerArgs {
  /** First channel kept (0-based). */
  start: number;
  /** Number of channels kept; start + size must not exceed C. */
  size: number;
  /** Layer name. */
  name?: string;
}

/** Keeps channels [start, start + size) of the last axis. [..., C] → [..., size]. 0 params, 0 MACs. */
export class ChannelSlice extends tf.layers.Layer implements CostAware {
  /** @nocollapse */
  static className = 'ChannelSlice';
  readonly start: number;
  readonly size: number;

  constructor(args: ChannelSliceArgs) {
    super(args);
    const who = `ChannelSlice '${args.name ?? this.name}'`;
    this.start = requireNonNegativeInt(args.start, `${who}: start`);
    this.size = requirePositiveInt(args.size, `${who}: size`);
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const who = `ChannelSlice '${this.name}'`;
    const c = channelsOf(shape, who);
    if (this.start + this.size > c) {
      throw new Error(
        `${who}: start ${this.start} + size ${this.size} = ${this.start + this.size} exceeds the ${c} input channels; ` +
          `keep start + size ≤ ${c}.`,
      );
    }
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    return [...shape.slice(0, -1), this.size];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const begin = x.shape.map((_, i) => (i === x.rank - 1 ? this.start : 0));
    const size = x.shape.map((_, i) => (i === x.rank - 1 ? this.size : -1));
    return tf.slice(x, begin, size);
  }

  /** A copy: 0 multiply-accumulates. */
  macs(_inputShapes: number[][]): number {
    return 0;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}
tf.serialization.registerClass(ChannelSlice);

/** Factory for {@link ChannelSlice}. */
export function channelSlice(args: ChannelSliceArgs): ChannelSlice {
  return new ChannelSlice(args);
}

/**
 * Splits the channels of a symbolic tensor into consecutive pieces of the given sizes (must sum to C).
 * Layers are named `${name}.slice${i}`. [..., C] → [[..., sizes[0]], [..., sizes[1]], …].
 */
export function channelSplit(x: tf.SymbolicTensor, sizes: number[], name: string): tf.SymbolicTensor[] {
  const c = channelsOf(x.shape, `channelSplit '${name}'`);
  if (sizes.length === 0) throw new Error(`channelSplit '${name}': sizes must list at least one piece, got [].`);
  sizes.forEach((s, i) => requirePositiveInt(s, `channelSplit '${name}': sizes[${i}]`));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== c) {
    throw new Error(`channelSplit '${name}': sizes [${sizes.join(', ')}] sum to ${total} but the input has ${c} channels; they must sum to ${c}.`);
  }
  let start = 0;
  return sizes.map((size, i) => {
    const piece = new ChannelSlice({ start, size, name: `${name}.slice${i}` }).apply(x) as tf.SymbolicTensor;
    start += size;
    return piece;
  });
}

/** ShuffleNet V2's channel split into two equal halves; rejects an odd channel count. */
export function channelSplitHalves(x: tf.SymbolicTensor, name: string): [tf.SymbolicTensor, tf.SymbolicTensor] {
  const c = channelsOf(x.shape, `channelSplitHalves '${name}'`);
  if (c % 2 !== 0) {
    throw new Error(`channelSplitHalves '${name}': cannot split ${c} channels (odd) into halves; use an even channel count or channelSplit with explicit sizes.`);
  }
  const [a, b] = channelSplit(x, [c / 2, c / 2], name);
  return [a, b];
}
