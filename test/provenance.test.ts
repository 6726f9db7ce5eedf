/**
 * The commit a run records: clean at HEAD, "+dirty" when tracked source changed, and not dirty when only the reference
 * results file changed (the reference runs append to it while others still train). Oracle: git in a scratch repository.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkoutCommit } from '../src/experiments/provenance';

function repo(): { dir: string; head: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-provenance-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  git('init', '-q');
  fs.mkdirSync(path.join(dir, 'results'));
  fs.writeFileSync(path.join(dir, 'results', 'reference.jsonl'), '{}\n');
  fs.writeFileSync(path.join(dir, 'model.ts'), 'export {};\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return { dir, head: git('rev-parse', 'HEAD') };
}

describe('run provenance: the checkout commit', () => {
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('is HEAD when clean, and stays clean when only results/reference.jsonl changed', () => {
    const { dir, head } = repo();
    made.push(dir);
    fs.appendFileSync(path.join(dir, 'results', 'reference.jsonl'), '{"seed": 1}\n');
    assert.equal(checkoutCommit(dir), head);
  });

  it('is HEAD+dirty when tracked source changed', () => {
    const { dir, head } = repo();
    made.push(dir);
    fs.appendFileSync(path.join(dir, 'model.ts'), '// edited\n');
    assert.equal(checkoutCommit(dir), `${head}+dirty`);
  });

  it('is "unknown" outside a git checkout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-provenance-nogit-'));
    made.push(dir);
    assert.equal(checkoutCommit(dir), 'unknown');
  });
});
