#!/usr/bin/env node
/**
 * Checks that every plot of an executed notebook actually renders in its exported HTML.
 *
 * usage: node tools/check_plots.js [--timeout-ms N] HTML_OR_DIR...
 *
 * For each `<name>.html` (a directory means every *.html in it) the executed `<name>.ipynb` next to
 * it says how many plot outputs there should be: outputs carrying the plotly or vega-lite MIME types
 * that src/lib/display sends. The page is loaded offline in headless Chromium (`--dump-dom` after a
 * virtual-time budget, so scripts run), and each plot container (`div.cn-plot`) must hold a
 * rendered chart: plotly draws `svg.main-svg`, vega's SVG renderer draws `svg.marks`.
 * Exit status: 0 when all plots rendered, 1 when one is missing, 2 for bad arguments.
 */
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const PLOT_MIME_TYPES = ['application/vnd.plotly.v1+json', 'application/vnd.vegalite.v5+json'];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

class UsageError extends Error {}

/** Counts the outputs of an executed notebook that carry a plot MIME bundle. */
function declaredPlots(notebookPath) {
  let nb;
  try {
    nb = JSON.parse(fs.readFileSync(notebookPath, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the executed notebook ${notebookPath} (${err.message}); run tools/run_notebooks.py first`);
  }
  let count = 0;
  for (const cell of nb.cells || []) {
    for (const output of cell.outputs || []) {
      const data = output.data || {};
      if (PLOT_MIME_TYPES.some((mime) => mime in data)) count += 1;
    }
  }
  return count;
}

/** Loads a page in headless Chromium with a fresh profile and returns the DOM after scripts ran. */
function dumpDom(htmlPath, timeoutMs) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-chromium-'));
  const args = [
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${Math.min(timeoutMs, 20000)}`,
    '--dump-dom',
    pathToFileURL(path.resolve(htmlPath)).href,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      fs.rmSync(profile, { recursive: true, force: true });
      if (err) {
        const why = err.killed ? `timed out after ${timeoutMs} ms (--timeout-ms)` : err.message;
        reject(new Error(`headless Chromium (${CHROMIUM}) failed on ${htmlPath}: ${why}\n${String(stderr).slice(-2000)}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Reads an attribute of an HTML start tag (attributes as Chromium serializes them: double quotes). */
function attribute(tag, name) {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? match[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : '';
}

/**
 * Finds the plot containers in a rendered DOM and whether each holds a drawn chart. Script bodies
 * are removed first: the inlined libraries contain class names as strings.
 */
function renderedPlots(dom) {
  const html = dom.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script></script>');
  const starts = [];
  const marker = /<div\b[^>]*\sclass="cn-plot"[^>]*>/g;
  for (let m = marker.exec(html); m !== null; m = marker.exec(html)) starts.push({ index: m.index, tag: m[0] });
  return starts.map((start, i) => {
    const segment = html.slice(start.index, i + 1 < starts.length ? starts[i + 1].index : html.length);
    const kind = attribute(start.tag, 'data-kind');
    const drawn = kind === 'plotly' ? /<svg\b[^>]*\sclass="main-svg"/.test(segment) : /<svg\b[^>]*\sclass="marks"/.test(segment);
    return { kind, title: attribute(start.tag, 'data-title'), drawn };
  });
}

/** Checks one exported HTML file; returns a list of problems (empty when every plot rendered). */
async function checkHtml(htmlPath, timeoutMs) {
  const notebookPath = htmlPath.replace(/\.html$/, '.ipynb');
  const declared = declaredPlots(notebookPath);
  const plots = renderedPlots(await dumpDom(htmlPath, timeoutMs));
  const drawn = plots.filter((p) => p.drawn);
  const problems = [];
  for (const p of plots.filter((p) => !p.drawn)) problems.push(`${p.kind} plot "${p.title}" did not render`);
  if (plots.length !== declared) {
    problems.push(`the notebook declares ${declared} plot output(s) but the HTML has ${plots.length} plot container(s)`);
  }
  return { declared, drawn: drawn.length, problems };
}

/** Expands arguments into HTML files (a directory means its *.html files, sorted). */
function expand(paths) {
  const files = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new UsageError(`path does not exist: ${p}`);
    if (fs.statSync(p).isDirectory()) {
      const found = fs.readdirSync(p).filter((f) => f.endsWith('.html')).sort().map((f) => path.join(p, f));
      if (found.length === 0) throw new UsageError(`directory ${p} contains no .html files; run tools/run_notebooks.py first`);
      files.push(...found);
    } else if (p.endsWith('.html')) {
      files.push(p);
    } else {
      throw new UsageError(`not an HTML file or directory: ${p}`);
    }
  }
  return files;
}

function parseArgs(argv) {
  let timeoutMs = 60000;
  let minPlots = 1;
  const paths = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--min-plots') {
      minPlots = Number(argv[++i]);
      if (!Number.isInteger(minPlots) || minPlots < 0) throw new UsageError(`--min-plots must be an integer >= 0, got ${argv[i]}`);
    } else if (argv[i] === '--timeout-ms') {
      timeoutMs = Number(argv[++i]);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms must be a positive integer, got ${argv[i]}`);
    } else if (argv[i].startsWith('--')) {
      throw new UsageError(`unknown option ${argv[i]}; accepted: --timeout-ms N, --min-plots N`);
    } else {
      paths.push(argv[i]);
    }
  }
  if (paths.length === 0) throw new UsageError('usage: node tools/check_plots.js [--timeout-ms N] [--min-plots N] HTML_OR_DIR...');
  return { timeoutMs, minPlots, paths };
}

async function main(argv) {
  let files;
  let timeoutMs;
  let minPlots;
  try {
    // Every lesson notebook must show at least one chart (default 1): a notebook whose plots
    // silently vanished would otherwise pass with "0/0 rendered".
    ({ timeoutMs, minPlots, paths: files } = parseArgs(argv));
    files = expand(files);
    if (!fs.existsSync(CHROMIUM)) throw new UsageError(`Chromium not found at ${CHROMIUM}; install the Debian package chromium or set CHROMIUM`);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`check_plots: ${err.message}`);
      return 2;
    }
    throw err;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const { declared, drawn, problems } = await checkHtml(file, timeoutMs);
      if (declared < minPlots) problems.push(`the notebook declares ${declared} plot(s); at least ${minPlots} expected`);
      if (problems.length === 0) {
        console.log(`PLOTS OK   ${file}  ${drawn}/${declared} rendered`);
      } else {
        failed += 1;
        console.log(`PLOTS FAIL ${file}  ${drawn}/${declared} rendered\n  ${problems.join('\n  ')}`);
      }
    } catch (err) {
      failed += 1;
      console.log(`PLOTS FAIL ${file}\n  ${err.message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

module.exports = { declaredPlots, renderedPlots, checkHtml };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
