/** Runs an exported graph in onnxruntime-node next to our tfjs model on the same random input and compares the outputs. */
import * as tf from '@tensorflow/tfjs';
import { createSession, loadOnnxRuntime, onnxRuntimeLabel } from './runtime';
import { ONNX_INPUT_NAME } from './export';

/** Options of {@link verifyOnnx}. */
export interface VerifyOptions {
  /** Images in the random batch; default 2 (a batch > 1 checks that the batch axis is kept apart). */
  batch?: number;
  /** Seed of the uniform [0, 1) input; default 0. */
  seed?: number;
  /** onnxruntime intra-op threads; default 1. */
  threads?: number;
}

/** Agreement of the two runtimes on one input. */
export interface VerifyResult {
  /** Largest |ours − onnxruntime| over every output value. */
  maxAbsDiff: number;
  /** Largest |output| of ours (the scale the difference compares with). */
  maxAbsOutput: number;
  batch: number;
  /** Input shape fed to ours (NHWC) and to onnxruntime (NCHW). */
  oursInputShape: number[];
  onnxInputShape: number[];
  outputShape: number[];
  /** e.g. "onnxruntime-node 1.30.0". */
  runtime: string;
  /** tfjs backend of ours. */
  backend: string;
}

/** Feeds one seeded random batch to `model` (tfjs, inference mode) and to the ONNX graph (bytes or file path). */
export async function verifyOnnx(model: tf.LayersModel, onnxModel: Uint8Array | string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const batch = options.batch ?? 2;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`verifyOnnx: batch must be a positive integer, got ${batch}`);
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.some((d) => d === null)) throw new Error(`verifyOnnx: the model input shape [${shape.join(', ')}] must be fully defined`);
  const session = await createSession(onnxModel, options.threads ?? 1);
  try {
    const ort = loadOnnxRuntime();
    const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', options.seed ?? 0);
    const image = shape.length === 3;
    const xOnnx = image ? tf.transpose(x, [0, 3, 1, 2]) : x.clone();
    const ours = tf.tidy(() => model.predict(x) as tf.Tensor);
    const oursData = (await ours.data()) as Float32Array;
    const feed = new ort.Tensor('float32', Float32Array.from((await xOnnx.data()) as Float32Array), xOnnx.shape);
    const result = await session.run({ [ONNX_INPUT_NAME]: feed });
    const theirs = result[session.outputNames[0]];
    const outputShape = ours.shape;
    const onnxInputShape = xOnnx.shape;
    tf.dispose([x, xOnnx, ours]);
    if (theirs.dims.join() !== outputShape.join()) {
      throw new Error(`verifyOnnx: onnxruntime output shape [${theirs.dims.join(', ')}] differs from ours [${outputShape.join(', ')}]`);
    }
    const theirsData = theirs.data as Float32Array;
    let maxAbsDiff = 0;
    let maxAbsOutput = 0;
    for (let i = 0; i < oursData.length; i++) {
      const d = Math.abs(oursData[i] - theirsData[i]);
      // NaN on either side must not hide behind Math.max.
      maxAbsDiff = Number.isNaN(d) ? NaN : Math.max(maxAbsDiff, d);
      maxAbsOutput = Math.max(maxAbsOutput, Math.abs(oursData[i]));
    }
    return {
      maxAbsDiff, maxAbsOutput, batch, oursInputShape: [batch, ...shape], onnxInputShape, outputShape,
      runtime: onnxRuntimeLabel(), backend: tf.getBackend(),
    };
  } finally {
    await session.release();
  }
}
