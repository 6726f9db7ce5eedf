/**
 * Channel shuffle (ShuffleNet V1/V2; docs/sources.md §5.6): a fixed channel permutation that lets information
 * flow between the groups of consecutive group convolutions. 0 params, 0 MACs.
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import { BaseLayerArgs, channelsOf, requirePositiveInt, singleShape } from './validate';

/** Arguments of {@link ChannelShuffle}. */
export interface ChannelShuffleArgs extends BaseLayerArgs {
  /** Number of groups g; must divide the channel count. */
  groups: number;
  /** Layer name. */
  name?: string;
}

function checkDivides(channels: number, groups: number, who: string): void {
  requirePositiveInt(groups, `${who}: groups`);
  if (channels % groups !== 0) {
    throw new Error(`${who}: groups = ${groups} must divide the channel count ${channels}; pick a divisor of ${channels}.`);
  }
}

/** Moves the channel axis of [..., C] through (g, C/g) → (C/g, g): output channel j·g + i = input channel i·(C/g) + j. */
function permuteChannels(x: tf.Tensor, outer: number, inner: number): tf.Tensor {
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const r = lead.length;
    const perm = [...lead.map((_, i) => i), r + 1, r];
    return tf.reshape(tf.transpose(tf.reshape(x, [...lead, outer, inner]), perm), x.shape);
  });
}

/** ShuffleNet's shuffle on the last axis: reshape (…, g, C/g) → transpose → (…, C/g, g) → flatten. Shape unchanged. */
export function channelShuffleTensor<T extends tf.Tensor>(x: T, groups: number): T {
  const c = x.shape[x.shape.length - 1];
  checkDivides(c, groups, 'channelShuffleTensor');
  return permuteChannels(x, groups, c / groups) as T;
}

/** Inverse of {@link channelShuffleTensor}: reshape (…, C/g, g) → transpose → (…, g, C/g) → flatten. */
export function channelUnshuffleTensor<T extends tf.Tensor>(x: T, groups: number): T {
  const c = x.shape[x.shape.length - 1];
  checkDivides(c, groups, 'channelUnshuffleTensor');
  return permuteChannels(x, c / groups, groups) as T;
}

/** Channel-shuffle layer (any rank ≥ 2, channels last). 0 params, 0 MACs. */
export class ChannelShuffle extends tf.layers.Layer implements CostAware {
  /** @nocollapse */
  static className = 'ChannelShuffle';
  readonly groups: number;

  constructor(args: ChannelShuffleArgs) {
    super(args);
    this.groups = requirePositiveInt(args.groups, `ChannelShuffle '${args.name ?? this.name}': groups`);
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const who = `ChannelShuffle '${this.name}'`;
    checkDivides(channelsOf(shape, who), this.groups, who);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return channelShuffleTensor(x, this.groups);
  }

  /** A permutation: 0 multiply-accumulates. */
  macs(_inputShapes: number[][]): number {
    return 0;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }
}
tf.serialization.registerClass(ChannelShuffle);

/** Factory for {@link ChannelShuffle}. */
export function channelShuffle(args: ChannelShuffleArgs): ChannelShuffle {
  return new ChannelShuffle(args);
}
