/**
 * Talking to the tslab kernel from library code.
 *
 * tslab's public API sends one MIME type per display message. A plot needs several MIME types in
 * ONE message (vendor JSON for JupyterLab, text/html for exported HTML, text/plain for terminals),
 * so we use tslab's internal writer `require("tslab/dist/jupyter").lastWriteDisplayData`, which is
 * set while a cell executes. We look the module up in Node's require cache instead of requiring it:
 * outside a kernel it was never loaded, and loading it would pull in zeromq for nothing.
 */

/** A Jupyter MIME bundle: MIME type → payload (string, or an object for `+json` types). */
export type MimeBundle = Record<string, unknown>;

/** Signature of tslab's internal display writer (display_data when update=false). */
type DisplayWriter = (
  msg: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

/** Returns tslab's display writer when this code runs inside a tslab kernel cell, else null. */
function tslabWriter(): DisplayWriter | null {
  let modulePath: string;
  try {
    modulePath = require.resolve('tslab/dist/jupyter');
  } catch {
    return null; // tslab is not installed next to this code: certainly not a tslab kernel.
  }
  const loaded = require.cache[modulePath];
  const writer = loaded?.exports?.lastWriteDisplayData as unknown;
  return typeof writer === 'function' ? (writer as DisplayWriter) : null;
}

/** True when running inside a tslab kernel that can receive display messages. */
export function inTslabKernel(): boolean {
  return tslabWriter() !== null;
}

/** Sends one display_data message carrying every MIME type of `bundle`; returns false outside a kernel. */
export function sendBundle(bundle: MimeBundle): boolean {
  const writer = tslabWriter();
  if (writer === null) return false;
  writer({ data: bundle, metadata: {}, transient: {} }, false);
  return true;
}

/** An output area that can be redrawn in place (Jupyter update_display_data). */
export interface UpdatableDisplay {
  /** Replaces the output's content with `bundle`. */
  show(bundle: MimeBundle): void;
}

let displayCounter = 0;

/**
 * Creates an in-place display inside a tslab kernel (null outside one). The first `show` creates
 * the output, later calls update it; Jupyter matches them by the transient display_id.
 */
export function newUpdatableDisplay(): UpdatableDisplay | null {
  if (tslabWriter() === null) return null;
  const displayId = `compact-nets-${process.pid}-${Date.now()}-${++displayCounter}`;
  let shown = false;
  return {
    show(bundle: MimeBundle): void {
      const writer = tslabWriter();
      if (writer === null) return; // the kernel went away (e.g. called after the cell finished in a test)
      writer({ data: bundle, metadata: {}, transient: { display_id: displayId } }, shown);
      shown = true;
    },
  };
}

/** Escapes text for safe inclusion in HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Serializes a value as JSON that is safe inside an HTML <script> element: `</script>` and
 * `<!--` in strings would otherwise end or corrupt the script.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
