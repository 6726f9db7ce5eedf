/**
 * compact-nets: the compact convolutional networks of the survey "Survey on Compact Neural Network Model Design"
 * (Lang & Xia, 2020) in TensorFlow.js — their operations, building blocks, model families and costs, with data
 * loading, training, evaluation and pretrained weights to measure them.
 *
 *     import { initBackend, buildModel, costOf } from "compact-nets";
 *
 * Layers, inner to outer (each imports only the ones before it): the core library (`src/lib`), the model families
 * and their registry (`src/models`), the experiment runner (`src/experiments`) and the notebooks' helpers, exported
 * as the namespace `lessons` (`src/lessons`).
 */

// Backend: picks and initialises the TensorFlow.js backend (tfjs-node, wasm + native kernels, cpu).
export * from './lib/backend';

// Operations (tfjs layers and tensor kernels) and the blocks built from them.
export * from './lib/ops';
export * from './lib/blocks';
export * from './lib/channels';

// Cost: parameters, MACs and memory access per layer, closed-form formulas, measured latency.
export * from './lib/cost';
export * from './lib/cost-types';
export * from './lib/formulas';
export * from './lib/latency';
export * from './lib/stats';

// Data, training and evaluation.
export * from './lib/data';
export * from './lib/seed';
export * from './lib/train';
export { OPTIMIZER_NAMES, OptimizerName, OptimizerOptions } from './lib/train/optimizers';
export { Schedule } from './lib/train/schedules';
export { findLearningRate, LrFinderOptions, LrFinderResult } from './lib/train/lr-finder';
export { isDecayedWeight, LearningRateScaled } from './lib/train/parameter-groups';
export { CheckpointState, readCheckpointState } from './lib/train/checkpoint';
export * from './lib/eval';
export * from './lib/results';

// Published weights (and the sha256-checked downloader of published files) and compression (pruning, quantisation,
// low rank, distillation).
export * from './lib/weights';
export * from './lib/onnx';
// Inference plans: a trained model as native kernel calls over one arena (eval and latency; tfjs stays the oracle).
export * from './lib/plan';
export * from './lib/download';
export * from './lib/compression';

// Notebook display (plots, tables, markdown), progress bars and quick mode.
export * from './lib/display';
export * from './lib/progress';
export * from './lib/quick-mode';

// Model families and their registry (importing this module registers every family).
export * from './models';

// Experiments: train registered models by name, with every run recorded and reused.
export * from './experiments';

// The notebooks' helpers (benchmarks, tables, charts, analyses), kept apart from the library.
export * as lessons from './lessons';
