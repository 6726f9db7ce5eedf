/**
 * The survey's claims against what this workbook measured. A claim that a reference comparison tests
 * (experiments/reference.ts) is classed from that comparison's verdict (`compare`), never by hand; cost claims are
 * classed from the ImageNet table's counts (our count within the published rounding or not); claims about ImageNet
 * accuracy cannot be tested at laptop budgets and are listed as such, with the published figures.
 *
 * The claims are those of the papers the survey summarises (docs/sources.md §9; the survey's full text was not seen).
 *
 * Introduced in notebooks/10-trade-offs-and-design-tricks.ipynb.
 */
import { REFERENCE_COMPARISONS, ReferenceComparison } from '../experiments/reference';
import { referenceFile } from '../lib/results';
import type { Comparison } from '../lib/stats';
import { lessonComparisons, verdictSentence } from './evidence';
import type { ImagenetTable } from './table';

/** A claim a reference comparison tests: A against B, and what the claim predicts. */
export interface ComparisonClaim {
  /** The claim, in words. */
  claim: string;
  /** Where it is made (paper key as in docs/sources.md, with the section). */
  source: string;
  /** The lesson and the comparison (entries a, b of REFERENCE_COMPARISONS) that test it. */
  lesson: string;
  a: string;
  b: string;
  /** 'A better': the claim predicts A more accurate; 'no loss': it predicts A not less accurate than B. */
  expect: 'A better' | 'no loss';
}

/** The claims the reference comparisons test (every one names a comparison of the plan; a test checks it). */
export const COMPARISON_CLAIMS: readonly ComparisonClaim[] = [
  { claim: 'A simple bypass (residual) connection around Fire modules raises SqueezeNet’s accuracy at the same size.', source: 'P-SQZ §6 (+2.9 points on ImageNet); docs/sources.md §3.5', lesson: '03-squeezenet', a: 'squeezenet1_1.bypass-simple', b: 'squeezenet1_1.bypass-none', expect: 'A better' },
  { claim: 'The width multiplier trades accuracy for cost: a narrower MobileNet is less accurate.', source: 'P-MB1 T6; SLIM2 (MobileNet V2 on ImageNet at α 0.5 / 0.35: 65.4 / 60.3 %); docs/sources.md §3.1–3.2', lesson: '04-mobilenet', a: 'mobilenet_v2.w0.5', b: 'mobilenet_v2.w0.25', expect: 'A better' },
  { claim: 'A linear bottleneck (no ReLU after the projection) is more accurate than a non-linear one.', source: 'P-MB2 §6.4 (ablation, Fig. 6)', lesson: '04-mobilenet', a: 'mobilenet_v2.w0.5', b: 'mobilenet_v2.w0.5.relu6', expect: 'A better' },
  { claim: 'The channel shuffle makes grouped 1×1 convolutions more accurate (groups exchange information).', source: 'P-SH1 T3', lesson: '05-shufflenet', a: 'shufflenet_v1.g3.w0.5', b: 'shufflenet_v1.g3.w0.5.noshuffle', expect: 'A better' },
  { claim: 'At the same complexity, grouped pointwise convolutions (g > 1) are more accurate than ungrouped ones (g = 1).', source: 'P-SH1 T2', lesson: '05-shufflenet', a: 'shufflenet_v1.g3.w0.5', b: 'shufflenet_v1.g1.w0.5', expect: 'A better' },
  { claim: 'A larger expansion ε in ShiftNet’s CSC module raises accuracy.', source: 'SHIFT-CIFAR README (CIFAR-10: ε = c 85.8 %, 3c 89.6 %); docs/sources.md §8', lesson: '06-shiftnet', a: 'shift_resnet20.k3.e3', b: 'shift_resnet20.k3.e1', expect: 'A better' },
  { claim: 'Learned (active) shifts are more accurate than fixed shifts.', source: 'P-ASL', lesson: '07-active-shift', a: 'as_resnet.w8.learned', b: 'as_resnet.w8.fixed', expect: 'A better' },
  { claim: 'A few shifts suffice: the L1 sparse-shift penalty on the offsets (here λ = 2·10⁻³) costs no accuracy.', source: 'P-SSL abstract ("All you need is a few shifts")', lesson: '08-sparse-shift-fenet', a: 'fe_net.w0.25.uniform.l2e-3', b: 'fe_net.w0.25.uniform.l0', expect: 'no loss' },
  { claim: 'A few shifts suffice: a stronger penalty (here λ = 5·10⁻³) still costs no accuracy.', source: 'P-SSL abstract', lesson: '08-sparse-shift-fenet', a: 'fe_net.w0.25.uniform.l5e-3', b: 'fe_net.w0.25.uniform.l0', expect: 'no loss' },
  { claim: 'On an ImageNet subset too, the width multiplier trades accuracy for cost: MobileNet V1 α 0.5 beats α 0.25.', source: 'P-MB1 T6 (ImageNet: 63.7 vs 50.6 %)', lesson: '09-imagenet-table', a: 'tiny.mobilenet_v1.w0.5', b: 'tiny.mobilenet_v1.w0.25', expect: 'A better' },
  { claim: 'At matched computation, ShuffleNet V2 0.5× is more accurate than MobileNet V1 α 0.25.', source: 'P-SH2 T8 (ImageNet, ~41 M FLOPs: 60.3 vs 50.6 %)', lesson: '09-imagenet-table', a: 'tiny.shufflenet_v2.w0.5', b: 'tiny.mobilenet_v1.w0.25', expect: 'A better' },
];

/** How a claim fared. */
export type ClaimOutcome = 'reproduced' | 'contradicted' | 'not resolved at this budget' | 'not yet measured';

/**
 * The outcome of a claim from its comparison's verdict: a predicted difference is reproduced when `compare` finds
 * it, contradicted when it finds the opposite, unresolved when the difference is within noise; a predicted "no
 * loss" is reproduced unless B is found better.
 */
export function claimOutcome(expect: ComparisonClaim['expect'], comparison: Comparison | undefined): ClaimOutcome {
  if (!comparison) return 'not yet measured';
  const v = comparison.verdict;
  if (expect === 'A better') return v === 'A better' ? 'reproduced' : v === 'B better' ? 'contradicted' : 'not resolved at this budget';
  return v === 'B better' ? 'contradicted' : 'reproduced';
}

/** A claim with its outcome and the generated sentence that supports it. */
export interface ClaimReport {
  claim: string;
  source: string;
  outcome: ClaimOutcome;
  /** The verdict sentence of the comparison (means ± sd, the interval and the verdict), generated by `verdictSentence`. */
  evidence: string;
}

/** The comparison of the plan that `claim` names; throws when the plan has none (a claim must rest on a comparison). */
export function claimComparison(claim: ComparisonClaim, comparisons: readonly ReferenceComparison[] = REFERENCE_COMPARISONS): ReferenceComparison {
  const spec = comparisons.find((c) => c.lesson === claim.lesson && c.a === claim.a && c.b === claim.b && !c.aSeeds && !c.bSeeds);
  if (!spec) throw new Error(`claim "${claim.claim}" names no comparison ${claim.a} vs ${claim.b} of lesson ${claim.lesson} in REFERENCE_COMPARISONS; add it to the plan or fix the claim`);
  return spec;
}

/** Every comparison claim with its outcome, read from the lessons' recorded comparisons (`lessonComparisons`). */
export function comparisonClaimReports(claims: readonly ComparisonClaim[] = COMPARISON_CLAIMS, file = referenceFile()): ClaimReport[] {
  const byLesson = new Map<string, ReturnType<typeof lessonComparisons>>();
  return claims.map((claim) => {
    const spec = claimComparison(claim);
    if (!byLesson.has(claim.lesson)) byLesson.set(claim.lesson, lessonComparisons(claim.lesson, file));
    const item = byLesson.get(claim.lesson)!.find((c) => c.spec === spec)!;
    return { claim: claim.claim, source: claim.source, outcome: claimOutcome(claim.expect, item.comparison), evidence: verdictSentence(spec, item.comparison, file) };
  });
}

/** Cost claims per family: the published parameter and MAC counts our builders reproduce within rounding, and those they do not. */
export interface CostClaimReport {
  family: string;
  /** Published rows whose every published count (params, MACs) our count matches within the published rounding. */
  reproduced: string[];
  /** Rows outside the rounding, each with the table's footnote that explains it. */
  differing: Array<{ row: string; why: string }>;
}

/** Classifies every published count of `table` (rows with at least one published params or MACs figure), per family. */
export function costClaimReports(table: ImagenetTable): CostClaimReport[] {
  const byFamily = new Map<string, CostClaimReport>();
  for (const r of table.rows) {
    if (r.published.params === undefined && r.published.macs === undefined) continue;
    const report = byFamily.get(r.family) ?? { family: r.family, reproduced: [], differing: [] };
    byFamily.set(r.family, report);
    const name = `${r.model} ${r.variant}`;
    if (r.ours.paramsOutsideRounding || r.ours.macsOutsideRounding) {
      const why = r.footnote ?? (r.reconstruction ? `reconstructed architecture: ${r.reconstruction}` : 'no footnote in the registry');
      report.differing.push({ row: name, why });
    } else {
      report.reproduced.push(name);
    }
  }
  return [...byFamily.values()];
}

/** ImageNet accuracy claims per family (the published top-1 range over its ImageNet rows): not testable at this budget. */
export function untestedAccuracyClaims(table: ImagenetTable): Array<{ family: string; rows: number; top1Min: number; top1Max: number }> {
  const byFamily = new Map<string, number[]>();
  for (const r of table.rows) {
    if (r.dataset !== 'imagenet' || r.published.top1Percent === undefined) continue;
    byFamily.set(r.family, [...(byFamily.get(r.family) ?? []), r.published.top1Percent]);
  }
  return [...byFamily].map(([family, t]) => ({ family, rows: t.length, top1Min: Math.min(...t), top1Max: Math.max(...t) }));
}

/**
 * The claims list as markdown: reproduced, contradicted, not resolved or not testable at this budget, and cost
 * counts, every outcome generated from a verdict or a count.
 */
export function claimsMarkdown(reports: ClaimReport[], costs: CostClaimReport[], untested: ReturnType<typeof untestedAccuracyClaims>): string {
  const section = (title: string, outcome: ClaimOutcome[]) => {
    const items = reports.filter((r) => outcome.includes(r.outcome));
    const body = items.length === 0 ? '- none' : items.map((r) => `- *${r.claim}* (${r.source})${r.outcome === 'not yet measured' ? ' — not yet measured' : ''}<br>${r.evidence}`).join('\n');
    return `**${title}** (${items.length} of ${reports.length} accuracy claims)\n\n${body}`;
  };
  const costLines = costs.map((c) => `- ${c.family}: ${c.reproduced.length} of ${c.reproduced.length + c.differing.length} published rows within rounding` +
    (c.differing.length > 0 ? `; outside it: ${c.differing.map((d) => d.row).join(', ')} (footnoted in 09)` : ''));
  const untestedLines = untested.map((u) => `- ${u.family}: published ImageNet top-1 ${u.top1Min}–${u.top1Max} % over ${u.rows} rows (09's table)`);
  return [
    section('Reproduced at this budget', ['reproduced']),
    section('Contradicted at this budget', ['contradicted']),
    section('Not resolved at this budget (the difference is within noise) or not yet measured', ['not resolved at this budget', 'not yet measured']),
    `**Cost claims, recomputed from our builders** (09's table: our parameter and MAC counts against the published ones)\n\n${costLines.join('\n')}`,
    `**Not testable at this budget: ImageNet accuracy** (training on 1.28 M ImageNet images is out of reach here; 09 scores pretrained MobileNets on 1,300 validation images instead)\n\n${untestedLines.join('\n')}`,
  ].join('\n\n');
}
