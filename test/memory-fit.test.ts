/**
 * The check that a training step fits in the wasm heap: the retained-activation count against a hand count, the
 * refusal and its suggested batch, the backends it applies to, train() refusing before its first step, and the
 * translation of the wasm module's bare `Aborted()`.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { describeError } from '../src/lib/errors';
import { train } from '../src/lib/train';
import { checkTrainingFits, retainedFloatsPerImage, WASM_HEAP_LIMIT_BYTES } from '../src/lib/train/memory-fit';
import { buildModel } from '../src/models';
import { useBackend } from './support/backend';
import { toyData } from './support/toy-task';

/** input side×side×3 → conv (channels, same) → BN → ReLU → global pool → dense 10. */
function convNet(side: number, channels: number): tf.LayersModel {
  const input = tf.input({ shape: [side, side, 3] });
  let x = tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(x) as tf.SymbolicTensor, name: 'conv_net' });
}

describe('training memory check (wasm heap)', () => {
  useBackend('wasm');

  it('counts the output of every layer but the input', () => {
    // conv, BN and ReLU each 8·8·4 = 256 floats, the pool 4, the dense layer 10.
    assert.strictEqual(retainedFloatsPerImage(convNet(8, 4)), 3 * 256 + 4 + 10);
  });

  it('refuses a batch whose activations exceed the heap, naming the largest batch that fits, and accepts that batch', () => {
    const model = convNet(64, 64); // 3·64·64·64 + 64 + 10 floats = 3.1 MiB per image
    const perImage = 4 * retainedFloatsPerImage(model);
    const fits = Math.floor((0.65 * WASM_HEAP_LIMIT_BYTES) / perImage);
    assert.throws(() => checkTrainingFits(model, fits + 1, 'wasm'), new RegExp(`batch of ${fits + 1} images of conv_net .* at most 4\\.00 GiB.*--batch ${fits}\\)`));
    checkTrainingFits(model, fits, 'wasm');
    checkTrainingFits(model, 10 * fits, 'cpu'); // only the wasm heap has a fixed limit
  });

  it('refuses MobileNet V2 α 1.0 at 64×64 and batch 64 (which aborted the wasm module) and accepts α 0.5 (which trained)', () => {
    const wide = buildModel('mobilenet_v2', { width: 1, dataset: 'tiny-imagenet', classes: 20 });
    const half = buildModel('mobilenet_v2', { width: 0.5, dataset: 'tiny-imagenet', classes: 20 });
    try {
      assert.throws(() => checkTrainingFits(wide, 64, 'wasm'), /--batch \d+\)/);
      checkTrainingFits(half, 64, 'wasm');
    } finally {
      wide.dispose();
      half.dispose();
    }
  });

  it('train() refuses before its first step', async () => {
    const model = convNet(64, 64);
    let steps = 0;
    await assert.rejects(train(model, toyData(16, 1), { epochs: 1, batchSize: 100000, learningRate: 0.01, progress: 'silent', onEpochEnd: () => steps++ }), /wasm backend's heap/);
    assert.strictEqual(steps, 0);
    model.dispose();
  });

  it('translates the wasm module\'s bare abort into an out-of-memory hint', () => {
    const aborted = describeError(new Error('Aborted(). Build with -sASSERTIONS for more info.'));
    assert.match(aborted, /^the wasm backend stopped \(Aborted\(\)\), most likely out of memory: .*4 GiB; lower --batch/);
    const trap = new WebAssembly.RuntimeError('memory access out of bounds');
    assert.match(describeError(trap), /^the wasm backend stopped \(memory access out of bounds\), most likely out of memory/);
    assert.strictEqual(describeError(new Error('memory access out of bounds')), 'memory access out of bounds'); // not from wasm
  });
});
