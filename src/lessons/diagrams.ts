/**
 * Block diagrams of the survey's building blocks, drawn from the library's own block functions: each diagram builds
 * the block (src/lib/blocks) on a symbolic input with small illustrative widths, reads the resulting layer graph
 * and lays it out. A diagram therefore cannot drift from the code: change a block and its diagram changes.
 *
 *     lessons.blockDiagram('fire');                            // SqueezeNet's Fire module
 *     lessons.blockDiagram('inverted-residual', { stride: 2 }); // no residual add at stride 2
 *
 * In a notebook the SVG is sent inline in `text/html` (nbconvert strips `image/svg+xml`), inside
 * `<div class="cn-plot" data-kind="diagram">`, with a manifest of node and edge counts under {@link DIAGRAM_MIME}:
 * tools/check_plots.js checks every declared diagram was drawn in the exported HTML.
 *
 * Introduced in notebooks 03–08: Fire (03-squeezenet), depthwise-separable and inverted residual (04-mobilenet),
 * ShuffleNet V1/V2 units (05-shufflenet, `shuffleUnitDiagrams`), CSC (06-shiftnet), the ASL block (07-active-shift),
 * the SSL block and the FE-Block (08-sparse-shift-fenet).
 */
import * as tf from '@tensorflow/tfjs';
import { fire, FireBypass } from '../lib/blocks/fire';
import { invertedResidual } from '../lib/blocks/inverted-residual';
import { depthwiseSeparable } from '../lib/blocks/separable';
import { asResBlock, cscModule, feBlock, ibPool, ibssl, shiftResBlock } from '../lib/blocks/shift-blocks';
import { shuffleDownUnitV2, shuffleUnitV1, shuffleUnitV2 } from '../lib/blocks/shuffle-units';
import { escapeHtml, inTslabKernel, MimeBundle, sendBundle } from '../lib/display/kernel';
import { DiagramGraph, layerGraph, shapeText } from './diagram-graph';
import { diagramSvg } from './diagram-svg';

export type { DiagramEdge, DiagramGraph, DiagramNode, DiagramNodeKind } from './diagram-graph';

/** The blocks a diagram can show. */
export const BLOCK_DIAGRAM_KINDS = [
  'fire',
  'separable',
  'inverted-residual',
  'shufflenet-v1-unit',
  'shufflenet-v2-unit',
  'csc',
  'asl-block',
  'ssl-block',
  'fe-block',
] as const;

export type BlockDiagramKind = (typeof BLOCK_DIAGRAM_KINDS)[number];

/** Options of a block diagram; each kind accepts the ones listed in {@link blockDiagramOptionNames}. */
export interface BlockDiagramOptions {
  /**
   * 1 or 2 (default 1). Stride 2 is the down-sampling form where the block differs: no residual add (inverted
   * residual), avg-pooled shortcut + concat (ShuffleNet V1), two branches and no split (ShuffleNet V2), strided
   * second 1×1 (CSC), strided ASL + projection shortcut (ASL block), FE-Net's IBPool (SSL block; the FE-Block's closing
   * unit).
   */
  stride?: 1 | 2;
  /** Fire only: SqueezeNet's bypass, 'none' (default), 'simple' (identity) or 'complex' (1×1 conv shortcut). */
  bypass?: FireBypass;
  /** CSC and SSL block: add the input (ShiftResNet's block; FE-Net's ResIBSSL). Default false. */
  residual?: boolean;
  /** Replaces the diagram's title. */
  title?: string;
}

/** A block built for a diagram: how to build it, on what input, and how to say so. */
interface Specimen {
  title: string;
  /** The library call, as the subtitle shows it. */
  call: string;
  /** Input [H, W, C]. */
  input: [number, number, number];
  build: (x: tf.SymbolicTensor) => tf.SymbolicTensor;
}

/** Spatial size of every specimen's input: small, and even so that stride 2 halves it exactly. */
const SIDE = 16;

/** "{ a: 1, b: 'x' }" — a call's options as the subtitle prints them. */
function optionsText(o: Record<string, unknown>): string {
  const parts = Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`);
  return `{ ${parts.join(', ')} }`;
}

/** Specimen of one call `fn(x, o)` of a block function named `fnName`. */
function specimen<O extends object>(
  title: string,
  fnName: string,
  fn: (x: tf.SymbolicTensor, o: O & { name: string }) => tf.SymbolicTensor,
  inChannels: number,
  o: O,
): Specimen {
  const name = 'block';
  return {
    title,
    call: `${fnName}(x, ${optionsText(o as Record<string, unknown>)})`,
    input: [SIDE, SIDE, inChannels],
    build: (x) => fn(x, { ...o, name }),
  };
}

/** Option names each kind accepts (besides `title`). */
const OPTION_NAMES: Record<BlockDiagramKind, Array<keyof BlockDiagramOptions>> = {
  fire: ['bypass'],
  separable: ['stride'],
  'inverted-residual': ['stride'],
  'shufflenet-v1-unit': ['stride'],
  'shufflenet-v2-unit': ['stride'],
  csc: ['stride', 'residual'],
  'asl-block': ['stride'],
  'ssl-block': ['stride', 'residual'],
  'fe-block': ['stride'],
};

/** The options `kind` accepts, `title` included. */
export function blockDiagramOptionNames(kind: BlockDiagramKind): string[] {
  return [...OPTION_NAMES[checkKind(kind)], 'title'];
}

/** Throws unless `kind` is one of {@link BLOCK_DIAGRAM_KINDS}. */
function checkKind(kind: unknown): BlockDiagramKind {
  if (!(BLOCK_DIAGRAM_KINDS as readonly unknown[]).includes(kind)) {
    throw new Error(`block diagram: unknown kind ${JSON.stringify(kind)}; choose one of ${BLOCK_DIAGRAM_KINDS.join(', ')}`);
  }
  return kind as BlockDiagramKind;
}

/** Validates the options of `kind` and fills the defaults. */
function checkOptions(kind: BlockDiagramKind, options: BlockDiagramOptions): Required<Omit<BlockDiagramOptions, 'title'>> & { title?: string } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`block diagram '${kind}': options must be an object such as { stride: 2 }, got ${JSON.stringify(options)}`);
  }
  const accepted = blockDiagramOptionNames(kind);
  for (const key of Object.keys(options)) {
    if (!accepted.includes(key)) throw new Error(`block diagram '${kind}': unknown option '${key}'; '${kind}' accepts ${accepted.join(', ')}`);
  }
  const stride = options.stride ?? 1;
  if (stride !== 1 && stride !== 2) throw new Error(`block diagram '${kind}': stride must be 1 or 2, got ${JSON.stringify(options.stride)}`);
  const bypass = options.bypass ?? 'none';
  if (!['none', 'simple', 'complex'].includes(bypass)) {
    throw new Error(`block diagram '${kind}': bypass must be 'none', 'simple' or 'complex', got ${JSON.stringify(options.bypass)}`);
  }
  const residual = options.residual ?? false;
  if (typeof residual !== 'boolean') throw new Error(`block diagram '${kind}': residual must be true or false, got ${JSON.stringify(options.residual)}`);
  if (kind === 'ssl-block' && residual && stride === 2) {
    throw new Error("block diagram 'ssl-block': FE-Net's stride-2 unit (IBPool) has no residual add; use { stride: 2 } or { residual: true }");
  }
  if (options.title !== undefined && typeof options.title !== 'string') {
    throw new Error(`block diagram '${kind}': title must be a string, got ${JSON.stringify(options.title)}`);
  }
  return { stride, bypass, residual, title: options.title };
}

/** The block to draw for `kind` and its (validated) options, with widths from the papers' early stages. */
function specimenFor(kind: BlockDiagramKind, o: ReturnType<typeof checkOptions>): Specimen {
  const s2 = o.stride === 2;
  switch (kind) {
    case 'fire': {
      // SqueezeNet fire2 (96 → 128); a simple bypass needs in = out, as at fire3 (128 → 128).
      const bypassName = { none: '', simple: ', simple bypass', complex: ', complex bypass' }[o.bypass];
      return specimen(`Fire module (SqueezeNet)${bypassName}`, 'fire', fire, o.bypass === 'simple' ? 128 : 96, {
        squeeze: 16,
        expand1x1: 64,
        expand3x3: 64,
        bypass: o.bypass === 'none' ? undefined : o.bypass,
      });
    }
    case 'separable':
      return specimen(`Depthwise-separable block (MobileNet V1)${s2 ? ', stride 2' : ''}`, 'depthwiseSeparable', depthwiseSeparable, s2 ? 64 : 32, {
        outChannels: s2 ? 128 : 64,
        stride: o.stride,
      });
    case 'inverted-residual':
      return specimen(`Inverted residual with linear bottleneck (MobileNet V2)${s2 ? ', stride 2' : ''}`, 'invertedResidual', invertedResidual, 24, {
        outChannels: s2 ? 32 : 24,
        stride: o.stride,
        expansion: 6,
      });
    case 'shufflenet-v1-unit':
      return specimen(`ShuffleNet V1 unit, g = 3${s2 ? ', stride 2' : ''}`, 'shuffleUnitV1', shuffleUnitV1, 240, {
        outChannels: s2 ? 480 : 240,
        groups: 3,
        stride: o.stride,
        bottleneck: s2 ? 120 : 60,
      });
    case 'shufflenet-v2-unit':
      return s2
        ? specimen('ShuffleNet V2 down-sampling unit, stride 2', 'shuffleDownUnitV2', shuffleDownUnitV2, 116, { outChannels: 232 })
        : specimen('ShuffleNet V2 basic unit', 'shuffleUnitV2', shuffleUnitV2, 116, { outChannels: 116 });
    case 'csc': {
      const opts = { outChannels: s2 ? 32 : 16, expansion: 3, kernelSize: 3, stride: o.stride };
      return o.residual
        ? specimen(`ShiftResNet block: CSC + shortcut${s2 ? ', stride 2' : ''}`, 'shiftResBlock', shiftResBlock, 16, opts)
        : specimen(`CSC module, conv–shift–conv (ShiftNet)${s2 ? ', stride 2' : ''}`, 'cscModule', cscModule, 16, opts);
    }
    case 'asl-block':
      return specimen(`AS-ResNet block with active shift (ASL)${s2 ? ', stride 2' : ''}`, 'asResBlock', asResBlock, s2 ? 16 : 32, {
        outChannels: 32,
        stride: o.stride,
      });
    case 'ssl-block':
      if (s2) return specimen('IBPool, FE-Net\u2019s stride-2 unit (2×2 avg pool in place of the SSL)', 'ibPool', ibPool, 16, { outChannels: 32, expansion: 4 });
      return o.residual
        ? specimen('ResIBSSL: inverted bottleneck with sparse shift (FE-Net)', 'ibssl', ibssl, 16, { outChannels: 16, expansion: 4, residual: true })
        : specimen('IBSSL: inverted bottleneck with sparse shift (FE-Net)', 'ibssl', ibssl, 16, { outChannels: 16, expansion: 4 });
    case 'fe-block':
      // The '3n' block at FE-Net's CIFAR-scale widths: slices [16 | 8 | 8] of 32 channels, expansion 2 to keep boxes short.
      return specimen(`FE-Block 3n (FE-Net)${s2 ? ', down-sampling' : ''}`, 'feBlock', feBlock, 32, {
        kind: '3n' as const,
        outChannels: s2 ? 64 : 32,
        downsample: s2,
        expansion: 2,
      });
  }
}

/** A built specimen: the model wrapping the block, to read and then dispose. */
function buildSpecimen(spec: Specimen): tf.LayersModel {
  const x = tf.input({ shape: spec.input, name: 'input' });
  return tf.model({ inputs: x, outputs: spec.build(x), name: 'block_diagram' });
}

/** What a diagram shows: its title, the call that built the block, and the graph read from the built layers. */
export interface BlockDiagramContent {
  kind: BlockDiagramKind;
  title: string;
  /** e.g. "fire(x, { squeeze: 16, expand1x1: 64, expand3x3: 64 }) on a 16×16×96 input". */
  subtitle: string;
  graph: DiagramGraph;
}

/** Builds the block of `kind` and reads its layer graph (the model's weights are disposed before returning). */
export function blockDiagramContent(kind: BlockDiagramKind, options: BlockDiagramOptions = {}): BlockDiagramContent {
  const checked = checkOptions(checkKind(kind), options);
  const spec = specimenFor(kind, checked);
  const model = buildSpecimen(spec);
  try {
    const graph = layerGraph(model);
    return { kind, title: checked.title ?? spec.title, subtitle: `${spec.call} on a ${shapeText([-1, ...spec.input])} input`, graph };
  } finally {
    model.dispose();
  }
}

/** SVG of any built model's layer graph (e.g. a block of your own wrapped in tf.model); pure. */
export function layerDiagramSvg(model: tf.LayersModel, options: { title: string; subtitle?: string }): string {
  return diagramSvg(layerGraph(model), options);
}

/** SVG string of the block diagram of `kind` (width ≤ 900 px, labels ≥ 11 px); pure. */
export function blockDiagramSvg(kind: BlockDiagramKind, options: BlockDiagramOptions = {}): string {
  const content = blockDiagramContent(kind, options);
  return diagramSvg(content.graph, { title: content.title, subtitle: content.subtitle });
}

/** Plain-text form of a diagram: one line per node with its inputs, for terminals and the text/plain fallback. */
export function blockDiagramText(content: BlockDiagramContent): string {
  const number = new Map(content.graph.nodes.map((n, i) => [n.id, i + 1]));
  const lines = content.graph.nodes.map((n) => {
    const inputs = content.graph.edges.filter((e) => e.to === n.id).sort((a, b) => a.toSlot - b.toSlot).map((e) => number.get(e.from));
    const label = n.kind === 'add' ? n.detail : `${n.title} ${n.detail}`;
    return `  ${number.get(n.id)}. ${label}${inputs.length > 0 ? `  ← ${inputs.join(', ')}` : ''}`;
  });
  return [`[diagram] ${content.title}`, `  built by ${content.subtitle}`, ...lines].join('\n');
}

/** MIME type of the manifest a diagram output carries: what tools/check_plots.js expects to find drawn in the HTML. */
export const DIAGRAM_MIME = 'application/vnd.compact-nets.diagram+json';

/** One diagram of an output as the plot check sees it: title and the node and edge counts of its graph. */
export interface DiagramManifestEntry {
  title: string;
  nodes: number;
  edges: number;
}

/** The HTML of one diagram: the inline SVG in a container the plot check counts (node and edge counts as attributes). */
export function blockDiagramHtml(content: BlockDiagramContent): string {
  const svg = diagramSvg(content.graph, { title: content.title, subtitle: content.subtitle });
  return (
    `<div class="cn-plot" data-kind="diagram" data-title="${escapeHtml(content.title)}" ` +
    `data-nodes="${content.graph.nodes.length}" data-edges="${content.graph.edges.length}">${svg}</div>`
  );
}

/**
 * One display output holding `contents` side by side (wrapping when narrow): inline SVG in text/html (nbconvert strips
 * image/svg+xml), the manifest under {@link DIAGRAM_MIME}, and the text form.
 */
export function blockDiagramsBundle(contents: BlockDiagramContent[]): MimeBundle {
  if (contents.length === 0) throw new Error('block diagrams: nothing to draw (an empty list of diagrams)');
  const manifest: { diagrams: DiagramManifestEntry[] } = {
    diagrams: contents.map((c) => ({ title: c.title, nodes: c.graph.nodes.length, edges: c.graph.edges.length })),
  };
  const html =
    contents.length === 1
      ? blockDiagramHtml(contents[0])
      : `<div class="cn-diagram-row" style="display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start">${contents.map(blockDiagramHtml).join('')}</div>`;
  return { [DIAGRAM_MIME]: manifest, 'text/html': html, 'text/plain': contents.map(blockDiagramText).join('\n\n') };
}

/** Shows `contents` in a notebook as one output; prints their text form outside one. */
function showDiagrams(contents: BlockDiagramContent[]): void {
  const bundle = blockDiagramsBundle(contents);
  if (inTslabKernel()) sendBundle(bundle);
  else console.log(bundle['text/plain']);
}

/** Shows the block diagram of `kind` in a notebook (inline SVG in text/html); prints its text form outside one. */
export function blockDiagram(kind: BlockDiagramKind, options: BlockDiagramOptions = {}): void {
  showDiagrams([blockDiagramContent(kind, options)]);
}

/** Shows several block diagrams side by side, e.g. `blockDiagrams(['inverted-residual', ['inverted-residual', { stride: 2 }]])`. */
export function blockDiagrams(list: Array<BlockDiagramKind | [BlockDiagramKind, BlockDiagramOptions]>): void {
  showDiagrams(list.map((item) => (Array.isArray(item) ? blockDiagramContent(item[0], item[1]) : blockDiagramContent(item))));
}

/** Shows the ShuffleNet V1 unit (g = 3) beside the V2 unit, both at stride 1 (default) or both at stride 2 (notebook 05). */
export function shuffleUnitDiagrams(options: { stride?: 1 | 2 } = {}): void {
  const stride = options.stride ?? 1;
  blockDiagrams([
    ['shufflenet-v1-unit', { stride }],
    ['shufflenet-v2-unit', { stride }],
  ]);
}
