/**
 * The environment variables compact-nets reads, each with what it accepts, validated in one place: an unknown value
 * is an {@link InvalidArgumentError} naming the variable, the value and the choices (never silently ignored or read
 * as a default). The library reads its variables through the `env*` functions below; the command line checks them
 * all before it starts (`validateEnvironment`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { InvalidArgumentError } from './errors';

/** What one variable accepts. */
type EnvSpec =
  | { kind: 'choice'; choices: readonly string[]; description: string }
  | { kind: 'integer'; min: number; max: number; what: string; example: number; description: string }
  | { kind: 'folder'; mustExist: boolean; description: string };

/** Every variable compact-nets reads; names outside this table draw a warning from {@link validateEnvironment}. */
export const ENV_VARIABLES = {
  COMPACT_NETS_BACKEND: { kind: 'choice', choices: ['tensorflow', 'node', 'wasm', 'cpu'], description: 'the tfjs backend' },
  COMPACT_NETS_THREADS: { kind: 'integer', min: 1, max: 64, what: 'a thread count', example: 2, description: 'threads of the native kernels' },
  COMPACT_NETS_BLAS: { kind: 'choice', choices: ['auto', 'builtin', 'openblas'], description: 'GEMM of the native kernels (auto: built-in, OpenBLAS where it measured faster)' },
  COMPACT_NETS_SPIN_US: { kind: 'integer', min: 0, max: 100000, what: 'a spin time in µs', example: 300, description: 'how long idle pool threads poll before sleeping' },
  COMPACT_NETS_NATIVE: { kind: 'choice', choices: ['1', '0', 'on', 'off', 'true', 'false', 'yes', 'no'], description: 'whether the native kernels run' },
  COMPACT_NETS_NATIVE_BUILD: { kind: 'choice', choices: ['1', '0'], description: 'whether `npm ci` compiles the native kernels (tools/build-native.sh)' },
  COMPACT_NETS_QUICK: { kind: 'choice', choices: ['1', '0', 'true', 'false', 'yes', 'no'], description: 'quick mode of the notebooks' },
  COMPACT_NETS_DATA: { kind: 'folder', mustExist: true, description: 'the folder holding the data sets (cifar10/, tiny-imagenet-20/ …)' },
  COMPACT_NETS_CACHE: { kind: 'folder', mustExist: false, description: 'the cache folder (decoded data sets, runs, weights, results.jsonl)' },
} as const satisfies Record<string, EnvSpec>;

export type EnvVariableName = keyof typeof ENV_VARIABLES;

/** The raw value of `name`, or undefined when unset or empty (an empty value means "unset" for every variable). */
function raw(name: EnvVariableName, env: NodeJS.ProcessEnv): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The accepted values of `name`, in words (for messages and --help). */
export function acceptedText(name: EnvVariableName): string {
  const spec: EnvSpec = ENV_VARIABLES[name];
  if (spec.kind === 'choice') return `one of ${spec.choices.join(', ')}`;
  if (spec.kind === 'integer') return `an integer from ${spec.min} to ${spec.max}`;
  return spec.mustExist ? 'an existing folder' : 'a folder (created when missing)';
}

/** The error message for a rejected value, or undefined when `value` is accepted. */
function problem(name: EnvVariableName, value: string): string | undefined {
  const spec: EnvSpec = ENV_VARIABLES[name];
  const unset = `, or unset ${name}`;
  if (spec.kind === 'choice') {
    if (spec.choices.includes(value.trim().toLowerCase())) return undefined;
    return `$${name} = "${value}" is not accepted (${spec.description}); choose one of ${spec.choices.join(', ')}${unset}`;
  }
  if (spec.kind === 'integer') {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(n) && n >= spec.min && n <= spec.max) return undefined;
    return `$${name} = "${value}" is not ${spec.what}; give an integer from ${spec.min} to ${spec.max} (${spec.description}), e.g. ${name}=${spec.example}${unset}`;
  }
  const abs = path.resolve(value);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(abs);
  } catch {
    stat = undefined;
  }
  if (stat === undefined) {
    return spec.mustExist ? `$${name} = "${value}": ${abs} does not exist; set it to ${spec.description}${unset}` : undefined;
  }
  if (!stat.isDirectory()) return `$${name} = "${value}": ${abs} is not a folder; set it to ${spec.description}${unset}`;
  return undefined;
}

/** Throws an {@link InvalidArgumentError} when `name` holds a value it does not accept. */
function checked(name: EnvVariableName, env: NodeJS.ProcessEnv): string | undefined {
  const value = raw(name, env);
  if (value === undefined) return undefined;
  const why = problem(name, value);
  if (why !== undefined) throw new InvalidArgumentError(why);
  return value;
}

/** A choice variable's value in lower case, or undefined when unset; throws listing the choices when not one of them. */
export function envChoice(name: EnvVariableName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return checked(name, env)?.trim().toLowerCase();
}

/** A yes/no variable (1/0, on/off, true/false, yes/no), or undefined when unset. */
export function envFlag(name: EnvVariableName, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const value = envChoice(name, env);
  return value === undefined ? undefined : ['1', 'on', 'true', 'yes'].includes(value);
}

/** An integer variable, or undefined when unset; throws naming the range when out of it or not an integer. */
export function envInteger(name: EnvVariableName, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = checked(name, env);
  return value === undefined ? undefined : Number(value);
}

/** A folder variable as an absolute path, or undefined when unset; throws when it names a file (or a missing folder that must exist). */
export function envFolder(name: EnvVariableName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = checked(name, env);
  return value === undefined ? undefined : path.resolve(value);
}

/**
 * Checks every variable of {@link ENV_VARIABLES} at once: throws one {@link InvalidArgumentError} listing each
 * rejected value; returns warnings for `COMPACT_NETS_*` names that compact-nets does not read (a typo is otherwise
 * silently ignored).
 */
export function validateEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(ENV_VARIABLES) as EnvVariableName[]) {
    const value = raw(name, env);
    const why = value === undefined ? undefined : problem(name, value);
    if (why !== undefined) problems.push(why);
  }
  if (problems.length > 0) throw new InvalidArgumentError(problems.join('; and '));
  const known = Object.keys(ENV_VARIABLES);
  return Object.keys(env)
    .filter((name) => name.startsWith('COMPACT_NETS_') && !known.includes(name))
    .map((name) => `$${name} is not a variable compact-nets reads; it is ignored (known: ${known.join(', ')})`);
}
