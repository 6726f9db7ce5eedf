/**
 * Default training recipes per model: optimizer, peak learning rate after a linear warm-up, cosine decay to 0, weight
 * decay on kernels only, label smoothing and batch size. An experiment takes its model's recipe and overrides
 * whatever the caller sets.
 *
 * How they were chosen (CIFAR-10, 32×32, batch 64; the measurements are in results/recipes.md): a learning-rate
 * range test per family (`findLearningRate`, 120 steps from 1e-4 to 10) located where the loss stops falling, and
 * pilot runs at 2,000 images per class for 6 epochs confirmed that the peak rate trains without divergence. The
 * BatchNorm networks share one recipe; two families differ:
 * - SqueezeNet has no BatchNorm: plain SGD barely moves its loss at any rate below 1 in the range test, while Adam's
 *   loss falls from 1e-4 and blows up past 1e-2, so it trains with Adam at 1e-3 and no weight decay.
 * - ShuffleNet V1's range test blows up from 0.02 (the grouped 1×1 convs without shuffle-aware initialisation
 *   amplify early updates), so it peaks at 0.05 after a two-epoch warm-up.
 */
import type { OptimizerName } from '../lib/train/optimizers';

/** A training recipe: everything except the data budget (images, epochs) and the seed. */
export interface Recipe {
  optimizer: OptimizerName;
  /** Peak learning rate, reached at the end of the warm-up (SGD: Nesterov momentum 0.9). */
  learningRate: number;
  /** Linear warm-up length in epochs (fractional allowed; capped at half the run). */
  warmupEpochs: number;
  /** Weight decay λ on convolution and dense kernels only. */
  weightDecay: number;
  /** 'l2' adds λ/2·Σw² to the loss (SGD); 'decoupled' shrinks the weights after each step (AdamW). */
  weightDecayMode: 'l2' | 'decoupled';
  /** Label smoothing ε. */
  labelSmoothing: number;
  batchSize: number;
}

/** The recipe of the BatchNorm networks (MobileNet V1/V2, ShuffleNet V2, the shift families, the baselines). */
export const BATCHNORM_RECIPE: Readonly<Recipe> = Object.freeze({
  optimizer: 'sgd', learningRate: 0.1, warmupEpochs: 1, weightDecay: 5e-4, weightDecayMode: 'l2', labelSmoothing: 0.1, batchSize: 64,
});

/** Recipes that differ from {@link BATCHNORM_RECIPE}, by registry name. */
export const RECIPES: Readonly<Record<string, Readonly<Recipe>>> = Object.freeze({
  squeezenet1_0: Object.freeze({ ...BATCHNORM_RECIPE, optimizer: 'adam', learningRate: 1e-3, weightDecay: 0 }),
  squeezenet1_1: Object.freeze({ ...BATCHNORM_RECIPE, optimizer: 'adam', learningRate: 1e-3, weightDecay: 0 }),
  shufflenet_v1: Object.freeze({ ...BATCHNORM_RECIPE, learningRate: 0.05, warmupEpochs: 2 }),
});

/** The default recipe of registry model `model` (the BatchNorm recipe unless {@link RECIPES} lists it). */
export function recipeFor(model: string): Readonly<Recipe> {
  return RECIPES[model] ?? BATCHNORM_RECIPE;
}
