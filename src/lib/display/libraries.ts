/**
 * Inlines the browser plotting libraries into the notebook, once per kernel.
 *
 * Exported HTML (nbconvert) and the classic notebook run `text/html` scripts but have no plotly or
 * vega loaded, and the build machines are offline, so the libraries travel inside the notebook as
 * one `text/html` output read from node_modules. Debian's nbconvert template loads require.js,
 * which makes UMD bundles register as anonymous AMD modules instead of setting `window.Plotly` /
 * `window.vega`; we therefore hide `window.define` while the bundles run and restore it after.
 */
import * as fs from 'fs';
import * as path from 'path';
import { inTslabKernel, sendBundle } from './kernel';

/** The library groups a page may need. */
export type PlotLibrary = 'plotly' | 'vega';

/** node_modules files per library, in load order (vega-embed needs vega and vega-lite first). */
const LIBRARY_FILES: Record<PlotLibrary, string[]> = {
  plotly: ['plotly.js-dist-min/plotly.min.js'],
  vega: ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'],
};

/**
 * Finds a file inside an installed package by walking Node's module search paths. Plain
 * `require.resolve('pkg/build/x.js')` fails for packages whose "exports" map hides the file.
 */
function packageFile(file: string): string {
  const [scopeOrName, ...rest] = file.split('/');
  const pkg = scopeOrName.startsWith('@') ? `${scopeOrName}/${rest.shift()}` : scopeOrName;
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, ...rest);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find ${file} in node_modules; run 'npm ci' in the repository root`);
}

/** Libraries already sent to this kernel's notebook (module state lives as long as the kernel). */
const sent = new Set<PlotLibrary>();

/** Returns the HTML that loads `library` with AMD hidden; throws naming the missing file. */
export function libraryHtml(library: PlotLibrary): string {
  const scripts = LIBRARY_FILES[library].map((file) => {
    const source = fs.readFileSync(packageFile(file), 'utf8');
    // A literal "</script>" inside the bundle would end the element early.
    return `<script>${source.replace(/<\/script/gi, '<\\/script')}</script>`;
  });
  return (
    `<div class="cn-plot-library" data-library="${library}" style="display:none"></div>` +
    '<script>window.__cnSavedDefine = window.define; window.define = undefined;</script>' +
    scripts.join('') +
    '<script>window.define = window.__cnSavedDefine; delete window.__cnSavedDefine;</script>'
  );
}

/**
 * Sends the given libraries (default: all) to the notebook unless already sent by this kernel.
 * `force` re-sends them, e.g. after clearing outputs without restarting the kernel.
 * Returns the libraries actually sent; outside a kernel it sends nothing.
 */
export function setupPlots(options: { libraries?: PlotLibrary[]; force?: boolean } = {}): PlotLibrary[] {
  const wanted = options.libraries ?? (Object.keys(LIBRARY_FILES) as PlotLibrary[]);
  for (const library of wanted) {
    if (!(library in LIBRARY_FILES)) {
      throw new Error(`unknown plot library "${library}"; expected one of ${Object.keys(LIBRARY_FILES).join(', ')}`);
    }
  }
  if (!inTslabKernel()) return [];
  const toSend = wanted.filter((library) => options.force === true || !sent.has(library));
  if (toSend.length === 0) return [];
  const html = toSend.map(libraryHtml).join('');
  const note = `plot libraries loaded: ${toSend.join(', ')}`;
  sendBundle({ 'text/html': html, 'text/plain': note });
  toSend.forEach((library) => sent.add(library));
  return toSend;
}

/** Wraps plot HTML into a complete offline page that loads `libraries` first (for use outside notebooks). */
export function standalonePage(title: string, bodyHtml: string, libraries: PlotLibrary[]): string {
  const safeTitle = title.replace(/[<>&]/g, ' ');
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${safeTitle}</title></head><body>` +
    libraries.map(libraryHtml).join('') +
    bodyHtml +
    '</body></html>\n'
  );
}
