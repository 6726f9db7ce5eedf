/** Optimizers for the training loop, with a learning rate that schedules can change between steps. */
import * as tf from '@tensorflow/tfjs';

export type OptimizerName = 'sgd' | 'adam' | 'rmsprop';
export const OPTIMIZER_NAMES: OptimizerName[] = ['sgd', 'adam', 'rmsprop'];

/** Hyper-parameters of {@link createOptimizer}; unspecified values take the documented defaults. */
export interface OptimizerOptions {
  name: OptimizerName;
  /** SGD momentum (default 0.9; 0 = plain SGD) and RMSProp momentum (default 0). */
  momentum?: number;
  /** SGD only: Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Adam β1, β2 (defaults 0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** RMSProp decay ρ of the squared-gradient average (default 0.9). */
  rmsDecay?: number;
  /** Adam / RMSProp ε (default 1e-7 for Adam, 1e-7 for RMSProp: the Keras values). */
  epsilon?: number;
}

/** Creates the optimizer with initial learning rate `learningRate` (> 0). */
export function createOptimizer(options: OptimizerOptions, learningRate: number): tf.Optimizer {
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`learning rate must be a positive number, got ${learningRate}`);
  switch (options.name) {
    case 'sgd':
      // MomentumOptimizer with momentum 0 is plain SGD, and unlike SGDOptimizer it can save its state.
      return tf.train.momentum(learningRate, options.momentum ?? 0.9, options.nesterov ?? false);
    case 'adam':
      return tf.train.adam(learningRate, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, options.rmsDecay ?? 0.9, options.momentum ?? 0, options.epsilon ?? 1e-7);
    default:
      throw new Error(`unknown optimizer "${options.name as string}"; choose one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
}

/**
 * Sets the learning rate used by the next `applyGradients`. SGD/Momentum cache it in a scalar
 * (`setLearningRate`); Adam and RMSProp read the `learningRate` field at every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}
