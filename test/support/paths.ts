/** Paths the tests share. */
import * as path from 'path';

/** The repository root (tests run compiled, from dist/test; this file from dist/test/support). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The read-only offline data beside the checkout (`../shared/data`), as CI provides it; tests that need it skip without it. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');
