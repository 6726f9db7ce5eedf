/** runPlan: one forward pass of a compiled plan — the input copied into the arena, one native call per step. */
import type { Plan } from './compile';

/** Logits (a new Float32Array of the plan's output size, e.g. [batch·classes]) for input x: [batch, H, W, C] NHWC floats. */
export function runPlan(plan: Plan, x: Float32Array): Float32Array {
  if (!(x instanceof Float32Array) || x.length !== plan.input.length) {
    throw new RangeError(`runPlan: the input must be a Float32Array of ${plan.input.length} floats ([${plan.inputShape.join(', ')}] NHWC), got ${x instanceof Float32Array ? `${x.length} floats` : typeof x}; compile the plan for this batch size`);
  }
  plan.input.set(x);
  for (const call of plan.calls) call();
  return plan.output.slice();
}
