/**
 * vega-lite charts in notebooks: the interactive bundle (`vegaLite`) and a static SVG rendered in
 * Node (`vegaLiteSvg`, no page JavaScript needed).
 *
 * Specs are typed loosely on purpose: notebook cells compile with tslab's TypeScript 5.0, and the
 * full vega-lite types are not needed to pass a spec through.
 */
import * as fs from 'fs';
import { escapeHtml, inTslabKernel, jsonForScript, MimeBundle, sendBundle } from './kernel';
import { setupPlots, standalonePage } from './libraries';
import { ChartOptions, checkSize, newPlotId } from './plot-options';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';
const VEGALITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** A vega-lite v5 specification (https://vega.github.io/vega-lite/docs/). */
export type VegaLiteSpec = Record<string, unknown>;

/** Returns a copy of `spec` with schema, title, axis titles, size and legend of `opts` applied. */
export function applyVegaOptions(spec: VegaLiteSpec, opts: ChartOptions): VegaLiteSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new Error('vegaLite(spec): spec must be a vega-lite object, e.g. {data: {values: [...]}, mark: "line", encoding: {...}}');
  }
  checkSize('width', opts.width);
  checkSize('height', opts.height);
  const out: VegaLiteSpec = { $schema: VEGALITE_SCHEMA, ...spec };
  if (opts.title !== undefined) out.title = opts.title;
  if (opts.width !== undefined) out.width = opts.width;
  if (opts.height !== undefined) out.height = opts.height;
  const encoding = spec.encoding as Record<string, Record<string, unknown>> | undefined;
  if (opts.xTitle !== undefined || opts.yTitle !== undefined || opts.showLegend !== undefined) {
    if (encoding === undefined) {
      throw new Error('vegaLite options xTitle/yTitle/showLegend need spec.encoding; set titles inside a layered/concatenated spec instead');
    }
    const enc: Record<string, Record<string, unknown>> = { ...encoding };
    if (opts.xTitle !== undefined) enc.x = { ...(enc.x ?? {}), title: opts.xTitle };
    if (opts.yTitle !== undefined) enc.y = { ...(enc.y ?? {}), title: opts.yTitle };
    if (opts.showLegend === false) {
      for (const channel of ['color', 'shape', 'size', 'opacity', 'strokeDash']) {
        if (enc[channel] !== undefined) enc[channel] = { ...enc[channel], legend: null };
      }
    }
    out.encoding = enc;
  }
  return out;
}

/** Title of a spec for fallbacks ("untitled" when none). */
function specTitle(spec: VegaLiteSpec): string {
  const title = spec.title as { text?: unknown } | string | undefined;
  if (typeof title === 'string') return title;
  if (title !== undefined && typeof title === 'object' && typeof title.text === 'string') return title.text;
  return 'untitled';
}

/** Returns the container + vega-embed script (SVG renderer, so rendered charts are `svg.marks`). */
function vegaHtml(id: string, spec: VegaLiteSpec): string {
  return (
    `<div class="cn-plot" data-kind="vega" data-title="${escapeHtml(specTitle(spec))}"><div id="${id}"></div></div>` +
    `<script>(function(){var el=document.getElementById(${JSON.stringify(id)});` +
    'if(!window.vegaEmbed){el.textContent="vega-embed is not loaded in this page: run setupPlots({force: true}) from compact-nets display helpers";return;}' +
    `window.vegaEmbed(el,${jsonForScript(spec)},{renderer:"svg",actions:false}).catch(function(e){el.textContent="vega-embed failed: "+e;});})();</script>`
  );
}

/** Builds the MIME bundle (vendor JSON, HTML with script, plain text) for a vega-lite spec; pure. */
export function vegaLiteBundle(spec: VegaLiteSpec, opts: ChartOptions = {}): MimeBundle {
  const full = applyVegaOptions(spec, opts);
  return {
    [VEGALITE_MIME]: full,
    'text/html': vegaHtml(newPlotId(), full),
    'text/plain': `[vega-lite] ${specTitle(full)}`,
  };
}

/** Sends a bundle to the notebook, or prints its text (and writes `htmlFile`) outside one. */
function show(bundle: MimeBundle, opts: ChartOptions, libraries: Array<'vega'>): void {
  if (inTslabKernel()) {
    if (libraries.length > 0) setupPlots({ libraries });
    sendBundle(bundle);
    return;
  }
  console.log(bundle['text/plain']);
  if (opts.htmlFile !== undefined) {
    fs.writeFileSync(opts.htmlFile, standalonePage(String(bundle['text/plain']), bundle['text/html'] as string, libraries));
    console.log(`[vega-lite] written to ${opts.htmlFile}`);
  }
}

/** Shows an interactive vega-lite chart (inlining vega on first use); text fallback outside notebooks. */
export function vegaLite(spec: VegaLiteSpec, opts: ChartOptions = {}): void {
  show(vegaLiteBundle(spec, opts), opts, ['vega']);
}

/** Renders a vega-lite spec to an SVG string in Node (vega View with the 'none' renderer). */
export async function renderVegaLiteSvg(spec: VegaLiteSpec, opts: ChartOptions = {}): Promise<string> {
  // Loaded lazily: vega is large and only needed when a static chart is requested.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vegaLiteLib = require('vega-lite') as { compile(spec: unknown): { spec: unknown } };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vegaLib = require('vega') as {
    parse(spec: unknown): unknown;
    View: new (runtime: unknown, options: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
  };
  const full = applyVegaOptions(spec, opts);
  const view = new vegaLib.View(vegaLib.parse(vegaLiteLib.compile(full).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Shows a vega-lite chart as a static SVG rendered in Node (works in any HTML viewer, no scripts). */
export async function vegaLiteSvg(spec: VegaLiteSpec, opts: ChartOptions = {}): Promise<void> {
  const full = applyVegaOptions(spec, opts);
  const svg = await renderVegaLiteSvg(full);
  show(
    {
      [VEGALITE_MIME]: full,
      'text/html': `<div class="cn-plot" data-kind="vega" data-title="${escapeHtml(specTitle(full))}">${svg}</div>`,
      'text/plain': `[vega-lite] ${specTitle(full)}`,
    },
    opts,
    [],
  );
}
