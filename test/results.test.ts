/** Results store: hashing, appending, reading, and reporting of corrupt or partial lines. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appendResult, canonicalJson, configHash, findResult, readResults, ResultRecord } from '../src/lib/results';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-results-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function record(hash: string, top1: number): ResultRecord {
  return {
    model: 'toy', config: { a: 1 }, configHash: hash, dataset: 'CIFAR-10 (JPEG q75)', subset: '200 per class, seed 1', trainImages: 2000, testImages: 10000,
    backend: 'wasm', epochs: 3, top1, top5: 0.8, params: 1234, macs: 5678, wallSeconds: 12, imagesPerSec: 100, date: new Date(0).toISOString(),
  };
}

describe('results store', () => {
  it('configHash ignores key order and undefined fields but not values', () => {
    assert.strictEqual(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }] }), '{"a":[2,{"d":3}],"b":1}');
    assert.strictEqual(configHash({ x: 1, y: 2 }), configHash({ y: 2, x: 1 }));
    assert.notStrictEqual(configHash({ x: 1 }), configHash({ x: 2 }));
    assert.match(configHash({}), /^[0-9a-f]{16}$/);
  });

  it('appends one line per run and finds the latest record for a hash', () => {
    const file = path.join(tmp, 'a', 'results.jsonl');
    appendResult(record('h1', 0.3), file);
    appendResult(record('h2', 0.4), file);
    appendResult(record('h1', 0.5), file);
    assert.strictEqual(fs.readFileSync(file, 'utf8').split('\n').length, 4);
    assert.strictEqual(findResult('h1', file)!.top1, 0.5);
    assert.strictEqual(findResult('nope', file), undefined);
  });

  it('reports a corrupt or partial line by number, skips it and keeps every other line', () => {
    const file = path.join(tmp, 'b', 'results.jsonl');
    appendResult(record('h1', 0.3), file);
    fs.appendFileSync(file, '{"model": "x", "configHash": "h9"}\n'); // valid JSON, missing fields
    fs.appendFileSync(file, JSON.stringify(record('h3', 0.6)).slice(0, 40)); // a writer killed mid-line
    appendResult(record('h4', 0.7), file); // starts on a fresh line
    const { records, warnings } = readResults(file);
    assert.deepStrictEqual(records.map((r) => r.configHash), ['h1', 'h4']);
    assert.strictEqual(warnings.length, 2);
    assert.match(warnings[0], /results\.jsonl line 2: missing field\(s\) dataset, top1, date; line skipped/);
    assert.match(warnings[1], /results\.jsonl line 3: .*JSON.*; line skipped/);
    const seen: string[] = [];
    assert.strictEqual(findResult('h4', file, (w) => seen.push(w))!.top1, 0.7);
    assert.strictEqual(seen.length, 2);
  });

  it('a missing file reads as empty', () => {
    assert.deepStrictEqual(readResults(path.join(tmp, 'none.jsonl')), { records: [], warnings: [] });
  });
});
