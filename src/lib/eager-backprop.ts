/**
 * Frees each intermediate gradient as soon as backpropagation has consumed it.
 * tfjs-core's backprop keeps the gradient of every tape node's outputs alive until the whole gradient computation ends,
 * so peak memory holds all activations AND all their gradients (PyTorch frees each as it goes): our training runs
 * measured 1.3–2.7× PyTorch's peak resident memory. This wraps each tape node's gradient function (Engine.addTapeNode)
 * so that, once every input gradient of the node has been computed, the output gradients it consumed are disposed —
 * but only tensors that an earlier gradient thunk created (never the seed dy, a caller's tensor, or a gradient that
 * was passed through unchanged). Values are unchanged; only the time of disposal moves. Active on the wasm backend only
 * (the `cpu` backend stays tfjs-core's own path, as the test oracle).
 */
import * as tf from '@tensorflow/tfjs';

type Thunks = Record<string, () => tf.Tensor>;
interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: Array<tf.Tensor | null>) => Thunks;
}
interface EngineInternals {
  addTapeNode: (...args: unknown[]) => void;
  state: { activeTape: TapeNode[] | null };
}

/** Id the next tensor will get (a static counter on tfjs-core's Engine class). */
function nextTensorId(): number {
  return (tf.engine().constructor as unknown as { nextTensorId: number }).nextTensorId;
}

/** Tensors created by a gradient thunk: the only ones this module disposes. */
const created = new WeakSet<tf.Tensor>();
let installed = false;
let enabled = true;
let freed = 0;

/** Turns early disposal on or off (off = tfjs-core's behaviour; tests compare both); returns the previous value. */
export function setEagerBackpropEnabled(on: boolean): boolean {
  const old = enabled;
  enabled = on;
  return old;
}

/** How many intermediate gradients were disposed early so far (tests and profiles). */
export function earlyFreedGradients(): number {
  return freed;
}

/** Output gradients of the node processed last and the gradients its thunks returned (not disposed: passed through). */
interface Pending {
  dys: Array<tf.Tensor | null>;
  results: tf.Tensor[];
}
/** One entry per running Engine.gradients call (nested calls get their own, so an inner one never frees outer tensors). */
const contexts: Array<{ pending: Pending | null }> = [];

/**
 * Wraps Engine.addTapeNode and Engine.gradients once (idempotent). Backprop calls each tape node's gradient function,
 * then all of that node's input thunks, before it moves to the next node; so when node k's gradient function is called,
 * node k−1's output gradients have been consumed and can go. (Counting the thunks instead would not work: backprop
 * prunes inputs off the path — constants — from a copy of the node that this wrapper does not see.)
 */
export function installEagerBackprop(): void {
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals & { gradients: (...args: unknown[]) => unknown };
  // Another tfjs layout (no addTapeNode, no id counter): leave backprop as it is.
  if (typeof engine.addTapeNode !== 'function' || typeof engine.gradients !== 'function' || engine.state === undefined ||
    typeof nextTensorId() !== 'number') return;
  const originalAdd = engine.addTapeNode;
  engine.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    originalAdd.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape !== null && tape.length > 0 ? tape[tape.length - 1] : undefined;
    if (node?.gradient !== undefined) node.gradient = eager(node.gradient);
  } as EngineInternals['addTapeNode'];
  const originalGradients = engine.gradients;
  engine.gradients = function (this: unknown, ...args: unknown[]) {
    contexts.push({ pending: null });
    try {
      return originalGradients.apply(this, args);
    } finally {
      contexts.pop(); // what is still pending was disposed by the gradients tidy, or is the last node's: left alone
    }
  };
  installed = true;
}

/** Disposes the consumed output gradients that a gradient thunk created and that were not passed through unchanged. */
function flush(pending: Pending): void {
  for (const dy of pending.dys) {
    if (dy !== null && created.has(dy) && !dy.isDisposed && !pending.results.includes(dy)) {
      dy.dispose();
      freed++;
    }
  }
}

function eager(gradient: NonNullable<TapeNode['gradient']>): NonNullable<TapeNode['gradient']> {
  return (dys) => {
    const context = contexts[contexts.length - 1];
    if (!enabled || context === undefined || tf.getBackend() !== 'wasm') return gradient(dys);
    if (context.pending !== null) flush(context.pending);
    const pending: Pending = { dys: [...dys], results: [] };
    context.pending = pending;
    const thunks = gradient(dys);
    const wrapped: Thunks = {};
    for (const name of Object.keys(thunks)) {
      wrapped[name] = () => {
        const firstNewId = nextTensorId();
        const r = thunks[name]();
        if (r.id >= firstNewId) created.add(r);
        pending.results.push(r);
        return r;
      };
    }
    return wrapped;
  };
}
