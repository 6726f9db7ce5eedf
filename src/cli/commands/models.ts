/** `compact-nets models`: every registered model with its family, options and published variants. */
import type { Command } from '../main';
import { parseArgs, UsageError } from '../args';
import { listModels, ModelEntry, PublishedFigures } from '../../models';

const USAGE = [
  'usage: compact-nets models [--json]',
  '',
  'Lists the registered models: family, options (accepted values) and named variants with their published',
  'figures (top-1 %, parameters, MACs = multiply-accumulates, input size, source).',
  '  --json   print one JSON array instead of text',
].join('\n');

/** Published figures in one line, e.g. "top-1 70.6 %, 4.2 M params (W), 569 M MACs @224 — source". */
export function formatPublished(p: PublishedFigures): string {
  const parts: string[] = [];
  if (p.top1Percent !== undefined) parts.push(`top-1 ${p.top1Percent} %`);
  if (p.top5Percent !== undefined) parts.push(`top-5 ${p.top5Percent} %`);
  if (p.params !== undefined) parts.push(`${(p.params / 1e6).toFixed(3)} M params${p.paramsConvention ? ` (${p.paramsConvention})` : ''}`);
  if (p.macs !== undefined) parts.push(`${(p.macs / 1e6).toFixed(1)} M MACs`);
  parts.push(`@${p.inputSize}`);
  return `${parts.join(', ')} — ${p.source}`;
}

/** Text block of one model. */
function describeModel(entry: ModelEntry): string {
  const lines = [`${entry.name}  [${entry.family}]  ${entry.description}`];
  if (entry.reconstruction) lines.push(`  reconstruction: ${entry.reconstruction}`);
  lines.push('  options:');
  for (const o of entry.options) {
    lines.push(`    --${o.name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()).padEnd(12)} ${o.description}${o.accepted ? ` (accepted: ${o.accepted.join(', ')})` : o.published ? ` (published: ${o.published.join(', ')})` : ''}`);
  }
  lines.push('  variants:');
  for (const v of entry.variants) {
    lines.push(`    ${v.name.padEnd(22)} ${JSON.stringify(v.config)}${v.published ? `  ${formatPublished(v.published)}` : ''}`);
    if (v.published?.footnote) lines.push(`    ${''.padEnd(22)} note: ${v.published.footnote}`);
  }
  return lines.join('\n');
}

/** Plain-JSON description of one model (the builder itself is left out). */
function modelJson(entry: ModelEntry): object {
  const { build: _build, ...rest } = entry;
  return rest;
}

export const command: Command = {
  summary: 'list the models, their options and published variants',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: [], booleans: ['json'] });
    if (args.positional.length > 0) throw new UsageError(`models takes no positional arguments (got "${args.positional.join(' ')}")`);
    const models = listModels();
    if (args.options.has('json')) console.log(JSON.stringify(models.map(modelJson)));
    else console.log(models.map(describeModel).join('\n\n'));
    return 0;
  },
};
