/** `compact-nets env`: which tfjs backend runs here, with library, Node and machine versions. */
import type { Command } from '../main';
import { backendOption, parseArgs, UsageError } from '../args';
import { backendSummary, environmentInfo, initBackend } from '../../lib/backend';

const USAGE = [
  'usage: compact-nets env [--json] [--backend NAME]',
  '',
  'Starts the tfjs backend and prints it with the versions of tfjs, tslab, TypeScript and Node, the CPU, and whether',
  'onnxruntime-node loads (its version, or why not; env itself never fails on it).',
  '  --json           print one JSON object instead of aligned lines',
  '  --backend NAME   tensorflow (alias node), wasm or cpu; default: $COMPACT_NETS_BACKEND, else tensorflow',
  '                   when @tensorflow/tfjs-node is installed, else wasm',
].join('\n');

export const command: Command = {
  summary: 'show the tfjs backend, library versions and machine',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['backend'], booleans: ['json'] });
    if (args.positional.length > 0) {
      throw new UsageError(`env takes no positional arguments (got "${args.positional.join(' ')}")`);
    }
    await initBackend(backendOption(args));
    const info = await environmentInfo();
    if (args.options.has('json')) {
      console.log(JSON.stringify(info, null, 2));
    } else {
      const rows = Object.entries(info)
        .filter(([key]) => key !== 'native' && key !== 'onnxruntimeNode' && key !== 'onnxruntimeNodeStatus')
        .map(([key, value]) => `${key.padEnd(16)} ${value === null ? '(not installed)' : String(value)}`);
      // Installed but unloadable is not "(not installed)": say why it does not load.
      rows.push(`${'onnxruntimeNode'.padEnd(16)} ${info.onnxruntimeNode !== null ? `${info.onnxruntimeNode} (loads)` : `does not load: ${info.onnxruntimeNodeStatus}`}`);
      rows.splice(1, 0, `${'computes with'.padEnd(16)} ${backendSummary(info)}`);
      console.log(rows.join('\n'));
    }
    return 0;
  },
};
