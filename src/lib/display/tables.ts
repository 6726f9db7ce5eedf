/** Tables and markdown in notebooks, with plain-text fallbacks outside them. */
import { escapeHtml, sendBundle } from './kernel';

/** A table column: a row key, an optional header (put units here) and decimals for numbers. */
export interface TableColumn {
  key: string;
  title?: string;
  /** Fixed decimals for numeric cells; default: integers as-is, other numbers to 4 significant digits. */
  digits?: number;
}

/** Formats one cell value for display. */
function formatCell(value: unknown, column: TableColumn): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (column.digits !== undefined) return value.toFixed(column.digits);
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  return String(value);
}

/** Normalizes `columns` (default: keys of the first row, in order) and validates digits. */
function resolveColumns(rows: Array<Record<string, unknown>>, columns?: Array<string | TableColumn>): TableColumn[] {
  if (!Array.isArray(rows)) throw new Error('htmlTable(rows): rows must be an array of objects');
  const cols = (columns ?? (rows.length > 0 ? Object.keys(rows[0]) : [])).map((c) => (typeof c === 'string' ? { key: c } : c));
  for (const c of cols) {
    if (c.digits !== undefined && !(Number.isInteger(c.digits) && c.digits >= 0 && c.digits <= 20)) {
      throw new Error(`table column "${c.key}": digits must be an integer in 0..20, got ${c.digits}`);
    }
  }
  return cols;
}

/** Returns the rows as an HTML table (numbers right-aligned); pure. */
export function tableHtml(rows: Array<Record<string, unknown>>, columns?: Array<string | TableColumn>): string {
  const cols = resolveColumns(rows, columns);
  const head = cols.map((c) => `<th>${escapeHtml(c.title ?? c.key)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = cols.map((c) => {
        const align = typeof row[c.key] === 'number' ? ' style="text-align:right"' : '';
        return `<td${align}>${escapeHtml(formatCell(row[c.key], c))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table class="cn-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Returns the rows as an aligned plain-text table; pure. */
export function tableText(rows: Array<Record<string, unknown>>, columns?: Array<string | TableColumn>): string {
  const cols = resolveColumns(rows, columns);
  const grid = [cols.map((c) => c.title ?? c.key), ...rows.map((row) => cols.map((c) => formatCell(row[c.key], c)))];
  const widths = cols.map((_, j) => Math.max(...grid.map((line) => line[j].length)));
  return grid.map((line) => line.map((cell, j) => cell.padEnd(widths[j])).join('  ').trimEnd()).join('\n');
}

/** Shows rows as a table in the notebook (HTML + text), or prints the text table outside one. */
export function htmlTable(rows: Array<Record<string, unknown>>, columns?: Array<string | TableColumn>): void {
  const text = tableText(rows, columns);
  if (!sendBundle({ 'text/html': tableHtml(rows, columns), 'text/plain': text })) console.log(text);
}

/** Shows markdown text in the notebook, or prints it as-is outside one. */
export function markdown(text: string): void {
  if (typeof text !== 'string') throw new Error(`markdown(text): text must be a string, got ${typeof text}`);
  if (!sendBundle({ 'text/markdown': text, 'text/plain': text })) console.log(text);
}
