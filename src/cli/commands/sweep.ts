/** `compact-nets sweep`: a grid of configurations × seeds, with mean ± sd per configuration and pairwise verdicts. */
import type { Command } from '../main';
import { numberOption, parseArgs, stringOption, UsageError } from '../args';
import { EXPERIMENT_USAGE, EXPERIMENT_VALUE_OPTIONS, experimentOptions } from '../experiment-options';
import { parseGrid, sweep, SweepSpec, validateSweep } from '../../experiments';
import { loadData } from '../../lib/data/load';

const USAGE = [
  'usage: compact-nets sweep <model> --grid "key=v1,v2[;key2=v3,…]" --seeds N --dataset NAME [options] [--json]',
  '',
  'Trains every configuration of the grid at seeds 0 … N−1 (recorded runs are reused, so an interrupted sweep',
  'resumes), then prints per configuration n, mean ± sd of the test top-1, and for every pair the difference with',
  'its 95 % interval (Welch) and the verdict: "A better", "B better" or "within noise". Diverged runs are failed',
  'runs: counted, never averaged. Grid keys: any option of the model (`compact-nets models`), or the training',
  'options learningRate, batchSize, epochs, perClass, weightDecay, warmupEpochs, labelSmoothing, optimizer.',
  '  --grid SPEC           e.g. "width=0.25,0.5" or "width=0.5;bottleneckActivation=linear,relu6"',
  '  --seeds N             seeds per configuration (≥ 1; ≥ 3 to state a verdict with some power)',
  ...EXPERIMENT_USAGE,
  '  --json                print one JSON object {model, seeds, configs, comparisons} (progress goes to stderr)',
].join('\n');

/** "61.3 ± 0.8 % (n = 3)" for a top-1 summary in fractions. */
function meanSd(s: { n: number; mean: number; sd: number }): string {
  return `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)} % (n = ${s.n})`;
}

export const command: Command = {
  summary: 'train a grid of configurations × seeds and compare them (mean ± sd, verdicts)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: [...EXPERIMENT_VALUE_OPTIONS, 'grid', 'seeds'], booleans: ['json'] });
    if (args.positional.length !== 1) throw new UsageError(`sweep takes exactly one model name, got ${args.positional.length ? `"${args.positional.join(' ')}"` : 'none'}`);
    const gridText = stringOption(args, 'grid');
    if (gridText === undefined) throw new UsageError('--grid is required, e.g. --grid "width=0.25,0.5"');
    const seeds = numberOption(args, 'seeds', { integer: true, min: 1 });
    if (seeds === undefined) throw new UsageError('--seeds is required: how many seeds per configuration (≥ 1, e.g. 3)');
    const base = experimentOptions(args);
    loadData(base.dataset, base); // a missing or broken data set is a runtime failure (exit 1), not a usage error
    let spec: SweepSpec;
    try {
      spec = { ...base, model: args.positional[0], grid: parseGrid(gridText), seeds };
      validateSweep(spec);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const json = args.options.has('json');
    const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
    const result = await sweep({ ...spec, progress: 'silent' }, {
      onRun: (e) => log(`[${e.index}/${e.total}] ${e.label} seed ${e.seed}: ` +
        (e.failure ? `diverged (${e.failure})` : `top-1 ${(100 * e.result!.top1).toFixed(2)} %${e.result!.reused ? ' (recorded)' : ''}`)),
    });
    if (json) {
      console.log(JSON.stringify({
        model: result.model, seeds: result.seeds,
        configs: result.configs.map((c) => ({ label: c.label, settings: c.settings, top1: c.top1, seeds: c.runs.map((r) => r.seed), top1s: c.runs.map((r) => r.top1), failed: c.failed })),
        comparisons: result.comparisons.map((c) => ({ a: c.a, b: c.b, ...(c.comparison ? { difference: c.comparison.difference, interval: c.comparison.interval, pValue: c.comparison.pValue, df: c.comparison.df, verdict: c.comparison.verdict } : { skipped: c.skipped }) })),
      }));
      return 0;
    }
    console.log(`\n${result.model}: test top-1 per configuration (mean ± sd over seeds ${result.seeds.join(', ')})`);
    for (const c of result.configs) {
      console.log(`  ${c.label.padEnd(40)} ${c.top1 ? meanSd(c.top1) : 'no finished run'}${c.failed.length ? `; ${c.failed.length} diverged (seed ${c.failed.map((f) => f.seed).join(', ')})` : ''}`);
    }
    if (result.comparisons.length > 0) console.log('\npairwise (A − B, percentage points, 95 % interval, Welch):');
    for (const c of result.comparisons) {
      if (!c.comparison) {
        console.log(`  ${c.a} vs ${c.b}: no verdict, ${c.skipped}`);
        continue;
      }
      const k = c.comparison;
      console.log(`  ${c.a} vs ${c.b}: ${(100 * k.difference).toFixed(1)} [${(100 * k.interval[0]).toFixed(1)}, ${(100 * k.interval[1]).toFixed(1)}] → ${k.verdict === 'A better' ? c.a + ' better' : k.verdict === 'B better' ? c.b + ' better' : 'within noise'}`);
    }
    return 0;
  },
};
