/**
 * The training-loop settings shared by the compression loops that run their own epochs (distillation and
 * fine-tuning), with the meanings `train()` gives them.
 */
import type { Augmentation, Normalization } from '../data/dataset';
import type { ProgressMode, ProgressReporter } from '../progress';
import type { OptimizerOptions } from '../train/optimizers';
import type { Schedule } from '../train/schedules';

/** Optimizer, regularisation, schedule, data handling, seed and progress of a compression loop. */
export interface CompressionLoopOptions {
  /** Default {name: 'sgd', momentum: 0.9}. */
  optimizer?: OptimizerOptions;
  /** L2 λ/2·Σw² on kernels (rank ≥ 2), as train()'s 'l2' mode; default 0. */
  weightDecay?: number;
  /** Default constant. */
  schedule?: Schedule;
  normalization?: Normalization;
  augmentation?: Augmentation;
  /** Seed of shuffling, augmentation and dropout; default 0. */
  seed?: number;
  progress?: ProgressReporter | ProgressMode;
  title?: string;
}
