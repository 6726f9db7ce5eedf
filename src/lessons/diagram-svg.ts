/**
 * Draws a laid-out block diagram as a standalone SVG string: a title, the boxes (one shape per node kind, one colour
 * per operation family), orthogonal arrows, "identity" on skip paths without layers, and a one-line legend of the
 * shapes that occur. Every node is a `<g class="cn-node">` carrying its tfjs layer names (`data-layers`) and every
 * arrow a `<path class="cn-edge">` carrying its ends (`data-from`, `data-to`), so that tests and the plot check can
 * read the drawing back.
 *
 * Used by the block diagrams of notebooks 03–08 (src/lessons/diagrams.ts).
 */
import { escapeHtml } from '../lib/display/kernel';
import type { DiagramFamily, DiagramGraph, DiagramNode, DiagramNodeKind } from './diagram-graph';
import { DiagramLayout, layoutDiagram, NodeSize, PlacedNode } from './diagram-layout';

/** Font sizes in px (labels stay ≥ 11 px to be readable in a notebook). */
export const DIAGRAM_FONT = { title: 15, subtitle: 12, label: 12, detail: 11, legend: 12 } as const;

const FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif";
const MARGIN = 16;
const LINE_COLOUR = '#555';

/** Fill and stroke of each operation family. */
const COLOURS: Record<DiagramFamily, { fill: string; stroke: string }> = {
  terminal: { fill: '#ffffff', stroke: '#888888' },
  conv: { fill: '#dbe9f7', stroke: '#3d6a99' },
  depthwise: { fill: '#dcefd9', stroke: '#3f7f3a' },
  group: { fill: '#e9e0f5', stroke: '#6a4c93' },
  shift: { fill: '#fde3c3', stroke: '#a8641a' },
  pool: { fill: '#ececec', stroke: '#666666' },
  norm: { fill: '#f6f6f6', stroke: '#888888' },
  merge: { fill: '#fff2b3', stroke: '#9a7d0a' },
  other: { fill: '#f0f0f0', stroke: '#666666' },
};

/**
 * Width of `text` in px at `size` px, estimated per character class (DejaVu Sans metrics, rounded up): the SVG is
 * built without a browser, and boxes must be wide enough for their labels.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (' .,:;|()[]ilj\'!'.includes(ch)) em += 0.36;
    else if ('frt1-'.includes(ch)) em += 0.45;
    else if ('mwMW×→≥'.includes(ch)) em += 0.9;
    else if (/[A-Z]/.test(ch)) em += 0.72;
    else em += 0.63;
  }
  return em * size * (bold ? 1.08 : 1);
}

/** Rounds a coordinate to 0.1 px for compact output. */
function fmt(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** The third label line of a node: its output shape H×W×C (a split's pieces side by side); none for add and terminals. */
function shapeLine(n: DiagramNode): string | undefined {
  if (n.kind === 'add' || n.kind === 'input' || n.kind === 'output') return undefined;
  return n.outputShapes.map((s) => s.join('×')).join(' | ');
}

/** Sizes of every node: operation boxes share one width (the widest label), merges fit their text, an add is a circle. */
function nodeSizes(graph: DiagramGraph): (node: DiagramNode) => NodeSize {
  const labelWidth = (n: DiagramNode) =>
    Math.max(textWidth(n.title, DIAGRAM_FONT.label, true), textWidth(n.detail, DIAGRAM_FONT.detail), textWidth(shapeLine(n) ?? '', DIAGRAM_FONT.detail));
  const boxes = graph.nodes.filter((n) => ['layer', 'norm', 'input', 'output'].includes(n.kind));
  const boxWidth = Math.ceil(Math.max(140, ...boxes.map((n) => labelWidth(n) + 24)));
  return (node) => {
    if (node.kind === 'add') return { width: 30, height: 30 };
    if (node.kind === 'concat' || node.kind === 'split' || node.kind === 'shuffle') return { width: Math.ceil(Math.max(130, labelWidth(node) + 56)), height: 54 };
    if (node.kind === 'input' || node.kind === 'output') return { width: boxWidth, height: 36 };
    return { width: boxWidth, height: 56 };
  };
}

/** The outline of a node, by kind. */
function shapeSvg(p: PlacedNode): string {
  const { fill, stroke } = COLOURS[p.node.family];
  const paint = `fill="${fill}" stroke="${stroke}" stroke-width="1.3"`;
  const left = p.x - p.width / 2;
  const right = p.x + p.width / 2;
  const top = p.y;
  const bottom = p.y + p.height;
  const polygon = (pts: Array<[number, number]>) => `<polygon class="cn-shape" points="${pts.map(([a, b]) => `${fmt(a)},${fmt(b)}`).join(' ')}" ${paint}/>`;
  const inset = p.width * 0.18;
  switch (p.node.kind) {
    case 'add':
      return `<circle class="cn-shape" cx="${fmt(p.x)}" cy="${fmt(top + p.height / 2)}" r="${fmt(p.width / 2)}" ${paint}/>`;
    case 'concat':
      return polygon([[left, top], [right, top], [right - inset, bottom], [left + inset, bottom]]);
    case 'split':
      return polygon([[left + inset, top], [right - inset, top], [right, bottom], [left, bottom]]);
    case 'shuffle':
      return polygon([[left + 12, top], [right - 12, top], [right, top + p.height / 2], [right - 12, bottom], [left + 12, bottom], [left, top + p.height / 2]]);
    case 'input':
    case 'output':
      return `<rect class="cn-shape" x="${fmt(left)}" y="${fmt(top)}" width="${fmt(p.width)}" height="${fmt(p.height)}" rx="${fmt(p.height / 2)}" ${paint}/>`;
    case 'norm':
      return `<rect class="cn-shape" x="${fmt(left)}" y="${fmt(top)}" width="${fmt(p.width)}" height="${fmt(p.height)}" rx="5" ${paint} stroke-dasharray="4 3"/>`;
    default:
      return `<rect class="cn-shape" x="${fmt(left)}" y="${fmt(top)}" width="${fmt(p.width)}" height="${fmt(p.height)}" rx="5" ${paint}/>`;
  }
}

/** A centred text element. */
function textSvg(x: number, y: number, text: string, size: number, extra = ''): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" font-size="${size}" text-anchor="middle"${extra}>${escapeHtml(text)}</text>`;
}

/** A node: its outline, its label lines (op; channels in→out and what is fused; output shape) and a tooltip naming its tfjs layers. */
function nodeSvg(p: PlacedNode): string {
  const n = p.node;
  const shape = n.outputShapes.map((s) => s.join('×')).join(' | ');
  const tooltip = [`${n.title} — ${n.detail}`, `output ${shape}`, ...n.layers.map((l, i) => `${l} (${n.classNames[i]})`)].join('\n');
  const cy = p.y + p.height / 2;
  const third = shapeLine(n);
  let labels: string;
  if (n.kind === 'add') labels = textSvg(p.x, cy + 6, '+', 18, ' font-weight="bold"');
  else if (third === undefined) labels = textSvg(p.x, cy - 3, n.title, DIAGRAM_FONT.label, ' font-weight="600"') + textSvg(p.x, cy + 12, n.detail, DIAGRAM_FONT.detail, ' fill="#333"');
  else {
    labels =
      textSvg(p.x, cy - 10, n.title, DIAGRAM_FONT.label, ' font-weight="600"') +
      textSvg(p.x, cy + 5, n.detail, DIAGRAM_FONT.detail, ' fill="#333"') +
      textSvg(p.x, cy + 19, third, DIAGRAM_FONT.detail, ' class="cn-shape-label" fill="#777"');
  }
  return (
    `<g class="cn-node" data-id="${n.id}" data-kind="${n.kind}" data-layers="${escapeHtml(n.layers.join(' '))}">` +
    `<title>${escapeHtml(tooltip)}</title>${shapeSvg(p)}${labels}</g>`
  );
}

/** Where the "identity" label of a skip path goes: beside its longest vertical segment, on the outer side. */
function identityLabel(points: Array<[number, number]>, centreX: number): { x: number; y: number; anchor: 'start' | 'end' } | undefined {
  let best: { x: number; y0: number; y1: number } | undefined;
  for (let i = 0; i + 1 < points.length; i++) {
    const [x0, y0] = points[i];
    const [x1, y1] = points[i + 1];
    if (Math.abs(x0 - x1) < 0.5 && (best === undefined || Math.abs(y1 - y0) > best.y1 - best.y0)) best = { x: x0, y0: Math.min(y0, y1), y1: Math.max(y0, y1) };
  }
  if (best === undefined || best.y1 - best.y0 < 40) return undefined;
  const leftSide = best.x < centreX;
  return { x: best.x + (leftSide ? -6 : 6), y: (best.y0 + best.y1) / 2 + 4, anchor: leftSide ? 'end' : 'start' };
}

/** Legend entries for the node kinds present: a small shape and its meaning. */
const LEGEND: Array<{ kinds: DiagramNodeKind[]; text: string }> = [
  { kinds: ['layer'], text: 'layer: k×k op, stride, groups g; channels in→out; output H×W×C' },
  { kinds: ['norm'], text: 'BN / activation' },
  { kinds: ['add'], text: 'add' },
  { kinds: ['concat'], text: 'concat' },
  { kinds: ['split'], text: 'channel split' },
  { kinds: ['shuffle'], text: 'channel shuffle' },
];

/** The legend's icon for a kind, drawn in a 22×14 cell whose left edge is x and vertical centre y. */
function legendIcon(kind: DiagramNodeKind, x: number, y: number): string {
  const p: PlacedNode = {
    node: { id: '', kind, family: kind === 'layer' ? 'conv' : kind === 'norm' ? 'norm' : 'merge', title: '', detail: '', outputShapes: [], layers: [], classNames: [] },
    row: 0,
    x: x + 11,
    y: y - 7,
    width: kind === 'add' ? 14 : 22,
    height: 14,
  };
  if (kind === 'shuffle') {
    const l = x;
    const r = x + 22;
    return `<polygon points="${[[l + 5, y - 7], [r - 5, y - 7], [r, y], [r - 5, y + 7], [l + 5, y + 7], [l, y]].map(([a, b]) => `${fmt(a)},${fmt(b)}`).join(' ')}" fill="${COLOURS.merge.fill}" stroke="${COLOURS.merge.stroke}" stroke-width="1.3"/>`;
  }
  return shapeSvg(p).replace(' class="cn-shape"', '');
}

/** Legend lines are this far apart (px). */
const LEGEND_LINE = 20;

/**
 * The legend: entries left to right from (x, baseline y), wrapped to a new line before `maxWidth` px; its SVG, the
 * width of its widest line and its height below the first baseline.
 */
function legendSvg(kinds: Set<DiagramNodeKind>, x: number, y: number, maxWidth: number): { svg: string; width: number; height: number } {
  const entries = LEGEND.filter((e) => e.kinds.some((k) => kinds.has(k))).map((e) => ({ kind: e.kinds[0] as DiagramNodeKind | 'arrow', text: e.text }));
  entries.push({ kind: 'arrow', text: 'data flow' });
  let cursor = x;
  let line = 0;
  let widest = 0;
  const parts: string[] = [];
  for (const entry of entries) {
    const entryWidth = 28 + textWidth(entry.text, DIAGRAM_FONT.legend);
    if (cursor > x && cursor + entryWidth - x > maxWidth) {
      line++;
      cursor = x;
    }
    const base = y + line * LEGEND_LINE;
    if (entry.kind === 'arrow') {
      parts.push(`<path d="M${fmt(cursor)},${fmt(base - 4)} L${fmt(cursor + 22)},${fmt(base - 4)}" stroke="${LINE_COLOUR}" stroke-width="1.5" marker-end="url(#ARROW_ID)"/>`);
    } else {
      parts.push(legendIcon(entry.kind, cursor, base - 4));
    }
    parts.push(`<text x="${fmt(cursor + 28)}" y="${fmt(base)}" font-size="${DIAGRAM_FONT.legend}">${escapeHtml(entry.text)}</text>`);
    widest = Math.max(widest, cursor + entryWidth - x);
    cursor += entryWidth + 22;
  }
  return { svg: `<g class="cn-legend">${parts.join('')}</g>`, width: widest, height: line * LEGEND_LINE };
}

/** 32-bit FNV-1a hash, hex: a stable id for the arrow marker, unique per drawing. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Options of {@link diagramSvg}. */
export interface DiagramSvgOptions {
  title: string;
  /** Second heading line, e.g. the call that built the block. */
  subtitle?: string;
}

/** Draws `graph` as an SVG document string (width in px fits its content); pure. */
export function diagramSvg(graph: DiagramGraph, options: DiagramSvgOptions): string {
  const layout: DiagramLayout = layoutDiagram(graph, nodeSizes(graph));
  const labelText = 'identity';
  const labelWidth = textWidth(labelText, DIAGRAM_FONT.detail);
  // Parallel skip paths would put their labels on top of each other: a label that overlaps a kept one is dropped.
  const labels: Array<{ x: number; y: number; anchor: 'start' | 'end' }> = [];
  const span = (l: { x: number; anchor: 'start' | 'end' }) => (l.anchor === 'end' ? [l.x - labelWidth, l.x] : [l.x, l.x + labelWidth]);
  for (const e of layout.edges.filter((edge) => edge.identity)) {
    const l = identityLabel(e.points, layout.width / 2);
    if (l === undefined) continue;
    const [a0, a1] = span(l);
    const clash = labels.some((k) => {
      const [b0, b1] = span(k);
      return a0 < b1 + 4 && b0 < a1 + 4 && Math.abs(k.y - l.y) < DIAGRAM_FONT.detail + 4;
    });
    if (!clash) labels.push(l);
  }
  const minX = Math.min(0, ...labels.map((l) => (l.anchor === 'end' ? l.x - labelWidth : l.x)));
  const maxX = Math.max(layout.width, ...labels.map((l) => (l.anchor === 'end' ? l.x : l.x + labelWidth)));
  const graphWidth = maxX - minX;

  const titleY = MARGIN + DIAGRAM_FONT.title;
  const subtitleY = titleY + 8 + DIAGRAM_FONT.subtitle;
  const graphTop = (options.subtitle ? subtitleY : titleY) + 22;
  const legendY = graphTop + layout.height + 30;
  // The legend wraps at the drawing's width, or at 560 px for a narrow drawing, so that it never sets the width alone.
  const legend = legendSvg(new Set(graph.nodes.map((n) => n.kind)), MARGIN, legendY, Math.max(graphWidth, 560));
  const width = Math.ceil(
    Math.max(graphWidth, legend.width, textWidth(options.title, DIAGRAM_FONT.title, true), options.subtitle ? textWidth(options.subtitle, DIAGRAM_FONT.subtitle) : 0) + 2 * MARGIN,
  );
  const height = Math.ceil(legendY + legend.height + 12);
  const dx = (width - graphWidth) / 2 - minX;
  const dy = graphTop;

  const edgesSvg = layout.edges
    .map((e) => {
      const d = e.points.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${fmt(a + dx)},${fmt(b + dy)}`).join(' ');
      return `<path class="cn-edge" data-from="${e.edge.from}" data-to="${e.edge.to}" d="${d}" marker-end="url(#ARROW_ID)"/>`;
    })
    .join('');
  const labelsSvg = labels
    .map((l) => `<text x="${fmt(l.x + dx)}" y="${fmt(l.y + dy)}" font-size="${DIAGRAM_FONT.detail}" font-style="italic" fill="#666" text-anchor="${l.anchor}">${labelText}</text>`)
    .join('');
  const nodesSvg = layout.nodes.map((p) => nodeSvg({ ...p, x: p.x + dx, y: p.y + dy })).join('');
  const body =
    `<title>${escapeHtml(options.title)}</title>` +
    `<defs><marker id="ARROW_ID" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">` +
    `<path d="M0,0 L10,5 L0,10 z" fill="${LINE_COLOUR}"/></marker></defs>` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text class="cn-title" x="${MARGIN}" y="${titleY}" font-size="${DIAGRAM_FONT.title}" font-weight="bold">${escapeHtml(options.title)}</text>` +
    (options.subtitle ? `<text class="cn-subtitle" x="${MARGIN}" y="${subtitleY}" font-size="${DIAGRAM_FONT.subtitle}" fill="#555">${escapeHtml(options.subtitle)}</text>` : '') +
    `<g class="cn-edges" fill="none" stroke="${LINE_COLOUR}" stroke-width="1.5">${edgesSvg}</g>` +
    labelsSvg +
    `<g class="cn-nodes">${nodesSvg}</g>` +
    legend.svg;
  const arrowId = `cn-arrow-${hash(body)}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="cn-diagram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" font-family="${FONT_FAMILY}" style="max-width: 100%; height: auto">` +
    body.split('ARROW_ID').join(arrowId) +
    '</svg>'
  );
}
