/** `compact-nets reference`: (re)produce the committed reference results, resumably; or list them with their verdicts. */
import { spawn } from 'child_process';
import type { Command } from '../main';
import { parseArgs, stringOption, UsageError } from '../args';
import { pendingRuns, REFERENCE_COMPARISONS, REFERENCE_PLAN, referenceComparison, referenceEntry, referenceSummary, runReference } from '../../experiments';
import { referenceFile } from '../../lib/results';

const USAGE = [
  'usage: compact-nets reference [--list] [--only ID[,ID…]] [--jobs N | --shard I/N] [--json]',
  '',
  `Trains the runs of the reference plan that ${'results/reference.jsonl'} does not hold yet (each entry at its seeds, on`,
  'the full test split) and appends each as it finishes. Interrupt it at any time: recorded runs are skipped and a',
  'run stopped mid-training resumes from its last epoch checkpoint. `make reference` runs it with --jobs 2.',
  '  --list                the plan: per entry the recorded seeds and mean ± sd top-1; per comparison the verdict',
  '  --only IDS            only these entries (comma-separated ids from --list)',
  '  --jobs N              N worker processes (one native thread each unless COMPACT_NETS_THREADS is set)',
  '  --shard I/N           this process takes pending runs I, I+N, I+2N, … (what --jobs gives each worker)',
  '  --json                with --list: one JSON object {entries, comparisons}',
].join('\n');

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard must be I/N with 0 ≤ I < N (e.g. 0/2), got "${text}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

function list(json: boolean): number {
  const entries = REFERENCE_PLAN.map((e) => ({ id: e.id, lesson: e.lesson, title: e.title, seeds: e.seeds, top1: referenceSummary(e.id) }));
  const comparisons = REFERENCE_COMPARISONS.map((c) => ({ ...c, ...referenceComparison(c) }));
  if (json) {
    console.log(JSON.stringify({ file: referenceFile(), entries, comparisons }));
    return 0;
  }
  console.log(`reference plan (${referenceFile()}):`);
  for (const e of entries) {
    const s = e.top1;
    console.log(`  ${e.id.padEnd(34)} ${s ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)} % (n = ${s.n} of ${e.seeds.length})` : `no run yet (0 of ${e.seeds.length})`}  ${e.title}`);
  }
  console.log('comparisons (A − B, percentage points, 95 % interval):');
  for (const c of comparisons) {
    const k = c.comparison;
    console.log(`  ${c.question}\n    ${k ? `${(100 * k.difference).toFixed(1)} [${(100 * k.interval[0]).toFixed(1)}, ${(100 * k.interval[1]).toFixed(1)}] → ${k.verdict === 'A better' ? c.a : k.verdict === 'B better' ? c.b : 'within noise'}` : `not yet: ${c.missing}`}`);
  }
  return 0;
}

/** Runs N copies of this command with --shard i/N and waits for all; the exit status is the worst child's. */
async function spawnWorkers(jobs: number, only: string | undefined): Promise<number> {
  const codes = await Promise.all(Array.from({ length: jobs }, (_, i) => new Promise<number>((resolve) => {
    const argv = [process.argv[1], 'reference', '--shard', `${i}/${jobs}`, ...(only ? ['--only', only] : [])];
    const env = { ...process.env, COMPACT_NETS_THREADS: process.env.COMPACT_NETS_THREADS ?? '1' };
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  })));
  return Math.max(...codes);
}

export const command: Command = {
  summary: 'produce (resumably) or list the committed multi-seed reference results',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['only', 'jobs', 'shard'], booleans: ['list', 'json'] });
    if (args.positional.length > 0) throw new UsageError(`reference takes no positional arguments, got "${args.positional.join(' ')}"`);
    const only = stringOption(args, 'only');
    const ids = only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    try {
      ids?.forEach((id) => referenceEntry(id));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (args.options.has('list')) return list(args.options.has('json'));
    if (args.options.has('json')) throw new UsageError('--json goes with --list');
    const jobsText = stringOption(args, 'jobs');
    const shardText = stringOption(args, 'shard');
    if (jobsText !== undefined && shardText !== undefined) throw new UsageError('give --jobs or --shard, not both');
    if (jobsText !== undefined) {
      const jobs = Number(jobsText);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a whole number ≥ 1, got "${jobsText}"`);
      const pending = pendingRuns(REFERENCE_PLAN, referenceFile(), ids).length;
      console.log(`${pending} reference run(s) pending; ${Math.min(jobs, Math.max(pending, 1))} worker(s)`);
      return pending === 0 ? 0 : spawnWorkers(Math.min(jobs, pending), only);
    }
    const shard = shardText !== undefined ? parseShard(shardText) : { index: 0, count: 1 };
    const tag = shard.count > 1 ? `[worker ${shard.index}/${shard.count}] ` : '';
    const { finished, failed } = await runReference({
      only: ids, shard,
      onEvent: (e) => console.log(`${tag}${e.index}/${e.total} ${e.run.entry.id} seed ${e.run.seed}: ` +
        (e.failure ? `DIVERGED (${e.failure}); left pending` : `top-1 ${(100 * e.result!.top1).toFixed(2)} %, ${e.result!.wallSeconds.toFixed(0)} s training`)),
    });
    console.log(`${tag}done: ${finished} run(s) recorded, ${failed} diverged`);
    return failed > 0 ? 1 : 0;
  },
};
