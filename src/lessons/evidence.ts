/**
 * Evidence for the lessons: the committed multi-seed reference results (experiments/reference.ts) as tables, charts
 * with error bars, learning curves, and sentences generated from the verdicts, so that no "What we saw" text can
 * claim a difference that `compare` calls noise. A reader's own run is shown beside the reference, never instead.
 *
 * Introduced in notebooks/03-squeezenet.ipynb; used by notebooks 03–10.
 */
import { plotly, PlotlyFigure } from '../lib/display/plotly';
import type { ChartOptions } from '../lib/display/plot-options';
import { learningCurves, CurveGroup } from '../lib/display/learning-curves';
import { referenceFile, ResultRecord } from '../lib/results';
import { Comparison, summarize, Summary } from '../lib/stats';
import {
  REFERENCE_COMPARISONS, ReferenceComparison, referenceComparison, referenceEntry, referenceRuns,
} from '../experiments/reference';

/** "61.3 ± 0.8 %" from a top-1 summary in fractions. */
export function percentMeanSd(s: Pick<Summary, 'mean' | 'sd'>, digits = 1): string {
  return `${(100 * s.mean).toFixed(digits)} ± ${(100 * s.sd).toFixed(digits)} %`;
}

/** One row per reference entry: what it is, its seeds, mean ± sd of the test top-1, cost and budget. */
export function referenceRows(ids: string[], file = referenceFile()): Array<Record<string, string | number>> {
  return ids.map((id) => {
    const entry = referenceEntry(id);
    const runs = referenceRuns(id, file);
    const s = runs.length > 0 ? summarize(runs.map((r) => r.top1)) : undefined;
    const first = runs[0];
    return {
      configuration: entry.title,
      seeds: runs.map((r) => r.seed).join(', ') || 'none yet',
      'top-1 (%, mean ± sd)': s ? percentMeanSd(s) : 'not recorded: run make reference',
      'params (K)': first ? +(first.params / 1e3).toFixed(1) : '',
      'MACs (M)': first?.macs !== undefined ? +(first.macs / 1e6).toFixed(2) : '',
      'train images × epochs': first ? `${first.trainImages} × ${first.epochs}` : `${entry.spec.perClass ?? 'all'}/class × ${entry.spec.epochs}`,
      'training time per run (s)': first ? Math.round(summarize(runs.map((r) => r.wallSeconds)).mean) : '',
    };
  });
}

/** The comparisons of `lesson` (from the plan) with their recorded verdicts. */
export function lessonComparisons(lesson: string, file = referenceFile()): Array<{ spec: ReferenceComparison; comparison?: Comparison; missing?: string }> {
  return REFERENCE_COMPARISONS.filter((c) => c.lesson === lesson).map((spec) => ({ spec, ...referenceComparison(spec, file) }));
}

/** Table rows of comparisons: question, A − B in points with its 95 % interval, p, verdict. */
export function comparisonRows(items: ReturnType<typeof lessonComparisons>): Array<Record<string, string>> {
  return items.map(({ spec, comparison: k, missing }) => ({
    question: spec.question,
    'A': referenceEntry(spec.a).title + (spec.aSeeds ? ` (seeds ${spec.aSeeds.join(', ')})` : ''),
    'B': referenceEntry(spec.b).title + (spec.bSeeds ? ` (seeds ${spec.bSeeds.join(', ')})` : ''),
    'A − B (points, 95 % interval)': k ? `${signed(100 * k.difference)} [${signed(100 * k.interval[0])}, ${signed(100 * k.interval[1])}]` : '',
    verdict: k ? verdictWords(spec, k) : `no verdict yet: ${missing}`,
  }));
}

function signed(x: number, digits = 1): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

/** "A better", "B better" or "within noise at this budget", with the entries' titles. */
function verdictWords(spec: ReferenceComparison, k: Comparison): string {
  if (k.verdict === 'A better') return `${referenceEntry(spec.a).title} better`;
  if (k.verdict === 'B better') return `${referenceEntry(spec.b).title} better`;
  return 'within noise at this budget';
}

/**
 * The sentence a lesson states about a comparison, generated from the verdict: a difference is claimed only when the
 * 95 % interval excludes 0; otherwise it says "within noise at this budget" and gives the interval.
 */
export function verdictSentence(spec: ReferenceComparison, k: Comparison | undefined, file = referenceFile()): string {
  // A question stated as a heading ("Linear bottleneck vs ReLU6 …") gets a colon, so that the figures read as its answer.
  const question = /[?.!:]$/.test(spec.question.trim()) ? spec.question.trim() : `${spec.question.trim()}:`;
  if (!k) return `${question} Not yet measured: the reference results lack runs (\`make reference\`).`;
  const [a, b] = [referenceEntry(spec.a), referenceEntry(spec.b)];
  const [ra, rb] = [referenceRuns(spec.a, file), referenceRuns(spec.b, file)];
  const sideA = `${a.title}${spec.aSeeds ? ` (seeds ${spec.aSeeds.join(', ')})` : ''}: ${percentMeanSd(k.a)} (n = ${k.a.n})`;
  const sideB = `${b.title}${spec.bSeeds ? ` (seeds ${spec.bSeeds.join(', ')})` : ''}: ${percentMeanSd(k.b)} (n = ${k.b.n})`;
  const interval = `${signed(100 * k.difference)} points, 95 % interval [${signed(100 * k.interval[0])}, ${signed(100 * k.interval[1])}]`;
  const count = (n: number) => n.toLocaleString('en-US');
  const budget = ra[0] ? ` (${count(ra[0].trainImages)} training images × ${ra[0].epochs} epochs, ${count(rb[0]?.testImages ?? ra[0].testImages)} test images)` : '';
  const verdict =
    k.verdict === 'within noise'
      ? `the difference is **within noise at this budget**`
      : `**${k.verdict === 'A better' ? a.title : b.title} is better**`;
  return `${question} ${sideA}; ${sideB}; A − B = ${interval}: ${verdict}${budget}.`;
}

/** The "What we saw" bullets of a lesson's comparisons, one sentence per comparison, generated from the verdicts. */
export function lessonVerdicts(lesson: string, file = referenceFile()): string[] {
  return lessonComparisons(lesson, file).map(({ spec, comparison }) => verdictSentence(spec, comparison, file));
}

/** A reader's run (or runs) beside the reference entry it repeats at a smaller budget. */
export interface ReaderRun {
  label: string;
  top1: number;
  trainImages: number;
  epochs: number;
  testImages: number;
}

/** Names of the data sets the plan trains on, as an accuracy axis reads them. */
const ACCURACY_AXIS: Record<string, string> = {
  cifar10: 'CIFAR-10 test top-1 (%)',
  'tiny-imagenet': 'Tiny ImageNet-20 validation top-1 (%)',
  'fashion-mnist': 'Fashion-MNIST test top-1 (%)',
};

/** The accuracy axis title of entries `ids`; throws when they mix data sets (one chart, one data set). */
export function accuracyAxisTitle(ids: string[]): string {
  const datasets = [...new Set(ids.map((id) => referenceEntry(id).spec.dataset))];
  if (datasets.length !== 1) throw new Error(`evidence chart: entries ${ids.join(', ')} span ${datasets.length} data sets (${datasets.join(', ')}); chart one data set at a time`);
  return ACCURACY_AXIS[datasets[0]];
}

/**
 * Mean ± sd of each entry's top-1 (points for every seed, error bar = 1 sd), plus the reader's runs as hollow
 * markers, on one categorical axis; y in %.
 */
export function evidenceFigure(ids: string[], reader: ReaderRun[] = [], file = referenceFile()): PlotlyFigure {
  const titles = ids.map((id) => referenceEntry(id).title);
  const runs = ids.map((id) => referenceRuns(id, file));
  const summaries = runs.map((rs) => (rs.length > 0 ? summarize(rs.map((r) => r.top1)) : undefined));
  const data: Array<Record<string, unknown>> = [
    {
      type: 'scatter', mode: 'markers', name: 'reference: mean ± 1 sd over seeds', x: titles, y: summaries.map((s) => (s ? 100 * s.mean : null)),
      error_y: { type: 'data', array: summaries.map((s) => (s ? 100 * s.sd : 0)), visible: true, thickness: 2, width: 8 },
      marker: { size: 12, symbol: 'diamond', color: '#1f77b4' },
      hovertemplate: '%{x}<br>mean %{y:.1f} %<extra></extra>',
    },
    {
      type: 'scatter', mode: 'markers', name: 'reference: one seed', x: runs.flatMap((rs, i) => rs.map(() => titles[i])),
      y: runs.flatMap((rs) => rs.map((r) => 100 * r.top1)), text: runs.flatMap((rs) => rs.map((r) => `seed ${r.seed}`)),
      marker: { size: 6, color: 'rgba(31,119,180,0.45)' }, hovertemplate: '%{x}, %{text}: %{y:.1f} %<extra></extra>',
    },
  ];
  if (reader.length > 0) {
    data.push({
      type: 'scatter', mode: 'markers', name: 'your run (smaller budget)', x: reader.map((r) => r.label), y: reader.map((r) => 100 * r.top1),
      text: reader.map((r) => `${r.trainImages} images × ${r.epochs} epochs, ${r.testImages} test images`),
      marker: { size: 11, symbol: 'circle-open', color: '#d62728', line: { width: 2 } }, hovertemplate: '%{x}: %{y:.1f} %<br>%{text}<extra></extra>',
    });
  }
  return { data, layout: { yaxis: { title: { text: accuracyAxisTitle(ids) } }, xaxis: { title: { text: 'configuration' }, automargin: true }, showlegend: true, legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' } } };
}

/** Shows {@link evidenceFigure}. */
export function evidenceChart(ids: string[], reader: ReaderRun[] = [], opts: ChartOptions = {}): void {
  plotly(evidenceFigure(ids, reader), { height: 460, ...opts });
}

/** Learning-curve groups of reference entries (one group per entry, its seeds as the band). */
export function referenceCurveGroups(ids: string[], file = referenceFile()): CurveGroup[] {
  return ids.map((id) => ({ name: referenceEntry(id).title, histories: referenceRuns(id, file).map((r) => r.history ?? []) })).filter((g) => g.histories.length > 0);
}

/** Shows the learning curves of reference entries (mean ± 1 sd across seeds), with the reader's run histories added. */
export function referenceLearningCurves(ids: string[], reader: Array<{ label: string; history?: ResultRecord['history'] }> = [], opts: ChartOptions = {}): void {
  const groups = referenceCurveGroups(ids);
  for (const r of reader) if (r.history && r.history.length > 0) groups.push({ name: `your run: ${r.label}`, histories: [r.history] });
  if (groups.length === 0) throw new Error('referenceLearningCurves: no recorded runs for these entries; run `make reference`');
  learningCurves(groups, opts);
}
