/**
 * Progress reporting for long work (training, evaluation, benchmarks).
 *
 * One interface, several renderers: an in-place bar in a notebook (tslab's updatable display),
 * a single redrawn line on a terminal, and plain periodic lines when output is not a TTY.
 * CONTRACT (shared by train/eval/bench code): create with `createProgress`, call `update`
 * as often as you like (renderers throttle), and `done` once.
 */

/** A snapshot of long-running work. */
export interface ProgressState {
  /** Units finished so far (steps, images, batches). */
  step: number;
  /** Units in all; omit when unknown. */
  total?: number;
  /** Current epoch (1-based) and number of epochs, for training. */
  epoch?: number;
  epochs?: number;
  /** Named running metrics shown after the bar, e.g. {loss: 1.23, acc: 0.41}. */
  metrics?: Record<string, number>;
  /** Throughput in images per second, when known. */
  imagesPerSec?: number;
}

export interface ProgressReporter {
  /** Redraws the bar with the given state (throttled by the renderer). */
  update(state: ProgressState): void;
  /** Draws the final state and releases the display; `summary` is printed after the bar. */
  done(summary?: string): void;
}

export type ProgressMode = 'auto' | 'notebook' | 'text' | 'silent';

export interface ProgressOptions {
  /** Shown before the bar, e.g. "train mobilenet_v2". */
  title?: string;
  /** 'auto' picks the notebook bar inside a tslab kernel and text elsewhere. */
  mode?: ProgressMode;
}
