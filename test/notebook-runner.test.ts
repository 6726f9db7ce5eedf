/**
 * The headless notebook runner (tools/run_notebooks.py) and the plot checker (tools/check_plots.js),
 * exercised end to end on tiny temporary notebooks with the real tslab kernel and headless Chromium.
 */
import { strict as assert } from 'assert';
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './support/paths';

const PYTHON = '/usr/bin/python3';

interface Cell {
  cell_type: string;
  source: string;
  execution_count?: number | null;
  outputs?: Array<{ output_type: string; name?: string; text?: string; data?: Record<string, unknown> }>;
}

/** Writes a notebook of code cells using the project's kernel (or `kernel`). */
function writeNotebook(file: string, sources: string[], kernel = 'tslab'): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: { kernelspec: { name: kernel, display_name: 'TypeScript (compact-nets)', language: 'typescript' } },
    cells: sources.map((source) => ({ cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] })),
  };
  fs.writeFileSync(file, JSON.stringify(nb));
}

function runNotebooks(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(PYTHON, ['tools/run_notebooks.py', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
}

function checkPlots(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('node', ['tools/check_plots.js', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
}

function readCells(file: string): Cell[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells;
}

const text = (value: unknown): string => (Array.isArray(value) ? value.join('') : String(value));

const LINE_SPEC = `{ data: { values: [{ x: 1, y: 2 }, { x: 2, y: 1 }, { x: 3, y: 3 }] }, mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } }`;

describe('notebook runner and plot check (tslab kernel, headless Chromium)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-runner-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('a good notebook', () => {
    let result: SpawnSyncReturns<string>;
    let out: string;
    before(() => {
      out = path.join(dir, 'out-good');
      writeNotebook(path.join(dir, 'good.ipynb'), [
        'console.log("hello", 6 * 7, process.cwd() === ' + JSON.stringify(REPO_ROOT) + ', process.env.COMPACT_NETS_QUICK);',
        [
          'import { createProgress } from "./dist/src";',
          'const bar = createProgress({ title: "runner test" });',
          'for (let i = 1; i <= 5; i++) { bar.update({ step: i, total: 5, metrics: { loss: 1 / i } }); await new Promise((r) => setTimeout(r, 250)); }',
          'bar.done("finished");',
        ].join('\n'),
        [
          'import { lineChart, vegaLite, vegaLiteSvg } from "./dist/src";',
          'lineChart([{ name: "loss", y: [3, 2, 1] }], { title: "Runner plotly", xTitle: "step", yTitle: "loss (nats)" });',
          `vegaLite(${LINE_SPEC}, { title: "Runner vega" });`,
          `await vegaLiteSvg(${LINE_SPEC}, { title: "Runner vega svg" });`,
        ].join('\n'),
      ]);
      result = runNotebooks(['--quick', '--out', out, path.join(dir, 'good.ipynb')]);
    });

    it('passes, prints one summary line with the wall time, and leaves no temporary files', () => {
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^PASS \S*good\.ipynb {2}3 code cells {2}\d+\.\d s {2}-> /m);
      assert.deepEqual(fs.readdirSync(out).sort(), ['good.html', 'good.ipynb']);
    });

    it('saves outputs and execution counts; the kernel runs in the repository root in quick mode', () => {
      const cells = readCells(path.join(out, 'good.ipynb'));
      assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3]);
      assert.equal(text(cells[0].outputs![0].text), 'hello 42 true 1\n');
    });

    it('the notebook progress bar is ONE output updated in place, ending at the final state', () => {
      const outputs = readCells(path.join(out, 'good.ipynb'))[1].outputs!;
      assert.equal(outputs.length, 1, JSON.stringify(outputs).slice(0, 500));
      const plain = text(outputs[0].data!['text/plain']);
      assert.match(plain, /^runner test {2}5\/5 \[#{24}\] 100% {2}loss 0\.2000/);
      assert.match(plain, /finished$/);
      assert.match(text(outputs[0].data!['text/html']), /class="cn-progress"/);
    });

    it('the plot check finds all three plots rendered (plotly, vega-embed, static vega SVG)', () => {
      const check = checkPlots([path.join(out, 'good.html')]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /PLOTS OK .*good\.html {2}3\/3 rendered/);
    });

    it('the plot check names a plot that never renders', () => {
      const broken = path.join(dir, 'out-broken');
      fs.mkdirSync(broken);
      fs.copyFileSync(path.join(out, 'good.ipynb'), path.join(broken, 'broken.ipynb'));
      const html = fs.readFileSync(path.join(out, 'good.html'), 'utf8');
      assert.ok(html.includes('window.Plotly.newPlot(el,'));
      fs.writeFileSync(path.join(broken, 'broken.html'), html.replace('window.Plotly.newPlot(el,', 'void(el,'));
      const check = checkPlots([broken]);
      assert.equal(check.status, 1, check.stdout + check.stderr);
      assert.match(check.stdout, /PLOTS FAIL .*broken\.html {2}2\/3 rendered\n {2}plotly plot "Runner plotly" did not render/);
    });
  });

  describe('failing notebooks', () => {
    let result: SpawnSyncReturns<string>;
    let out: string;
    before(() => {
      out = path.join(dir, 'out-bad');
      const bad = path.join(dir, 'bad');
      fs.mkdirSync(bad);
      writeNotebook(path.join(bad, 'a-error.ipynb'), ['const ok = 1;', 'const y = 2;\nthrow new Error("boom from cell two");', 'console.log("after the error");']);
      writeNotebook(path.join(bad, 'b-late.ipynb'), ['setTimeout(() => { throw new Error("late failure"); }, 0);\nawait new Promise((r) => setTimeout(r, 300));', 'console.log("next");']);
      writeNotebook(path.join(bad, 'c-slow.ipynb'), ['await new Promise((r) => setTimeout(r, 30000));']);
      writeNotebook(path.join(bad, 'd-nokernel.ipynb'), ['1'], 'no-such-kernel');
      result = runNotebooks(['--cell-timeout', '3', '--out', out, bad]); // a directory: all its notebooks, sorted
    });

    it('exits non-zero and says how many notebooks failed', () => {
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /4 of 4 notebook\(s\) failed/);
    });

    it('names the notebook, cell number, first line and error; later cells are not run', () => {
      assert.match(result.stdout, /FAIL \S*a-error\.ipynb.*\n {2}\S*a-error\.ipynb: cell 2 \('const y = 2;'\): Error: boom from cell two/);
      const cells = readCells(path.join(out, 'a-error.ipynb'));
      assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, null]);
      assert.deepEqual(cells[2].outputs, [], 'the cell after the error did not run (and did not pass silently)');
    });

    it('fails on an asynchronous error that tslab prints on stderr after an "ok" reply', () => {
      assert.match(result.stdout, /b-late\.ipynb: cell 1 \('setTimeout\(.*'\): error text on stderr: UncaughtException: Error: late failure/);
    });

    it('fails a cell that exceeds --cell-timeout', () => {
      assert.match(result.stdout, /c-slow\.ipynb: cell 1 \('await new Promise.*'\): timed out after 3 s \(--cell-timeout\)/);
    });

    it('explains a missing kernelspec and JUPYTER_PATH', () => {
      assert.match(result.stdout, /d-nokernel\.ipynb: kernelspec 'no-such-kernel' not found \(available: [^)]*tslab[^)]*\)/);
      assert.match(result.stdout, /JUPYTER_PATH=/);
    });
  });

  it('a missing notebook path is a usage error (status 2) that names the path', () => {
    const result = runNotebooks([path.join(dir, 'nope.ipynb')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /notebook path does not exist: \S*nope\.ipynb/);
  });
});
