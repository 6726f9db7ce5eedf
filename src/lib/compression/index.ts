/**
 * Compressing a trained network — the survey's first route, shown to contrast with compact design:
 * magnitude pruning, post-training weight quantisation, low-rank factorisation (with a hand-written SVD)
 * and knowledge distillation; `fineTune` retrains a pruned or factorised model with its compression kept. The sweep that measures them on one trained model is a lesson helper
 * (`lessons.compressionSweep`).
 */
export { KernelWeight, kernelWeights, snapshotWeights, restoreWeights, writeKernel, parameterCounts } from './kernels';
export { pruneByMagnitude, magnitudePrune, PruneReport, checkSparsity } from './prune';
export { QuantGranularity, QuantizedArray, quantizeAffine, dequantize, quantizedBytes, quantizeModel, QuantizeReport } from './quantize';
export { Matrix, Svd, matrix, transpose, svd, lowRankApproximation, frobenius } from './svd';
export { kernelMatrixShape, largestKernel, factorizeLayer, LowRankReport } from './low-rank';
export { fineTune, checkFineTuneOptions, FineTuneOptions, FineTuneResult } from './fine-tune';
export { distill, distillationLoss, checkDistillParams, DistillOptions, DistillEpoch } from './distill';
