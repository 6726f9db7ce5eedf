/** Minimal, strict command-line parsing shared by every `compact-nets` subcommand. */

/** Error raised for bad command-line input; the CLI prints its message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  /** Positional arguments in order. */
  positional: string[];
  /** `--name value` options (last one wins) and `--flag` booleans (value `true`). */
  options: Map<string, string | true>;
}

/**
 * Parses `argv` (without the subcommand name). `booleans` lists the flags that take no value;
 * every other `--name` must be followed by a value. Unknown options are rejected.
 */
export function parseArgs(argv: string[], spec: { values: string[]; booleans: string[] }): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (spec.booleans.includes(name)) {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value (got "${arg}")`);
      options.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) {
        throw new UsageError(`option --${name} needs a value`);
      }
      options.set(name, value);
    } else {
      const known = [...spec.values, ...spec.booleans].map((n) => `--${n}`).join(', ') || '(none)';
      throw new UsageError(`unknown option --${name}; accepted options: ${known}`);
    }
  }
  return { positional, options };
}

/** Reads option `name` as a finite number, or returns undefined when absent. */
export function numberOption(args: ParsedArgs, name: string, constraint?: { integer?: boolean; min?: number }): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (constraint?.integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got ${raw}`);
  if (constraint?.min !== undefined && value < constraint.min) {
    throw new UsageError(`--${name} must be ≥ ${constraint.min}, got ${raw}`);
  }
  return value;
}

/** Reads option `name` as a string, or returns undefined when absent. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  return typeof raw === 'string' ? raw : undefined;
}
