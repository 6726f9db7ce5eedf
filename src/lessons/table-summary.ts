/**
 * What the ImageNet table says, in sentences generated from its rows: how many published counts we reproduce, how
 * well MACs order the measured latencies on each runtime, how the two runtimes compare row by row (with their
 * spreads), which networks form the ImageNet front, and what pretrained weights score here.
 *
 * Introduced in notebooks/09-imagenet-table.ipynb.
 */
import { paretoFront } from './charts';
import { ImagenetTable, rankCorrelation, tableOn, TablePoint, tablePoints } from './table';

/** Runtime names of the table's latency columns: tfjs (the oracle path), our inference plan and ONNX Runtime. */
export function latencyRuntimeNames(table: ImagenetTable): { tfjs: string; plan: string; onnx: string } {
  const onnx = table.rows.map((r) => r.measured?.onnxBatch1).find((l) => l !== undefined);
  const plan = table.rows.map((r) => r.measured?.planBatch1).find((l) => l !== undefined);
  const threads = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  return {
    tfjs: `our runtime (tfjs ${table.backend})`,
    plan: plan ? `our inference plan (native kernels, ${threads(plan.threads)})` : 'our inference plan',
    onnx: onnx ? `ONNX Runtime (${onnx.runtime}, ${threads(onnx.threads)})` : 'ONNX Runtime',
  };
}

/** Latency-vs-MACs points of the ImageNet rows, one group per runtime, each with its min–max spread on y. */
export function latencyPoints(table: ImagenetTable, dataset = 'imagenet'): TablePoint[] {
  const names = latencyRuntimeNames(table);
  return [
    ...tablePoints(table, 'macs', 'latency', { dataset }).map((p) => ({ ...p, group: names.tfjs })),
    ...tablePoints(table, 'macs', 'planLatency', { dataset }).map((p) => ({ ...p, group: names.plan })),
    ...tablePoints(table, 'macs', 'onnxLatency', { dataset }).map((p) => ({ ...p, group: names.onnx })),
  ];
}

/** One sentence on how MACs order one runtime's latencies (Spearman ρ), its fastest row and its most time per MAC. */
function latencySentence(runtime: string, pts: TablePoint[]): string {
  const rho = rankCorrelation(pts.map((p) => p.x), pts.map((p) => p.y));
  const fastest = pts.reduce((a, b) => (a.y <= b.y ? a : b));
  const slowestPerMac = pts.reduce((a, b) => (a.y / a.x >= b.y / b.x ? a : b));
  return `On ${runtime}, the rank correlation between MACs and median batch-1 latency over ${pts.length} ImageNet rows is ` +
    `ρ = ${rho.toFixed(2)} (1 would mean MACs order the networks exactly by speed); the fastest row is ${fastest.label} ` +
    `(${fastest.y.toFixed(1)} ms), the most time per MAC is spent by ${slowestPerMac.label} (${(1000 * slowestPerMac.y / slowestPerMac.x).toFixed(2)} µs per million MACs).`;
}

/** Which of our latency columns a ratio reads: the tfjs path or the inference plan. */
export type OurRuntime = 'tfjs' | 'plan';

/**
 * The rows timed on one of our runtimes and on ONNX Runtime: ratio ours / ONNX Runtime of the medians, and whether
 * their min–max ranges overlap.
 */
export function runtimeRatios(table: ImagenetTable, dataset = 'imagenet', ours: OurRuntime = 'tfjs'): Array<{ label: string; ratio: number; rangesOverlap: boolean }> {
  return tableOn(table, dataset).rows.flatMap((r) => {
    const [a, b] = [ours === 'plan' ? r.measured?.planBatch1 : r.measured?.latencyBatch1, r.measured?.onnxBatch1];
    if (!a || !b) return [];
    return [{ label: `${r.model} ${r.variant}`, ratio: a.medianMs / b.medianMs, rangesOverlap: a.minMs <= b.maxMs && b.minMs <= a.maxMs }];
  });
}

/** One sentence on the ratios of one of our runtimes to ONNX Runtime: range, median, and rows whose ranges are apart. */
function ratioSentence(runtime: string, ratios: ReturnType<typeof runtimeRatios>): string {
  const sorted = ratios.map((r) => r.ratio).sort((a, b) => a - b);
  const apart = ratios.filter((r) => !r.rangesOverlap).length;
  return `${runtime[0].toUpperCase()}${runtime.slice(1)}: median latency ${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)} × ONNX Runtime's ` +
    `(median ratio ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(2)}, below 1 = ours faster) over ${ratios.length} rows; ` +
    `in ${apart} of them the two min–max ranges do not overlap.`;
}

/** The "What we saw" bullets of notebook 09, every figure read from the table. */
export function tableFindings(table: ImagenetTable): string[] {
  const out: string[] = [];
  const imagenet = tableOn(table, 'imagenet');
  const flagged = table.rows.filter((r) => r.ours.paramsOutsideRounding || r.ours.macsOutsideRounding);
  out.push(`Of ${table.rows.length} published rows (${imagenet.rows.length} ImageNet, ${table.rows.length - imagenet.rows.length} CIFAR-10), ` +
    `${table.rows.length - flagged.length} match our parameter and MAC counts within the published rounding; ${flagged.length} differ by more and carry a footnote.`);
  const lat = latencyPoints(table);
  const names = latencyRuntimeNames(table);
  for (const runtime of [names.tfjs, names.plan, names.onnx]) {
    const pts = lat.filter((p) => p.group === runtime);
    if (pts.length >= 2) out.push(latencySentence(runtime, pts));
  }
  for (const [ours, runtime] of [['tfjs', names.tfjs], ['plan', names.plan]] as const) {
    const ratios = runtimeRatios(table, 'imagenet', ours);
    if (ratios.length > 0) out.push(ratioSentence(runtime, ratios));
  }
  const acc = tablePoints(table, 'macs', 'top1Percent', { dataset: 'imagenet' });
  if (acc.length > 0) {
    const front = paretoFront(acc).map((i) => acc[i]);
    out.push(`The ImageNet front (published top-1 against our MACs) runs through ${front.map((p) => `${p.label} (${p.x.toFixed(0)} M MACs, ${p.y} %)`).join(' → ')}.`);
  }
  const scored = table.rows.filter((r) => r.pretrained);
  out.push(scored.length === 0 ? 'No pretrained weights were scored.' :
    'Pretrained weights loaded into our builders score ' + scored.map((r) =>
      `${r.model} ${r.variant}: ${(100 * r.pretrained!.top1).toFixed(1)} % top-1 (published ${r.published.top1Percent ?? '?'} % on the full validation set)`).join('; ') +
    ` on ${scored[0].pretrained!.imageSet}, a subset on which published models score above their full-set accuracy.`);
  return out;
}
