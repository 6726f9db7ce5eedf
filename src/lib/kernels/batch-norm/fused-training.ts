/**
 * Fused training-mode BatchNormalization on the wasm backend with the C addon (native/src/batch-norm.c).
 *
 * tf.layers BatchNormalization in training computes tf.moments (Mean, Sub, Square, Mean) and then tf.batchNorm; the
 * gradient flows back through all of them: ~4 forward and ~10 backward full-size kernels per layer, each output kept
 * alive until the end of the gradient computation. Here the layer's `call` runs ONE native kernel forward (batch
 * mean, biased variance, y) and ONE backward (dx, dγ, dβ), then updates the moving statistics with the same tf ops as
 * tfjs-layers. The layer's class, config, weights and serialization are untouched: only `call` is wrapped, and every
 * case outside the fused one (inference, other backends, axis ≠ last, center/scale off, non-float32, rank ∉ 2..4,
 * no addon, switched off) runs the original `call`.
 *
 * The gradient is a registered kernel gradient with lazy per-input thunks rather than tf.customGrad: customGrad computes
 * all gradients before backprop asks for them, so src/lib/eager-backprop.ts could not tell that dx was created by
 * this node and would keep it (a full-size tensor) alive until the end of the step.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeAddon, NativeAddon } from '../core/addon';
import { heapF32 } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';

/** Kernel (wasm): inputs x [..., C], gamma [C], beta [C]; attrs {epsilon} → [y like x, mean [C], variance [C]]. */
const BATCH_NORM_TRAIN = 'CompactNetsBatchNormTrain';
/**
 * Kernel (wasm): inputs x, dy [..., C]; mean, variance, gamma, dMean, dVariance [C]; attrs {epsilon, withDx}
 * → [dx like x (only when withDx), dGamma [C], dBeta [C]].
 */
const BATCH_NORM_TRAIN_GRAD = 'CompactNetsBatchNormTrainGrad';

/** The addon functions of native/src/batch-norm.c for training (sizes in floats; outputs written in place). */
export interface BatchNormTrainAddon {
  /** x, y [rows, C]; gamma, beta, mean, variance [C]: batch statistics and y = γ(x − μ)/√(σ² + ε) + β. */
  batchNormTrainForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, rows: number, C: number,
    y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  /** x, dy, dx [rows, C] (dx null: only dGamma/dBeta); mean, variance, gamma, dMean?, dVariance?, dGamma, dBeta [C]. */
  batchNormTrainBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array,
    gamma: Float32Array, dMean: Float32Array | null, dVariance: Float32Array | null, eps: number, rows: number, C: number,
    dx: Float32Array | null, dGamma: Float32Array, dBeta: Float32Array): void;
}

function bn(addon: NativeAddon): BatchNormTrainAddon {
  return addon as unknown as BatchNormTrainAddon;
}

let enabled = true;
const counts = { forward: 0, backward: 0, fallback: 0 };

/** Turns the fused path on or off (off: the original tfjs-layers `call` runs); returns the previous value. */
export function setFusedBatchNormEnabled(on: boolean): boolean {
  const old = enabled;
  enabled = on;
  return old;
}

/** Native calls so far: fused forwards, fused backwards, and training calls that went to the original `call`. */
export function fusedBatchNormCalls(): { forward: number; backward: number; fallback: number } {
  return { ...counts };
}

function requireAddon(name: string): NativeAddon {
  const addon = nativeAddon();
  if (addon === null) throw new Error(`${name}: the native addon is not loaded`);
  return addon;
}

/** Forward kernel: x [..., C] → [y, mean [C], variance [C]] (the layer checks the shapes before calling it). */
function batchNormTrainKernel(args: KernelArgs): tf.TensorInfo[] {
  const addon = requireAddon(BATCH_NORM_TRAIN);
  const backend = args.backend as BackendWasm;
  const [x, gamma, beta] = ['x', 'gamma', 'beta'].map((n) => kernelInput(args.inputs, n, BATCH_NORM_TRAIN));
  const eps = (args.attrs as unknown as { epsilon: number }).epsilon;
  const c = x.shape[x.shape.length - 1];
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  // Views only after every makeOutput: a heap growth detaches earlier ones.
  const [y, mean, variance] = outs.map((o) => heapF32(backend, o));
  bn(addon).batchNormTrainForward(heapF32(backend, x), heapF32(backend, gamma), heapF32(backend, beta), eps,
    tf.util.sizeFromShape(x.shape) / c, c, y, mean, variance);
  return outs;
}

/** Backward kernel: [dx (withDx only), dGamma [C], dBeta [C]]. */
function batchNormTrainGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const addon = requireAddon(BATCH_NORM_TRAIN_GRAD);
  const backend = args.backend as BackendWasm;
  const [x, dy, mean, variance, gamma] = ['x', 'dy', 'mean', 'variance', 'gamma'].map((n) => kernelInput(args.inputs, n, BATCH_NORM_TRAIN_GRAD));
  const { dMean, dVariance } = args.inputs;
  const { epsilon, withDx } = args.attrs as unknown as { epsilon: number; withDx: boolean };
  const c = x.shape[x.shape.length - 1];
  const outs = [
    ...(withDx ? [backend.makeOutput(x.shape, 'float32')] : []),
    backend.makeOutput([c], 'float32'),
    backend.makeOutput([c], 'float32'),
  ];
  const views = outs.map((o) => heapF32(backend, o));
  const [dGamma, dBeta] = views.slice(withDx ? 1 : 0);
  bn(addon).batchNormTrainBackward(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, mean),
    heapF32(backend, variance), heapF32(backend, gamma), dMean !== undefined ? heapF32(backend, dMean) : null,
    dVariance !== undefined ? heapF32(backend, dVariance) : null, epsilon, tf.util.sizeFromShape(x.shape) / c, c,
    withDx ? views[0] : null, dGamma, dBeta);
  return outs;
}

/**
 * Gradient of BATCH_NORM_TRAIN: one native call gives dx, dγ and dβ. The x thunk runs first when x is on the gradient's
 * path (backprop visits inputs in order x, gamma, beta); dγ and dβ are kept as plain arrays (a thunk's other tensors
 * would be disposed by its tidy). Without x on the path, the gamma thunk runs the kernel without dx.
 */
function batchNormTrainGrad(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [dy, dMean, dVariance] = dys as tf.Tensor[];
  const [x, gamma, mean, variance] = saved;
  const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
  let stats: { dGamma: Float32Array; dBeta: Float32Array } | null = null;
  const run = (withDx: boolean): tf.Tensor | null => {
    const inputs: tf.NamedTensorMap = { x, dy, mean, variance, gamma };
    if (dMean !== undefined && dMean !== null) inputs.dMean = dMean;
    if (dVariance !== undefined && dVariance !== null) inputs.dVariance = dVariance;
    const outs = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, { epsilon, withDx }) as tf.Tensor[];
    counts.backward++;
    const [dGamma, dBeta] = outs.slice(withDx ? 1 : 0);
    stats = { dGamma: dGamma.dataSync() as Float32Array, dBeta: dBeta.dataSync() as Float32Array };
    return withDx ? outs[0] : null;
  };
  const ensureStats = (): { dGamma: Float32Array; dBeta: Float32Array } => {
    if (stats === null) run(false);
    return stats as unknown as { dGamma: Float32Array; dBeta: Float32Array };
  };
  return {
    x: () => {
      const dx = run(true) as tf.Tensor;
      // x is needed by nothing else of this node now (dγ, dβ are in `stats`): drop the saved reference so that the
      // activation can be freed now rather than at the end of the gradient computation (the engine's own dispose of
      // the saved list later is a no-op on a disposed tensor).
      x.dispose();
      return dx;
    },
    gamma: () => tf.tensor1d(ensureStats().dGamma),
    beta: () => tf.tensor1d(ensureStats().dBeta),
  };
}

/** The fields of tfjs-layers' BatchNormalization that the fused path reads (all public in the JS class). */
interface LayerVariableLike {
  read(): tf.Variable;
  write(value: tf.Tensor): unknown;
}
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean?: LayerVariableLike;
  movingVariance?: LayerVariableLike;
}
type CallFn = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** The input tensor when the fused path applies to this call, else null (then the original `call` runs). */
function fusableInput(layer: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> | undefined): tf.Tensor | null {
  if (!enabled || kwargs == null || kwargs['training'] !== true) return null;
  if (tf.getBackend() !== 'wasm' || nativeAddon() === null || tf.getKernel(BATCH_NORM_TRAIN, 'wasm') === undefined) return null;
  const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  if (!(input instanceof tf.Tensor) || input.dtype !== 'float32') return null;
  // Ranks the original supports (tf.batchNorm2d/3d/4d); others keep the original's behaviour, errors included.
  const rank = input.rank;
  if (rank < 2 || rank > 4 || (layer.axis !== -1 && layer.axis !== rank - 1)) return null;
  if (!layer.center || !layer.scale) return null;
  const { gamma, beta, movingMean, movingVariance } = layer;
  if (gamma == null || beta == null || movingMean == null || movingVariance == null) return null;
  const c = input.shape[rank - 1];
  if (c < 1 || input.size === 0) return null;
  for (const v of [gamma, beta]) {
    const t = v.read();
    if (t.dtype !== 'float32' || t.size !== c) return null;
  }
  return input;
}

/** tfjs-layers' doMovingAverage, verbatim in tf ops: variable ← orig − (orig − value)·(1 − momentum). */
function movingAverage(variable: LayerVariableLike, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    const origValue = variable.read();
    const updateDelta = tf.mul(tf.sub(origValue, value), decay);
    variable.write(tf.sub(origValue, updateDelta));
  });
}

function fusedCall(layer: BatchNormLayer, input: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const gamma = (layer.gamma as LayerVariableLike).read();
    const beta = (layer.beta as LayerVariableLike).read();
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: input, gamma, beta },
      { epsilon: layer.epsilon }) as tf.Tensor[];
    counts.forward++;
    movingAverage(layer.movingMean as LayerVariableLike, mean, layer.momentum);
    movingAverage(layer.movingVariance as LayerVariableLike, variance, layer.momentum);
    return y;
  });
}

const PATCHED = Symbol.for('compact-nets.fusedBatchNorm');

/** The BatchNormalization class of tfjs-layers, from the serialization registry (building an instance would use up a layer name). */
function batchNormClass(): { prototype: { call: CallFn } } | null {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown] | undefined>;
  const entry = map['BatchNormalization'];
  if (entry !== undefined && typeof (entry[0] as { prototype?: { call?: unknown } }).prototype?.call === 'function') {
    return entry[0] as { prototype: { call: CallFn } };
  }
  const layer = tf.layers.batchNormalization({ name: 'compact_nets_fused_batch_norm_probe' });
  return layer.constructor as unknown as { prototype: { call: CallFn } };
}

/**
 * Registers the fused kernels on the wasm backend and wraps BatchNormalization.prototype.call (idempotent). Without the
 * native addon it does nothing: the layer stays as tfjs-layers defines it.
 */
export function installFusedBatchNorm(): void {
  if (nativeAddon() === null) return;
  if (tf.getKernel(BATCH_NORM_TRAIN, 'wasm') === undefined) {
    tf.registerKernel(wasmKernelConfig(BATCH_NORM_TRAIN, batchNormTrainKernel));
  }
  if (tf.getKernel(BATCH_NORM_TRAIN_GRAD, 'wasm') === undefined) {
    tf.registerKernel(wasmKernelConfig(BATCH_NORM_TRAIN_GRAD, batchNormTrainGradKernel));
  }
  if (tf.getGradient(BATCH_NORM_TRAIN) === undefined) {
    tf.registerGradient({
      kernelName: BATCH_NORM_TRAIN,
      inputsToSave: ['x', 'gamma'],
      outputsToSave: [false, true, true],
      gradFunc: batchNormTrainGrad as unknown as tf.GradFunc,
    });
  }
  const cls = batchNormClass();
  if (cls === null) return;
  const proto = cls.prototype as { call: CallFn & { [PATCHED]?: CallFn } };
  if (proto.call[PATCHED] !== undefined) return;
  const original = proto.call;
  const patched = function (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
    const input = fusableInput(this, inputs, kwargs);
    if (input === null) {
      if (kwargs?.['training'] === true) counts.fallback++;
      return original.call(this, inputs, kwargs);
    }
    return fusedCall(this, input);
  } as CallFn & { [PATCHED]?: CallFn };
  patched[PATCHED] = original;
  proto.call = patched;
}
