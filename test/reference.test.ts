/**
 * The reference runner on a tiny plan (records with id, kind, seed, history and provenance; resumable; sharded), the
 * shipped plan's consistency, and the committed results/reference.jsonl against the acceptance rules: every run
 * finished with a falling loss, on the full test split, with provenance, for an entry and seed of the plan as it
 * stands and with that entry's setup; every family base recorded at all its seeds averages ≥ 50 % top-1; the A/A check
 * within noise. How complete the file is, `compact-nets reference --list` says (the plan is produced over several
 * interrupted runs of `make reference`).
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  entrySetupHash, pendingRuns, REFERENCE_COMPARISONS, REFERENCE_PLAN, referenceComparison, ReferenceEntry, referenceRuns, referenceSummary, runReference,
} from '../src/experiments';
import { readResults, referenceFile } from '../src/lib/results';
import { buildModel, getModelEntry } from '../src/models';

function tinyNet(classes: number): tf.LayersModel {
  const x = tf.input({ shape: [32, 32, 3] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: classes }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

describe('reference runner (tiny plan)', function () {
  this.timeout(300000);
  const saved = process.env.COMPACT_NETS_CACHE;
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-reference-'));
    process.env.COMPACT_NETS_CACHE = path.join(tmp, 'cache');
  });
  after(() => {
    if (saved === undefined) delete process.env.COMPACT_NETS_CACHE;
    else process.env.COMPACT_NETS_CACHE = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs only what the file lacks, in shards, and records id, kind, seed, history and provenance', async () => {
    const spec = { model: 'tiny-reference-net', build: (_p: string, c: number) => tinyNet(c), dataset: 'cifar10' as const, perClass: 3, testPerClass: 2, epochs: 1, batchSize: 8, learningRate: 0.01 };
    const plan: ReferenceEntry[] = [
      { id: 'tiny.a', lesson: 'test', title: 'tiny A', spec, seeds: [0, 1] },
      { id: 'tiny.b', lesson: 'test', title: 'tiny B', spec: { ...spec, learningRate: 0.02 }, seeds: [0, 1] },
    ];
    const file = path.join(tmp, 'results', 'reference.jsonl');
    assert.equal(pendingRuns(plan, file).length, 4);
    const shard0 = await runReference({ plan, file, shard: { index: 0, count: 2 } });
    assert.deepEqual(shard0, { finished: 2, failed: 0 });
    assert.deepEqual(pendingRuns(plan, file).map((p) => `${p.entry.id}#${p.seed}`), ['tiny.a#1', 'tiny.b#1']);
    await runReference({ plan, file });
    assert.equal(pendingRuns(plan, file).length, 0);
    assert.deepEqual(await runReference({ plan, file }), { finished: 0, failed: 0 }, 'nothing left to run');
    const records = readResults(file).records;
    assert.equal(records.length, 4);
    for (const r of records) {
      assert.equal(r.kind, 'reference');
      assert.ok(r.referenceId === 'tiny.a' || r.referenceId === 'tiny.b');
      assert.equal(r.history?.length, 1);
      assert.ok(r.provenance && r.provenance.commit && r.provenance.machine && r.provenance.threads >= 1 && r.provenance.wallSeconds >= 0);
    }
    assert.deepEqual(referenceRuns('tiny.a', file).map((r) => r.seed), [0, 1]);
    assert.equal(referenceSummary('tiny.b', file)!.n, 2);
    const c = referenceComparison({ lesson: 'test', question: 'q', a: 'tiny.a', b: 'tiny.b' }, file);
    assert.ok(c.comparison && ['A better', 'B better', 'within noise'].includes(c.comparison.verdict));
    await assert.rejects(runReference({ plan, file, shard: { index: 2, count: 2 } }), /shard must be i\/n with 0 ≤ i < n, got 2\/2/);
  });
});

describe('the shipped reference plan', () => {
  it('has unique ids, valid models and options, and comparisons between its own entries', () => {
    const ids = REFERENCE_PLAN.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const e of REFERENCE_PLAN) {
      const entry = getModelEntry(e.spec.model);
      assert.ok(e.seeds.length >= 3, `${e.id}: at least 3 seeds`);
      for (const k of Object.keys(e.spec.modelConfig ?? {})) assert.ok(entry.options.some((o) => o.name === k), `${e.id}: option ${k} exists`);
      const profile = e.spec.dataset === 'tiny-imagenet' ? 'tiny-imagenet' : 'cifar10';
      buildModel(e.spec.model, { ...e.spec.modelConfig, dataset: profile, classes: e.spec.dataset === 'tiny-imagenet' ? 20 : 10 }).dispose();
    }
    for (const c of REFERENCE_COMPARISONS) {
      assert.ok(ids.includes(c.a) && ids.includes(c.b), `${c.question}: ${c.a} and ${c.b} are plan entries`);
    }
  });

  it('names one CIFAR-10 family base for each of the eight compact families, each with ≥ 3 seeds', () => {
    const bases = REFERENCE_PLAN.filter((e) => e.familyBase && e.spec.dataset === 'cifar10');
    assert.deepEqual(bases.map((e) => e.spec.model).sort(),
      ['as_resnet', 'fe_net', 'mobilenet_v1', 'mobilenet_v2', 'shift_resnet20', 'shufflenet_v1', 'shufflenet_v2', 'squeezenet1_1']);
  });
});

describe('results/reference.jsonl (committed)', () => {
  const file = referenceFile();
  const records = fs.existsSync(file) ? readResults(file) : { records: [], warnings: ['missing'] };

  it('reads without warnings; every record finished (last epoch loss below the first), on the full test split, with provenance', () => {
    assert.deepEqual(records.warnings, [], `${file} must exist and read cleanly; produce it with make reference`);
    assert.ok(records.records.length > 0, `${file} holds no run; produce them with make reference`);
    for (const r of records.records) {
      const where = `${r.referenceId} seed ${r.seed}`;
      assert.equal(r.kind, 'reference', where);
      assert.ok(r.history && r.history.length >= 2, `${where}: history`);
      assert.ok(r.history[r.history.length - 1].loss < r.history[0].loss, `${where}: the loss fell`);
      assert.ok(r.provenance && /^[0-9a-f]{40}/.test(r.provenance.commit), `${where}: provenance with a commit`);
      if (r.dataset.startsWith('CIFAR-10')) assert.equal(r.testImages, 10000, `${where}: full CIFAR-10 test set`);
      if (r.dataset.startsWith('Tiny ImageNet')) assert.equal(r.testImages, 1000, `${where}: all 1,000 validation images of Tiny ImageNet-20`);
    }
  });

  it('every record belongs to the plan as it stands: a known entry and seed, once, trained with the entry\'s setup', () => {
    const seen = new Set<string>();
    const hashes = new Map<string, string>();
    for (const r of records.records) {
      const entry = REFERENCE_PLAN.find((e) => e.id === r.referenceId);
      assert.ok(entry, `record of unknown entry "${r.referenceId}": the plan changed; remove its records or restore the entry`);
      assert.ok(entry.seeds.includes(r.seed ?? -1), `${entry.id}: seed ${r.seed} is not in the plan's seeds ${entry.seeds.join(', ')}`);
      const key = `${entry.id}#${r.seed}`;
      assert.ok(!seen.has(key), `${entry.id} seed ${r.seed} recorded twice`);
      seen.add(key);
      if (!hashes.has(entry.id)) hashes.set(entry.id, entrySetupHash(entry));
      assert.equal(r.setupHash, hashes.get(entry.id), `${entry.id} seed ${r.seed}: trained with another setup than the plan's (budget, recipe or model options changed)`);
    }
  });

  it('every family base with all its seeds recorded averages ≥ 50 % top-1 on CIFAR-10', () => {
    const complete = REFERENCE_PLAN.filter((e) => e.familyBase && e.spec.dataset === 'cifar10' && referenceRuns(e.id, file).length === e.seeds.length);
    for (const e of complete) {
      const s = referenceSummary(e.id, file)!;
      assert.ok(s.mean >= 0.5, `${e.id}: mean top-1 ${(100 * s.mean).toFixed(1)} % over ${s.n} seeds`);
    }
  });

  it('every Tiny ImageNet-20 entry with all its seeds recorded learns: mean top-1 ≥ 25 % (5× chance over 20 classes)', () => {
    const complete = REFERENCE_PLAN.filter((e) => e.spec.dataset === 'tiny-imagenet' && referenceRuns(e.id, file).length === e.seeds.length);
    for (const e of complete) {
      const s = referenceSummary(e.id, file)!;
      assert.ok(s.mean >= 0.25, `${e.id}: mean top-1 ${(100 * s.mean).toFixed(1)} % over ${s.n} seeds`);
    }
  });

  it('the A/A check (same configuration, different seeds) comes out within noise once both halves are recorded', () => {
    const aa = REFERENCE_COMPARISONS.find((c) => c.a === c.b)!;
    const recorded = referenceRuns(aa.a, file).map((r) => r.seed);
    if (![...(aa.aSeeds ?? []), ...(aa.bSeeds ?? [])].every((s) => recorded.includes(s))) return;
    assert.equal(referenceComparison(aa, file).comparison?.verdict, 'within noise');
  });
});
