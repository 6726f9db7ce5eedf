/**
 * Cost accounting of a built tfjs model: parameters (three conventions), multiply-accumulates and
 * memory access cost, per layer and in total, for ONE image.
 *
 * Conventions (docs/sources.md §0.1, §0.2, §5):
 * - `params.weights`   (W):     every learned parameter except BatchNorm's — conv/FC kernels and biases,
 *                               shift offsets, … (the papers' "Params").
 * - `params.trainable` (W+BN2): W + BN γ, β — PyTorch's `sum(p.numel() for p in parameters())` (torchvision).
 * - `params.all`       (W+BN4): W + BN γ, β, moving mean, moving variance — Keras `count_params()` and
 *                               tfjs `model.countParams()`.
 * - `macs`: multiply-accumulates (1 MAC = 1 multiply + 1 add; "FLOPs" = 2 × MACs). Counted for Conv2D
 *   (k_h·k_w·C_in·C_out·H′W′), DepthwiseConv2D (k_h·k_w·C_in·mult·H′W′), SeparableConv2D (dw + pw), Dense
 *   (in·out per position), and custom layers that implement `macs()` ({@link CostAware}). Bias additions,
 *   BatchNorm, activations, pooling, add/concat, padding, shifts and shuffles count **0** (papers' convention).
 * - `memoryAccess`: ShuffleNet V2's MAC (P-SH2 §2), in elements: input elements read + output elements written
 *   + parameter elements read (all of the layer's weights, BN statistics included), per layer.
 *
 * A layer class that holds weights but is neither known here nor {@link CostAware} raises: an unknown
 * layer must never silently cost 0.
 */
import * as tf from '@tensorflow/tfjs';
import { isCostAware } from './cost-types';
import { product } from './shape';

/** Parameter counts of one layer or a whole model in the three conventions above. */
export interface ParamCounts {
  /** W: learned parameters except BatchNorm's. */
  weights: number;
  /** W+BN2: W plus BN γ, β (PyTorch / torchvision). */
  trainable: number;
  /** W+BN4: W plus BN γ, β, moving mean and variance (tfjs `countParams()`, Keras). */
  all: number;
}

/** Cost of one layer for one image. */
export interface LayerCost {
  name: string;
  className: string;
  /** Output shape without the batch axis (the first output's, for multi-output layers), e.g. [H, W, C]. */
  outputShape: number[];
  params: ParamCounts;
  /** Multiply-accumulates for one image. */
  macs: number;
  /** Elements read and written (inputs + outputs + parameters) for one image. */
  memoryAccess: number;
}

/** Cost of a whole model for one image; totals are sums over `layers`. */
export interface CostReport {
  params: ParamCounts;
  macs: number;
  memoryAccess: number;
  layers: LayerCost[];
  /** Model input shape without the batch axis, e.g. [224, 224, 3]. */
  inputShape: number[];
}

/** Layer classes whose weights are BatchNorm statistics/affine terms. */
const BATCH_NORM_CLASSES = new Set(['BatchNormalization']);
/** BN weight names (tfjs `originalName` ends with these) counted as trainable in PyTorch's sense. */
const BN_AFFINE_SUFFIXES = ['gamma', 'beta'];

/** Footer that states what the MAC column counts (shared by the text and HTML tables). */
export const MAC_CONVENTION_NOTE =
  'MACs = multiply-accumulates of conv / depthwise / separable / dense layers and custom cost-aware layers; ' +
  'bias, BatchNorm, activations, pooling, add/concat, padding, shifts and shuffles count 0. ' +
  'Memory access = input + output + parameter elements per layer. ' +
  'Params: W = weights without BN; W+BN2 = + BN gamma,beta (PyTorch); W+BN4 = + BN moving stats (tfjs countParams).';

type Shape = Array<number | null>;

/** Structural view of a tfjs Node (not exported by the public tfjs API). */
interface InboundNode {
  inputShapes: Shape | Shape[];
  outputShapes: Shape | Shape[];
}

/** Normalises a tfjs `Shape | Shape[]` into a list of shapes. */
function shapeList(shapes: Shape | Shape[]): Shape[] {
  return shapes.length > 0 && Array.isArray(shapes[0]) ? (shapes as Shape[]) : [shapes as Shape];
}

/** Drops the batch axis and checks that every other dimension is known; cost needs a fixed input size. */
function perImage(shape: Shape, layerName: string): number[] {
  const dims = shape.slice(1);
  if (dims.some((d) => d === null || d === undefined)) {
    throw new Error(`costOf: layer "${layerName}" has an undetermined shape [${shape.join(', ')}]; build the model with a fixed input size (e.g. [224, 224, 3])`);
  }
  return dims as number[];
}


/** Parameter counts of one layer from its weights (BN's γ,β → trainable; moving stats → all only). */
function layerParams(layer: tf.layers.Layer): ParamCounts {
  const counts: ParamCounts = { weights: 0, trainable: 0, all: 0 };
  const isBatchNorm = BATCH_NORM_CLASSES.has(layer.getClassName());
  for (const w of layer.weights) {
    const size = product(w.shape as number[]);
    counts.all += size;
    if (!isBatchNorm) {
      counts.weights += size;
      counts.trainable += size;
    } else if (BN_AFFINE_SUFFIXES.some((s) => w.originalName.endsWith(s))) {
      counts.trainable += size;
    }
  }
  return counts;
}

/** Size of the layer weight whose name ends with `suffix` (e.g. 'kernel'); throws when absent. */
function weightSize(layer: tf.layers.Layer, suffix: string): number {
  const w = layer.weights.find((v) => v.originalName.endsWith(suffix));
  if (!w) throw new Error(`costOf: layer "${layer.name}" (${layer.getClassName()}) has no weight "${suffix}"`);
  return product(w.shape as number[]);
}

/**
 * MACs of one application of `layer` (one inbound node) for one image.
 * Conv kernels hold k_h·k_w·C_in·C_out (conv) or k_h·k_w·C_in·mult (depthwise) elements, so
 * kernel elements × output positions is exactly the §5 formula.
 */
function layerMacs(layer: tf.layers.Layer, inputs: number[][], outputs: number[][]): number {
  if (isCostAware(layer)) return layer.macs(inputs);
  const out = outputs[0];
  const positions = product(out.slice(0, -1)); // H′·W′ for convs, leading dims for Dense
  switch (layer.getClassName()) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'DepthwiseConv2D':
      return weightSize(layer, layer.getClassName() === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel') * positions;
    case 'SeparableConv2D':
      // The dw part runs at the output resolution (strides apply in the dw conv); pw follows at the same size.
      return (weightSize(layer, 'depthwise_kernel') + weightSize(layer, 'pointwise_kernel')) * positions;
    case 'Dense':
      return weightSize(layer, 'kernel') * positions;
    case 'BatchNormalization':
      return 0;
    default:
      if (layer.weights.length > 0) {
        throw new Error(
          `costOf: layer "${layer.name}" of class ${layer.getClassName()} has weights but no cost rule; ` +
            'implement CostAware.macs() (src/lib/cost-types.ts) or add the class to src/lib/cost.ts',
        );
      }
      return 0; // weight-free layers: activations, pooling, add/concat, padding, reshape, shifts, shuffles
  }
}

/** Costs of every (non-input) layer of `model`, flattening nested models; names of nested layers get a prefix. */
function collectLayers(model: tf.LayersModel, prefix: string, into: LayerCost[]): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      collectLayers(layer, `${prefix}${layer.name}/`, into);
      continue;
    }
    if (layer.getClassName() === 'InputLayer') continue;
    const nodes = (layer as unknown as { inboundNodes: InboundNode[] }).inboundNodes;
    const params = layerParams(layer);
    let macs = 0;
    let memoryAccess = 0;
    let outputShape: number[] = [];
    // A shared layer runs once per inbound node: its arithmetic and traffic add up, its weights do not.
    nodes.forEach((node, i) => {
      const inputs = shapeList(node.inputShapes).map((s) => perImage(s, layer.name));
      const outputs = shapeList(node.outputShapes).map((s) => perImage(s, layer.name));
      if (i === 0) outputShape = outputs[0];
      macs += layerMacs(layer, inputs, outputs);
      memoryAccess += inputs.reduce((a, s) => a + product(s), 0) + outputs.reduce((a, s) => a + product(s), 0) + params.all;
    });
    into.push({ name: prefix + layer.name, className: layer.getClassName(), outputShape, params, macs, memoryAccess });
  }
}

/** Per-layer and total cost of `model` for one image (input shape fixed by the model, batch axis dropped). */
export function costOf(model: tf.LayersModel): CostReport {
  const layers: LayerCost[] = [];
  collectLayers(model, '', layers);
  const params: ParamCounts = { weights: 0, trainable: 0, all: 0 };
  let macs = 0;
  let memoryAccess = 0;
  for (const l of layers) {
    params.weights += l.params.weights;
    params.trainable += l.params.trainable;
    params.all += l.params.all;
    macs += l.macs;
    memoryAccess += l.memoryAccess;
  }
  const inputShape = perImage(model.inputs[0].shape, model.inputs[0].name);
  return { params, macs, memoryAccess, layers, inputShape };
}

/** Plain-JSON form of a report (numbers and arrays only), stable key order, for `--json` and files. */
export function costToJson(report: CostReport): {
  inputShape: number[];
  params: ParamCounts;
  macs: number;
  memoryAccess: number;
  layers: LayerCost[];
} {
  return {
    inputShape: [...report.inputShape],
    params: { ...report.params },
    macs: report.macs,
    memoryAccess: report.memoryAccess,
    layers: report.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShape: [...l.outputShape],
      params: { ...l.params },
      macs: l.macs,
      memoryAccess: l.memoryAccess,
    })),
  };
}

/** Integer with thousands separators, e.g. 4253864 → "4,253,864". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A decimal unit for a column, chosen from the column's total so that small models stay readable. */
interface Unit {
  label: string;
  scale: number;
}

/** G for ≥ 1e10, M for ≥ 1e6, K for ≥ 1e3, otherwise plain counts. */
function unitFor(total: number): Unit {
  if (total >= 1e10) return { label: 'G', scale: 1e9 };
  if (total >= 1e6) return { label: 'M', scale: 1e6 };
  if (total >= 1e3) return { label: 'K', scale: 1e3 };
  return { label: '', scale: 1 };
}

/** `n` in `unit` with 3 decimals (plain integers when the unit is 1). */
function scaled(n: number, unit: Unit): string {
  return unit.scale === 1 ? String(Math.round(n)) : (n / unit.scale).toFixed(3);
}

interface Column {
  title: string;
  align: 'left' | 'right';
  cell(l: LayerCost): string;
  total(r: CostReport): string;
}

/** The table's columns; MAC and memory units adapt to the report's totals. */
function columnsFor(report: CostReport): Column[] {
  const macUnit = unitFor(report.macs);
  const memUnit = unitFor(report.memoryAccess);
  return [
    { title: 'Layer', align: 'left', cell: (l) => l.name, total: () => 'Total' },
    { title: 'Class', align: 'left', cell: (l) => l.className, total: () => '' },
    { title: 'Output (H×W×C)', align: 'left', cell: (l) => l.outputShape.join('×'), total: () => '' },
    { title: 'Params W', align: 'right', cell: (l) => formatCount(l.params.weights), total: (r) => formatCount(r.params.weights) },
    { title: 'W+BN2', align: 'right', cell: (l) => formatCount(l.params.trainable), total: (r) => formatCount(r.params.trainable) },
    { title: 'W+BN4', align: 'right', cell: (l) => formatCount(l.params.all), total: (r) => formatCount(r.params.all) },
    { title: `MACs (${macUnit.label || 'count'})`, align: 'right', cell: (l) => scaled(l.macs, macUnit), total: (r) => scaled(r.macs, macUnit) },
    {
      title: `Mem (${memUnit.label ? memUnit.label + ' ' : ''}elements)`,
      align: 'right',
      cell: (l) => scaled(l.memoryAccess, memUnit),
      total: (r) => scaled(r.memoryAccess, memUnit),
    },
  ];
}

/** Text table of a report: one row per layer, a total row and a footer stating the conventions. */
export function formatCostTable(report: CostReport): string {
  const columns = columnsFor(report);
  const rows = report.layers.map((l) => columns.map((c) => c.cell(l)));
  const total = columns.map((c) => c.total(report));
  const widths = columns.map((c, i) => Math.max(c.title.length, total[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((s, i) => (columns[i].align === 'left' ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    `Input ${report.inputShape.join('×')} (one image)`,
    line(columns.map((c) => c.title)),
    rule,
    ...rows.map(line),
    rule,
    line(total),
    '',
    MAC_CONVENTION_NOTE,
  ].join('\n');
}

/** Escapes text for HTML element content. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** HTML table of a report (for `tslab.display.html` in notebooks), with the same columns and footer as the text table. */
export function costTableHtml(report: CostReport): string {
  const columns = columnsFor(report);
  const cell = (tag: 'td' | 'th', s: string, align: 'left' | 'right') => `<${tag} style="text-align:${align}">${escapeHtml(s)}</${tag}>`;
  const head = `<tr>${columns.map((c) => cell('th', c.title, c.align)).join('')}</tr>`;
  const body = report.layers.map((l) => `<tr>${columns.map((c) => cell('td', c.cell(l), c.align)).join('')}</tr>`).join('\n');
  const total = `<tr style="font-weight:bold">${columns.map((c) => cell('td', c.total(report), c.align)).join('')}</tr>`;
  return [
    '<table class="cost-table">',
    `<caption>Input ${escapeHtml(report.inputShape.join('×'))} (one image)</caption>`,
    `<thead>${head}</thead>`,
    `<tbody>\n${body}\n</tbody>`,
    `<tfoot>${total}<tr><td colspan="${columns.length}" style="text-align:left;font-size:smaller">${escapeHtml(MAC_CONVENTION_NOTE)}</td></tr></tfoot>`,
    '</table>',
  ].join('\n');
}
