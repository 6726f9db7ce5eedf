import { strict as assert } from 'assert';
import { runCliProcess } from './support/cli';

/** Runs the CLI (5 minutes at most) and returns exit status, stdout and stderr. */
const cli = (args: string[]) => runCliProcess(args, { timeoutMs: 300_000 });

describe('compact-nets table', () => {
  it('prints the JSON table for selected models with exact counts (torchvision shufflenet_v2 1.0×: 2,278,604)', () => {
    const r = cli(['table', '--json', '--models', 'shufflenet_v2']);
    assert.equal(r.status, 0, r.stderr);
    const table = JSON.parse(r.stdout);
    assert.equal(table.backend, 'wasm');
    assert.ok(table.machine.cores >= 1);
    assert.deepEqual(table.rows.map((row: { variant: string }) => row.variant), ['x0.5', 'x1.0', 'x1.5', 'x2.0']);
    const x1 = table.rows[1];
    assert.equal(x1.ours.paramsByConvention.trainable, 2_278_604);
    assert.equal(x1.published.params, 2.3e6);
    assert.ok(Math.abs(x1.ours.macs - 144.9e6) < 0.05e6, `MACs ${x1.ours.macs}`);
    assert.equal(x1.measured, undefined, 'no latency unless --latency');
  });

  it('measures latency with --latency and reports repetitions and spread', () => {
    const r = cli(['table', '--json', '--latency', '--models', 'shufflenet_v2', '--repetitions', '2', '--batch', '2']);
    assert.equal(r.status, 0, r.stderr);
    const row = JSON.parse(r.stdout).rows[0];
    assert.equal(row.measured.latencyBatch1.repetitions, 2);
    assert.equal(row.measured.throughputBatch.batch, 2);
    assert.ok(row.measured.latencyBatch1.medianMs > 0);
    assert.ok(row.measured.latencyBatch1.minMs <= row.measured.latencyBatch1.maxMs);
  });

  it('scores the matching TFLite MobileNets on ImageNet images with --pretrained', () => {
    const r = cli(['table', '--json', '--models', 'mobilenet_v1', '--pretrained', '../shared/data/pretrained', '--images', '../shared/data/imagenet-val1300', '--limit', '40']);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout).rows as Array<{ variant: string; pretrained?: { top1: number; top5: number; n: number; imageSet: string; weights: string } }>;
    const scored = rows.filter((row) => row.pretrained);
    // Files in shared/data/pretrained: v1 0.25/128, 0.5/160, 0.75/192 (README); the table has those variants.
    assert.deepEqual(scored.map((row) => row.variant).sort(), ['0.25-128', '0.5-160', '0.75-192']);
    for (const row of scored) {
      assert.equal(row.pretrained!.n, 40);
      assert.match(row.pretrained!.imageSet, /imagenet-val1300 \(40 images\)/);
      // Float-simulated full-set top-1 is 57.6–77.9 % (data README); 40 images cannot be near chance (0.1 %).
      assert.ok(row.pretrained!.top1 > 0.3 && row.pretrained!.top5 >= row.pretrained!.top1, JSON.stringify(row.pretrained));
    }
    const widest = scored.find((row) => row.variant === '0.75-192')!;
    assert.equal(widest.pretrained!.weights, 'mobilenet_v1_0.75_192_quant.tflite');
  });

  it('rejects --pretrained without --images', () => {
    const r = cli(['table', '--pretrained', '../shared/data/pretrained']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--pretrained and --images go together/);
  });

  it('rejects unknown models and options with status 2', () => {
    const unknown = cli(['table', '--models', 'resnet1000']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--models: unknown model "resnet1000"; registered: squeezenet1_0/);
    const badOption = cli(['table', '--latency', '--repetitions', '0']);
    assert.equal(badOption.status, 2);
    assert.match(badOption.stderr, /--repetitions must be an integer from 1 to 1000, got 0/);
  });
});
