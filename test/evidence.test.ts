/**
 * The lessons' evidence helpers on synthetic reference records: sentences claim a difference only when `compare`
 * does (checked over every comparison of every lesson), tables give mean ± sd, the chart carries error bars.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REFERENCE_COMPARISONS, REFERENCE_PLAN } from '../src/experiments';
import { comparisonRows, evidenceFigure, lessonComparisons, lessonVerdicts, referenceRows, verdictSentence } from '../src/lessons/evidence';
import { appendResult, ResultRecord } from '../src/lib/results';
import { compare } from '../src/lib/stats';

function record(id: string, seed: number, top1: number): ResultRecord {
  return {
    kind: 'reference', referenceId: id, seed, model: 'm', configHash: `${id}#${seed}`, dataset: 'CIFAR-10 (JPEG q75)', top1, top5: 0.9,
    date: '2026-12-03T00:00:00Z', trainImages: 20000, testImages: 10000, epochs: 6, params: 1000, macs: 2e6, wallSeconds: 300 + seed,
    imagesPerSec: 400, backend: 'wasm', config: {}, history: [{ epoch: 1, loss: 2.3, accuracy: 0.3, learningRate: 0.1, seconds: 100 }, { epoch: 2, loss: 1.9, accuracy: 0.4, learningRate: 0, seconds: 100 }],
  };
}

describe('lesson evidence from reference results', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-evidence-'));
  const file = path.join(tmp, 'reference.jsonl');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // bypass: clearly better (+5 points, sd ≈ 0.5); width: overlapping (within noise).
  [0.60, 0.61, 0.605].forEach((t, s) => appendResult(record('squeezenet1_1.bypass-simple', s, t), file));
  [0.55, 0.56, 0.555].forEach((t, s) => appendResult(record('squeezenet1_1.bypass-none', s, t), file));
  [0.65, 0.60, 0.63].forEach((t, s) => appendResult(record('mobilenet_v2.w0.5', s, t), file));
  [0.62, 0.64, 0.61].forEach((t, s) => appendResult(record('mobilenet_v2.w0.25', s, t), file));

  it('states a difference only where the verdict does, with the interval, and "within noise at this budget" otherwise', () => {
    const [bypass] = lessonComparisons('03-squeezenet', file);
    assert.equal(bypass.comparison!.verdict, 'A better');
    const s1 = verdictSentence(bypass.spec, bypass.comparison, file);
    assert.match(s1, /\*\*SqueezeNet 1\.1, simple bypass is better\*\*/);
    assert.match(s1, /60\.5 ± 0\.5 % \(n = 3\).*55\.5 ± 0\.5 % \(n = 3\).*A − B = \+5\.0 points, 95 % interval \[\+[0-9.]+, \+[0-9.]+\]/);
    const width = lessonComparisons('04-mobilenet', file).find((c) => c.spec.b === 'mobilenet_v2.w0.25')!;
    assert.equal(width.comparison!.verdict, 'within noise');
    const s2 = verdictSentence(width.spec, width.comparison, file);
    assert.match(s2, /within noise at this budget/);
    assert.doesNotMatch(s2, /is better/);
    const missing = lessonComparisons('05-shufflenet', file)[0];
    assert.match(verdictSentence(missing.spec, missing.comparison, file), /Not yet measured/);
  });

  it('a question without closing punctuation gets a colon before its figures; counts read with thousands separators', () => {
    const relu6 = { lesson: '04-mobilenet', question: 'Linear bottleneck vs ReLU6 after the projection (MobileNet V2 α = 0.5)', a: 'mobilenet_v2.w0.5', b: 'mobilenet_v2.w0.25' };
    const k = lessonComparisons('04-mobilenet', file).find((c) => c.spec.b === 'mobilenet_v2.w0.25')!.comparison;
    const s = verdictSentence(relu6, k, file);
    assert.match(s, /^Linear bottleneck vs ReLU6 after the projection \(MobileNet V2 α = 0\.5\): MobileNet V2 α = 0\.5/);
    assert.match(s, /\(20,000 training images × 6 epochs, 10,000 test images\)\.$/);
    assert.match(verdictSentence(relu6, undefined, file), /\(MobileNet V2 α = 0\.5\): Not yet measured/);
    const [bypass] = lessonComparisons('03-squeezenet', file);
    assert.match(verdictSentence(bypass.spec, bypass.comparison, file), /^Does simple bypass help SqueezeNet 1\.1\? SqueezeNet/, 'a question mark is kept as it is');
  });

  it('over every lesson, no generated sentence claims a difference that compare calls within noise (and vice versa)', () => {
    for (const lesson of new Set(REFERENCE_COMPARISONS.map((c) => c.lesson))) {
      const items = lessonComparisons(lesson, file);
      const sentences = lessonVerdicts(lesson, file);
      items.forEach((item, i) => {
        const claims = /is better\*\*/.test(sentences[i]);
        if (item.comparison) assert.equal(claims, item.comparison.verdict !== 'within noise', sentences[i]);
        else assert.equal(claims, false);
      });
    }
  });

  it('tables give mean ± sd per entry and the interval per comparison; the chart has error bars and every seed', () => {
    const rows = referenceRows(['squeezenet1_1.bypass-none', 'shufflenet_v2.w0.5'], file);
    assert.equal(rows[0]['top-1 (%, mean ± sd)'], '55.5 ± 0.5 %');
    assert.equal(rows[0].seeds, '0, 1, 2');
    assert.equal(rows[0]['training time per run (s)'], 301);
    assert.match(String(rows[1]['top-1 (%, mean ± sd)']), /not recorded/);
    const table = comparisonRows(lessonComparisons('03-squeezenet', file));
    const k = compare([0.60, 0.61, 0.605], [0.55, 0.56, 0.555]);
    assert.equal(table[0]['A − B (points, 95 % interval)'], `+5.0 [+${(100 * k.interval[0]).toFixed(1)}, +${(100 * k.interval[1]).toFixed(1)}]`);
    const fig = evidenceFigure(['squeezenet1_1.bypass-none', 'squeezenet1_1.bypass-simple'], [{ label: 'your run', top1: 0.3, trainImages: 100, epochs: 1, testImages: 100 }], file);
    const means = fig.data[0] as { y: number[]; error_y: { array: number[] } };
    assert.deepEqual(means.y.map((v) => +v.toFixed(2)), [55.5, 60.5]);
    assert.deepEqual(means.error_y.array.map((v) => +v.toFixed(2)), [0.5, 0.5]);
    assert.equal((fig.data[1] as { y: number[] }).y.length, 6, 'every seed is drawn');
    assert.equal((fig.data[2] as { name: string }).name, 'your run (smaller budget)');
    const legend = fig.layout!.legend as { y: number; yanchor: string };
    assert.ok(legend.y >= 1 && legend.yanchor === 'bottom', 'the legend sits above the plot, clear of the long rotated category labels');
  });

  it('the accuracy axis names the entries\' data set, and one chart never mixes data sets', () => {
    assert.equal((evidenceFigure(['squeezenet1_1.bypass-none'], [], file).layout!.yaxis as { title: { text: string } }).title.text, 'CIFAR-10 test top-1 (%)');
    const tiny = REFERENCE_PLAN.filter((e) => e.spec.dataset === 'tiny-imagenet').map((e) => e.id);
    assert.ok(tiny.length >= 2, 'the plan trains on Tiny ImageNet');
    assert.equal((evidenceFigure(tiny, [], file).layout!.yaxis as { title: { text: string } }).title.text, 'Tiny ImageNet-20 validation top-1 (%)');
    assert.throws(() => evidenceFigure(['squeezenet1_1.bypass-none', tiny[0]], [], file), /span 2 data sets \(cifar10, tiny-imagenet\); chart one data set at a time/);
  });

  it('every plan comparison names two entries of the plan', () => {
    const ids = new Set(REFERENCE_PLAN.map((e) => e.id));
    for (const c of REFERENCE_COMPARISONS) assert.ok(ids.has(c.a) && ids.has(c.b));
  });
});
