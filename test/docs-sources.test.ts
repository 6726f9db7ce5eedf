/**
 * Every section citation of docs/sources.md in src/, test/ and notebooks/ names a section that exists there.
 * Until the citations are rewritten, the old spelling (the fact file's name followed by "§X.Y") is checked the
 * same way: docs/sources.md keeps that file's section numbers one to one. Oracle: the anchors `<a id="sX.Y">`
 * of docs/sources.md, each of which must head a section whose visible number is §X.Y.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { filesBelow, REPO_ROOT } from './support/paths';

const SOURCES = path.join(REPO_ROOT, 'docs', 'sources.md');
const SCANNED_DIRS = ['src', 'notebooks', 'test'];
const THIS_FILE = path.join('test', 'docs-sources.test.ts');

/** Spellings that introduce a citation: the new file, and the old fact file's name (built so this file does not match). */
const CITING = ['docs/sources\\.md', 'survey' + '-facts(?:\\.md)?'];
const SECTION = '§\\s?\\d+(?:\\.\\d+)?(?:\\s?[–-]\\s?\\d+(?:\\.\\d+)?)?';
const CITATION = new RegExp(`(?:${CITING.join('|')})((?:\\s*(?:,|and|/)?\\s*${SECTION})+)`, 'g');

/** A cited section and where it was cited. */
interface Citation {
  section: string;
  file: string;
  text: string;
}

/** Section ids of a "§a.b", "§a.b–a.d", "§a.b–d" or "§a–c" token: ranges expand to every number in between. */
function expandSection(token: string): string[] {
  const m = /^(\d+)(?:\.(\d+))?(?:[–-](\d+)(?:\.(\d+))?)?$/.exec(token.replace(/[§\s]/g, ''));
  if (!m) throw new Error(`not a section token: "${token}"`);
  const [, major, minor, endMajor, endMinor] = m;
  if (endMajor === undefined) return [minor === undefined ? major : `${major}.${minor}`];
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  if (minor === undefined) return range(Number(major), Number(endMajor)).map(String);
  // "4.6–4.8" names the end in full; "5.13–16" gives only its minor number.
  const last = endMinor !== undefined ? Number(endMinor) : Number(endMajor);
  if (endMinor !== undefined && endMajor !== major) throw new Error(`range "${token}" crosses sections ${major} and ${endMajor}`);
  return range(Number(minor), last).map((n) => `${major}.${n}`);
}

/** Every section cited in `text` (comment continuation lines joined first). */
function citationsIn(text: string, file: string): Citation[] {
  const flat = text.replace(/\n\s*(?:\*|\/\/|#)?\s*/g, ' ');
  const found: Citation[] = [];
  for (const m of flat.matchAll(CITATION)) {
    for (const token of m[1].match(new RegExp(SECTION, 'g')) ?? []) {
      for (const section of expandSection(token)) found.push({ section, file, text: m[0] });
    }
  }
  return found;
}

/** The text a reader sees in a file: a notebook's cell sources, any other file as it is. */
function readableText(file: string): string {
  const raw = fs.readFileSync(file, 'utf8');
  if (!file.endsWith('.ipynb')) return raw;
  const nb = JSON.parse(raw) as { cells: Array<{ source: string | string[] }> };
  return nb.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
}

/** The .ts and .ipynb files below the scanned folders but this one, relative to the repository root. */
function scannedFiles(): string[] {
  return SCANNED_DIRS.flatMap((d) => filesBelow(path.join(REPO_ROOT, d), /\.(ts|ipynb)$/).map((f) => path.join(d, f)))
    .filter((f) => f !== THIS_FILE);
}

/** Anchors `<a id="sX.Y">` of docs/sources.md mapped to the text that follows each (its heading or list item). */
function sectionAnchors(): Map<string, string> {
  const text = fs.readFileSync(SOURCES, 'utf8');
  const anchors = new Map<string, string>();
  for (const m of text.matchAll(/<a id="s(\d+(?:\.\d+)?)"><\/a>/g)) {
    assert.ok(!anchors.has(m[1]), `docs/sources.md has two anchors s${m[1]}`);
    anchors.set(m[1], text.slice(m.index! + m[0].length, m.index! + m[0].length + 200));
  }
  return anchors;
}

describe('docs/sources.md section citations', () => {
  const anchors = sectionAnchors();

  it('every anchor heads a section that shows the same number', () => {
    assert.ok(anchors.size >= 40, `only ${anchors.size} section anchors found in docs/sources.md`);
    for (const [id, following] of anchors) {
      const visible = new RegExp(`^\\s*(?:#{2,3} |\\*\\*)§${id.replace('.', '\\.')}(?![\\d.])`);
      assert.match(following, visible, `anchor s${id} is not followed by a heading or item numbered §${id}`);
    }
  });

  it('the parser reads lists, ranges and both spellings, and reports a missing section', () => {
    const sample = 'docs/sources.md §3.3, §4.4 and §5.10; (survey' + '-facts §4.6–4.8, §6, §5.14–5.16) and docs/sources.md §5.1–3';
    assert.deepEqual(citationsIn(sample, 'sample').map((c) => c.section), ['3.3', '4.4', '5.10', '4.6', '4.7', '4.8', '6', '5.14', '5.15', '5.16', '5.1', '5.2', '5.3']);
    assert.deepEqual(citationsIn(' * docs/sources.md §3.4,\n * §4.5. Output', 'sample').map((c) => c.section), ['3.4', '4.5']);
    const missing = citationsIn('see docs/sources.md §4.99', 'sample').filter((c) => !anchors.has(c.section));
    assert.deepEqual(missing.map((c) => c.section), ['4.99']);
  });

  it('every citation in src/, test/ and notebooks/ resolves to a section of docs/sources.md', () => {
    const citations = scannedFiles().flatMap((f) => citationsIn(readableText(path.join(REPO_ROOT, f)), f));
    assert.ok(citations.some((c) => c.file.startsWith('src')), 'no citation found in src/: has the citation form changed?');
    const unresolved = citations.filter((c) => !anchors.has(c.section));
    assert.deepEqual(
      unresolved.map((c) => `${c.file}: §${c.section} in "${c.text}"`),
      [],
      'cited sections missing from docs/sources.md: add the section there, or correct the citation',
    );
  });

  it('no file in src/, test/ or notebooks/ cites the old fact file outside the repository', () => {
    const old = new RegExp('survey' + '-facts|shared/reference');
    const offenders = scannedFiles().filter((f) => old.test(readableText(path.join(REPO_ROOT, f))));
    assert.deepEqual(offenders, [], 'cite docs/sources.md (same section numbers) instead');
  });
});
