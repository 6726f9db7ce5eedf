/**
 * A tiny end-to-end demo: a small conv net learns a synthetic 4-class image task in a few steps. It shows the
 * workbook's moving parts (backend, progress bar, plots) in seconds, before real data and real architectures.
 *
 * Introduced in notebooks/00-introduction.ipynb.
 *
 * The task: a bright square sits in one of the four quadrants of a noisy grey image; the class is
 * the quadrant. It is learnable by a couple of conv layers, chance level is 25 %.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../lib/seed';

/** Number of classes (quadrants) of the toy task. */
export const TOY_CLASSES = 4;

export interface ToyStep {
  /** Steps done (1-based) and steps in all. */
  step: number;
  steps: number;
  /** Cross-entropy loss (nats) and accuracy (0..1) of this step's batch, measured before the update. */
  loss: number;
  accuracy: number;
  /** Training throughput so far, images per second. */
  imagesPerSec: number;
}

export interface ToyTrainOptions {
  /** Optimizer steps, ≥ 1. */
  steps: number;
  /** Images per step (default 32). */
  batchSize?: number;
  /** Image side in pixels, even, ≥ 8 (default 16). */
  imageSize?: number;
  /** Adam learning rate (default 0.01). */
  learningRate?: number;
  /** Seed of the data generator (default 1); weights use tfjs's own initializers. */
  seed?: number;
  /** Called after every step, e.g. to update a progress bar. */
  onStep?: (step: ToyStep) => void;
}

export interface ToyTrainResult {
  /** Per-step batch loss (nats) and accuracy (0..1). */
  losses: number[];
  accuracies: number[];
  /** Accuracy (0..1) on 256 fresh images after training. */
  heldOutAccuracy: number;
  /** Trainable parameters of the net. */
  params: number;
  /** Wall time of the training loop, seconds, and the tfjs backend it ran on. */
  seconds: number;
  backend: string;
}

/** Rejects a value that is not an integer ≥ min, naming the option. */
function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`trainToyConvNet: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/**
 * Makes a batch of the quadrant task: images [n, size, size, 1] in [0, 1] (noise σ 0.2 around
 * grey 0.3, a 0.7-bright square of side size/4 inside one quadrant) and one-hot labels [n, 4].
 */
export function toyBatch(n: number, size: number, rng: Rng): { xs: tf.Tensor4D; ys: tf.Tensor2D; labels: number[] } {
  checkInteger('batch size', n, 1);
  checkInteger('imageSize', size, 8);
  if (size % 2 !== 0) throw new Error(`trainToyConvNet: imageSize must be even (quadrants), got ${size}`);
  const pixels = new Float32Array(n * size * size);
  const labels: number[] = [];
  const half = size / 2;
  const side = size / 4;
  for (let i = 0; i < n; i++) {
    const label = rng.int(TOY_CLASSES);
    labels.push(label);
    // Top-left corner of the square, anywhere inside the chosen quadrant.
    const top = (label >> 1) * half + rng.int(half - side + 1);
    const left = (label & 1) * half + rng.int(half - side + 1);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        // Box-Muller would be overkill: the sum of 3 uniforms is a good-enough bell for noise.
        const noise = (rng.next() + rng.next() + rng.next() - 1.5) * 0.4;
        const inSquare = r >= top && r < top + side && c >= left && c < left + side;
        pixels[(i * size + r) * size + c] = Math.min(1, Math.max(0, 0.3 + noise + (inSquare ? 0.7 : 0)));
      }
    }
  }
  const xs = tf.tensor4d(pixels, [n, size, size, 1]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), TOY_CLASSES).toFloat() as tf.Tensor2D);
  return { xs, ys, labels };
}

/** Builds the toy net: conv 3×3×8 → max-pool 2 → conv 3×3×16 → max-pool 2 → flatten → dense 4 (softmax). */
export function toyConvNet(imageSize: number): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [imageSize, imageSize, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  // Flatten, not global pooling: the class is WHERE the square is, which global pooling would average away.
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: TOY_CLASSES, activation: 'softmax' }));
  return model;
}

/** Trains the toy conv net on the active tfjs backend; returns per-step curves and held-out accuracy. */
export async function trainToyConvNet(options: ToyTrainOptions): Promise<ToyTrainResult> {
  const { steps, batchSize = 32, imageSize = 16, learningRate = 0.01, seed = 1, onStep } = options;
  checkInteger('steps', steps, 1);
  checkInteger('batchSize', batchSize, 1);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new Error(`trainToyConvNet: learningRate must be a finite number > 0, got ${learningRate}`);
  }
  checkInteger('imageSize', imageSize, 8);
  if (imageSize % 2 !== 0) throw new Error(`trainToyConvNet: imageSize must be even (quadrants), got ${imageSize}`);
  const rng = new Rng(seed);
  const model = toyConvNet(imageSize);
  // Kept to dispose it: a model does not own (or free) an optimizer object passed to compile().
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const losses: number[] = [];
  const accuracies: number[] = [];
  const start = Date.now();
  try {
    for (let step = 1; step <= steps; step++) {
      const { xs, ys } = toyBatch(batchSize, imageSize, rng);
      try {
        const [loss, accuracy] = (await model.trainOnBatch(xs, ys)) as number[];
        losses.push(loss);
        accuracies.push(accuracy);
        const seconds = Math.max(1e-3, (Date.now() - start) / 1000);
        onStep?.({ step, steps, loss, accuracy, imagesPerSec: (step * batchSize) / seconds });
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
    const seconds = (Date.now() - start) / 1000;
    const test = toyBatch(256, imageSize, rng);
    const predicted = tf.tidy(() => (model.predict(test.xs) as tf.Tensor2D).argMax(1).dataSync());
    test.xs.dispose();
    test.ys.dispose();
    const correct = test.labels.filter((label, i) => predicted[i] === label).length;
    return { losses, accuracies, heldOutAccuracy: correct / test.labels.length, params: model.countParams(), seconds, backend: tf.getBackend() };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** One-paragraph markdown summary of a toy run, with every number taken from `result`. */
export function describeToyRun(result: ToyTrainResult, batchSize: number): string {
  const n = result.losses.length;
  const first = result.losses[0];
  const last = result.losses[n - 1];
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  return (
    `**What we saw.** A ${result.params}-parameter conv net trained for ${n} steps of ${batchSize} images ` +
    `on the \`${result.backend}\` backend in ${result.seconds.toFixed(1)} s (${((n * batchSize) / Math.max(result.seconds, 1e-3)).toFixed(0)} images/s). ` +
    `The batch loss went from ${first.toFixed(3)} to ${last.toPrecision(3)} nats ` +
    `(chance level: ln 4 = ${Math.log(TOY_CLASSES).toFixed(3)}), and held-out accuracy is ${pct(result.heldOutAccuracy)} ` +
    `against ${pct(1 / TOY_CLASSES)} for guessing. ` +
    (result.heldOutAccuracy > 0.5
      ? 'The pipeline works end to end: the net learned where the square is.'
      : 'With this few steps the net is still close to guessing; run with more steps to see it learn.')
  );
}

/** The run's loss curve (x = step, 1-based) and the chance-level line ln 4, ready for `lineChart`. */
export function toyLossCurves(result: ToyTrainResult): Array<{ name: string; x: number[]; y: number[] }> {
  const x = result.losses.map((_, i) => i + 1);
  return [
    { name: 'batch loss', x, y: result.losses },
    { name: 'chance level (ln 4)', x, y: x.map(() => Math.log(TOY_CLASSES)) },
  ];
}
