/**
 * Display helpers for notebooks (tslab kernel): plots, tables and markdown that render in
 * JupyterLab, the classic notebook and exported HTML, with text fallbacks outside notebooks.
 */
export { inTslabKernel, sendBundle, newUpdatableDisplay, escapeHtml } from './kernel';
export type { MimeBundle, UpdatableDisplay } from './kernel';
export { setupPlots, libraryHtml } from './libraries';
export type { PlotLibrary } from './libraries';
export type { ChartOptions } from './plot-options';
export { plotly, plotlyBundle, lineChart, lineFigure, PLOTLY_MIME } from './plotly';
export type { PlotlyFigure, LineSeries } from './plotly';
export { vegaLite, vegaLiteBundle, vegaLiteSvg, renderVegaLiteSvg, VEGALITE_MIME } from './vega';
export type { VegaLiteSpec } from './vega';
export { htmlTable, tableHtml, tableText, markdown } from './tables';
export type { TableColumn } from './tables';
export { learningCurves, learningCurvesFigure, lrFinderChart, lrFinderFigure, meanBand } from './learning-curves';
export type { CurveGroup, CurvePoint, LrFinderCurve } from './learning-curves';
