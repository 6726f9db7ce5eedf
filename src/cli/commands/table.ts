/** `compact-nets table`: the survey's ImageNet table from our definitions, optionally with measured latency. */
import type { Command } from '../main';
import { numberOption, parseArgs, stringOption, UsageError } from '../args';
import { initBackend } from '../../lib/backend';
import { imagenetTable, tableDisplayRows, tableFootnotes } from '../../lib/table';
import { tableText } from '../../lib/display/tables';
import { listModels } from '../../models';

const USAGE = [
  'usage: compact-nets table [--json] [--latency] [--models a,b,…] [--repetitions N] [--batch B] [--backend NAME]',
  '',
  'One row per published variant: published top-1/top-5, parameters and MACs beside ours (relative difference,',
  '* beyond the published rounding, with footnotes).',
  '  --latency        also measure batch-1 latency and batch-B throughput on the active backend (median after warm-up)',
  '  --batch B        batch for the throughput column (default 32)',
  '  --repetitions N  timed runs per measurement (default 5 at batch 1, 3 at batch B)',
  '  --models LIST    only these models (comma-separated registry names)',
  '  --json           one JSON object {rows, backend, machine, latencyMethod}',
].join('\n');

export const command: Command = {
  summary: 'the ImageNet comparison table (published vs our counts, measured latency)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['models', 'repetitions', 'batch', 'backend'], booleans: ['json', 'latency'] });
    if (args.positional.length) throw new UsageError(`table takes no positional arguments (got "${args.positional.join(' ')}")`);
    const repetitions = numberOption(args, 'repetitions', { integer: true, min: 1 });
    const batch = numberOption(args, 'batch', { integer: true, min: 1 });
    const models = stringOption(args, 'models')?.split(',').map((s) => s.trim()).filter(Boolean);
    await initBackend(stringOption(args, 'backend'));
    const json = args.options.has('json');
    const table = await imagenetTable(listModels(), {
      latency: args.options.has('latency'),
      repetitions,
      throughputBatch: batch,
      models,
      onRow: (i, n, label) => process.stderr.write(`[${i + 1}/${n}] ${label}\n`),
    });
    if (json) {
      console.log(JSON.stringify(table, null, 2));
    } else {
      console.log(tableText(tableDisplayRows(table)));
      console.log('');
      for (const note of tableFootnotes(table)) console.log(note);
      console.log(`backend: ${table.backend}; machine: ${table.machine.cpuModel} × ${table.machine.cores}`);
    }
    return 0;
  },
};
