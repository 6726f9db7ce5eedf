/** Paths the tests share. */
import * as path from 'path';

/** The repository root (tests run compiled from dist/test, or dist/test/support for this file). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
