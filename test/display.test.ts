/** Display helpers: MIME bundles, escaping, vega-lite → SVG in Node, tables, and fallbacks outside a kernel. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  htmlTable,
  inTslabKernel,
  libraryHtml,
  lineFigure,
  markdown,
  plotly,
  plotlyBundle,
  PLOTLY_MIME,
  renderVegaLiteSvg,
  setupPlots,
  tableHtml,
  tableText,
  vegaLiteBundle,
  VEGALITE_MIME,
} from '../src/lib/display';
import { jsonForScript } from '../src/lib/display/kernel';

/** Runs fn with console.log captured; returns the logged lines. */
function captureLog(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines;
}

/** The JSON arguments of the single Plotly.newPlot call in a plot's HTML. */
function newPlotScript(html: string): string {
  const match = /<script>([\s\S]*)<\/script>$/.exec(html);
  assert.ok(match, 'the HTML ends with one script');
  return match[1];
}

describe('display: plotly bundle', () => {
  const figure = lineFigure([{ name: 'loss </script><b>', y: [3, 2, 1] }, { name: 'acc', x: [10, 20, 30], y: [0.1, 0.5, 0.9] }], {});
  const bundle = plotlyBundle(figure, { title: 'Loss & accuracy', xTitle: 'step', yTitle: 'loss (nats)', height: 300 });

  it('carries vendor JSON, HTML and text in one bundle', () => {
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    const vendor = bundle[PLOTLY_MIME] as { data: Array<{ x: number[]; name: string }>; layout: Record<string, any> };
    assert.equal(vendor.layout.title.text, 'Loss & accuracy');
    assert.equal(vendor.layout.xaxis.title.text, 'step');
    assert.equal(vendor.layout.yaxis.title.text, 'loss (nats)');
    assert.equal(vendor.layout.showlegend, true);
    assert.equal(vendor.layout.height, 300);
    assert.deepEqual(vendor.data[0].x, [0, 1, 2], 'x defaults to 0..n-1');
    assert.equal(bundle['text/plain'], '[plotly] Loss & accuracy: 2 trace(s) (loss </script><b>, acc)');
  });

  it('embeds the figure in a script that cannot be closed early, with an escaped title attribute', () => {
    const html = bundle['text/html'] as string;
    assert.match(html, /^<div class="cn-plot" data-kind="plotly" data-title="Loss &amp; accuracy">/);
    const script = newPlotScript(html);
    assert.doesNotMatch(script, /<\/script/i);
    assert.match(script, /window\.Plotly\.newPlot\(el,/);
  });

  it('jsonForScript round-trips through JSON.parse and contains no < or >', () => {
    const value = { s: '</script><!-- \u2028 x', n: [1, 2.5] };
    const text = jsonForScript(value);
    assert.doesNotMatch(text, /[<>]/);
    assert.deepEqual(JSON.parse(text), value);
  });

  it('rejects bad figures and series with messages naming the problem', () => {
    assert.throws(() => plotlyBundle({} as never), /figure\.data must be an array of traces/);
    assert.throws(() => lineFigure([]), /need at least one series/);
    assert.throws(() => lineFigure([{ name: 'a', x: [1, 2], y: [1] }]), /series "a": x has 2 values but y has 1/);
    assert.throws(() => plotlyBundle(figure, { width: -5 }), /width must be a positive number of pixels, got -5/);
  });

  it('gives every plot its own element id', () => {
    const id = (html: unknown) => /id="(cn-plot-[0-9a-f]+)"/.exec(html as string)![1];
    assert.notEqual(id(plotlyBundle(figure)['text/html']), id(plotlyBundle(figure)['text/html']));
  });
});

describe('display: vega-lite', () => {
  const spec = {
    data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 5 }] },
    mark: 'point',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  };

  it('adds schema, title, axis titles and size to a copy of the spec', () => {
    const bundle = vegaLiteBundle(spec, { title: 'T', xTitle: 'MACs (M)', yTitle: 'top-1 (%)', width: 200 });
    const full = bundle[VEGALITE_MIME] as Record<string, any>;
    assert.equal(full.$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
    assert.equal(full.title, 'T');
    assert.equal(full.width, 200);
    assert.equal(full.encoding.x.title, 'MACs (M)');
    assert.equal(full.encoding.y.title, 'top-1 (%)');
    assert.equal((spec.encoding.x as Record<string, unknown>).title, undefined, 'the caller\'s spec is not modified');
    assert.match(bundle['text/html'] as string, /window\.vegaEmbed\(el,.*\{renderer:"svg",actions:false\}/);
  });

  it('refuses axis titles for a spec without encoding', () => {
    assert.throws(() => vegaLiteBundle({ layer: [] }, { xTitle: 'x' }), /need spec\.encoding/);
  });

  it('renders to an SVG string in Node with one mark per data point and the title', async () => {
    const svg = await renderVegaLiteSvg(spec, { title: 'Three points' });
    assert.match(svg, /^<svg[^>]*class="marks"/);
    assert.match(svg, /Three points/);
    // vega draws point marks as <path> elements inside the mark-symbol group.
    const group = /<g class="mark-symbol[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg);
    assert.ok(group, 'has a symbol mark group');
    assert.equal((group[1].match(/<path /g) ?? []).length, 3);
  });
});

describe('display: tables', () => {
  const rows = [
    { model: 'MobileNet <v2>', params: 3504872, top1Percent: 71.88 },
    { model: 'SqueezeNet', params: 1248424, top1Percent: 58.1 },
  ];
  it('formats a text table with aligned columns, titles and digits', () => {
    const text = tableText(rows, ['model', { key: 'params', title: 'Params' }, { key: 'top1Percent', title: 'Top-1 (%)', digits: 1 }]);
    assert.equal(text, ['model           Params   Top-1 (%)', 'MobileNet <v2>  3504872  71.9', 'SqueezeNet      1248424  58.1'].join('\n'));
  });
  it('escapes HTML and right-aligns numbers', () => {
    const html = tableHtml(rows);
    assert.match(html, /<td>MobileNet &lt;v2&gt;<\/td><td style="text-align:right">3504872<\/td><td style="text-align:right">71.88<\/td>/);
    assert.match(html, /<th>model<\/th><th>params<\/th><th>top1Percent<\/th>/);
  });
  it('rejects bad digits', () => {
    assert.throws(() => tableText(rows, [{ key: 'top1Percent', digits: 1.5 }]), /column "top1Percent": digits must be an integer in 0\.\.20, got 1\.5/);
  });
});

describe('display: outside a notebook', () => {
  it('knows it is not in a tslab kernel and sends nothing', () => {
    assert.equal(inTslabKernel(), false);
    assert.deepEqual(setupPlots(), []);
  });
  it('plots, tables and markdown print text fallbacks instead of crashing', () => {
    const lines = captureLog(() => {
      plotly({ data: [{ y: [1, 2], name: 'a' }] }, { title: 'Fallback' });
      htmlTable([{ a: 1 }]);
      markdown('**hi**');
    });
    assert.deepEqual(lines, ['[plotly] Fallback: 1 trace(s) (a)', 'a\n1', '**hi**']);
  });
  it('writes a standalone offline page with plotly.js inlined when htmlFile is given', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cn-display-')), 'plot.html');
    captureLog(() => plotly({ data: [{ y: [1, 2] }] }, { title: 'Saved', htmlFile: file }));
    const page = fs.readFileSync(file, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.length > 1_000_000, 'plotly.js (several MB) is inlined');
    assert.match(page, /window\.define = undefined/);
    assert.match(page, /data-title="Saved"/);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
  it('library HTML hides AMD while the bundles load and keeps vega load order', () => {
    const html = libraryHtml('vega');
    const order = ['window.define = undefined', 'vega-lite', 'window.define = window.__cnSavedDefine'].map((s) => html.indexOf(s));
    assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `order ${order}`);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 5, 'hide + 3 bundles + restore, no early </script>');
  });
});
