/**
 * The constraint that keeps learned shift offsets inside the feature map: after every optimizer step each offset
 * is projected into [−bound, +bound] pixels. An offset beyond the map reads only the zero padding, so a channel
 * that drifts there carries no information and gets no gradient to come back (learned offsets drifted 3–5 px on
 * 4×4 maps without it).
 */
import * as tf from '@tensorflow/tfjs';

/** Arguments of {@link OffsetBound}. */
export interface OffsetBoundArgs {
  /** Largest allowed |offset| in pixels (> 0). */
  bound: number;
}

/** Element-wise projection onto [−bound, bound] (a tfjs constraint, applied by the training loop after each update). */
export class OffsetBound extends tf.serialization.Serializable {
  /** @nocollapse */
  static className = 'OffsetBound';
  readonly bound: number;

  constructor(args: OffsetBoundArgs) {
    super();
    if (!(args.bound > 0) || !Number.isFinite(args.bound)) throw new Error(`OffsetBound: bound must be a positive number of pixels, got ${args.bound}`);
    this.bound = args.bound;
  }

  apply(w: tf.Tensor): tf.Tensor {
    return tf.clipByValue(w, -this.bound, this.bound);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { bound: this.bound };
  }
}
tf.serialization.registerClass(OffsetBound);

/**
 * The default bound for a map of `height` × `width` pixels: half the smaller side minus half a pixel, at least 1 px
 * (so a 3×3 neighbourhood is always reachable): 4×4 → 1.5 px, 8×8 → 3.5 px, 56×56 → 27.5 px.
 */
export function defaultOffsetBound(height: number, width: number): number {
  return Math.max(1, (Math.min(height, width) - 1) / 2);
}
