/**
 * tools/check_plots.js on block diagrams, without a kernel: an executed notebook written here with one diagram output
 * (the library's own bundle) and a page holding its text/html, checked in headless Chromium. A diagram that is drawn
 * passes; one whose SVG was stripped, whose coordinates are NaN or which lost a node fails, naming the diagram.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blockDiagramContent, blockDiagramsBundle } from '../src/lessons/diagrams';
import { useBackend } from './support/backend';
import { REPO_ROOT } from './support/paths';

/** Writes `<name>.ipynb` (one output: `bundle`) and `<name>.html` (the page with `html` as the output) into `dir`. */
function writePair(dir: string, name: string, bundle: Record<string, unknown>, html: string): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: {},
    cells: [{ cell_type: 'code', source: 'blockDiagram("fire")', metadata: {}, execution_count: 1, outputs: [{ output_type: 'display_data', data: bundle, metadata: {} }] }],
  };
  fs.writeFileSync(path.join(dir, `${name}.ipynb`), JSON.stringify(nb));
  const file = path.join(dir, `${name}.html`);
  fs.writeFileSync(file, `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div class="output_html">${html}</div></body></html>`);
  return file;
}

function checkPlots(file: string): { status: number | null; stdout: string } {
  const r = spawnSync('node', ['tools/check_plots.js', file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout + r.stderr };
}

describe('plot check on block diagrams (headless Chromium)', function () {
  this.timeout(180_000);
  useBackend('cpu');
  let dir: string;
  let bundle: Record<string, unknown>;
  let html: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-diagram-check-'));
    bundle = blockDiagramsBundle([blockDiagramContent('fire'), blockDiagramContent('inverted-residual')]);
    html = String(bundle['text/html']);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts both declared diagrams as rendered', () => {
    const r = checkPlots(writePair(dir, 'good', bundle, html));
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /PLOTS OK .*good\.html {2}2\/2 rendered/);
  });

  it('fails a diagram whose SVG contents were stripped (what nbconvert does to image/svg+xml)', () => {
    const stripped = html.replace(/(<svg\b[^>]*>)[\s\S]*?<\/svg>/, '$1</svg>');
    const r = checkPlots(writePair(dir, 'stripped', bundle, stripped));
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /1\/2 rendered\n {2}diagram plot "Fire module \(SqueezeNet\)" did not render \(0 nodes and 0 arrows in the page, 6 and 6 declared\)/);
  });

  it('fails a diagram with NaN coordinates (Chromium draws them at 0: piled-up nodes)', () => {
    // Every coordinate of the second diagram's node outlines and labels becomes NaN, as a layout bug would make them.
    const at = html.indexOf('data-title="Inverted residual');
    const broken = html.slice(0, at) + html.slice(at).replace(/ (x|y|cx|cy|width|height|r)="[-\d.]+"/g, (m, a) => (a === 'width' || a === 'height' ? m : ` ${a}="NaN"`)).replace(/points="[^"]*"/g, 'points="NaN,NaN"');
    const r = checkPlots(writePair(dir, 'nan', bundle, broken));
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /diagram plot "Inverted residual with linear bottleneck \(MobileNet V2\)" did not render \(\d+ pair\(s\) of nodes overlap\)/);
  });

  it('fails a diagram that lost a node, and one that is missing altogether', () => {
    const lost = html.replace(/<g class="cn-node"[\s\S]*?<\/g>/, '');
    const r = checkPlots(writePair(dir, 'lost', bundle, lost));
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /"Fire module \(SqueezeNet\)" did not render \(5 nodes and 6 arrows in the page, 6 and 6 declared\)/);
    const missing = html.replace(/<div class="cn-plot" data-kind="diagram" data-title="Inverted[\s\S]*$/, '');
    const r2 = checkPlots(writePair(dir, 'missing', bundle, missing));
    assert.equal(r2.status, 1, r2.stdout);
    assert.match(r2.stdout, /the notebook declares 2 plot output\(s\) but the HTML has 1 plot container\(s\)/);
  });
});
