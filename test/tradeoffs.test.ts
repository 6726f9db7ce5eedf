/**
 * The trade-off study of notebook 10 on synthetic reference results: each entry at mean ± sd with its family, the
 * front computed on the means, the reader's runs kept apart (and off the front), custom models left out with a reason.
 */
import { strict as assert } from 'assert';
import { REFERENCE_PLAN } from '../src/experiments/reference';
import { paretoFront, tradeoffFigure } from '../src/lessons/charts';
import { READER_GROUP, readerStudyRuns, referenceStudy, runLabel, studyFront, studyPoints, studyTableRows } from '../src/lessons/tradeoffs';
import type { ResultRecord } from '../src/lib/results';
import { summarize } from '../src/lib/stats';
import { referenceFixture } from './support/reference-records';

function readerRecord(overrides: Partial<ResultRecord>): ResultRecord {
  return {
    kind: 'reader', model: 'shufflenet_v2', config: { modelConfig: { width: 0.5, dataset: 'cifar10', classes: 10 } }, configHash: 'h1',
    dataset: 'CIFAR-10 (JPEG q75)', trainImages: 1000, testImages: 500, backend: 'wasm', epochs: 2, top1: 0.3, top5: 0.8,
    params: 350_000, macs: 12e6, wallSeconds: 1, imagesPerSec: 10, date: '2026-11-28T00:00:00Z', ...overrides,
  };
}

describe('trade-off study over the reference results', () => {
  // Costs chosen so that the front on the means is known: cheap-and-good (sqz), costly-and-best (fe), dominated (mbv2).
  const fixture = referenceFixture({
    'squeezenet1_1.bypass-none': { top1: [0.60, 0.62, 0.61], overrides: { macs: 5e6, params: 700_000 } },
    'mobilenet_v2.w0.5': { top1: [0.55, 0.59, 0.57], overrides: { macs: 8e6, params: 700_000 } },
    'fe_net.w0.25.uniform.l0': { top1: [0.70, 0.66, 0.68], overrides: { macs: 20e6, params: 150_000 } },
  });
  after(() => fixture.cleanup());

  it('summarises each recorded entry (mean ± sd over its seeds, family from the registry) and lists the missing ones', () => {
    const { entries, missing } = referenceStudy(undefined, fixture.file);
    assert.deepEqual(entries.map((e) => e.id), ['squeezenet1_1.bypass-none', 'mobilenet_v2.w0.5', 'fe_net.w0.25.uniform.l0'], 'plan order');
    // The default study is the CIFAR-10 entries: costs per 32×32 image, one accuracy axis.
    assert.equal(missing.length, REFERENCE_PLAN.filter((e) => e.spec.dataset === 'cifar10').length - 3);
    const tiny = REFERENCE_PLAN.find((e) => e.spec.dataset === 'tiny-imagenet')!.id;
    assert.ok(!missing.includes(tiny), 'Tiny ImageNet entries stay out of the CIFAR-10 study');
    assert.throws(() => referenceStudy(['squeezenet1_1.bypass-none', tiny], fixture.file), /mix data sets \(cifar10, tiny-imagenet\)/);
    const fe = entries[2];
    const s = summarize([0.70, 0.66, 0.68]);
    assert.equal(fe.family, 'FE-Net');
    assert.equal(fe.n, 3);
    assert.ok(Math.abs(fe.mean - s.mean) < 1e-12 && Math.abs(fe.sd - s.sd) < 1e-12);
    assert.deepEqual(studyTableRows([fe])[0]['top-1 (%, mean ± sd)'], '68.0 ± 2.0');
  });

  it('puts every entry at its mean with a 1-sd error bar, the reader apart and off the front; the front is on the means', () => {
    const { entries } = referenceStudy(undefined, fixture.file);
    // A reader's run that would dominate everything if it counted: cheapest and most accurate.
    const reader = readerStudyRuns([readerRecord({ top1: 0.95, macs: 1e6 })]).runs;
    const points = studyPoints(entries, reader, 'macs');
    const sqz = points.find((p) => p.label === 'SqueezeNet 1.1, no bypass')!;
    assert.equal(sqz.x, 5);
    assert.ok(Math.abs(sqz.y - 61) < 1e-9 && Math.abs(sqz.yError! - 1) < 1e-9);
    const mine = points.find((p) => p.group === READER_GROUP)!;
    assert.equal(mine.offFront, true);
    assert.match(mine.label, /your run: shufflenet_v2 width=0\.5 \(1000 images × 2 epochs\)/);
    assert.deepEqual(studyFront(entries, 'macs').map((e) => e.id), ['squeezenet1_1.bypass-none', 'fe_net.w0.25.uniform.l0']);
    const fig = tradeoffFigure(points, { logX: true, labels: 'front' });
    const frontTrace = fig.data.find((t) => t.name === 'Pareto front')!;
    assert.deepEqual(frontTrace.x, [5, 20], 'the reader run is not on the drawn front');
    // Oracle: the front of the reference means alone, computed directly.
    const means = entries.map((e) => ({ x: e.macs! / 1e6, y: 100 * e.mean }));
    assert.deepEqual(paretoFront(means).map((i) => means[i].x), frontTrace.x);
  });

  it('uses the measured latency (median, min–max) on a latency axis and leaves the untimed reader runs out', () => {
    const { entries } = referenceStudy(undefined, fixture.file);
    const latency = new Map([['fe_net.w0.25.uniform.l0', { medianMs: 2, minMs: 1.5, maxMs: 4 }]]);
    const points = studyPoints(entries, readerStudyRuns([readerRecord({})]).runs, 'latency', latency);
    assert.deepEqual(points.map((p) => [p.label, p.x, p.xInterval]), [['FE-Net 0.25×, λ = 0', 2, [1.5, 4]]]);
    assert.throws(() => studyPoints(entries, [], 'latency'), /needs the measured latencies/);
  });

  it('keeps the latest reader run per configuration and says why others are left out', () => {
    const { runs, leftOut } = readerStudyRuns([
      readerRecord({ configHash: 'a', top1: 0.2 }),
      readerRecord({ configHash: 'a', top1: 0.31 }),
      readerRecord({ configHash: 'b', model: 'plain_cnn', config: { custom: true, modelConfig: { filters: 8 } } }),
      readerRecord({ configHash: 'c', dataset: 'Fashion-MNIST' }),
      readerRecord({ configHash: 'd', model: 'vgg16', config: { modelConfig: {} } }),
      readerRecord({ configHash: 'e', kind: 'reference' }),
    ]);
    assert.deepEqual(runs.map((r) => [r.label, r.top1]), [['shufflenet_v2 width=0.5', 0.31]]);
    assert.deepEqual(leftOut.map((l) => l.reason), [
      'a custom model of a notebook, not a compact family of the plan', 'trained on Fashion-MNIST, not CIFAR-10', 'a model the reference plan does not train',
    ]);
  });

  it('labels runs by model, variant and distinguishing options', () => {
    assert.equal(runLabel(readerRecord({ variant: 'x0.5', config: { modelConfig: { dataset: 'cifar10', classes: 10 } } })), 'shufflenet_v2 x0.5');
  });
});
