/**
 * Compressing a trained network — the survey's first route, shown to contrast with compact design:
 * magnitude pruning, post-training weight quantisation, low-rank factorisation (with a hand-written SVD)
 * and knowledge distillation, plus the sweep that measures them on one trained model.
 */
export { KernelWeight, kernelWeights, snapshotWeights, restoreWeights, writeKernel, parameterCounts } from './compression/kernels';
export { pruneByMagnitude, magnitudePrune, PruneReport, checkSparsity } from './compression/prune';
export { QuantGranularity, QuantizedArray, quantizeAffine, dequantize, quantizedBytes, quantizeModel, QuantizeReport } from './compression/quantize';
export { Matrix, Svd, matrix, transpose, svd, lowRankApproximation, frobenius } from './compression/svd';
export { kernelMatrixShape, largestKernel, factorizeLayer, LowRankReport } from './compression/low-rank';
export { distill, distillationLoss, checkDistillParams, DistillOptions, DistillEpoch } from './compression/distill';
export { plainConvNet, PlainNetOptions, checkPlainNetOptions, plainNetExperiment, PlainNetTraining } from './compression/plain-net';
export { trainedModel, TrainedModel, checkpointDirOf } from './compression/trained';
export { compressionSweep, CompressionSweepOptions, CompressionRow, evaluateModified, describeCompression, distillStudent, checkSweepOptions, DistilledStudent } from './compression/study';
