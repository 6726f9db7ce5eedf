/**
 * The toy classification task the training tests share: 8×8×3 images of 3 classes that a small seeded conv net learns
 * in a few steps.
 */
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../../src/lib/data/dataset';

/** `n` 8×8×3 uint8 images (NHWC) of class i mod 3: that class's channel is bright (+120), plus seeded noise (0..119). */
export function toyData(n: number, seed: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const images = new Uint8Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) images[(i * 64 + p) * 3 + c] = Math.floor(rand() * 120) + (c === labels[i] ? 120 : 0);
  }
  return { name: 'toy', split: 'train', count: n, height: 8, width: 8, channels: 3, images, labels, classNames: ['r', 'g', 'b'] };
}

/** Options of {@link toyModel}. */
export interface ToyModelOptions {
  /** L2 factor of the conv kernel's regulariser; default none. */
  l2?: number;
  /** Softmax on the logits (outputs probabilities); default off. */
  softmax?: boolean;
  /** Bias in the conv layer; default on. */
  convBias?: boolean;
}

/** conv 3×3 (3→4, 'same', He-normal seed 1) → BN → ReLU → global average pool → dense 4→3 (Glorot seed 2); input [8, 8, 3]. */
export function toyModel(options: ToyModelOptions = {}): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', useBias: options.convBias ?? true, kernelInitializer: tf.initializers.heNormal({ seed: 1 }), kernelRegularizer: options.l2 ? tf.regularizers.l2({ l2: options.l2 }) : undefined }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), activation: options.softmax ? 'softmax' : undefined }),
    ],
  });
}
