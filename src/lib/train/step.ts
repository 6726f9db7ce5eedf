/**
 * One optimizer step of the training loop, shared by `train` and the learning-rate range finder: forward pass in
 * training mode, cross-entropy (+ the model's regularisation losses + L2 weight decay on kernels), gradients, one
 * optimizer per learning-rate group, decoupled decay, constraints.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, withSeededRandom } from '../seed';
import { createOptimizer, OptimizerOptions, setLearningRate } from './optimizers';
import { applyConstraints, parameterGroups, ParameterGroups } from './parameter-groups';

/** 'probabilities' when the model's last layer applies softmax, else 'logits'. */
export function detectOutputs(model: tf.LayersModel): 'logits' | 'probabilities' {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: unknown };
  return last.getClassName() === 'Softmax' || config.activation === 'softmax' ? 'probabilities' : 'logits';
}

/** Mean cross-entropy of `out` (logits or probabilities, [N, K]) against integer labels, with label smoothing ε. */
export function crossEntropy(out: tf.Tensor2D, labels: tf.Tensor1D, outputs: 'logits' | 'probabilities', smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const k = out.shape[1];
    const onehot = tf.oneHot(labels, k).toFloat();
    const target = smoothing > 0 ? tf.add(tf.mul(onehot, 1 - smoothing), smoothing / k) : onehot;
    const logProbs = outputs === 'logits' ? tf.logSoftmax(out) : tf.log(tf.clipByValue(out, 1e-7, 1));
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbs), -1))) as tf.Scalar;
  });
}

/** What a step needs besides the batch. */
export interface StepOptions {
  optimizer: OptimizerOptions;
  /** Initial base learning rate (each step sets its own). */
  learningRate: number;
  labelSmoothing: number;
  weightDecay: number;
  weightDecayMode: 'l2' | 'decoupled';
  outputs: 'logits' | 'probabilities';
}

/** A model bound to its optimizers: call `step` once per batch. */
export interface Stepper {
  groups: ParameterGroups;
  /** One optimizer per learning-rate group (`groups.byMultiplier` order). */
  optimizers: tf.Optimizer[];
  /** One step on a normalised batch xs [N, H, W, C] with labels ys [N] at base rate `lr`: the loss and the number correct. */
  step(xs: tf.Tensor4D, ys: tf.Tensor1D, lr: number, rng: Rng): { loss: number; correct: number };
  dispose(): void;
}

/** Binds `model` to fresh optimizers for {@link Stepper.step}. */
export function createStepper(model: tf.LayersModel, o: StepOptions): Stepper {
  const groups = parameterGroups(model);
  // One optimizer per learning-rate multiplier: moments and accumulators are per variable, so splitting is exact.
  const optimizers = groups.byMultiplier.map((g) => createOptimizer(o.optimizer, o.learningRate * g.multiplier));
  const step = (xs: tf.Tensor4D, ys: tf.Tensor1D, lr: number, rng: Rng) => {
    optimizers.forEach((opt, i) => setLearningRate(opt, lr * groups.byMultiplier[i].multiplier));
    let correct: tf.Scalar | undefined;
    const lossFn = (): tf.Scalar => {
      const out = model.apply(xs, { training: true }) as tf.Tensor2D;
      // Kept out of the tape's tidy so that accuracy costs no second forward pass.
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), ys), 'float32')) as tf.Scalar);
      let total = crossEntropy(out, ys, o.outputs, o.labelSmoothing);
      for (const reg of model.calculateLosses()) total = tf.add(total, reg);
      if (o.weightDecay > 0 && o.weightDecayMode === 'l2' && groups.decayed.length > 0) {
        total = tf.add(total, tf.mul(o.weightDecay / 2, tf.addN(groups.decayed.map((v) => tf.sum(tf.square(v))))));
      }
      return total as tf.Scalar;
    };
    // Dropout and any other unseeded random op in the forward pass draw from the run's generator (checkpointed).
    const { value: loss, grads } = withSeededRandom(rng, () => tf.variableGrads(lossFn, groups.all));
    groups.byMultiplier.forEach((g, i) => {
      const mine = g.variables.filter((v) => grads[v.name] !== undefined); // a variable the loss does not reach has no gradient
      if (mine.length > 0) optimizers[i].applyGradients(Object.fromEntries(mine.map((v) => [v.name, grads[v.name]])));
    });
    tf.dispose(Object.values(grads));
    if (o.weightDecay > 0 && o.weightDecayMode === 'decoupled') {
      tf.tidy(() => groups.decayed.forEach((v) => v.assign(tf.mul(v, 1 - lr * o.weightDecay))));
    }
    applyConstraints(groups);
    const lossValue = loss.dataSync()[0];
    const correctValue = correct!.dataSync()[0];
    tf.dispose([loss, correct!]);
    return { loss: lossValue, correct: correctValue };
  };
  return { groups, optimizers, step, dispose: () => optimizers.forEach((opt) => opt.dispose()) };
}
