import { strict as assert } from 'assert';
import { paretoFront, tradeoffFigure } from '../src/lessons/charts';

/** Brute-force oracle: a point is optimal when no other point dominates it. */
function bruteForceFront(points: Array<{ x: number; y: number }>): number[] {
  return points
    .map((p, i) => ({ p, i }))
    .filter(({ p, i }) => !points.some((q, j) => j !== i && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y)))
    .map(({ i }) => i);
}

describe('trade-off charts', () => {
  it('finds the Pareto front like a brute-force dominance check', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const pts = Array.from({ length: 12 }, () => ({ x: Math.round(rand() * 20), y: Math.round(rand() * 20) }));
      const ours = new Set(paretoFront(pts).map((i) => `${pts[i].x},${pts[i].y}`));
      const oracle = new Set(bruteForceFront(pts).map((i) => `${pts[i].x},${pts[i].y}`));
      assert.deepEqual([...ours].sort(), [...oracle].sort(), JSON.stringify(pts));
    }
  });

  it('sorts the front by cost and ignores non-finite points', () => {
    const pts = [{ x: 300, y: 70 }, { x: 150, y: 69 }, { x: 600, y: 72 }, { x: 400, y: 65 }, { x: NaN, y: 99 }];
    assert.deepEqual(paretoFront(pts), [1, 0, 2]);
  });

  it('builds one trace per group plus the front, with a log axis when asked', () => {
    const fig = tradeoffFigure(
      [{ label: 'a', x: 10, y: 50, group: 'A' }, { label: 'b', x: 20, y: 60, group: 'B' }, { label: 'c', x: 30, y: 55, group: 'A' }],
      { logX: true },
    );
    assert.deepEqual(fig.data.map((t) => t.name), ['A', 'B', 'Pareto front']);
    assert.deepEqual(fig.data[2].x, [10, 20]);
    assert.equal((fig.layout as { xaxis: { type: string } }).xaxis.type, 'log');
  });

  it('rejects empty input, non-finite points and non-positive x on a log axis', () => {
    assert.throws(() => tradeoffFigure([]), /non-empty array/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: Infinity, y: 1 }]), /point "z" has a non-finite coordinate/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 0, y: 1 }], { logX: true }), /x=0, which a log axis cannot show/);
  });
});
