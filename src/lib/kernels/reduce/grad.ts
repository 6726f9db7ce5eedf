/**
 * Gradients of Mean and Sum without materialising ones: tfjs-core computes dx = (dy_expanded · ones(x.shape)) / N,
 * which fills a full-size ones array in JavaScript, moves it into the wasm heap and runs two full-size kernels
 * (profiled: makeOnesTypedArray was the largest single cost of a MobileNet V1 training step, ~160 ms of ~690, from the
 * batch-norm statistics). On wasm one kernel writes dx = broadcast(dy / N) directly, copying whole rows; other backends
 * keep tfjs-core's composite. Results equal tfjs-core's bit for bit (dy / N is one correctly rounded division).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, float32View } from '../core/heap';
import { KernelArgs, kernelInput, wasmKernelConfig } from '../core/kernel-args';

/** Name of our custom kernel (not a tfjs kernel name). */
export const BROADCAST_DIVIDE = 'CompactNetsBroadcastDivide';

/** Attributes of {@link BROADCAST_DIVIDE}: the output shape and the divisor. */
interface BroadcastDivideAttrs {
  shape: number[];
  divisor: number;
}

let calls = 0;

/** How many Mean/Sum gradients ran the one-kernel path (lets tests check that it ran). */
export function broadcastDivideCalls(): number {
  return calls;
}

/**
 * Kernel: dy (x's shape with reduced axes set to 1) → dx [shape] = dy broadcast / divisor, float32.
 * The output is written as blocks of the longest non-broadcast suffix of the shape, each a copy of one dy row.
 */
function broadcastDivideWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, BROADCAST_DIVIDE);
  const dy = kernelInput(args.inputs, 'dy', BROADCAST_DIVIDE);
  const { shape, divisor } = args.attrs as unknown as BroadcastDivideAttrs;
  const rank = shape.length;
  if (dy.shape.length !== rank || dy.shape.some((d, i) => d !== shape[i] && d !== 1)) {
    throw new Error(`${BROADCAST_DIVIDE}: dy shape [${dy.shape}] does not broadcast to [${shape}]`);
  }
  const out = backend.makeOutput(shape, 'float32');
  const dys = float32View(backend, dy, BROADCAST_DIVIDE);
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  if (dx.length === 0) return out;
  const scaled = new Float32Array(dys.length);
  for (let i = 0; i < dys.length; i++) scaled[i] = dys[i] / divisor;
  // Suffix of axes where dy is not broadcast: each output block of that size copies one contiguous run of dy.
  let split = rank;
  while (split > 0 && dy.shape[split - 1] === shape[split - 1]) split--;
  let block = 1;
  for (let a = split; a < rank; a++) block *= shape[a];
  // dy strides over the prefix axes (0 where dy is broadcast).
  const dyStride = new Array<number>(split).fill(0);
  let stride = block;
  for (let a = split - 1; a >= 0; a--) {
    dyStride[a] = dy.shape[a] === 1 ? 0 : stride;
    stride *= dy.shape[a];
  }
  if (dyStride.every((st) => st === 0)) {
    // dy is one block repeated (the batch-norm statistics case): fill by doubling, memmove speed instead of a
    // per-block copy (blocks are as short as the channel count).
    dx.set(scaled.subarray(0, block), 0);
    for (let filled = block; filled < dx.length; filled *= 2) dx.copyWithin(filled, 0, Math.min(filled, dx.length - filled));
    calls++;
    return out;
  }
  const index = new Array<number>(split).fill(0);
  let dyOff = 0;
  for (let o = 0; o < dx.length; o += block) {
    if (block === 1) dx[o] = scaled[dyOff];
    else dx.set(scaled.subarray(dyOff, dyOff + block), o);
    // Advance the prefix index (odometer) and the dy offset with it.
    for (let a = split - 1; a >= 0; a--) {
      index[a]++;
      dyOff += dyStride[a];
      if (index[a] < shape[a]) break;
      dyOff -= dyStride[a] * shape[a];
      index[a] = 0;
    }
  }
  calls++;
  return out;
}

/** Registration record of the kernel for `tf.registerKernel`. */
export const broadcastDivideKernelConfig = wasmKernelConfig(BROADCAST_DIVIDE, broadcastDivideWasm);

/** dy reshaped to x's rank with the reduced axes set to 1. */
function expand(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): { expanded: tf.Tensor; reduceSize: number } {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expandedShape = x.shape.slice();
  let reduceSize = 1;
  for (const a of axes) {
    reduceSize *= x.shape[a];
    expandedShape[a] = 1;
  }
  return { expanded: tf.reshape(dy, expandedShape), reduceSize };
}

/** Whether the one-kernel path runs for this gradient. */
function kernelApplies(dy: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BROADCAST_DIVIDE, 'wasm') !== undefined && dy.dtype === 'float32';
}

function broadcastDivide(expanded: tf.Tensor, shape: number[], divisor: number): tf.Tensor {
  return tf.engine().runKernel(BROADCAST_DIVIDE, { dy: expanded } as unknown as tf.NamedTensorMap,
    { shape, divisor } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Mean gradient record for `tf.registerGradient` (composite = tfjs-core's). */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const { axis } = attrs as unknown as tf.MeanAttrs;
    return {
      x: () => tf.tidy(() => {
        const { expanded, reduceSize } = expand(g, x, axis);
        return kernelApplies(g)
          ? broadcastDivide(expanded, x.shape, reduceSize)
          : tf.div(tf.mul(expanded, tf.ones(x.shape, 'float32')), reduceSize);
      }),
    };
  },
};

/** Sum gradient record for `tf.registerGradient` (composite = tfjs-core's). */
export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const { axis } = attrs as unknown as tf.SumAttrs;
    return {
      x: () => tf.tidy(() => {
        const { expanded } = expand(g, x, axis);
        return kernelApplies(g) ? broadcastDivide(expanded, x.shape, 1) : tf.mul(expanded, tf.ones(x.shape, 'float32'));
      }),
    };
  },
};
