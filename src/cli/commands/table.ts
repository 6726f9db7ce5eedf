/** `compact-nets table`: the survey's ImageNet table from our definitions, optionally with measured latency. */
import type { Command } from '../main';
import { numberOption, parseArgs, stringOption, UsageError } from '../args';
import { initBackend } from '../../lib/backend';
import { imagenetTable, tableDisplayRows, tableFootnotes } from '../../lessons/table';
import { tflitePretrainedScorer } from '../../lessons/table-pretrained';
import { tableText } from '../../lib/display/tables';
import { listModels } from '../../models';

const USAGE = [
  'usage: compact-nets table [--json] [--latency] [--models a,b,…] [--repetitions N] [--batch B] [--backend NAME]',
  '                          [--pretrained DIR --images DIR [--limit N]]',
  '',
  'One row per published variant: published top-1/top-5, parameters and MACs beside ours (relative difference,',
  '* beyond the published rounding, with footnotes).',
  '  --latency        also measure batch-1 latency and batch-B throughput on the active backend (median after warm-up),',
  '                   and batch-1 latency of the model exported to ONNX in onnxruntime-node (median and min–max)',
  '  --onnx-threads N onnxruntime-node threads of that column (default 1)',
  '  --batch B        batch for the throughput column (default 32; smaller where one run would exceed 50 G MACs or ~2.5 s)',
  '  --repetitions N  timed runs per measurement (default 3)',
  '  --models LIST    only these models (comma-separated registry names)',
  '  --pretrained DIR score the TFLite MobileNets found in DIR on --images (an ImageNet-style folder with labels);',
  '                   rows whose model, width and resolution match a file get a pretrained top-1/top-5 column',
  '  --limit N        score only the first N images',
  '  --json           one JSON object {rows, backend, machine, latencyMethod}',
].join('\n');

export const command: Command = {
  summary: 'the ImageNet comparison table (published vs our counts, measured latency)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['models', 'repetitions', 'batch', 'backend', 'pretrained', 'images', 'limit', 'onnx-threads'], booleans: ['json', 'latency'] });
    if (args.positional.length) throw new UsageError(`table takes no positional arguments (got "${args.positional.join(' ')}")`);
    const repetitions = numberOption(args, 'repetitions', { integer: true, min: 1 });
    const batch = numberOption(args, 'batch', { integer: true, min: 1 });
    const models = stringOption(args, 'models')?.split(',').map((s) => s.trim()).filter(Boolean);
    const pretrainedDir = stringOption(args, 'pretrained');
    const imagesDir = stringOption(args, 'images');
    if ((pretrainedDir === undefined) !== (imagesDir === undefined)) {
      throw new UsageError('--pretrained and --images go together: the weights folder and the labelled ImageNet images to score them on');
    }
    const limit = numberOption(args, 'limit', { integer: true, min: 1 });
    await initBackend(stringOption(args, 'backend'));
    const pretrained = pretrainedDir && imagesDir ? tflitePretrainedScorer({ pretrainedDir, imagesDir, limit }) : undefined;
    const json = args.options.has('json');
    const table = await imagenetTable(listModels(), {
      latency: args.options.has('latency'),
      repetitions,
      throughputBatch: batch,
      onnxThreads: numberOption(args, 'onnx-threads', { integer: true, min: 1 }),
      models,
      pretrained,
      onRow: (i, n, label) => process.stderr.write(`[${i + 1}/${n}] ${label}\n`),
    });
    if (json) {
      console.log(JSON.stringify(table, null, 2));
    } else {
      console.log(tableText(tableDisplayRows(table)));
      console.log('');
      for (const note of tableFootnotes(table)) console.log(note);
      console.log(`backend: ${table.backend}; machine: ${table.machine.cpuModel} × ${table.machine.cores}`);
      if (table.latencyMethod) console.log(`latency: ${table.latencyMethod}`);
    }
    return 0;
  },
};
