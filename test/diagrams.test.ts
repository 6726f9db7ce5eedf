/**
 * Block diagrams (src/lessons/diagram-*.ts, diagrams.ts): each block's graph against the structure of the published
 * block written out by hand (ops, kernels, groups, channels, output shapes, wiring); every layer of the built model
 * drawn exactly once; the SVG well-formed by Python's XML parser, one element per node and arrow, no NaN, no two boxes
 * overlapping; option errors that name the option.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import { fire } from '../src/lib/blocks/fire';
import { invertedResidual } from '../src/lib/blocks/inverted-residual';
import { shuffleUnitV2 } from '../src/lib/blocks/shuffle-units';
import { layerGraph } from '../src/lessons/diagram-graph';
import { diagramSvg } from '../src/lessons/diagram-svg';
import {
  BLOCK_DIAGRAM_KINDS,
  BlockDiagramKind,
  BlockDiagramOptions,
  blockDiagramContent,
  blockDiagramsBundle,
  blockDiagramSvg,
  DIAGRAM_MIME,
  DiagramGraph,
  shuffleUnitDiagrams,
} from '../src/lessons/diagrams';
import { useBackend } from './support/backend';

/**
 * A graph in a form written by hand: nodes as "title | detail | output shape", edges as "from→to" by 0-based index,
 * with ":slot" on the target when it is an add's or a concat's second operand.
 */
function handForm(graph: DiagramGraph): { nodes: string[]; edges: string[] } {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  return {
    nodes: graph.nodes.map((n) => `${n.title} | ${n.detail} | ${n.outputShapes.map((s) => s.join('×')).join(' ')}`),
    edges: graph.edges.map((e) => `${index.get(e.from)}${e.fromSlot ? `.${e.fromSlot}` : ''}→${index.get(e.to)}${e.toSlot ? `:${e.toSlot}` : ''}`).sort(),
  };
}

/** Every (kind, options) form the notebooks and the options document. */
const FORMS: Array<[BlockDiagramKind, BlockDiagramOptions]> = [
  ['fire', {}], ['fire', { bypass: 'simple' }], ['fire', { bypass: 'complex' }],
  ['separable', {}], ['separable', { stride: 2 }],
  ['inverted-residual', {}], ['inverted-residual', { stride: 2 }],
  ['shufflenet-v1-unit', {}], ['shufflenet-v1-unit', { stride: 2 }],
  ['shufflenet-v2-unit', {}], ['shufflenet-v2-unit', { stride: 2 }],
  ['csc', {}], ['csc', { residual: true }], ['csc', { stride: 2, residual: true }],
  ['asl-block', {}], ['asl-block', { stride: 2 }],
  ['ssl-block', {}], ['ssl-block', { residual: true }], ['ssl-block', { stride: 2 }],
  ['fe-block', {}], ['fe-block', { stride: 2 }],
];

describe('block diagrams', function () {
  this.timeout(60000);
  useBackend('cpu');

  describe('the graph of each block is the published structure', () => {
    // Expected structures written from the papers' block figures, at the widths the diagrams use (16×16 input).
    const EXPECTED: Array<{ kind: BlockDiagramKind; options?: BlockDiagramOptions; nodes: string[]; edges: string[] }> = [
      {
        // SqueezeNet Fig. 1: squeeze 1×1 (s1x1 = 16), then expand 1×1 (64) ∥ expand 3×3 (64), concatenated.
        kind: 'fire',
        nodes: [
          'input | 16×16×96 | 16×16×96',
          '1×1 conv | 96→16 · ReLU | 16×16×16',
          '1×1 conv | 16→64 · ReLU | 16×16×64',
          '3×3 conv | 16→64 · ReLU | 16×16×64',
          'concat | 64+64→128 | 16×16×128',
          'output | 16×16×128 | 16×16×128',
        ],
        edges: ['0→1', '1→2', '1→3', '2→4', '3→4:1', '4→5'],
      },
      {
        // SqueezeNet's complex bypass: a 1×1 conv on the input added to the concat.
        kind: 'fire', options: { bypass: 'complex' },
        nodes: [
          'input | 16×16×96 | 16×16×96',
          '1×1 conv | 96→16 · ReLU | 16×16×16',
          '1×1 conv | 16→64 · ReLU | 16×16×64',
          '3×3 conv | 16→64 · ReLU | 16×16×64',
          'concat | 64+64→128 | 16×16×128',
          '1×1 conv | 96→128 | 16×16×128',
          '+ | add, 128 ch | 16×16×128',
          'output | 16×16×128 | 16×16×128',
        ],
        edges: ['0→1', '0→5', '1→2', '1→3', '2→4', '3→4:1', '4→6', '5→6:1', '6→7'],
      },
      {
        // MobileNet V1 Fig. 3 (right): 3×3 depthwise, BN, ReLU, then 1×1, BN, ReLU (ReLU6 in the released code).
        kind: 'separable', options: { stride: 2 },
        nodes: [
          'input | 16×16×64 | 16×16×64',
          '3×3 depthwise conv, g=64, stride 2 | 64→64 · BN · ReLU6 | 8×8×64',
          '1×1 conv | 64→128 · BN · ReLU6 | 8×8×128',
          'output | 8×8×128 | 8×8×128',
        ],
        edges: ['0→1', '1→2', '2→3'],
      },
      {
        // MobileNet V2 Table 1: 1×1 expand (t = 6) ReLU6, 3×3 depthwise ReLU6, 1×1 linear; identity add at stride 1.
        kind: 'inverted-residual',
        nodes: [
          'input | 16×16×24 | 16×16×24',
          '1×1 conv | 24→144 · BN · ReLU6 | 16×16×144',
          '3×3 depthwise conv, g=144 | 144→144 · BN · ReLU6 | 16×16×144',
          '1×1 conv | 144→24 · BN · linear | 16×16×24',
          '+ | add, 24 ch | 16×16×24',
          'output | 16×16×24 | 16×16×24',
        ],
        edges: ['0→1', '0→4', '1→2', '2→3', '3→4:1', '4→5'],
      },
      {
        // ShuffleNet V1 Fig. 2(b): GConv 1×1 + BN + ReLU, shuffle, DWConv 3×3 + BN, GConv 1×1 + BN, add, ReLU.
        kind: 'shufflenet-v1-unit',
        nodes: [
          'input | 16×16×240 | 16×16×240',
          '1×1 group conv, g=3 | 240→60 · BN · ReLU | 16×16×60',
          'channel shuffle | g=3, 60 ch | 16×16×60',
          '3×3 depthwise conv, g=60 | 60→60 · BN · linear | 16×16×60',
          '1×1 group conv, g=3 | 60→240 · BN · linear | 16×16×240',
          '+ | add, 240 ch | 16×16×240',
          'ReLU | 240 ch | 16×16×240',
          'output | 16×16×240 | 16×16×240',
        ],
        edges: ['0→1', '0→5', '1→2', '2→3', '3→4', '4→5:1', '5→6', '6→7'],
      },
      {
        // ShuffleNet V1 Fig. 2(c): stride 2, 3×3 avg pool on the shortcut, concat instead of add.
        kind: 'shufflenet-v1-unit', options: { stride: 2 },
        nodes: [
          'input | 16×16×240 | 16×16×240',
          '1×1 group conv, g=3 | 240→120 · BN · ReLU | 16×16×120',
          'channel shuffle | g=3, 120 ch | 16×16×120',
          '3×3 depthwise conv, g=120, stride 2 | 120→120 · BN · linear | 8×8×120',
          '1×1 group conv, g=3 | 120→240 · BN · linear | 8×8×240',
          '3×3 avg pool, stride 2 | 240→240 | 8×8×240',
          'concat | 240+240→480 | 8×8×480',
          'ReLU | 480 ch | 8×8×480',
          'output | 8×8×480 | 8×8×480',
        ],
        edges: ['0→1', '0→5', '1→2', '2→3', '3→4', '4→6:1', '5→6', '6→7', '7→8'],
      },
      {
        // ShuffleNet V2 Fig. 3(c): channel split; one half untouched, the other 1×1, 3×3 DW, 1×1; concat; shuffle.
        kind: 'shufflenet-v2-unit',
        nodes: [
          'input | 16×16×116 | 16×16×116',
          'channel split | 58 | 58 | 16×16×58 16×16×58',
          '1×1 conv | 58→58 · BN · ReLU | 16×16×58',
          '3×3 depthwise conv, g=58 | 58→58 · BN · linear | 16×16×58',
          '1×1 conv | 58→58 · BN · ReLU | 16×16×58',
          'concat | 58+58→116 | 16×16×116',
          'channel shuffle | g=2, 116 ch | 16×16×116',
          'output | 16×16×116 | 16×16×116',
        ],
        edges: ['0→1', '1.1→2', '1→5', '2→3', '3→4', '4→5:1', '5→6', '6→7'],
      },
      {
        // ShuffleNet V2 Fig. 3(d): no split; both branches stride 2, concat doubles the channels; shuffle.
        kind: 'shufflenet-v2-unit', options: { stride: 2 },
        nodes: [
          'input | 16×16×116 | 16×16×116',
          '3×3 depthwise conv, g=116, stride 2 | 116→116 · BN · linear | 8×8×116',
          '1×1 conv | 116→116 · BN · ReLU | 8×8×116',
          '1×1 conv | 116→116 · BN · ReLU | 16×16×116',
          '3×3 depthwise conv, g=116, stride 2 | 116→116 · BN · linear | 8×8×116',
          '1×1 conv | 116→116 · BN · ReLU | 8×8×116',
          'concat | 116+116→232 | 8×8×232',
          'channel shuffle | g=2, 232 ch | 8×8×232',
          'output | 8×8×232 | 8×8×232',
        ],
        edges: ['0→1', '0→3', '1→2', '2→6', '3→4', '4→5', '5→6:1', '6→7', '7→8'],
      },
      {
        // ShiftNet Fig. 3: 1×1 conv (expansion 3), 3×3 shift, 1×1 conv — conv–shift–conv.
        kind: 'csc',
        nodes: [
          'input | 16×16×16 | 16×16×16',
          '1×1 conv | 16→48 · BN · ReLU | 16×16×48',
          'shift 3×3 | 48→48 | 16×16×48',
          '1×1 conv | 48→16 · BN · ReLU | 16×16×16',
          'output | 16×16×16 | 16×16×16',
        ],
        edges: ['0→1', '1→2', '2→3', '3→4'],
      },
      {
        // AS-ResNet (Jeon & Kim 2018, Fig. 4): pre-activation BN-ReLU, 1×1, BN-ReLU, ASL, 1×1; identity add.
        kind: 'asl-block',
        nodes: [
          'input | 16×16×32 | 16×16×32',
          'BN · ReLU | 32 ch | 16×16×32',
          '1×1 conv | 32→32 · BN · ReLU | 16×16×32',
          'active shift (ASL) | 32→32 | 16×16×32',
          '1×1 conv | 32→32 | 16×16×32',
          '+ | add, 32 ch | 16×16×32',
          'output | 16×16×32 | 16×16×32',
        ],
        edges: ['0→1', '0→5:1', '1→2', '2→3', '3→4', '4→5', '5→6'],
      },
      {
        // FE-Net's IBSSL: 1×1 expand (×4) with ReLU, sparse shift, 1×1 linear projection.
        kind: 'ssl-block',
        nodes: [
          'input | 16×16×16 | 16×16×16',
          '1×1 conv | 16→64 · BN · ReLU | 16×16×64',
          'sparse shift (SSL) | 64→64 | 16×16×64',
          '1×1 conv | 64→16 · BN · linear | 16×16×16',
          'output | 16×16×16 | 16×16×16',
        ],
        edges: ['0→1', '1→2', '2→3', '3→4'],
      },
      {
        // FE-Net Fig. 4 (3n): split C into [C/2 | C/4 | C/4]; the last quarter through a ResIBSSL, concatenated with the
        // other quarter, that through a ResIBSSL, concatenated with the half; an IBSSL closes the block.
        kind: 'fe-block',
        nodes: [
          'input | 16×16×32 | 16×16×32',
          'channel split | 16 | 8 | 8 | 16×16×16 16×16×8 16×16×8',
          '1×1 conv | 8→16 · BN · ReLU | 16×16×16',
          'sparse shift (SSL) | 16→16 | 16×16×16',
          '1×1 conv | 16→8 · BN · linear | 16×16×8',
          '+ | add, 8 ch | 16×16×8',
          'concat | 8+8→16 | 16×16×16',
          '1×1 conv | 16→32 · BN · ReLU | 16×16×32',
          'sparse shift (SSL) | 32→32 | 16×16×32',
          '1×1 conv | 32→16 · BN · linear | 16×16×16',
          '+ | add, 16 ch | 16×16×16',
          'concat | 16+16→32 | 16×16×32',
          '1×1 conv | 32→64 · BN · ReLU | 16×16×64',
          'sparse shift (SSL) | 64→64 | 16×16×64',
          '1×1 conv | 64→32 · BN · linear | 16×16×32',
          'output | 16×16×32 | 16×16×32',
        ],
        edges: [
          '0→1', '1.2→2', '2→3', '3→4', '4→5', '1.2→5:1', '1.1→6', '5→6:1', '6→7', '7→8', '8→9', '9→10', '6→10:1',
          '1→11', '10→11:1', '11→12', '12→13', '13→14', '14→15',
        ],
      },
    ];
    for (const e of EXPECTED) {
      it(`${e.kind} ${JSON.stringify(e.options ?? {})}`, () => {
        const got = handForm(blockDiagramContent(e.kind, e.options).graph);
        assert.deepEqual(got.nodes, e.nodes);
        assert.deepEqual(got.edges, [...e.edges].sort());
      });
    }
  });

  describe('every layer of the built block is drawn exactly once', () => {
    /** A model around one block call on an input of `shape`. */
    const around = (shape: number[], build: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel => {
      const x = tf.input({ shape });
      return tf.model({ inputs: x, outputs: build(x) });
    };
    const CASES: Array<[string, () => tf.LayersModel]> = [
      ['fire', () => around([8, 8, 32], (x) => fire(x, { name: 'f', squeeze: 8, expand1x1: 16, expand3x3: 16, bypass: 'complex' }))],
      ['invertedResidual', () => around([8, 8, 16], (x) => invertedResidual(x, { name: 'ir', outChannels: 16, stride: 1, expansion: 6 }))],
      ['shuffleUnitV2', () => around([8, 8, 24], (x) => shuffleUnitV2(x, { name: 's', outChannels: 24 }))],
    ];
    for (const [name, build] of CASES) {
      it(name, () => {
        const model = build();
        try {
          const graph = layerGraph(model);
          const drawn = graph.nodes.flatMap((n) => n.layers);
          assert.deepEqual([...drawn].sort(), model.layers.map((l) => l.name).sort());
          assert.equal(new Set(drawn).size, drawn.length, 'no layer in two nodes');
          // Each conv-like layer is a node of its own: the diagram has at least as many op boxes as convolutions.
          const convs = model.layers.filter((l) => /Conv2D$/.test(l.getClassName())).length;
          const convNodes = graph.nodes.filter((n) => n.classNames.some((c) => /Conv2D$/.test(c))).length;
          assert.equal(convNodes, convs);
        } finally {
          model.dispose();
        }
      });
    }

    it('a layer applied twice is refused with a message that says why', () => {
      const x = tf.input({ shape: [4, 4, 2] });
      const relu = tf.layers.reLU();
      const y = relu.apply(relu.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
      const model = tf.model({ inputs: x, outputs: y });
      assert.throws(() => layerGraph(model), /applied 2 times in the model; a block diagram draws each layer once/);
    });
  });

  describe('SVG', () => {
    /** Parses `svg` with Python's XML parser; returns '' when well-formed, else the parser's message. */
    const xmlError = (svg: string): string => {
      const script = 'import sys, xml.etree.ElementTree as E\ntry:\n  E.fromstring(sys.stdin.read())\nexcept E.ParseError as e:\n  print(e)';
      const r = spawnSync('/usr/bin/python3', ['-c', script], { input: svg, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };

    it('the oracle rejects a malformed SVG (so the checks below can fail)', () => {
      assert.notEqual(xmlError('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'), '');
      assert.notEqual(xmlError('<svg><text>a < b</text></svg>'), '');
    });

    for (const [kind, options] of FORMS) {
      it(`${kind} ${JSON.stringify(options)}: well-formed, one element per node and arrow, finite, no overlaps, fits`, () => {
        const content = blockDiagramContent(kind, options);
        const svg = blockDiagramSvg(kind, options);
        assert.equal(xmlError(svg), '');
        assert.equal((svg.match(/<g class="cn-node"/g) ?? []).length, content.graph.nodes.length);
        assert.equal((svg.match(/<path class="cn-edge"/g) ?? []).length, content.graph.edges.length);
        assert.ok(!/NaN|Infinity|undefined/.test(svg), 'no non-finite coordinates or missing labels');
        const [, width, height] = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg)!.map(Number);
        assert.ok(width <= 900, `width ${width} px fits a notebook`);
        // Node outlines: rects (boxes), polygons (merges) and circles (adds) inside the drawing, pairwise disjoint.
        const boxes: Array<[number, number, number, number]> = [];
        for (const m of svg.matchAll(/<g class="cn-node"[^>]*>[\s\S]*?<\/title>(<(rect|polygon|circle)[^>]*>)/g)) {
          const tag = m[1];
          const num = (a: string) => Number(new RegExp(`\\s${a}="([^"]+)"`).exec(tag)![1]);
          if (m[2] === 'rect') boxes.push([num('x'), num('y'), num('x') + num('width'), num('y') + num('height')]);
          else if (m[2] === 'circle') boxes.push([num('cx') - num('r'), num('cy') - num('r'), num('cx') + num('r'), num('cy') + num('r')]);
          else {
            const pts = /points="([^"]+)"/.exec(tag)![1].split(' ').map((p) => p.split(',').map(Number));
            boxes.push([Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[1]))]);
          }
        }
        assert.equal(boxes.length, content.graph.nodes.length);
        for (const [x0, y0, x1, y1] of boxes) assert.ok(x0 >= 0 && y0 >= 0 && x1 <= width && y1 <= height, `box ${[x0, y0, x1, y1]} inside ${width}×${height}`);
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const [a, b] = [boxes[i], boxes[j]];
            const apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
            assert.ok(apart, `nodes ${i} and ${j} overlap`);
          }
        }
      });
    }

    it('escapes text: a title with markup stays text', () => {
      const content = blockDiagramContent('csc');
      const svg = diagramSvg(content.graph, { title: 'a <b> & "c"' });
      assert.equal(xmlError(svg), '');
      assert.match(svg, /a &lt;b&gt; &amp; &quot;c&quot;/);
    });
  });

  describe('notebook output', () => {
    it('one output: the manifest the plot check reads, one container per diagram, and the text form', () => {
      const contents = [blockDiagramContent('shufflenet-v1-unit'), blockDiagramContent('shufflenet-v2-unit')];
      const bundle = blockDiagramsBundle(contents);
      assert.deepEqual(bundle[DIAGRAM_MIME], {
        diagrams: contents.map((c) => ({ title: c.title, nodes: c.graph.nodes.length, edges: c.graph.edges.length })),
      });
      const html = String(bundle['text/html']);
      assert.equal((html.match(/<div class="cn-plot" data-kind="diagram"/g) ?? []).length, 2);
      assert.equal((html.match(/<svg /g) ?? []).length, 2);
      assert.match(String(bundle['text/plain']), /\[diagram\] ShuffleNet V1 unit[\s\S]*\[diagram\] ShuffleNet V2 basic unit/);
    });

    it('shuffleUnitDiagrams (for notebook 05) shows the V1 and the V2 unit at the stride asked; outside a kernel as text', () => {
      const printed: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => printed.push(args.join(' '));
      try {
        shuffleUnitDiagrams();
        shuffleUnitDiagrams({ stride: 2 });
      } finally {
        console.log = log;
      }
      assert.equal(printed.length, 2);
      assert.match(printed[0], /^\[diagram\] ShuffleNet V1 unit, g = 3\n[\s\S]*\n\n\[diagram\] ShuffleNet V2 basic unit\n/);
      assert.match(printed[1], /^\[diagram\] ShuffleNet V1 unit, g = 3, stride 2\n[\s\S]*\n\n\[diagram\] ShuffleNet V2 down-sampling unit, stride 2\n/);
    });

    it('the subtitle names the call that built the block', () => {
      assert.equal(blockDiagramContent('fire').subtitle, 'fire(x, { squeeze: 16, expand1x1: 64, expand3x3: 64 }) on a 16×16×96 input');
    });
  });

  describe('options', () => {
    it('every kind draws', () => {
      for (const kind of BLOCK_DIAGRAM_KINDS) assert.ok(blockDiagramContent(kind).graph.nodes.length >= 4, kind);
    });
    it('rejects an unknown kind, an option the kind does not take, and a bad stride, naming them', () => {
      assert.throws(() => blockDiagramContent('resnet' as BlockDiagramKind), /unknown kind "resnet"; choose one of fire, separable/);
      assert.throws(() => blockDiagramContent('fire', { stride: 2 }), /block diagram 'fire': unknown option 'stride'; 'fire' accepts bypass, title/);
      assert.throws(() => blockDiagramContent('csc', { stride: 3 as 1 }), /stride must be 1 or 2, got 3/);
      assert.throws(() => blockDiagramContent('ssl-block', { stride: 2, residual: true }), /IBPool\) has no residual add/);
    });
  });
});
