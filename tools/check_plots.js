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
 *
 * Block diagrams (src/lessons/diagrams.ts) are inline SVG without scripts; each output declares its diagrams with
 * their node and edge counts under DIAGRAM_MIME. A probe script added to a temporary copy of the page measures each
 * drawn diagram in Chromium: the SVG must have a size; every declared node (`g.cn-node`) a non-empty finite bounding
 * box, its outline inside the drawing and clear of the others; every declared arrow (`path.cn-edge`) a positive length.
 * A diagram with NaN coordinates (Chromium draws them at 0, piled up), with its SVG stripped (nbconvert does this to
 * image/svg+xml) or with parts missing fails.
 * Exit status: 0 when all plots rendered, 1 when one is missing, 2 for bad arguments.
 */
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const PLOT_MIME_TYPES = ['application/vnd.plotly.v1+json', 'application/vnd.vegalite.v5+json'];
const DIAGRAM_MIME = 'application/vnd.compact-nets.diagram+json';

/**
 * Runs in the page (Chromium): records on each diagram container what was actually laid out, as JSON in
 * `data-probe`. getBBox / getTotalLength need rendering, so an SVG that parsed but cannot be drawn shows up here.
 */
const DIAGRAM_PROBE = `<script>(function () {
  var containers = document.querySelectorAll('div.cn-plot[data-kind="diagram"]');
  for (var i = 0; i < containers.length; i++) {
    var div = containers[i];
    var svg = div.querySelector('svg.cn-diagram');
    var r = { svg: !!svg, width: 0, height: 0, nodes: 0, drawnNodes: 0, edges: 0, drawnEdges: 0 };
    if (svg) {
      var box = svg.getBoundingClientRect();
      r.width = box.width;
      r.height = box.height;
      var nodes = svg.querySelectorAll('g.cn-node');
      r.nodes = nodes.length;
      r.outside = 0;
      r.overlaps = 0;
      var rects = [];
      for (var j = 0; j < nodes.length; j++) {
        var b = nodes[j].getBBox();
        if (b.width > 0 && b.height > 0 && isFinite(b.x) && isFinite(b.y) && isFinite(b.width) && isFinite(b.height)) r.drawnNodes++;
        // Where the outline landed on the page: inside the drawing, and clear of every other outline.
        var shape = nodes[j].querySelector('.cn-shape');
        var q = shape ? shape.getBoundingClientRect() : { left: 0, top: 0, right: 0, bottom: 0 };
        if (q.left < box.left - 1 || q.top < box.top - 1 || q.right > box.right + 1 || q.bottom > box.bottom + 1) r.outside++;
        for (var p = 0; p < rects.length; p++) {
          var o = rects[p];
          if (Math.min(q.right, o.right) - Math.max(q.left, o.left) > 1 && Math.min(q.bottom, o.bottom) - Math.max(q.top, o.top) > 1) r.overlaps++;
        }
        rects.push(q);
      }
      var edges = svg.querySelectorAll('path.cn-edge');
      r.edges = edges.length;
      for (var k = 0; k < edges.length; k++) {
        var len = edges[k].getTotalLength();
        if (len > 0 && isFinite(len)) r.drawnEdges++;
      }
    }
    div.setAttribute('data-probe', JSON.stringify(r));
  }
})();</script>`;
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

/** Reads an executed notebook (JSON); a usage error when it is missing or unreadable. */
function readNotebook(notebookPath) {
  try {
    return JSON.parse(fs.readFileSync(notebookPath, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the executed notebook ${notebookPath} (${err.message}); run tools/run_notebooks.py first`);
  }
}

/** The diagrams an executed notebook declares, in output order: [{ title, nodes, edges }]. */
function declaredDiagrams(notebookPath) {
  const nb = readNotebook(notebookPath);
  const diagrams = [];
  for (const cell of nb.cells || []) {
    for (const output of cell.outputs || []) {
      const manifest = (output.data || {})[DIAGRAM_MIME];
      if (manifest !== undefined) diagrams.push(...(manifest.diagrams || []));
    }
  }
  return diagrams;
}

/** Counts the plots an executed notebook declares: outputs with a plot MIME bundle, plus every declared diagram. */
function declaredPlots(notebookPath) {
  const nb = readNotebook(notebookPath);
  let count = 0;
  for (const cell of nb.cells || []) {
    for (const output of cell.outputs || []) {
      const data = output.data || {};
      if (PLOT_MIME_TYPES.some((mime) => mime in data)) count += 1;
    }
  }
  return count + declaredDiagrams(notebookPath).length;
}

/** A temporary copy of the page with the diagram probe run last; returns its path and a cleanup function. */
function probedCopy(htmlPath) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-probe-'));
  const html = fs.readFileSync(htmlPath, 'utf8');
  const end = html.lastIndexOf('</body>');
  const probed = end >= 0 ? html.slice(0, end) + DIAGRAM_PROBE + html.slice(end) : html + DIAGRAM_PROBE;
  const copy = path.join(dir, path.basename(htmlPath));
  fs.writeFileSync(copy, probed);
  return { copy, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
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

/** Why a probed diagram is not fully drawn, against its declared counts; '' when it is. */
function diagramProblem(probe, declared) {
  if (!probe) return 'the probe did not run';
  if (!probe.svg) return 'no svg.cn-diagram in its container';
  if (!(probe.width > 0 && probe.height > 0)) return `the SVG has no size (${probe.width}×${probe.height} px)`;
  if (declared && (probe.nodes !== declared.nodes || probe.edges !== declared.edges)) {
    return `${probe.nodes} nodes and ${probe.edges} arrows in the page, ${declared.nodes} and ${declared.edges} declared`;
  }
  if (probe.drawnNodes !== probe.nodes) return `${probe.nodes - probe.drawnNodes} of ${probe.nodes} nodes have no drawn size`;
  if (probe.outside > 0) return `${probe.outside} of ${probe.nodes} nodes lie outside the drawing`;
  if (probe.overlaps > 0) return `${probe.overlaps} pair(s) of nodes overlap`;
  if (probe.drawnEdges !== probe.edges) return `${probe.edges - probe.drawnEdges} of ${probe.edges} arrows have no drawn length`;
  return '';
}

/**
 * Finds the plot containers in a rendered DOM and whether each holds a drawn chart. Script bodies
 * are removed first: the inlined libraries contain class names as strings. Diagrams are matched in order to
 * `diagrams` (the declared ones) and judged by their probe.
 */
function renderedPlots(dom, diagrams = []) {
  const html = dom.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script></script>');
  const starts = [];
  const marker = /<div\b[^>]*\sclass="cn-plot"[^>]*>/g;
  for (let m = marker.exec(html); m !== null; m = marker.exec(html)) starts.push({ index: m.index, tag: m[0] });
  let diagramIndex = 0;
  return starts.map((start, i) => {
    const segment = html.slice(start.index, i + 1 < starts.length ? starts[i + 1].index : html.length);
    const kind = attribute(start.tag, 'data-kind');
    const title = attribute(start.tag, 'data-title');
    if (kind === 'diagram') {
      const probeText = attribute(start.tag, 'data-probe');
      const why = diagramProblem(probeText ? JSON.parse(probeText) : undefined, diagrams[diagramIndex++]);
      return { kind, title, drawn: why === '', why };
    }
    const drawn = kind === 'plotly' ? /<svg\b[^>]*\sclass="main-svg"/.test(segment) : /<svg\b[^>]*\sclass="marks"/.test(segment);
    return { kind, title, drawn, why: '' };
  });
}

/** Checks one exported HTML file; returns a list of problems (empty when every plot rendered). */
async function checkHtml(htmlPath, timeoutMs) {
  const notebookPath = htmlPath.replace(/\.html$/, '.ipynb');
  const declared = declaredPlots(notebookPath);
  const diagrams = declaredDiagrams(notebookPath);
  const { copy, cleanup } = probedCopy(htmlPath);
  let dom;
  try {
    dom = await dumpDom(copy, timeoutMs);
  } finally {
    cleanup();
  }
  const plots = renderedPlots(dom, diagrams);
  const drawn = plots.filter((p) => p.drawn);
  const problems = [];
  for (const p of plots.filter((p) => !p.drawn)) problems.push(`${p.kind} plot "${p.title}" did not render${p.why ? ` (${p.why})` : ''}`);
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

module.exports = { declaredPlots, declaredDiagrams, renderedPlots, checkHtml };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
