/**
 * The import graph of `src/` and the layering it must respect. Layers, inner to outer: `lib` (the core), `models`,
 * `experiments`, `lessons`, `cli`, then the package entry `src/index.ts`. A file may import its own layer and the
 * layers inside it, never one outside it; nothing in `src/` may import a file outside `src/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { filesBelow } from './paths';

/** The layers of `src/`, inner to outer; `index` is the package entry (`src/index.ts`). */
export const LAYERS = ['lib', 'models', 'experiments', 'lessons', 'cli', 'index'] as const;
export type Layer = (typeof LAYERS)[number];

/** One import of a relative module: importing file → imported file, both relative to the scanned `src` folder. */
export interface ImportEdge {
  from: string;
  to: string;
  /** The module specifier as written, e.g. "../models". */
  specifier: string;
}

/**
 * Module specifiers a TypeScript file imports, in source order: static imports and re-exports (type-only and
 * `export * as ns` too), `import x = require(...)`, `require(...)`, `import(...)` and `typeof import(...)`.
 * Read from the syntax tree, so comments and string contents are not imports.
 */
export function importSpecifiers(text: string): string[] {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      literal(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier resolves to (`x.ts`, else `x/index.ts`), relative to `srcDir`; undefined when neither exists. */
function resolveRelative(srcDir: string, fromFile: string, specifier: string): string | undefined {
  const base = path.join(srcDir, path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return path.relative(srcDir, candidate).split(path.sep).join('/');
  }
  return undefined;
}

/**
 * The relative imports of every file below `srcDir`. A specifier that resolves to no file is reported with `to` set
 * to its unresolved path (so an import that leaves `src/` still shows, as `../…`). Package imports are left out.
 */
export function importEdges(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of filesBelow(srcDir, /\.ts$/)) {
    for (const specifier of importSpecifiers(fs.readFileSync(path.join(srcDir, from), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const to = resolveRelative(srcDir, from, specifier) ?? path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
      edges.push({ from, to, specifier });
    }
  }
  return edges;
}

/** The layer of a path relative to `src/`, or undefined for a path outside every layer (e.g. `../bench/x`). */
export function layerOf(file: string): Layer | undefined {
  if (file === 'index.ts') return 'index';
  const top = file.split('/')[0];
  return (LAYERS as readonly string[]).includes(top) && top !== 'index' ? (top as Layer) : undefined;
}

/** The edges that point outwards (to an outer layer) or out of `src/` altogether. */
export function wrongWayEdges(edges: ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (from === undefined) throw new Error(`${e.from} lies in no layer (${LAYERS.join(', ')}): add it to one`);
    return to === undefined || LAYERS.indexOf(to) > LAYERS.indexOf(from);
  });
}

/** One line per edge, "from → to (specifier)", for assertion messages. */
export function describeEdges(edges: ImportEdge[]): string {
  return edges.map((e) => `${e.from} → ${e.to} ("${e.specifier}")`).join('\n');
}
