/**
 * A deterministic layered layout for block diagrams (small directed acyclic graphs, top to bottom):
 *
 * 1. rows: each node's row is the longest path from an input (its topological rank);
 * 2. an edge that skips rows gets a waypoint in every row it crosses, so that no line runs through a box;
 * 3. left to right within a row: depth-first from the outputs, inputs in operand order, so that an add's or a
 *    concat's first operand is drawn on the left and parallel branches sit side by side;
 * 4. x: a straight vertical chain (boxes with one input and one output each, or one edge's waypoints) shares one x.
 *    Chains start packed to the left under the order of step 3, then each chain holding a box is centred on its
 *    neighbours (a fork over its branches, a merge under them) — except on identity shortcuts into an add, so that
 *    a residual block's main path stays straight — and the order constraints are restored after each round;
 * 5. edges are routed orthogonally: vertical lines with one horizontal step in the gap between two rows; an identity
 *    shortcut enters its add from the side.
 *
 * Used by the block diagrams of notebooks 03–08 (src/lessons/diagrams.ts).
 */
import type { DiagramEdge, DiagramGraph, DiagramNode } from './diagram-graph';

/** Size of a drawn node in px. */
export interface NodeSize {
  width: number;
  height: number;
}

/** Spacing of the layout in px. */
export interface LayoutSpacing {
  /** Vertical gap between rows (room for the horizontal step of an edge and its arrowhead). */
  rowGap: number;
  /** Horizontal gap between two boxes in a row. */
  boxGap: number;
  /** Horizontal gap between a line passing through a row and a box or another line. */
  lineGap: number;
}

export const DEFAULT_SPACING: LayoutSpacing = { rowGap: 34, boxGap: 28, lineGap: 20 };

/** A node with its position: `x` is its centre, `y` its top, in px from the layout's top-left corner. */
export interface PlacedNode {
  node: DiagramNode;
  row: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge as a polyline of [x, y] points, first at the source, last at the target (where the arrowhead goes). */
export interface RoutedEdge {
  edge: DiagramEdge;
  points: Array<[number, number]>;
  /** True for a skip path with no layer on it (an identity shortcut or a split piece passed through unchanged). */
  identity: boolean;
}

export interface DiagramLayout {
  nodes: PlacedNode[];
  edges: RoutedEdge[];
  width: number;
  height: number;
}

/** A node or an edge's waypoint in one row. */
interface Item {
  row: number;
  /** Index of the node, or -1 for a waypoint. */
  node: number;
  width: number;
  preds: number[];
  succs: number[];
}

/** A vertical run of items sharing one x. */
interface Chain {
  items: number[];
  /** Holds a node (else it is part of one edge's waypoints). */
  real: boolean;
  /** Waypoints only, of an edge that ends at an add: an identity shortcut. */
  shortcut: boolean;
}

/** Mean of a non-empty list. */
function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Longest-path rank of each node (inputs at 0). Throws on a cycle. */
function ranks(graph: DiagramGraph, index: Map<string, number>): number[] {
  const n = graph.nodes.length;
  const indegree = new Array<number>(n).fill(0);
  for (const e of graph.edges) indegree[index.get(e.to)!]++;
  const rank = new Array<number>(n).fill(0);
  const ready = graph.nodes.map((_, i) => i).filter((i) => indegree[i] === 0);
  let seen = 0;
  while (ready.length > 0) {
    const i = ready.shift()!;
    seen++;
    for (const e of graph.edges) {
      if (index.get(e.from) !== i) continue;
      const j = index.get(e.to)!;
      rank[j] = Math.max(rank[j], rank[i] + 1);
      if (--indegree[j] === 0) ready.push(j);
    }
  }
  if (seen !== n) throw new Error('diagram layout: the graph has a cycle');
  return rank;
}

/** Lays out `graph` with node sizes from `sizeOf`; pure and deterministic. */
export function layoutDiagram(graph: DiagramGraph, sizeOf: (node: DiagramNode) => NodeSize, spacing: LayoutSpacing = DEFAULT_SPACING): DiagramLayout {
  const index = new Map(graph.nodes.map((node, i) => [node.id, i]));
  for (const e of graph.edges) {
    if (!index.has(e.from) || !index.has(e.to)) throw new Error(`diagram layout: edge ${e.from} → ${e.to} names a node that is not in the graph`);
  }
  const rank = ranks(graph, index);
  const sizes = graph.nodes.map(sizeOf);

  // Items: the nodes, then each long edge's waypoints; every edge becomes a path of items.
  const items: Item[] = graph.nodes.map((_, i) => ({ row: rank[i], node: i, width: sizes[i].width, preds: [], succs: [] }));
  const edgeOrder = graph.edges.map((_, k) => k).sort((a, b) => {
    const ea = graph.edges[a];
    const eb = graph.edges[b];
    return index.get(ea.to)! - index.get(eb.to)! || ea.toSlot - eb.toSlot || a - b;
  });
  const paths: number[][] = graph.edges.map(() => []);
  for (const k of edgeOrder) {
    const e = graph.edges[k];
    const from = index.get(e.from)!;
    const to = index.get(e.to)!;
    const path = [from];
    for (let r = rank[from] + 1; r < rank[to]; r++) {
      items.push({ row: r, node: -1, width: 0, preds: [], succs: [] });
      path.push(items.length - 1);
    }
    path.push(to);
    for (let p = 0; p + 1 < path.length; p++) {
      items[path[p]].succs.push(path[p + 1]);
      items[path[p + 1]].preds.push(path[p]); // edges were visited in operand order: preds come out ordered
    }
    paths[k] = path;
  }

  // Left-to-right order: depth-first preorder from the outputs, operands in order.
  const order = new Array<number>(items.length).fill(-1);
  let counter = 0;
  const visit = (i: number): void => {
    if (order[i] >= 0) return;
    order[i] = counter++;
    for (const p of items[i].preds) visit(p);
  };
  items.forEach((item, i) => item.succs.length === 0 && visit(i));
  items.forEach((_, i) => visit(i));
  const rowCount = Math.max(...rank) + 1;
  const rows: number[][] = Array.from({ length: rowCount }, () => []);
  items.forEach((item, i) => rows[item.row].push(i));
  for (const row of rows) row.sort((a, b) => order[a] - order[b]);

  // Chains: an item continues its predecessor's chain when that is its only predecessor and it is that one's only successor.
  const chainOf = new Array<number>(items.length).fill(-1);
  const chains: Chain[] = [];
  for (const row of rows) {
    for (const i of row) {
      const item = items[i];
      const p = item.preds.length === 1 ? item.preds[0] : -1;
      if (p >= 0 && items[p].succs.length === 1) {
        chainOf[i] = chainOf[p];
        chains[chainOf[i]].items.push(i);
      } else {
        chainOf[i] = chains.length;
        chains.push({ items: [i], real: false, shortcut: false });
      }
    }
  }
  for (const chain of chains) {
    chain.real = chain.items.some((i) => items[i].node >= 0);
    const end = items[chain.items[chain.items.length - 1]].succs[0];
    chain.shortcut = !chain.real && end !== undefined && graph.nodes[items[end].node]?.kind === 'add';
  }

  // Order constraints between neighbouring chains of each row: x(right) ≥ x(left) + separation.
  const constraints: Array<{ left: number; right: number; sep: number }> = [];
  for (const row of rows) {
    for (let k = 0; k + 1 < row.length; k++) {
      const a = items[row[k]];
      const b = items[row[k + 1]];
      const gap = a.node >= 0 && b.node >= 0 ? spacing.boxGap : spacing.lineGap;
      constraints.push({ left: chainOf[row[k]], right: chainOf[row[k + 1]], sep: a.width / 2 + b.width / 2 + gap });
    }
  }
  const x = new Array<number>(chains.length).fill(0);
  const relax = (): void => {
    for (let round = 0; round <= chains.length + 1; round++) {
      let changed = false;
      for (const c of constraints) {
        const need = x[c.left] + c.sep;
        if (x[c.right] < need - 1e-9) {
          x[c.right] = need;
          changed = true;
        }
      }
      if (!changed) return;
    }
    throw new Error('diagram layout: the left-to-right order of the rows is inconsistent (a chain is left of another in one row and right of it in another)');
  };
  relax();

  // Centre each chain that holds a box on its neighbours; identity shortcuts into an add do not pull.
  const pulls = (list: number[]): number[] => {
    const kept = list.filter((i) => !chains[chainOf[i]].shortcut);
    return (kept.length > 0 ? kept : list).map((i) => x[chainOf[i]]);
  };
  const target = (chain: Chain): number | undefined => {
    const preds = items[chain.items[0]].preds;
    const succs = items[chain.items[chain.items.length - 1]].succs;
    if (preds.length >= 2 && succs.length >= 2) return (mean(pulls(preds)) + mean(pulls(succs))) / 2;
    if (succs.length >= 2) return mean(pulls(succs));
    if (preds.length >= 2) return mean(pulls(preds));
    if (preds.length + succs.length === 0) return undefined;
    return mean(pulls([...preds, ...succs]));
  };
  const topDown = chains.map((_, c) => c).filter((c) => chains[c].real);
  for (let round = 0; round < 24; round++) {
    for (const c of round % 2 === 0 ? topDown : [...topDown].reverse()) {
      const t = target(chains[c]);
      if (t !== undefined) x[c] = t;
    }
    relax();
  }

  const left = Math.min(...items.map((item, i) => x[chainOf[i]] - item.width / 2));
  const itemX = items.map((_, i) => x[chainOf[i]] - left);
  const rowHeight = rows.map((row) => Math.max(0, ...row.filter((i) => items[i].node >= 0).map((i) => sizes[items[i].node].height)));
  const rowTop: number[] = [];
  let y = 0;
  for (let r = 0; r < rowCount; r++) {
    rowTop.push(y);
    y += rowHeight[r] + spacing.rowGap;
  }
  const height = y - spacing.rowGap;

  const nodes: PlacedNode[] = graph.nodes.map((node, i) => ({
    node,
    row: rank[i],
    x: itemX[i],
    y: rowTop[rank[i]] + (rowHeight[rank[i]] - sizes[i].height) / 2,
    width: sizes[i].width,
    height: sizes[i].height,
  }));
  const inCount = graph.nodes.map((node) => graph.edges.filter((e) => e.to === node.id).length);
  const portX = (i: number, slot: number, count: number, kind: 'in' | 'out'): number => {
    const node = nodes[i];
    const spread = (kind === 'in' && node.node.kind === 'concat') || (kind === 'out' && node.node.kind === 'split');
    if (!spread || count < 2) return node.x;
    return node.x + (slot / (count - 1) - 0.5) * node.width * 0.5;
  };

  const edges: RoutedEdge[] = graph.edges.map((edge, k) => {
    const path = paths[k];
    const source = nodes[path[0]];
    const target = nodes[path[path.length - 1]];
    const outCount = source.node.kind === 'split' ? source.node.layers.length : 1;
    let cx = portX(path[0], edge.fromSlot, outCount, 'out');
    const points: Array<[number, number]> = [[cx, source.y + source.height]];
    const stepTo = (nx: number, row: number): void => {
      if (Math.abs(nx - cx) < 0.5) return;
      const gapY = rowTop[row] - spacing.rowGap / 2;
      points.push([cx, gapY], [nx, gapY]);
      cx = nx;
    };
    for (const waypoint of path.slice(1, -1)) {
      const row = items[waypoint].row;
      stepTo(itemX[waypoint], row);
      points.push([cx, rowTop[row] + rowHeight[row]]);
    }
    const tx = portX(path[path.length - 1], edge.toSlot, inCount[path[path.length - 1]], 'in');
    if (target.node.kind === 'add' && path.length > 2 && Math.abs(cx - tx) > target.width / 2) {
      const cy = target.y + target.height / 2;
      points.push([cx, cy], [cx < tx ? target.x - target.width / 2 : target.x + target.width / 2, cy]);
    } else {
      stepTo(tx, target.row);
      points.push([cx, target.y]);
    }
    const identity = path.length > 2 && !chains[chainOf[path[1]]].real;
    return { edge, points, identity };
  });

  const width = Math.max(...nodes.map((n) => n.x + n.width / 2), ...itemX);
  return { nodes, edges, width, height };
}
