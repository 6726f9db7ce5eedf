/** Minimal, strict command-line parsing shared by every `compact-nets` subcommand. */
import * as fs from 'fs';
import * as path from 'path';
import { ENV_VARIABLES } from '../lib/env';
import { InvalidArgumentError } from '../lib/errors';

/** Error raised for bad command-line input; the CLI prints its message and the usage, and exits with status 2. */
export class UsageError extends InvalidArgumentError {
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
      if (value === undefined || (eq < 0 && value.startsWith('--')) || value.trim() === '') {
        throw new UsageError(`option --${name} needs a value (e.g. --${name} VALUE)`);
      }
      options.set(name, value);
    } else {
      const known = [...spec.values, ...spec.booleans].map((n) => `--${n}`).join(', ') || '(none)';
      throw new UsageError(`unknown option --${name}; accepted options: ${known}`);
    }
  }
  return { positional, options };
}

/** A plain decimal number: digits, optional fraction and exponent ("0x10", "1_000", "Infinity" are not). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Bounds of a numeric option; `above` is an exclusive lower bound (e.g. > 0 for a width). */
export interface NumberConstraint {
  integer?: boolean;
  min?: number;
  above?: number;
  max?: number;
  /** Why `max` is the bound, shown after it, e.g. "the largest published width is 2". */
  why?: string;
}

/** Reads option `name` as a finite number within `constraint`, or returns undefined when absent. */
export function numberOption(args: ParsedArgs, name: string, constraint: NumberConstraint = {}): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  const range = describeRange(constraint);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be ${range}, got "${raw}"`);
  if (constraint.integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got ${raw}`);
  const { min, above, max } = constraint;
  if ((min !== undefined && value < min) || (above !== undefined && !(value > above)) || (max !== undefined && value > max)) {
    throw new UsageError(`--${name} must be ${range}, got ${raw}${constraint.why && max !== undefined && value > max ? ` (${constraint.why})` : ''}`);
  }
  return value;
}

/** "an integer from 1 to 4096", "a number > 0", … for messages. */
function describeRange(c: NumberConstraint): string {
  const kind = c.integer ? 'an integer' : 'a number';
  const low = c.min !== undefined ? c.min : c.above;
  if (low !== undefined && c.max !== undefined) return c.above !== undefined ? `${kind} > ${c.above} and ≤ ${c.max}` : `${kind} from ${c.min} to ${c.max}`;
  if (c.min !== undefined) return `${kind} ≥ ${c.min}`;
  if (c.above !== undefined) return `${kind} > ${c.above}`;
  if (c.max !== undefined) return `${kind} ≤ ${c.max}`;
  return kind;
}

/** Reads option `name` as a string, or returns undefined when absent. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  return typeof raw === 'string' ? raw : undefined;
}

/** Reads option `name` as one of `choices` (case-insensitive), or undefined when absent; `what` says what it chooses. */
export function choiceOption(args: ParsedArgs, name: string, choices: readonly string[], what: string): string | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (!choices.includes(value)) throw new UsageError(`--${name} "${raw}" is not ${what}; choose one of ${choices.join(', ')}`);
  return value;
}

/** `--backend NAME`, checked against the backends before anything starts (the names of $COMPACT_NETS_BACKEND). */
export function backendOption(args: ParsedArgs): string | undefined {
  return choiceOption(args, 'backend', ENV_VARIABLES.COMPACT_NETS_BACKEND.choices, 'a tfjs backend');
}

/**
 * Reads option `name` as a path that must exist and be a `kind` ('file', 'folder' or 'any'); `expected` says what
 * it should hold, for the message. Checked before any work starts, so that a typo costs no loading time.
 */
export function pathOption(args: ParsedArgs, name: string, kind: 'file' | 'folder' | 'any', expected: string): string | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const abs = path.resolve(raw);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(code === 'EACCES'
      ? `--${name} ${raw}: permission denied on a folder of ${abs}; give your user access or pass ${expected} elsewhere`
      : `--${name} ${raw}: ${abs} does not exist; pass ${expected}`);
  }
  if (kind === 'file' && stat.isDirectory()) throw new UsageError(`--${name} ${raw}: ${abs} is a folder; pass ${expected}`);
  if (kind === 'folder' && !stat.isDirectory()) throw new UsageError(`--${name} ${raw}: ${abs} is a file, not a folder; pass ${expected}`);
  return raw;
}

/** Throws when any of `names` is given without `needed` (an option that does not apply without it). */
export function requireWith(args: ParsedArgs, names: string[], needed: string, why: string): void {
  for (const name of names) {
    if (args.options.has(name) && !args.options.has(needed)) throw new UsageError(`--${name} applies only with --${needed} (${why}); add --${needed} or leave --${name} out`);
  }
}
