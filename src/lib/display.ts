/**
 * Display helpers for notebooks (tslab kernel): plots, tables and markdown that render in
 * JupyterLab, the classic notebook and exported HTML, with text fallbacks outside notebooks.
 * Use from a cell: `import { lineChart, htmlTable } from "./dist/src/lib/display";`
 */
export { inTslabKernel, sendBundle, newUpdatableDisplay, escapeHtml } from './display/kernel';
export type { MimeBundle, UpdatableDisplay } from './display/kernel';
export { setupPlots, libraryHtml } from './display/libraries';
export type { PlotLibrary } from './display/libraries';
export type { ChartOptions } from './display/plot-options';
export { plotly, plotlyBundle, lineChart, lineFigure, PLOTLY_MIME } from './display/plotly';
export type { PlotlyFigure, LineSeries } from './display/plotly';
export { vegaLite, vegaLiteBundle, vegaLiteSvg, renderVegaLiteSvg, VEGALITE_MIME } from './display/vega';
export type { VegaLiteSpec } from './display/vega';
export { htmlTable, tableHtml, tableText, markdown } from './display/tables';
export type { TableColumn } from './display/tables';
