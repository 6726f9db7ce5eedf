/**
 * Layering of src/: the core (src/lib) imports neither models, experiments, lessons nor the CLI; models import only
 * the core; experiments the core and models; lessons everything but the CLI. The scanner is checked on a synthetic
 * graph and on files written to a temporary folder, so that a clean result on src/ means something.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeEdges, importEdges, ImportEdge, importSpecifiers, layerOf, LAYERS, wrongWayEdges } from './support/import-graph';
import { REPO_ROOT } from './support/paths';

const SRC = path.join(REPO_ROOT, 'src');

describe('architecture: import directions in src/', () => {
  it('src/ has no import pointing to an outer layer or out of src/', () => {
    const edges = importEdges(SRC);
    const wrong = wrongWayEdges(edges);
    assert.deepEqual(wrong, [], `imports the wrong way:\n${describeEdges(wrong)}`);
  });

  it('the scan sees the layers import inwards (so the clean result above is not an empty graph)', () => {
    const edges = importEdges(SRC);
    const pairs = new Set(edges.map((e) => `${layerOf(e.from)}→${layerOf(e.to)}`));
    for (const pair of ['lib→lib', 'models→lib', 'experiments→models', 'lessons→experiments', 'cli→lessons', 'index→lessons']) {
      assert.ok(pairs.has(pair), `no ${pair} import found; found: ${[...pairs].sort().join(', ')}`);
    }
    for (const file of ['lib/backend.ts', 'models/registry.ts', 'experiments/run.ts', 'lessons/index.ts', 'cli/main.ts']) {
      assert.ok(edges.some((e) => e.to === file), `nothing imports ${file}`);
    }
  });

  it('every file of src/ lies in a layer', () => {
    for (const e of importEdges(SRC)) assert.ok(layerOf(e.from) !== undefined, e.from);
  });

  it('flags each outward arrow of a synthetic graph and accepts every inward one', () => {
    const file: Record<(typeof LAYERS)[number], string> = {
      lib: 'lib/cost.ts', models: 'models/registry.ts', experiments: 'experiments/run.ts', lessons: 'lessons/table.ts', cli: 'cli/main.ts', index: 'index.ts',
    };
    const all: ImportEdge[] = [];
    for (const from of LAYERS) for (const to of LAYERS) all.push({ from: file[from], to: file[to], specifier: `${from}→${to}` });
    const flagged = wrongWayEdges(all).map((e) => e.specifier).sort();
    const expected = all.filter((e) => LAYERS.indexOf(layerOf(e.to)!) > LAYERS.indexOf(layerOf(e.from)!)).map((e) => e.specifier).sort();
    assert.equal(flagged.length, (LAYERS.length * (LAYERS.length - 1)) / 2);
    assert.deepEqual(flagged, expected);
    for (const wrong of ['lib→models', 'lib→lessons', 'lib→experiments', 'lib→cli', 'models→experiments', 'models→lessons', 'experiments→lessons', 'lessons→cli']) {
      assert.ok(flagged.includes(wrong), wrong);
    }
    assert.deepEqual(wrongWayEdges([{ from: 'lib/a.ts', to: '../bench/modes.ts', specifier: '../../bench/modes' }]).length, 1, 'an import out of src/');
  });

  it('finds static, type-only, require, import() and typeof import() arrows in files on disk, not ones in comments or strings', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compact-nets-arch-'));
    try {
      const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      };
      write('lessons/table.ts', 'export const t = 1;\n');
      write('models/index.ts', 'export const m = 1;\n');
      write('experiments/run.ts', 'export const r = 1;\n');
      write('cli/main.ts', 'export const c = 1;\n');
      write('lib/ok.ts', 'export const ok = 1;\n');
      write(
        'lib/bad.ts',
        [
          "import { ok } from './ok';",
          "import type { t } from '../lessons/table';",
          "const models = require('../models');",
          "const run = import('../experiments/run');",
          "type Cli = typeof import('../cli/main');",
          "// require('../lessons/table') in a comment is not an import",
          "const text = \"import('../cli/main')\";",
        ].join('\n'),
      );
      const wrong = wrongWayEdges(importEdges(dir));
      assert.deepEqual(
        wrong.map((e) => `${e.from}→${e.to}`).sort(),
        ['lib/bad.ts→cli/main.ts', 'lib/bad.ts→experiments/run.ts', 'lib/bad.ts→lessons/table.ts', 'lib/bad.ts→models/index.ts'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every kind of module reference', () => {
    const text = "export * from './a';\nexport * as b from './b';\nexport type { C } from './c';\nimport d = require('./d');\nimport './e';\nimport * as f from 'f';";
    assert.deepEqual(importSpecifiers(text), ['./a', './b', './c', './d', './e', 'f']);
  });
});
