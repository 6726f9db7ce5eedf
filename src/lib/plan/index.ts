/**
 * Inference plans (issue #18, part 1): a trained LayersModel compiled into a list of native kernel calls over one
 * arena — BatchNorm folded, activations and residual adds fused into convolution epilogues, memory planned by
 * liveness. The tfjs path (model.predict) stays the oracle, the training path and the fallback for refused models.
 */
export { compilePlan, planAddon } from './compile';
export type { Plan, PlanOptions, PlanStepInfo } from './compile';
export { runPlan } from './run';
export { planLatency, PLAN_RUNTIME_LABEL } from './latency';
export { PlanUnavailableError, PlanUnsupportedError } from './errors';
export { PLAN_LAYER_CLASSES } from './lower';
