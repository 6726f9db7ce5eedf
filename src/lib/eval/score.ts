/** Top-k accuracy bookkeeping for classifier evaluation. */

/** Rank of `label` in `logits` (0 = highest); ties count against the label (a stricter, deterministic rule). */
export function rankOf(logits: ArrayLike<number>, label: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= logits.length) {
    throw new Error(`label ${label} is outside the ${logits.length} classifier outputs`);
  }
  const target = logits[label];
  let rank = 0;
  for (let i = 0; i < logits.length; i++) if (i !== label && logits[i] >= target) rank++;
  return rank;
}

/** Running top-1 / top-5 counts. */
export class TopKCounter {
  /** Images counted. */
  n = 0;
  /** Images whose label ranked first. */
  top1Hits = 0;
  /** Images whose label ranked among the first five. */
  top5Hits = 0;
  /** Adds one image from its logits (length = classes) and its label index into those logits. */
  add(logits: ArrayLike<number>, label: number): void {
    const rank = rankOf(logits, label);
    this.n++;
    if (rank < 1) this.top1Hits++;
    if (rank < 5) this.top5Hits++;
  }
  /** Top-1 and top-5 accuracy as fractions in [0, 1] (NaN before the first image). */
  accuracy(): { top1: number; top5: number } {
    return { top1: this.top1Hits / this.n, top5: this.top5Hits / this.n };
  }
}
