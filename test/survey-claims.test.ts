/**
 * The survey-claims list of notebook 10: every outcome follows from a comparison's verdict (checked against `compare`
 * on the same runs) or from a count; every claim rests on a comparison of the plan.
 */
import { strict as assert } from 'assert';
import { REFERENCE_COMPARISONS } from '../src/experiments/reference';
import {
  claimComparison, claimOutcome, claimsMarkdown, COMPARISON_CLAIMS, comparisonClaimReports, costClaimReports, untestedAccuracyClaims,
} from '../src/lessons/survey-claims';
import type { ImagenetTable, TableRow } from '../src/lessons/table';
import { compare, Comparison } from '../src/lib/stats';
import { referenceFixture } from './support/reference-records';

function verdict(v: Comparison['verdict']): Comparison {
  return { ...compare([0.5, 0.51, 0.52], [0.5, 0.51, 0.52]), verdict: v };
}

describe('survey claims against the reference verdicts', () => {
  // bypass: clearly better (as claimed); shuffle: clearly worse (contradicts); width: within noise; λ = 3e-3: a loss.
  const fixture = referenceFixture({
    'squeezenet1_1.bypass-simple': { top1: [0.60, 0.61, 0.605] },
    'squeezenet1_1.bypass-none': { top1: [0.55, 0.56, 0.555] },
    'shufflenet_v1.g3.w0.5': { top1: [0.50, 0.51, 0.505] },
    'shufflenet_v1.g3.w0.5.noshuffle': { top1: [0.56, 0.57, 0.565] },
    'mobilenet_v2.w0.5': { top1: [0.65, 0.60, 0.63] },
    'mobilenet_v2.w0.25': { top1: [0.62, 0.64, 0.61] },
    'fe_net.w0.25.uniform.l0': { top1: [0.70, 0.71, 0.705] },
    'fe_net.w0.25.uniform.l2e-3': { top1: [0.69, 0.72, 0.70] },
    'fe_net.w0.25.uniform.l5e-3': { top1: [0.60, 0.61, 0.605] },
  });
  after(() => fixture.cleanup());

  it('classes a claim by its verdict: a predicted difference found, opposite, or within noise; "no loss" unless B is better', () => {
    assert.equal(claimOutcome('A better', verdict('A better')), 'reproduced');
    assert.equal(claimOutcome('A better', verdict('B better')), 'contradicted');
    assert.equal(claimOutcome('A better', verdict('within noise')), 'not resolved at this budget');
    assert.equal(claimOutcome('no loss', verdict('within noise')), 'reproduced');
    assert.equal(claimOutcome('no loss', verdict('A better')), 'reproduced');
    assert.equal(claimOutcome('no loss', verdict('B better')), 'contradicted');
    assert.equal(claimOutcome('A better', undefined), 'not yet measured');
  });

  it('every claim names a comparison of the plan (all seeds of both entries), and an unknown one is refused', () => {
    for (const c of COMPARISON_CLAIMS) assert.ok(REFERENCE_COMPARISONS.includes(claimComparison(c)));
    assert.throws(() => claimComparison({ ...COMPARISON_CLAIMS[0], b: 'mobilenet_v2.w0.5' }), /names no comparison squeezenet1_1\.bypass-simple vs mobilenet_v2\.w0\.5/);
  });

  it('reports each claim with the outcome compare implies on the recorded runs, and the generated verdict sentence', () => {
    const reports = comparisonClaimReports(COMPARISON_CLAIMS, fixture.file);
    const byA = new Map(COMPARISON_CLAIMS.map((c, i) => [`${c.a}|${c.b}`, reports[i]]));
    const oracle = (a: number[], b: number[]) => compare(a, b).verdict;
    assert.equal(oracle([0.60, 0.61, 0.605], [0.55, 0.56, 0.555]), 'A better');
    assert.equal(byA.get('squeezenet1_1.bypass-simple|squeezenet1_1.bypass-none')!.outcome, 'reproduced');
    assert.equal(oracle([0.50, 0.51, 0.505], [0.56, 0.57, 0.565]), 'B better');
    assert.equal(byA.get('shufflenet_v1.g3.w0.5|shufflenet_v1.g3.w0.5.noshuffle')!.outcome, 'contradicted');
    assert.equal(oracle([0.65, 0.60, 0.63], [0.62, 0.64, 0.61]), 'within noise');
    assert.equal(byA.get('mobilenet_v2.w0.5|mobilenet_v2.w0.25')!.outcome, 'not resolved at this budget');
    assert.match(byA.get('mobilenet_v2.w0.5|mobilenet_v2.w0.25')!.evidence, /within noise at this budget/);
    assert.equal(byA.get('fe_net.w0.25.uniform.l2e-3|fe_net.w0.25.uniform.l0')!.outcome, 'reproduced');
    assert.equal(byA.get('fe_net.w0.25.uniform.l5e-3|fe_net.w0.25.uniform.l0')!.outcome, 'contradicted');
    assert.equal(byA.get('as_resnet.w8.learned|as_resnet.w8.fixed')!.outcome, 'not yet measured');
    // The markdown puts each claim under its outcome's heading and nowhere else.
    const md = claimsMarkdown(reports, [], []);
    const section = (title: string) => md.split('**').findIndex((s) => s.startsWith(title));
    const claimAt = (text: string) => md.split('**').findIndex((s) => s.includes(text));
    assert.ok(claimAt('simple bypass') > section('Reproduced') && claimAt('simple bypass') < section('Contradicted'));
    assert.ok(claimAt('channel shuffle makes') > section('Contradicted') && claimAt('channel shuffle makes') < section('Not resolved'));
    assert.ok(claimAt('narrower MobileNet') > section('Not resolved'));
    assert.ok(md.includes(`**Reproduced at this budget** (2 of ${COMPARISON_CLAIMS.length} accuracy claims)`), 'the count covers every claim');
  });

  it('classes published counts per family from the table and lists the ImageNet accuracies it cannot test', () => {
    const row = (model: string, family: string, dataset: string, outside: boolean, top1?: number): TableRow => ({
      model, family, variant: 'v', config: {}, dataset,
      published: { params: 1e6, macs: 1e8, top1Percent: top1, inputSize: 224, source: 's' },
      ours: { params: 1e6, paramsConvention: 'W', paramsByConvention: { weights: 1e6, trainable: 1e6, all: 1e6 }, macs: 1e8, paramsOutsideRounding: outside, macsOutsideRounding: false },
      footnote: outside ? 'a typo in the paper' : undefined,
    });
    const table: ImagenetTable = {
      rows: [row('a', 'F', 'imagenet', false, 70), row('b', 'F', 'imagenet', true, 60), row('c', 'G', 'cifar10', false, 90)],
      backend: 'cpu', machine: { cpuModel: 'x', cores: 1, platform: 'p', node: 'n' },
    };
    const costs = costClaimReports(table);
    assert.deepEqual(costs, [
      { family: 'F', reproduced: ['a v'], differing: [{ row: 'b v', why: 'a typo in the paper' }] },
      { family: 'G', reproduced: ['c v'], differing: [] },
    ]);
    assert.deepEqual(untestedAccuracyClaims(table), [{ family: 'F', rows: 2, top1Min: 60, top1Max: 70 }], 'CIFAR-10 rows are not ImageNet claims');
    const md = claimsMarkdown([], costs, untestedAccuracyClaims(table));
    assert.match(md, /- F: 1 of 2 published rows within rounding; outside it: b v/);
    assert.match(md, /- F: published ImageNet top-1 60–70 % over 2 rows/);
  });
});
