/** Why a model has no inference plan: a layer the plan cannot express, or no native addon to run it on. */
import { InvalidArgumentError } from '../errors';

/**
 * The model holds a layer (or a form of one) that the inference plan cannot express; the message names the layer
 * class, the layer and the fix. Callers fall back to the tfjs path (model.predict), which runs every layer.
 */
export class PlanUnsupportedError extends InvalidArgumentError {
  constructor(readonly layerClass: string, readonly layerName: string, what: string) {
    super(`inference plan: layer "${layerName}" (${layerClass}) ${what}; run this model on the tfjs path (model.predict) instead`);
    this.name = 'PlanUnsupportedError';
  }
}

/** The native addon the plan runs on is not loaded (or is older than the plan's kernels); the message says why. */
export class PlanUnavailableError extends Error {
  constructor(reason: string) {
    super(`inference plan: the native addon is not available (${reason}); the plan runs only on it — use the tfjs path (model.predict), or build the addon with \`npm run build\` and leave COMPACT_NETS_NATIVE unset`);
    this.name = 'PlanUnavailableError';
  }
}
