/** Progress reporting: pure formatting against hand-computed strings, and throttling with a fake clock. */
import { strict as assert } from 'assert';
import { createProgress, estimateEtaSec, formatEta, formatProgressHtml, formatProgressLine } from '../src/lib/progress';

describe('progress: formatEta', () => {
  const cases: Array<[number, string]> = [
    [0, '0:00'],
    [5, '0:05'],
    [59.6, '1:00'], // rounds to whole seconds
    [65, '1:05'],
    [3599, '59:59'],
    [3725, '1:02:05'],
    [36000, '10:00:00'],
  ];
  for (const [seconds, expected] of cases) {
    it(`formats ${seconds} s as ${expected}`, () => assert.equal(formatEta(seconds), expected));
  }
  it('says ? when unknown', () => {
    assert.equal(formatEta(undefined), '?');
    assert.equal(formatEta(Infinity), '?');
  });
  it('rejects negative and NaN seconds, naming the value', () => {
    assert.throws(() => formatEta(-1), /seconds must be a finite number >= 0.*got -1/);
    assert.throws(() => formatEta(NaN), /got NaN/);
  });
});

describe('progress: estimateEtaSec', () => {
  it('extrapolates the rate so far: 25 of 100 steps in 10 s leaves 30 s', () => {
    assert.equal(estimateEtaSec({ step: 25, total: 100 }, 10), 30);
  });
  it('is unknown without a total or before the first step', () => {
    assert.equal(estimateEtaSec({ step: 25 }, 10), undefined);
    assert.equal(estimateEtaSec({ step: 0, total: 100 }, 10), undefined);
  });
});

describe('progress: formatProgressLine', () => {
  it('shows title, epoch, counts, bar, percent, metrics, throughput, elapsed and ETA', () => {
    const line = formatProgressLine(
      { step: 30, total: 100, epoch: 2, epochs: 5, metrics: { loss: 1.23456, acc: 0.5 }, imagesPerSec: 12 },
      3,
      'train',
    );
    // 30 % of a 24-character bar is 7.2 → 7 filled; ETA = 3 s × 70 / 30 = 7 s.
    const expected = `train  epoch 2/5 30/100 [${'#'.repeat(7)}${'.'.repeat(17)}]  30%  loss 1.235  acc 0.5000  12.0 img/s  elapsed 0:03  ETA 0:07`;
    assert.equal(line, expected);
  });
  it('omits the bar and ETA when the total is unknown', () => {
    assert.equal(formatProgressLine({ step: 7 }, 65), '7  elapsed 1:05');
  });
  it('rejects malformed states with the field and value', () => {
    assert.throws(() => formatProgressLine({ step: 11, total: 10 }, 0), /step 11 exceeds total 10/);
    assert.throws(() => formatProgressLine({ step: -1 }, 0), /step must be a finite number >= 0, got -1/);
    assert.throws(() => formatProgressLine({ step: 1, total: 0 }, 0), /total must be a finite number > 0.*got 0/);
    assert.throws(() => formatProgressLine({ step: 1, epoch: 3, epochs: 2 }, 0), /epoch 3 exceeds epochs 2/);
  });
});

describe('progress: formatProgressHtml', () => {
  it('draws a bar of the right width and escapes the title and summary', () => {
    const html = formatProgressHtml({ step: 3, total: 10 }, 1, '<b>x</b>', 'done & dusted');
    assert.match(html, /width:30%/);
    assert.match(html, /&lt;b&gt;x&lt;\/b&gt;/);
    assert.match(html, /done &amp; dusted/);
    assert.doesNotMatch(html, /<b>x<\/b>/);
  });
});

/** A fake clock and a capture of everything written. */
function harness(isTTY: boolean): { now: () => number; write: (t: string) => void; isTTY: boolean; out: string[]; setTime: (ms: number) => void } {
  let t = 0;
  const out: string[] = [];
  return { now: () => t, write: (text) => void out.push(text), isTTY, out, setTime: (ms) => void (t = ms) };
}

describe('progress: createProgress', () => {
  it('plain-line mode (no TTY) prints the first update, then at most one line per 10 s, and the final state', () => {
    const h = harness(false);
    const bar = createProgress({ title: 'eval', mode: 'text' }, h);
    for (const [ms, step] of [[0, 1], [1000, 2], [5000, 3], [11000, 4], [12000, 5]] as Array<[number, number]>) {
      h.setTime(ms);
      bar.update({ step, total: 5 });
    }
    bar.done('all good');
    assert.equal(h.out.length, 4);
    assert.match(h.out[0], /^eval {2}1\/5 /);
    assert.match(h.out[1], /^eval {2}4\/5 .*elapsed 0:11/);
    assert.match(h.out[2], /^eval {2}5\/5 \[#{24}\] 100%/);
    assert.equal(h.out[3], 'all good\n');
    assert.ok(h.out.slice(0, 3).every((line) => line.endsWith('\n') && !line.includes('\r')));
  });

  it('TTY mode redraws one line with \\r, padding over a longer previous line, and ends it on done', () => {
    const h = harness(true);
    const bar = createProgress({ mode: 'text' }, h);
    bar.update({ step: 1, total: 10, metrics: { loss: 123.456 } });
    h.setTime(50); // inside the 100 ms throttle: no redraw
    bar.update({ step: 2, total: 10 });
    assert.equal(h.out.length, 1);
    h.setTime(200);
    bar.update({ step: 3, total: 10 });
    assert.equal(h.out.length, 2);
    assert.ok(h.out.every((s) => s.startsWith('\r')));
    assert.ok(h.out[1].length >= h.out[0].length, 'the shorter line is padded to cover the previous one');
    bar.done();
    assert.equal(h.out[h.out.length - 1], '\n');
  });

  it('silent mode writes nothing', () => {
    const h = harness(true);
    const bar = createProgress({ mode: 'silent' }, h);
    bar.update({ step: 1, total: 2 });
    bar.done('x');
    assert.deepEqual(h.out, []);
  });

  it('auto picks text outside a tslab kernel, and notebook mode is refused there', () => {
    const h = harness(false);
    createProgress({ mode: 'auto' }, h).update({ step: 1 });
    assert.equal(h.out.length, 1);
    assert.throws(() => createProgress({ mode: 'notebook' }), /needs a tslab kernel; use mode 'auto' or 'text'/);
    assert.throws(() => createProgress({ mode: 'fancy' as never }), /mode must be one of auto, notebook, text, silent, got "fancy"/);
  });

  it('refuses update after done, a second done, and bad states', () => {
    const h = harness(false);
    const bar = createProgress({ title: 't', mode: 'text' }, h);
    assert.throws(() => bar.update({ step: 3, total: 2 }), /step 3 exceeds total 2/);
    bar.done();
    assert.throws(() => bar.update({ step: 1 }), /update\(\) after done\(\)/);
    assert.throws(() => bar.done(), /done\(\) called twice/);
  });
});
