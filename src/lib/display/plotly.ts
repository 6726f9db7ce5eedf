/**
 * Plotly figures in notebooks: one multi-MIME output per plot.
 *
 * plotly.js cannot run inside Node (it needs a DOM), so the kernel only builds the figure JSON;
 * JupyterLab renders `application/vnd.plotly.v1+json` itself, exported HTML and the classic
 * notebook run the `text/html` script (after `setupPlots` inlined plotly.js), terminals show
 * `text/plain`.
 */
import * as fs from 'fs';
import { escapeHtml, jsonForScript, MimeBundle, sendBundle, inTslabKernel } from './kernel';
import { setupPlots, standalonePage } from './libraries';
import { ChartOptions, checkSize, newPlotId } from './plot-options';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** A plotly figure: traces plus layout (see https://plotly.com/javascript/reference/). */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Returns a copy of `figure.layout` with the title, axis titles, legend and size of `opts` applied. */
export function applyChartOptions(figure: PlotlyFigure, opts: ChartOptions): Record<string, unknown> {
  checkSize('width', opts.width);
  checkSize('height', opts.height);
  const layout: Record<string, unknown> = { ...(figure.layout ?? {}) };
  if (opts.title !== undefined) layout.title = { text: opts.title };
  if (opts.xTitle !== undefined) layout.xaxis = { ...((layout.xaxis as object) ?? {}), title: { text: opts.xTitle } };
  if (opts.yTitle !== undefined) layout.yaxis = { ...((layout.yaxis as object) ?? {}), title: { text: opts.yTitle } };
  if (opts.showLegend !== undefined) layout.showlegend = opts.showLegend;
  if (opts.width !== undefined) layout.width = opts.width;
  if (opts.height !== undefined) layout.height = opts.height;
  return layout;
}

/** Title of a figure for text fallbacks and error messages ("untitled" when none). */
function figureTitle(layout: Record<string, unknown>): string {
  const title = layout.title as { text?: unknown } | string | undefined;
  if (typeof title === 'string') return title;
  if (title !== undefined && typeof title.text === 'string') return title.text;
  return 'untitled';
}

/** One-line text description of a figure, used as text/plain and outside notebooks. */
function plotlyText(figure: PlotlyFigure, layout: Record<string, unknown>): string {
  const names = figure.data.map((trace, i) => (typeof trace.name === 'string' ? trace.name : `trace ${i + 1}`));
  return `[plotly] ${figureTitle(layout)}: ${figure.data.length} trace(s) (${names.join(', ')})`;
}

/** Returns the div + script that draws the figure once plotly.js is loaded in the page. */
function plotlyHtml(id: string, figure: PlotlyFigure, layout: Record<string, unknown>): string {
  const height = typeof layout.height === 'number' ? layout.height : 450;
  const config = { responsive: true, displaylogo: false, ...(figure.config ?? {}) };
  return (
    `<div class="cn-plot" data-kind="plotly" data-title="${escapeHtml(figureTitle(layout))}">` +
    `<div id="${id}" style="width:100%;min-height:${height}px"></div></div>` +
    `<script>(function(){var el=document.getElementById(${JSON.stringify(id)});` +
    'if(!window.Plotly){el.textContent="plotly.js is not loaded in this page: run setupPlots({force: true}) from compact-nets display helpers";return;}' +
    `window.Plotly.newPlot(el,${jsonForScript(figure.data)},${jsonForScript(layout)},${jsonForScript(config)});})();</script>`
  );
}

/** Builds the MIME bundle (vendor JSON, HTML with script, plain text) for a figure; pure. */
export function plotlyBundle(figure: PlotlyFigure, opts: ChartOptions = {}): MimeBundle {
  if (figure === null || typeof figure !== 'object' || !Array.isArray(figure.data)) {
    throw new Error('plotly(figure): figure.data must be an array of traces, e.g. {data: [{x: [1, 2], y: [3, 4]}]}');
  }
  const layout = applyChartOptions(figure, opts);
  return {
    [PLOTLY_MIME]: { data: figure.data, layout, config: figure.config ?? {} },
    'text/html': plotlyHtml(newPlotId(), figure, layout),
    'text/plain': plotlyText(figure, layout),
  };
}

/**
 * Shows a plotly figure in the notebook (inlining plotly.js on first use). Outside a notebook it
 * prints a one-line description and, with `opts.htmlFile`, writes an offline HTML page.
 */
export function plotly(figure: PlotlyFigure, opts: ChartOptions = {}): void {
  const bundle = plotlyBundle(figure, opts);
  if (inTslabKernel()) {
    setupPlots({ libraries: ['plotly'] });
    sendBundle(bundle);
    return;
  }
  console.log(bundle['text/plain']);
  if (opts.htmlFile !== undefined) {
    const title = figureTitle(applyChartOptions(figure, opts));
    fs.writeFileSync(opts.htmlFile, standalonePage(title, bundle['text/html'] as string, ['plotly']));
    console.log(`[plotly] written to ${opts.htmlFile}`);
  }
}

/** One line of a line chart: y values (and x, default 0..n-1) under a legend name. */
export interface LineSeries {
  name: string;
  y: number[];
  x?: number[];
}

/** Builds a plotly line-chart figure from named series; x and y lengths must match. */
export function lineFigure(series: LineSeries[], opts: ChartOptions = {}): PlotlyFigure {
  if (!Array.isArray(series) || series.length === 0) {
    throw new Error('lineFigure(series): need at least one series, e.g. [{name: "loss", y: [2.3, 1.9]}]');
  }
  const data = series.map((s) => {
    if (s.x !== undefined && s.x.length !== s.y.length) {
      throw new Error(`line series "${s.name}": x has ${s.x.length} values but y has ${s.y.length}; give equal lengths`);
    }
    return { type: 'scatter', mode: 'lines', name: s.name, x: s.x ?? s.y.map((_, i) => i), y: s.y };
  });
  return { data, layout: { showlegend: series.length > 1 || opts.showLegend === true } };
}

/** Shows a line chart of the named series with title, axis titles (with units) and legend. */
export function lineChart(series: LineSeries[], opts: ChartOptions = {}): void {
  plotly(lineFigure(series, opts), opts);
}
