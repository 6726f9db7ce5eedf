/**
 * How the training loop treats each trainable weight: whether weight decay applies to it, the multiple of the
 * base learning rate it trains at (Caffe's `lr_mult`), and the constraint projected after every update.
 *
 * Weight decay applies to convolution and dense kernels only. BatchNorm γ/β, biases and learned shift offsets are
 * spared: decaying γ/β fights the normalisation, and decaying an offset pulls every shift towards 0 px, which is a
 * sparsity penalty of its own rather than a regulariser (the ASL prototxts set `decay_mult: 0` on the offsets).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A layer that trains some of its weights at a multiple of the base learning rate (Caffe's `lr_mult`), e.g. the
 * active shift layer's offsets at 0.01×. `learningRateMultiplier` is asked once per trainable weight of the layer.
 */
export interface LearningRateScaled {
  learningRateMultiplier(weight: tf.LayerVariable): number;
}

function isLearningRateScaled(layer: unknown): layer is LearningRateScaled {
  return typeof (layer as Partial<LearningRateScaled>).learningRateMultiplier === 'function';
}

/** True for the weights weight decay applies to: names ending in `kernel` (conv, depthwise, pointwise, dense kernels). */
export function isDecayedWeight(weight: tf.LayerVariable): boolean {
  const last = weight.originalName.split('/').pop() ?? '';
  return last === 'kernel' || last.endsWith('_kernel');
}

/** Variables that share one learning-rate multiplier (and therefore one optimizer). */
export interface MultiplierGroup {
  multiplier: number;
  variables: tf.Variable[];
}

/** The trainable weights of a model sorted by treatment; see the module comment. */
export interface ParameterGroups {
  /** Every trainable variable, in `model.trainableWeights` order. */
  all: tf.Variable[];
  /** Variables weight decay applies to. */
  decayed: tf.Variable[];
  /** Groups by learning-rate multiplier, the base rate (1) first when present, then ascending. */
  byMultiplier: MultiplierGroup[];
  /** Variables with a constraint, projected after each optimizer step. */
  constrained: Array<{ variable: tf.Variable; constraint: { apply(x: tf.Tensor): tf.Tensor } }>;
}

/** The tf.Variable behind a layers weight (tfjs keeps it in a field it does not type). */
export function variableOf(weight: tf.LayerVariable): tf.Variable {
  return (weight as unknown as { val: tf.Variable }).val;
}

/** Sorts the trainable weights of `model` into decay, learning-rate and constraint groups. */
export function parameterGroups(model: tf.LayersModel): ParameterGroups {
  const multiplierOf = new Map<tf.LayerVariable, number>();
  for (const layer of model.layers) {
    if (!isLearningRateScaled(layer)) continue;
    for (const w of layer.trainableWeights) {
      const m = layer.learningRateMultiplier(w);
      if (!(m > 0) || !Number.isFinite(m)) {
        throw new Error(`layer ${layer.name}: learning-rate multiplier of ${w.originalName} must be a positive number, got ${m}`);
      }
      multiplierOf.set(w, m);
    }
  }
  const trainable = model.trainableWeights;
  const groups = new Map<number, tf.Variable[]>();
  for (const w of trainable) {
    const m = multiplierOf.get(w) ?? 1;
    if (!groups.has(m)) groups.set(m, []);
    groups.get(m)!.push(variableOf(w));
  }
  const byMultiplier = [...groups.entries()]
    .sort(([a], [b]) => (a === 1 ? -1 : b === 1 ? 1 : a - b))
    .map(([multiplier, variables]) => ({ multiplier, variables }));
  const constrained = trainable
    .filter((w) => w.constraint != null)
    .map((w) => ({ variable: variableOf(w), constraint: w.constraint as unknown as { apply(x: tf.Tensor): tf.Tensor } }));
  return { all: trainable.map(variableOf), decayed: trainable.filter(isDecayedWeight).map(variableOf), byMultiplier, constrained };
}

/** Projects every constrained variable back onto its constraint (after an optimizer step). */
export function applyConstraints(groups: ParameterGroups): void {
  if (groups.constrained.length === 0) return;
  tf.tidy(() => {
    for (const { variable, constraint } of groups.constrained) variable.assign(constraint.apply(variable));
  });
}
