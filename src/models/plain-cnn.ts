/**
 * A plain (non-compact) VGG-style CIFAR network: the "trained large model" the compression methods
 * start from, and, narrower, the student of distillation. Stages of two 3×3 conv-BN-ReLU layers with
 * 2×2 max-pooling between stages, global average pooling, a hidden dense layer and a linear classifier
 * that emits logits. Initialisers are seeded, so the same options build the same starting weights.
 */
import * as tf from '@tensorflow/tfjs';
import { DATASET_PROFILES, DATASET_PROFILE_NAMES, DatasetProfile } from '../lib/data/profiles';

export interface PlainNetOptions {
  /** Filters per stage (two convs each), e.g. [32, 64, 128]. */
  widths: number[];
  /** Units of the hidden dense layer (0 = none). */
  hidden: number;
  /** Seed of the initialisers. */
  seed: number;
  /**
   * Compact-design variant: every 3×3 conv except the first becomes depthwise 3×3 → BN → ReLU → pointwise
   * 1×1 (MobileNet V1's separable block), ≈ 8–9× fewer parameters and MACs per layer. Default false.
   */
  separable?: boolean;
}

/**
 * BN moving-average momentum (Keras sense; PyTorch's default 0.1): these nets train for a few hundred steps, and with
 * tfjs' default 0.99 the test-time statistics lag so far behind that the separable net scored chance in inference mode.
 */
const BN_MOMENTUM = 0.9;

/** Validates plain-net options; throws naming the option and the constraint. */
export function checkPlainNetOptions(o: PlainNetOptions): void {
  if (!Array.isArray(o.widths) || o.widths.length === 0 || o.widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`plainConvNet: widths must be a non-empty list of positive integers (filters per stage), got ${JSON.stringify(o.widths)}`);
  }
  if (!Number.isInteger(o.hidden) || o.hidden < 0) throw new Error(`plainConvNet: hidden must be an integer ≥ 0 (0 = no hidden dense layer), got ${o.hidden}`);
  if (!Number.isFinite(o.seed)) throw new Error(`plainConvNet: seed must be a finite number, got ${o.seed}`);
}

/** Builds the plain net for a data profile and class count; logits [N, classes] from images [N, H, W, 3]. */
export function plainConvNet(profile: DatasetProfile, classes: number, o: PlainNetOptions): tf.LayersModel {
  checkPlainNetOptions(o);
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`plainConvNet: classes must be an integer ≥ 2, got ${classes}`);
  if (!DATASET_PROFILE_NAMES.includes(profile)) throw new Error(`plainConvNet: unknown data profile "${profile}"; accepted: ${DATASET_PROFILE_NAMES.join(', ')}`);
  const size = DATASET_PROFILES[profile].resolution;
  let seed = o.seed;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  o.widths.forEach((filters, stage) => {
    if (stage > 0) x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${stage}` }).apply(x) as tf.SymbolicTensor;
    for (let j = 1; j <= 2; j++) {
      const name = `conv${stage + 1}_${j}`;
      if (o.separable && !(stage === 0 && j === 1)) {
        x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(), name: `${name}.dw` }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `${name}.dw.bn` }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.reLU({ name: `${name}.dw.relu` }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: init(), name }).apply(x) as tf.SymbolicTensor;
      } else {
        x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(), name }).apply(x) as tf.SymbolicTensor;
      }
      x = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `${name}.bn` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${name}.relu` }).apply(x) as tf.SymbolicTensor;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  if (o.hidden > 0) x = tf.layers.dense({ units: o.hidden, activation: 'relu', kernelInitializer: init(), name: 'fc' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: o.separable ? 'separable_cnn' : 'plain_cnn' });
}
