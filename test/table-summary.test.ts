/**
 * The generated findings of notebook 09 on a hand-made table: counts, rank correlations per runtime (Spearman by
 * hand), runtime ratios with overlapping or separate ranges, the ImageNet front without the CIFAR-10 rows.
 */
import { strict as assert } from 'assert';
import type { ImagenetTable, TableRow } from '../src/lessons/table';
import { latencyPoints, runtimeRatios, tableFindings } from '../src/lessons/table-summary';
import { summarizeSamples } from '../src/lib/onnx';

function row(model: string, dataset: string, macsM: number, top1: number, tfjsMs: number[], onnxMs: number[], outside = false, planMs?: number[]): TableRow {
  const s = (ms: number[]) => summarizeSamples(ms);
  return {
    model, family: 'F', variant: 'v', config: {}, dataset,
    published: { top1Percent: top1, macs: macsM * 1e6, inputSize: 224, source: 's' },
    ours: { params: 1e6, paramsConvention: 'W', paramsByConvention: { weights: 1e6, trainable: 1e6, all: 1e6 }, macs: macsM * 1e6, macsOutsideRounding: outside },
    measured: {
      backend: 'wasm',
      latencyBatch1: { batch: 1, repetitions: tfjsMs.length, imagesPerSec: 1000 / s(tfjsMs).medianMs, backend: 'wasm', medianMs: s(tfjsMs).medianMs, minMs: s(tfjsMs).minMs, maxMs: s(tfjsMs).maxMs },
      onnxBatch1: { runtime: 'onnxruntime-node 1.30.0', threads: 1, batch: 1, warmup: 3, repetitions: onnxMs.length, samplesMs: onnxMs, ...s(onnxMs) },
      ...(planMs ? { planBatch1: { runtime: 'compact-nets plan', threads: 1, batch: 1, warmup: 3, repetitions: planMs.length, samplesMs: planMs, ...s(planMs) } } : {}),
    },
  };
}

describe('ImageNet table findings', () => {
  const table: ImagenetTable = {
    rows: [
      row('a', 'imagenet', 100, 60, [10, 11, 12], [5, 6, 7], false, [4, 5.5, 8]), // ours 11 vs 6: ranges apart; plan 5.5 vs 6: overlap
      row('b', 'imagenet', 300, 70, [20, 30, 40], [25, 26, 27], true), // 30 vs 26: ranges overlap; the plan refused this row
      row('c', 'imagenet', 200, 55, [15, 16, 17], [9, 10, 11], false, [13, 14, 15]), // dominated on the front; 16 vs 10: apart; plan 14 vs 10: apart
      row('cifar', 'cifar10', 50, 95, [1, 1, 1], [1, 1, 1]),
    ],
    backend: 'wasm', machine: { cpuModel: 'x', cores: 2, platform: 'p', node: 'n' },
  };

  it('groups latency points by runtime, ImageNet rows only, with their min–max spread', () => {
    const pts = latencyPoints(table);
    assert.deepEqual(pts.map((p) => [p.label, p.group, p.y, p.yInterval]), [
      ['a v', 'our runtime (tfjs wasm)', 11, [10, 12]], ['b v', 'our runtime (tfjs wasm)', 30, [20, 40]], ['c v', 'our runtime (tfjs wasm)', 16, [15, 17]],
      ['a v', 'our inference plan (native kernels, 1 thread)', 5.5, [4, 8]], ['c v', 'our inference plan (native kernels, 1 thread)', 14, [13, 15]],
      ['a v', 'ONNX Runtime (onnxruntime-node 1.30.0, 1 thread)', 6, [5, 7]], ['b v', 'ONNX Runtime (onnxruntime-node 1.30.0, 1 thread)', 26, [25, 27]], ['c v', 'ONNX Runtime (onnxruntime-node 1.30.0, 1 thread)', 10, [9, 11]],
    ]);
  });

  it('compares the runtimes row by row and says where their ranges overlap', () => {
    const r = runtimeRatios(table);
    assert.deepEqual(r.map((x) => [x.label, +x.ratio.toFixed(4), x.rangesOverlap]), [['a v', +(11 / 6).toFixed(4), false], ['b v', +(30 / 26).toFixed(4), true], ['c v', 1.6, false]]);
    const plan = runtimeRatios(table, 'imagenet', 'plan');
    assert.deepEqual(plan.map((x) => [x.label, +x.ratio.toFixed(4), x.rangesOverlap]), [['a v', +(5.5 / 6).toFixed(4), true], ['c v', 1.4, false]], 'rows the plan refused are left out');
  });

  it('writes every finding from the rows', () => {
    const f = tableFindings(table);
    assert.equal(f[0], 'Of 4 published rows (3 ImageNet, 1 CIFAR-10), 3 match our parameter and MAC counts within the published rounding; 1 differ by more and carry a footnote.');
    // MACs 100, 300, 200 against latency 11, 30, 16: the same order, ρ = 1 on both runtimes.
    assert.match(f[1], /^On our runtime \(tfjs wasm\), the rank correlation .* over 3 ImageNet rows is ρ = 1\.00 .* fastest row is a v \(11\.0 ms\)/);
    assert.match(f[2], /^On our inference plan \(native kernels, 1 thread\), .* over 2 ImageNet rows is ρ = 1\.00/);
    assert.match(f[3], /^On ONNX Runtime .* ρ = 1\.00/);
    assert.match(f[4], /^Our runtime \(tfjs wasm\): median latency 1\.15–1\.83 × ONNX Runtime's \(median ratio 1\.60, .*\) over 3 rows; in 2 of them the two min–max ranges do not overlap/);
    assert.match(f[5], /^Our inference plan \(native kernels, 1 thread\): median latency 0\.92–1\.40 × ONNX Runtime's \(median ratio 0\.92, .*\) over 2 rows; in 1 of them/);
    assert.equal(f[6], 'The ImageNet front (published top-1 against our MACs) runs through a v (100 M MACs, 60 %) → b v (300 M MACs, 70 %).');
    assert.equal(f[7], 'No pretrained weights were scored.');
  });
});
