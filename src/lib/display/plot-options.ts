/** Options shared by every chart helper: titles with units, legend, size, and the non-notebook fallback. */
import * as crypto from 'crypto';

export interface ChartOptions {
  /** Chart title shown above the plot. */
  title?: string;
  /** x-axis title; include the unit, e.g. "step" or "MACs (M)". */
  xTitle?: string;
  /** y-axis title; include the unit, e.g. "loss (cross-entropy, nats)". */
  yTitle?: string;
  /** Show the legend (plotly default: shown when there are 2+ traces). */
  showLegend?: boolean;
  /** Plot width and height in CSS pixels (width defaults to the output area's width). */
  width?: number;
  height?: number;
  /** Outside a notebook: also write a standalone offline HTML page to this path. */
  htmlFile?: string;
}

/** Rejects a non-positive or non-finite size with a message naming the option. */
export function checkSize(name: 'width' | 'height', value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`chart option ${name} must be a positive number of pixels, got ${value}`);
  }
}

/** Returns a fresh element id for a plot container (unique across kernels writing to one page). */
export function newPlotId(): string {
  return `cn-plot-${crypto.randomBytes(6).toString('hex')}`;
}
