/**
 * Contract between custom layers and the cost counter (`src/lib/cost.ts`).
 *
 * Parameters are counted generically from a layer's weights; only multiply-accumulates and
 * memory traffic depend on what a layer computes, so a custom layer that does arithmetic
 * declares them by implementing this interface.
 */
export interface CostAware {
  /** Multiply-accumulates for one image, given the layer's input shape(s) without the batch axis (NHWC → [H, W, C]). */
  macs(inputShapes: number[][]): number;
}

/** True when `layer` implements {@link CostAware}. */
export function isCostAware(layer: unknown): layer is CostAware {
  return typeof (layer as { macs?: unknown })?.macs === 'function';
}
