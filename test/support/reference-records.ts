/**
 * Synthetic reference results: records shaped like those `compact-nets reference` appends, written to a temporary
 * file, so that lesson helpers can be tested against known means, spreads and verdicts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appendResult, ResultRecord } from '../../src/lib/results';

/** A reference run of plan entry `id` with seed `seed` and test top-1 `top1` (a fraction); cost and budget overridable. */
export function referenceRecord(id: string, seed: number, top1: number, overrides: Partial<ResultRecord> = {}): ResultRecord {
  return {
    kind: 'reference', referenceId: id, seed, model: id.split('.')[0], configHash: `${id}#${seed}`, dataset: 'CIFAR-10 (JPEG q75)', top1, top5: 0.9,
    date: '2026-12-03T00:00:00Z', trainImages: 20000, testImages: 10000, epochs: 6, params: 100_000, macs: 10e6, wallSeconds: 300,
    imagesPerSec: 400, backend: 'wasm', config: {}, history: [{ epoch: 1, loss: 2.3, accuracy: 0.3, learningRate: 0.1, seconds: 100 }],
    ...overrides,
  };
}

/** A temporary reference file holding, for each id, one run per listed top-1 (seeds 0, 1, …); removed by `cleanup`. */
export function referenceFixture(runs: Record<string, { top1: number[]; overrides?: Partial<ResultRecord> }>): { file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-reference-'));
  const file = path.join(dir, 'reference.jsonl');
  for (const [id, { top1, overrides }] of Object.entries(runs)) top1.forEach((t, seed) => appendResult(referenceRecord(id, seed, t, overrides), file));
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
