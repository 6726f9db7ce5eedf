/**
 * Entry point of the `compact-nets` command line: checks the environment, dispatches to one module per subcommand,
 * and turns every failure into one message and an exit status: 2 for a usage error (a bad option, name, value, path
 * or environment variable), 1 for a run that failed; never a stack trace.
 */
import * as path from 'path';
import { UsageError } from './args';
import { validateEnvironment } from '../lib/env';
import { describeError, InvalidArgumentError } from '../lib/errors';
import { cacheRoot, removeStaleTempFiles } from '../lib/files';

/** A subcommand: `run` returns the process exit status. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Exit statuses (README, "Command line"). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// Lazy so that `compact-nets models` does not pay for loading the training stack.
const COMMANDS: Record<string, () => Command> = {
  env: () => require('./commands/env').command,
  train: () => require('./commands/train').command,
  models: () => require('./commands/models').command,
  cost: () => require('./commands/cost').command,
  table: () => require('./commands/table').command,
  eval: () => require('./commands/eval').command,
  sweep: () => require('./commands/sweep').command,
  reference: () => require('./commands/reference').command,
  export: () => require('./commands/export').command,
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, load]) => `  ${name.padEnd(8)} ${load().summary}`);
  return [
    'usage: compact-nets <command> [options]', '', 'commands:', ...lines, '',
    'Run `compact-nets <command> --help` for its options.',
    'Exit status: 0 done, 1 the run failed (corrupt or unreadable data, a failed write), 2 a usage error.',
  ].join('\n');
}

/** For a file-system error inside the cache folder: where the cache is and how to move it; else ''. */
function cacheHint(err: unknown): string {
  const file = (err as { path?: string; syscall?: string }).path;
  if (typeof file !== 'string' || typeof (err as { syscall?: string }).syscall !== 'string') return '';
  let root: string;
  try {
    root = cacheRoot();
  } catch {
    return '';
  }
  return path.resolve(file).startsWith(root + path.sep) ? `; the cache folder is ${root}: set COMPACT_NETS_CACHE to a writable folder to use another` : '';
}

/** Writes the message of `err` for `command` and returns the exit status it stands for. */
function report(err: unknown, command: string | undefined, usage: string | undefined): number {
  const prefix = command ? `compact-nets ${command}` : 'compact-nets';
  if (err instanceof UsageError) {
    console.error(`${prefix}: ${err.message}${usage ? `\n\n${usage}` : ''}`);
    return EXIT_USAGE;
  }
  if (err instanceof InvalidArgumentError) {
    console.error(`${prefix}: ${err.message}${command ? ` (see \`compact-nets ${command} --help\`)` : ''}`);
    return EXIT_USAGE;
  }
  console.error(`${prefix}: ${describeError(err)}${cacheHint(err)}`);
  return EXIT_FAILURE;
}

/** Runs the CLI on `argv` (process.argv without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`compact-nets: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return EXIT_USAGE;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    // Every variable is checked before any work: a typo fails now, not after an hour of training.
    for (const warning of validateEnvironment()) console.error(`compact-nets: warning: ${warning}`);
    // Writers killed mid-write (Ctrl-C, OOM killer) leave temporary files; the next start removes them.
    removeStaleTempFiles(cacheRoot(), 3);
    return await command.run(rest);
  } catch (err) {
    return report(err, name, command.usage);
  }
}
