/** ONNX export of our tfjs models and the onnxruntime-node runtime beside tfjs (issue 17). */
export { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, OnnxExportError, checkOpset, irVersionForOpset } from './builder';
export { exportOnnx, supportedLayerClasses, writeFileNoPartial, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export';
export type { LayerClassConversion, OnnxExportOptions, OnnxExportResult } from './export';
export { verifyOnnx } from './verify';
export type { VerifyOptions, VerifyResult } from './verify';
export { onnxLatency, tfjsLatency, summarizeSamples } from './latency';
export type { OnnxLatencyOptions, RuntimeLatency, RuntimeLatencyOptions } from './latency';
export {
  loadOnnxRuntime, onnxRuntimeInfo, onnxRuntimeLabel, OnnxRuntimeUnavailableError, createSession, optimizedOpCounts,
  checkGraphOptimizationLevel, GRAPH_OPTIMIZATION_LEVELS,
} from './runtime';
export type { GraphOptimizationLevel } from './runtime';
