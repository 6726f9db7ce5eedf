/**
 * Progress reporting for long work (training, evaluation, benchmarks).
 *
 * One interface, several renderers: an in-place bar in a notebook (tslab's updatable display),
 * a single redrawn line on a terminal, and plain periodic lines when output is not a TTY.
 * CONTRACT (shared by train/eval/bench code): create with `createProgress`, call `update`
 * as often as you like (renderers throttle), and `done` once.
 */
import { escapeHtml, inTslabKernel, newUpdatableDisplay, UpdatableDisplay } from './display/kernel';

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

/** Smallest time between two redraws, in milliseconds, per renderer (the notebook bar: at most 5 redraws/s). */
const REDRAW_INTERVAL_MS = { notebook: 200, tty: 100, lines: 10_000 } as const;
/** Characters in the text bar. */
const TEXT_BAR_WIDTH = 24;

/** Formats a duration in seconds as m:ss or h:mm:ss; '?' when unknown (undefined or infinite). */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || seconds === Infinity) return '?';
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`formatEta(seconds): seconds must be a finite number >= 0 (or undefined/Infinity for unknown), got ${seconds}`);
  }
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Estimated seconds left from a constant rate so far; undefined without a total or before the first step. */
export function estimateEtaSec(state: ProgressState, elapsedSec: number): number | undefined {
  if (state.total === undefined || state.step <= 0) return undefined;
  return (elapsedSec * Math.max(0, state.total - state.step)) / state.step;
}

/** Formats a metric value with 4 significant digits (integers as-is). */
function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** Rejects a malformed state with a message naming the field, so callers learn of bugs early. */
export function validateProgressState(state: ProgressState): void {
  if (!Number.isFinite(state.step) || state.step < 0) {
    throw new Error(`progress state: step must be a finite number >= 0, got ${state.step}`);
  }
  if (state.total !== undefined && (!Number.isFinite(state.total) || state.total <= 0)) {
    throw new Error(`progress state: total must be a finite number > 0 or omitted when unknown, got ${state.total}`);
  }
  if (state.total !== undefined && state.step > state.total) {
    throw new Error(`progress state: step ${state.step} exceeds total ${state.total}; fix the total or the step count`);
  }
  if (state.epoch !== undefined && state.epochs !== undefined && state.epoch > state.epochs) {
    throw new Error(`progress state: epoch ${state.epoch} exceeds epochs ${state.epochs}`);
  }
}

/** The parts of a progress line, shared by the text and HTML renderers. */
function progressParts(state: ProgressState, elapsedSec: number): { counts: string; fraction?: number; tail: string } {
  const epoch = state.epoch !== undefined ? `epoch ${state.epoch}${state.epochs !== undefined ? `/${state.epochs}` : ''} ` : '';
  const counts = `${epoch}${state.step}${state.total !== undefined ? `/${state.total}` : ''}`;
  const fraction = state.total !== undefined ? state.step / state.total : undefined;
  const tail: string[] = [];
  for (const [name, value] of Object.entries(state.metrics ?? {})) tail.push(`${name} ${formatMetric(value)}`);
  if (state.imagesPerSec !== undefined) tail.push(`${state.imagesPerSec.toFixed(1)} img/s`);
  tail.push(`elapsed ${formatEta(elapsedSec)}`);
  if (state.total !== undefined) tail.push(`ETA ${formatEta(estimateEtaSec(state, elapsedSec))}`);
  return { counts, fraction, tail: tail.join('  ') };
}

/**
 * Formats one plain-text progress line, e.g.
 * "train  epoch 1/2 30/100 [#######.................]  30%  loss 1.234  12.0 img/s  elapsed 0:03  ETA 0:07".
 */
export function formatProgressLine(state: ProgressState, elapsedSec: number, title?: string): string {
  validateProgressState(state);
  const { counts, fraction, tail } = progressParts(state, elapsedSec);
  let bar = '';
  if (fraction !== undefined) {
    const filled = Math.round(fraction * TEXT_BAR_WIDTH);
    bar = ` [${'#'.repeat(filled)}${'.'.repeat(TEXT_BAR_WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
  }
  return `${title !== undefined ? `${title}  ` : ''}${counts}${bar}  ${tail}`;
}

/** Formats the notebook bar as HTML (title, counts, a filled bar, metrics, throughput, ETA, summary). */
export function formatProgressHtml(state: ProgressState, elapsedSec: number, title?: string, summary?: string): string {
  validateProgressState(state);
  const { counts, fraction, tail } = progressParts(state, elapsedSec);
  const percent = fraction !== undefined ? Math.round(fraction * 100) : undefined;
  const bar =
    percent !== undefined
      ? `<span style="display:inline-block;width:240px;height:0.9em;border:1px solid #888;vertical-align:middle;margin:0 0.6em">` +
        `<span style="display:block;height:100%;width:${percent}%;background:#4a90d9"></span></span>${percent}%`
      : '';
  const heading = title !== undefined ? `<b>${escapeHtml(title)}</b> ` : '';
  const done = summary !== undefined ? `<div>${escapeHtml(summary)}</div>` : '';
  return `<div class="cn-progress" style="font-family:monospace">${heading}${escapeHtml(counts)}${bar} ${escapeHtml(tail)}${done}</div>`;
}

/** Where a reporter writes and how it tells time; injectable for tests. */
export interface ProgressSinks {
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
  /** Text output (default process.stdout.write). */
  write?: (text: string) => void;
  /** Whether text output is a terminal that understands '\r' (default process.stdout.isTTY). */
  isTTY?: boolean;
}

/** Resolves 'auto' to the notebook bar inside tslab and to text elsewhere. */
function resolveMode(mode: ProgressMode): Exclude<ProgressMode, 'auto'> {
  const valid: ProgressMode[] = ['auto', 'notebook', 'text', 'silent'];
  if (!valid.includes(mode)) throw new Error(`progress mode must be one of ${valid.join(', ')}, got "${mode}"`);
  if (mode === 'auto') return inTslabKernel() ? 'notebook' : 'text';
  if (mode === 'notebook' && !inTslabKernel()) {
    throw new Error("progress mode 'notebook' needs a tslab kernel; use mode 'auto' or 'text' outside notebooks");
  }
  return mode;
}

/**
 * Creates a progress reporter: an in-place HTML bar in a tslab notebook, a redrawn line on a
 * terminal, periodic plain lines in logs. `update` may be called every step (it throttles).
 */
export function createProgress(options: ProgressOptions = {}, sinks: ProgressSinks = {}): ProgressReporter {
  const mode = resolveMode(options.mode ?? 'auto');
  const now = sinks.now ?? (() => Date.now());
  const write = sinks.write ?? ((text: string) => void process.stdout.write(text));
  const isTTY = sinks.isTTY ?? process.stdout.isTTY === true;
  const title = options.title;
  const startMs = now();
  let lastDrawMs = -Infinity;
  let last: ProgressState | undefined;
  let finished = false;
  let display: UpdatableDisplay | null = null;
  let ttyLineLength = 0;

  const elapsedSec = (): number => Math.max(0, (now() - startMs) / 1000);
  const interval = mode === 'notebook' ? REDRAW_INTERVAL_MS.notebook : isTTY ? REDRAW_INTERVAL_MS.tty : REDRAW_INTERVAL_MS.lines;

  const draw = (state: ProgressState, summary?: string): void => {
    if (mode === 'silent') return;
    if (mode === 'notebook') {
      display = display ?? newUpdatableDisplay();
      const html = formatProgressHtml(state, elapsedSec(), title, summary);
      const text = formatProgressLine(state, elapsedSec(), title) + (summary !== undefined ? `\n${summary}` : '');
      display?.show({ 'text/html': html, 'text/plain': text });
      return;
    }
    const line = formatProgressLine(state, elapsedSec(), title);
    if (isTTY) {
      // Pad with spaces so a shorter line fully covers the previous one.
      write(`\r${line.padEnd(ttyLineLength)}`);
      ttyLineLength = line.length;
      if (summary !== undefined) write(`\n${summary}\n`);
      else if (finished) write('\n');
    } else {
      write(`${line}\n`);
      if (summary !== undefined) write(`${summary}\n`);
    }
  };

  return {
    update(state: ProgressState): void {
      if (finished) throw new Error(`progress "${title ?? ''}": update() after done(); create a new reporter for new work`);
      validateProgressState(state);
      last = { ...state, metrics: state.metrics !== undefined ? { ...state.metrics } : undefined };
      const t = now();
      if (t - lastDrawMs < interval) return;
      lastDrawMs = t;
      draw(last);
    },
    done(summary?: string): void {
      if (finished) throw new Error(`progress "${title ?? ''}": done() called twice`);
      finished = true;
      draw(last ?? { step: 0 }, summary);
    },
  };
}
