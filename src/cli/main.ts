/** Entry point of the `compact-nets` command line: dispatches to one module per subcommand. */
import { UsageError } from './args';

/** A subcommand: `run` returns the process exit status. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

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
  return ['usage: compact-nets <command> [options]', '', 'commands:', ...lines, '', 'Run `compact-nets <command> --help` for its options.'].join('\n');
}

/** Runs the CLI on `argv` (process.argv without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`compact-nets: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`compact-nets ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}
