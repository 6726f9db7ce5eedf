/** `compact-nets table`: the survey's ImageNet table from our definitions, optionally with measured latency. */
import type { Command } from '../main';
import { backendOption, numberOption, parseArgs, pathOption, requireWith, stringOption, UsageError } from '../args';
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
    requireWith(args, ['repetitions', 'batch'], 'latency', 'they set how latency and throughput are measured');
    requireWith(args, ['limit'], 'pretrained', 'it limits the images the pretrained weights are scored on');
    const repetitions = numberOption(args, 'repetitions', { integer: true, min: 1, max: 1000 });
    const batch = numberOption(args, 'batch', { integer: true, min: 1, max: 1024 });
    const models = stringOption(args, 'models')?.split(',').map((s) => s.trim()).filter(Boolean);
    const registered = listModels().map((m) => m.name);
    const unknown = (models ?? []).filter((m) => !registered.includes(m));
    if (unknown.length > 0) throw new UsageError(`--models: unknown model${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => `"${m}"`).join(', ')}; registered: ${registered.join(', ')}`);
    if (models !== undefined && models.length === 0) throw new UsageError(`--models names no model; give a comma-separated list of ${registered.join(', ')}`);
    const pretrainedDir = pathOption(args, 'pretrained', 'folder', 'the folder of TFLite MobileNets');
    const imagesDir = pathOption(args, 'images', 'folder', 'a folder of labelled ImageNet images');
    if ((pretrainedDir === undefined) !== (imagesDir === undefined)) {
      throw new UsageError('--pretrained and --images go together: the weights folder and the labelled ImageNet images to score them on');
    }
    const limit = numberOption(args, 'limit', { integer: true, min: 1 });
    await initBackend(backendOption(args));
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
