/**
 * Running the `compact-nets` command line from a test: through the real launcher in a child process (exit status,
 * stdout and stderr as a user sees them), or in this process through `main`, its console output captured.
 */
import * as path from 'path';
import { spawnSync, SpawnSyncReturns } from 'child_process';
import { main } from '../../src/cli/main';
import { REPO_ROOT } from './paths';

/** The launcher, bin/compact-nets.js. */
export const CLI_LAUNCHER = path.join(REPO_ROOT, 'bin', 'compact-nets.js');

/** Settings of {@link runCliProcess}. */
export interface CliProcessOptions {
  /** The child's whole environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Kills the child after this many milliseconds; default no limit. */
  timeoutMs?: number;
}

/** Runs `compact-nets ...args` with this Node in a child process, in the repository root; stdout/stderr as text. */
export function runCliProcess(args: string[], options: CliProcessOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI_LAUNCHER, ...args], { cwd: REPO_ROOT, env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeoutMs });
}

/** What {@link runCliInProcess} saw: the exit status, console.log lines, console.error text (lines joined by "\n"). */
export interface CliRun {
  status: number;
  out: string[];
  stderr: string;
}

/**
 * Runs `main(argv)` in this process with console.log and console.error captured and direct writes to stderr
 * (progress bars) dropped; restores them afterwards. An error `main` throws propagates.
 */
export async function runCliInProcess(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  let stderr = '';
  const { log, error } = console;
  const write = process.stderr.write;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => { stderr += parts.join(' ') + '\n'; };
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { status: await main(argv), out, stderr };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}
