/**
 * Where a recorded run came from: the commit, the command, what computed it (backend, threads) and on which
 * machine, so a reader can tell two results apart and reproduce one.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import type { BackendInfo } from '../lib/backend';
import { backendSummary } from '../lib/backend';
import { repoRoot } from '../lib/data/cache';

/** The provenance stored with every recorded run. */
export interface Provenance {
  /**
   * `git rev-parse HEAD` of the checkout, with "+dirty" when tracked files other than results/reference.jsonl had
   * uncommitted changes; "unknown" outside git.
   */
  commit: string;
  /** The command line of the process that trained it. */
  command: string;
  /** What computed it, in words (backend, SIMD, native kernels, BLAS, threads). */
  backend: string;
  /** Threads of the native kernels (1 when they are not loaded: the wasm backend runs one). */
  threads: number;
  /** CPU model and logical cores. */
  machine: string;
  /** ISO time the run ended. */
  date: string;
  /** Seconds of training (without evaluation). */
  wallSeconds: number;
}

const commitCache = new Map<string, string>();

/** The commit of the checkout at `cwd` (default: this one), cached per process; see {@link Provenance.commit}. */
export function checkoutCommit(cwd = repoRoot()): string {
  const cached = commitCache.get(cwd);
  if (cached !== undefined) return cached;
  let commit: string;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    // The reference file is not source: the runs of `make reference` append to it while others still train, and
    // their records must not read "+dirty" because of each other.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)results/reference.jsonl'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    commit = dirty ? `${head}+dirty` : head;
  } catch {
    commit = 'unknown'; // not a git checkout (an installed package) or git missing
  }
  commitCache.set(cwd, commit);
  return commit;
}

/** CPU model and core count, e.g. "AMD EPYC 7B13 × 2 logical cores". */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} logical cores`;
}

/** Provenance of a run that just ended on `backend` after `wallSeconds` of training. */
export function provenanceOf(backend: BackendInfo, wallSeconds: number, command = process.argv.slice(1).join(' ')): Provenance {
  return {
    commit: checkoutCommit(), command, backend: backendSummary(backend), threads: backend.native?.loaded ? backend.native.threads ?? 1 : 1,
    machine: machineDescription(), date: new Date().toISOString(), wallSeconds,
  };
}
