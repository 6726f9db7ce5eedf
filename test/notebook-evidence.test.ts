/**
 * The lessons state training differences only through the verdicts `compare` computes: every notebook that owns a
 * comparison of the reference plan generates its "What we saw" sentences with `lessonVerdicts(<its lesson>)`, shows
 * the reference runs with error bars (`evidenceChart`, or the trade-off study's mean ± sd points in 10), and no
 * hand-written markdown in those notebooks claims a winner. Oracle: the plan's own list of comparisons per lesson.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REFERENCE_COMPARISONS } from '../src/experiments/reference';
import { REPO_ROOT } from './support/paths';

interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
}

function cells(lesson: string): Cell[] {
  const file = path.join(REPO_ROOT, 'notebooks', `${lesson}.ipynb`);
  assert.ok(fs.existsSync(file), `the plan names lesson ${lesson}, but ${file} does not exist`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells;
}

const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);

/** The cells from the "What we saw" heading up to the next heading of the same or a higher level. */
function whatWeSaw(all: Cell[]): Cell[] {
  const start = all.findIndex((c) => c.cell_type === 'markdown' && /^##\s+What we saw/m.test(text(c)));
  if (start < 0) return [];
  const end = all.findIndex((c, i) => i > start && c.cell_type === 'markdown' && /^#{1,2}\s/m.test(text(c)));
  return all.slice(start, end < 0 ? undefined : end);
}

/**
 * A hand-written claim that one configuration beat another ("X is better", "outperforms", "+2.2 points"): such words
 * belong in generated text only.
 */
const CLAIM = /\b(is|are|was|were) (clearly )?(better|more accurate|worse|less accurate) than\b|\boutperform|[+−-]\d+(\.\d+)? (percentage )?points\b/i;

describe('lessons draw training comparisons from the verdicts', () => {
  const lessons = [...new Set(REFERENCE_COMPARISONS.map((c) => c.lesson))];

  it('the plan has comparisons in several lessons (the check below is not vacuous)', () => {
    assert.ok(lessons.length >= 6, `only ${lessons.length} lessons own comparisons`);
  });

  for (const lesson of lessons) {
    it(`${lesson}: "What we saw" generates its sentences with lessonVerdicts("${lesson}") and the evidence has error bars`, () => {
      const all = cells(lesson);
      const saw = whatWeSaw(all);
      assert.ok(saw.length > 0, `${lesson} has no "## What we saw" section`);
      const code = saw.filter((c) => c.cell_type === 'code').map(text).join('\n');
      assert.ok(code.includes(`lessonVerdicts("${lesson}")`), `${lesson}: "What we saw" does not call lessonVerdicts("${lesson}")`);
      const source = all.map(text).join('\n');
      assert.ok(/evidenceChart\(|studyPoints\(/.test(source), `${lesson}: no chart of the reference runs with error bars (evidenceChart or studyPoints)`);
    });

    it(`${lesson}: no hand-written markdown claims that one configuration beat another`, () => {
      for (const c of cells(lesson).filter((x) => x.cell_type === 'markdown')) {
        const m = CLAIM.exec(text(c));
        assert.equal(m, null, `${lesson}: markdown states a difference by hand ("${m?.[0]}" in "${text(c).slice(0, 80)}…"); generate it from the verdict`);
      }
    });
  }

  it('the claim pattern catches hand-written differences and passes neutral text', () => {
    assert.ok(CLAIM.test('simple bypass is better than none'));
    assert.ok(CLAIM.test('shuffle adds +1.3 points'));
    assert.ok(CLAIM.test('ShuffleNet outperforms MobileNet'));
    assert.ok(!CLAIM.test('the verdict says whether one side is better; otherwise within noise at this budget'));
  });
});
