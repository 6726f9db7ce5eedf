import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appendResult, ResultRecord } from '../src/lib/results';
import { collectRuns, measureRunLatencies, runLabel, tradeoffPoints } from '../src/lessons/tradeoffs';
import { useBackend } from './support/backend';

function record(overrides: Partial<ResultRecord>): ResultRecord {
  return {
    model: 'shufflenet_v2', config: { modelConfig: { width: 0.5, dataset: 'cifar10', classes: 10 } }, configHash: 'h1',
    dataset: 'CIFAR-10 (JPEG q75)', trainImages: 100, testImages: 50, backend: 'wasm', epochs: 1, top1: 0.3, top5: 0.8,
    params: 350_000, macs: 12e6, wallSeconds: 1, imagesPerSec: 10, date: '2026-11-28T00:00:00Z', ...overrides,
  };
}

describe('trade-off study over the results store', () => {
  let dir: string;
  let file: string;
  useBackend('cpu');
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-tradeoffs-'));
    file = path.join(dir, 'results.jsonl');
    appendResult(record({ configHash: 'h1', top1: 0.2 }), file);
    appendResult(record({ configHash: 'h1', top1: 0.31 }), file); // a re-run of the same config: the latest wins
    appendResult(record({ model: 'tiny', configHash: 'h2', config: { custom: true, modelConfig: { filters: 8 } }, macs: undefined }), file);
    appendResult(record({ configHash: 'h3', dataset: 'Fashion-MNIST' }), file);
    fs.appendFileSync(file, '{"model": "broken"\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the latest run per configuration on one data set and reports malformed lines', () => {
    const warnings: string[] = [];
    const rows = collectRuns({ dataset: 'CIFAR-10 (JPEG q75)', file, warn: (w) => warnings.push(w) });
    assert.deepEqual(rows.map((r) => [r.label, r.top1Percent]), [['shufflenet_v2 width=0.5', 31], ['tiny filters=8', 30]]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /line 5/);
  });

  it('labels runs by model, variant and distinguishing options', () => {
    assert.equal(runLabel(record({ variant: 'x0.5', config: { modelConfig: { dataset: 'cifar10', classes: 10 } } })), 'shufflenet_v2 x0.5');
  });

  it('measures latency for registry models only, and builds chart points', async () => {
    const rows = await measureRunLatencies(collectRuns({ dataset: 'CIFAR-10 (JPEG q75)', file, warn: () => undefined }), { repetitions: 1 });
    assert.ok(rows[0].latencyMs! > 0, 'shufflenet_v2 is rebuilt and timed');
    assert.equal(rows[1].latencyMs, undefined, 'a custom notebook model cannot be rebuilt');
    assert.deepEqual(tradeoffPoints(rows, 'macs').map((p) => p.label), ['shufflenet_v2 width=0.5'], 'no MACs recorded for the custom run');
    assert.equal(tradeoffPoints(rows, 'params').length, 2);
    assert.equal(tradeoffPoints(rows, 'latency')[0].y, 31);
  });
});
