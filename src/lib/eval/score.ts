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
  n = 0;
  top1 = 0;
  top5 = 0;
  /** Adds one image from its logits (length = classes) and its label index into those logits. */
  add(logits: ArrayLike<number>, label: number): void {
    const rank = rankOf(logits, label);
    this.n++;
    if (rank < 1) this.top1++;
    if (rank < 5) this.top5++;
  }
  /** Top-1 and top-5 accuracy in percent (NaN before the first image). */
  percent(): { top1: number; top5: number } {
    return { top1: (100 * this.top1) / this.n, top5: (100 * this.top5) / this.n };
  }
}
