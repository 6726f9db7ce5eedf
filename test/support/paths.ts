/** Paths the tests share, and the files below a folder. */
import * as fs from 'fs';
import * as path from 'path';

/** The repository root (tests run compiled, from dist/test; this file from dist/test/support). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The read-only offline data beside the checkout (`../shared/data`), as CI provides it; tests that need it skip without it. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');

/** Every file below `dir` whose name matches `name`, as paths relative to `dir` with forward slashes, sorted; [] if `dir` is missing. */
export function filesBelow(dir: string, name: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (name.test(entry.name)) out.push(child);
    }
  };
  walk('');
  return out.sort();
}
