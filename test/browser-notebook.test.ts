/**
 * A reader's path, end to end in a real browser: Debian's classic Jupyter Notebook server on localhost with the
 * repository's kernelspec, headless Chromium driven by playwright-core; it opens the introduction notebook,
 * runs all cells and waits for the plotly chart to render.
 */
import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium, Browser } from 'playwright-core';
import { REPO_ROOT } from './support/paths';

const JUPYTER = '/usr/bin/jupyter';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Resolves once `url` answers HTTP 200, or rejects after `timeoutMs`. */
async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('browser: classic Jupyter Notebook runs a lesson and renders its chart', function () {
  this.timeout(600_000);
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let workDir: string;
  let serverLog = '';

  before(function () {
    if (!fs.existsSync(JUPYTER) || !fs.existsSync(CHROMIUM)) {
      throw new Error(`this test needs ${JUPYTER} (Debian jupyter-notebook) and ${CHROMIUM} (Debian chromium); .ci/run installs both`);
    }
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-browser-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'notebooks', '00-introduction.ipynb'), path.join(workDir, 'intro.ipynb'));
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('opens the notebook, runs all cells and shows the plotly loss curve', async () => {
    const port = await freePort();
    server = spawn(JUPYTER, ['notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--NotebookApp.token=', '--NotebookApp.password=',
      `--notebook-dir=${workDir}`, '--allow-root'], {
      env: { ...process.env, JUPYTER_PATH: REPO_ROOT, COMPACT_NETS_QUICK: '1', PYDEVD_DISABLE_FILE_VALIDATION: '1', HOME: workDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d) => (serverLog += d));
    server.stderr!.on('data', (d) => (serverLog += d));
    await waitForHttp(`http://127.0.0.1:${port}/api/kernelspecs`, 60_000);
    const specs = (await (await fetch(`http://127.0.0.1:${port}/api/kernelspecs`)).json()) as { kernelspecs: Record<string, unknown> };
    assert.ok('tslab' in specs.kernelspecs, `the server does not see the repository kernelspec: ${Object.keys(specs.kernelspecs)}`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/notebooks/intro.ipynb`);
    // Wait for the kernel to be ready, then run every cell as a reader would (Cell > Run All).
    await page.waitForFunction(() => {
      const j = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
      return j?.notebook?.kernel?.is_connected() === true;
    }, undefined, { timeout: 120_000 });
    await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
    try {
      await page.waitForSelector('.output_area .js-plotly-plot .main-svg', { timeout: 300_000 });
    } catch (err) {
      const errors = await page.$$eval('.output_stderr, .output_error', (els) => els.map((e) => e.textContent ?? ''));
      throw new Error(`no rendered plotly chart: ${(err as Error).message}\ncell errors: ${errors.join('\n')}\nserver log tail: ${serverLog.slice(-2000)}`);
    }
    const charts = await page.$$('.output_area .js-plotly-plot');
    assert.ok(charts.length >= 1);
    const errorOutputs = await page.$$eval('.output_error', (els) => els.map((e) => e.textContent ?? ''));
    assert.deepEqual(errorOutputs, [], 'no cell shows an error');
    const title = await page.$eval('.output_area .js-plotly-plot .gtitle', (e) => e.textContent);
    assert.match(title ?? '', /Toy conv net/);
  });
});
