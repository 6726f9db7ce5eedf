/** Early disposal of intermediate gradients (src/lib/eager-backprop.ts): same values, no leaks, caller tensors intact. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/backend';
import { earlyFreedGradients, setEagerBackpropEnabled } from '../src/lib/eager-backprop';
import { randomTensor } from './support/random';
import { assertScaled } from './support/tolerance';

/** A function with fan-out, pass-through gradients (add, reshape, identity), concat/split and a reduction. */
function f(x: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const a = tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
  const b = tf.add(a, tf.clone(a));
  const [p, q] = tf.split(b, 2, 3);
  const c = tf.concat([tf.mul(p, q), tf.reshape(tf.reshape(q, [-1]), q.shape)], 3);
  return tf.sum(tf.square(tf.sub(c, tf.mean(c, [0, 1, 2]))));
}

/** The gradients of f with respect to x and w on `backend`, copied out (every tensor disposed). */
async function gradsOn(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const x = randomTensor([2, 5, 6, 3], 1), w = randomTensor([3, 3, 3, 4], 2);
  const g = tf.grads(f)([x, w]);
  const out = g.map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([x, w, ...g]);
  return out;
}

describe('eager backprop (wasm)', function () {
  this.timeout(60000);
  before(async () => { await initBackend('wasm'); });

  it('gives the same gradients as tfjs-core on cpu and frees intermediate gradients on wasm', async () => {
    const freed0 = earlyFreedGradients();
    const wasm = await gradsOn('wasm');
    assert.ok(earlyFreedGradients() > freed0, 'no gradient was freed early');
    const cpu = await gradsOn('cpu');
    await tf.setBackend('wasm');
    cpu.forEach((e, i) => assertScaled(wasm[i], e, `gradient ${i}`, 1e-5));
  });

  it('does not leak tensors over repeated steps and leaves a caller-provided dy intact', async () => {
    await tf.setBackend('wasm');
    const x = randomTensor([2, 5, 6, 3], 3), w = randomTensor([3, 3, 3, 4], 4);
    const step = () => tf.dispose(tf.grads(f)([x, w]));
    step();
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, n0, 'tensor count grew');
    const dy = tf.onesLike(x);
    const g = tf.grad((v: tf.Tensor) => tf.relu(tf.add(v, tf.clone(v))))(x, dy);
    assert.ok(!dy.isDisposed, 'the caller\'s dy was disposed');
    assert.deepEqual(Array.from(dy.dataSync()).slice(0, 3), [1, 1, 1]);
    tf.dispose([x, w, dy, g]);
  });

  it('holds fewer buffers at the end of a backward pass (counted by the backend, shared buffers once)', async () => {
    await tf.setBackend('wasm');
    const x = randomTensor([4, 16, 16, 8], 5);
    let buffersAtEnd = 0;
    // An identity whose gradient runs last and counts the backend's live buffers at that moment.
    const probe = tf.customGrad(((v: tf.Tensor) => ({
      value: tf.clone(v),
      gradFunc: (dy: tf.Tensor) => {
        buffersAtEnd = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
        return [tf.clone(dy)];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const deep = (v: tf.Tensor) => {
      let h = probe(v) as tf.Tensor;
      for (let i = 0; i < 12; i++) h = tf.relu(tf.add(tf.mul(h, 0.9), 0.01));
      return tf.sum(h);
    };
    const count = (on: boolean) => {
      const old = setEagerBackpropEnabled(on);
      try {
        tf.dispose(tf.grad(deep)(x));
        return buffersAtEnd;
      } finally {
        setEagerBackpropEnabled(old);
      }
    };
    const off = count(false), on = count(true);
    // 12 layers × 3 ops: without early disposal their ~24 distinct gradient buffers are all alive at the end.
    assert.ok(off - on >= 15, `live buffers at the end of backprop: ${on} with early disposal vs ${off} without`);
    x.dispose();
  });
});
