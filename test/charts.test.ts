import { strict as assert } from 'assert';
import { paddedXRange, paretoFront, tradeoffFigure } from '../src/lessons/charts';

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

  it('draws error bars: a symmetric 1-sd bar on y, asymmetric min–max intervals, with the spread in the hover text', () => {
    const fig = tradeoffFigure([
      { label: 'a', x: 10, y: 50, yError: 2, group: 'A' },
      { label: 'b', x: 20, y: 60, group: 'A' },
      { label: 'c', x: 5, y: 40, xInterval: [4, 7], yInterval: [39, 45], group: 'B' },
    ]);
    const a = fig.data[0] as { error_y: { array: number[]; arrayminus: number[] }; error_x?: unknown; customdata: string[] };
    assert.deepEqual([a.error_y.array, a.error_y.arrayminus], [[2, 0], [2, 0]]);
    assert.equal(a.error_x, undefined, 'no x spread given in group A');
    assert.match(a.customdata[0], /^a<br>x = 10.0<br>y = 50.0 ± 2.00$/);
    const c = fig.data[1] as { error_x: { array: number[]; arrayminus: number[] }; error_y: { array: number[]; arrayminus: number[] } };
    assert.deepEqual([c.error_x.array, c.error_x.arrayminus], [[2], [1]]);
    assert.deepEqual([c.error_y.array, c.error_y.arrayminus], [[5], [1]]);
  });

  it('keeps offFront points off the front and labels only the front when asked, alternating above and below', () => {
    const pts = [
      { label: 'cheap', x: 1, y: 50 }, { label: 'mid', x: 2, y: 60 }, { label: 'dominated', x: 3, y: 55 }, { label: 'best', x: 4, y: 70 },
      { label: 'reader', x: 0.5, y: 99, offFront: true, group: 'yours' },
    ];
    const fig = tradeoffFigure(pts, { labels: 'front', logY: true, groupSymbols: { yours: 'circle-open' } });
    const runs = fig.data[0] as { text: string[]; textposition: string[]; mode: string };
    assert.deepEqual(runs.text, ['cheap', 'mid', '', 'best']);
    assert.deepEqual(runs.textposition, ['top center', 'bottom center', 'top center', 'top center']);
    const yours = fig.data[1] as { text: string[]; marker: { symbol: string } };
    assert.deepEqual(yours.text, ['']);
    assert.equal(yours.marker.symbol, 'circle-open');
    assert.deepEqual(fig.data[2].x, [1, 2, 4], 'the offFront point, though it dominates, is not on the front');
    assert.equal((fig.layout as { yaxis: { type: string } }).yaxis.type, 'log');
    const none = tradeoffFigure(pts, { labels: 'none', pareto: false });
    assert.equal((none.data[0] as { mode: string }).mode, 'markers');
    assert.equal(none.data.length, 2, 'no front trace');
  });

  it('by default: every point labelled, linear axes with room for the end labels', () => {
    const fig = tradeoffFigure([{ label: 'a', x: 1, y: 2 }, { label: 'b', x: 2, y: 1 }]);
    assert.deepEqual((fig.data[0] as { text: string[] }).text, ['a', 'b']);
    assert.equal((fig.data[0] as { error_y?: unknown }).error_y, undefined);
    assert.deepEqual(fig.layout, { xaxis: { type: 'linear', range: [1 - 0.12, 2 + 0.12] }, yaxis: { type: 'linear' }, showlegend: true });
  });

  it('rejects bad error bars and intervals, naming the point', () => {
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 1, y: 1, yError: -1 }]), /point "z" has yError=-1/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 1, y: 1, yError: 1, yInterval: [0, 2] }]), /both yError and yInterval/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 1, y: 1, xInterval: [2, 3] }]), /xInterval \[2, 3\], which must be finite and contain x=1/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 1, y: 0 }], { logY: true }), /y=0, which a log axis cannot show/);
    assert.throws(() => tradeoffFigure([{ label: 'z', x: 1, y: 1 }], { labels: 'some' as 'all' }), /labels must be 'all', 'front' or 'none'/);
  });

  it('gives the x axis room at both ends when labels are drawn (decades on a log axis), none without labels', () => {
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
    assert.ok(close(paddedXRange([1, 10, 1000], true), [-0.36, 3.36]));
    assert.ok(close(paddedXRange([0, 50], false), [-6, 56]));
    assert.ok(close(paddedXRange([10, 10], true), [0.5, 1.5]), 'one x value: half a decade each side');
    const fig = tradeoffFigure([{ label: 'a', x: 10, y: 1 }, { label: 'b', x: 100, y: 2, xInterval: [50, 1000] }], { logX: true });
    assert.ok(close((fig.layout as { xaxis: { range: number[] } }).xaxis.range, [1 - 0.24, 3 + 0.24]), 'the error bar of b counts');
    const bare = tradeoffFigure([{ label: 'a', x: 10, y: 1 }], { labels: 'none' });
    assert.equal((bare.layout as { xaxis: { range?: number[] } }).xaxis.range, undefined);
  });

  it('names each hover value by its axis title with the unit, the log-scale note dropped', () => {
    const fig = tradeoffFigure([{ label: 'm', x: 569, y: 70.6, yInterval: [70, 71] }], {
      xTitle: 'MACs per image (millions, log scale)', yTitle: 'batch-1 latency (ms, median; log scale)', logX: true,
    });
    assert.equal((fig.data[0] as { customdata: string[] }).customdata[0], 'm<br>MACs per image (millions) = 569<br>batch-1 latency (ms, median) = 70.6 [70.0–71.0]');
  });
});
