/**
 * Quick mode: the headless CI run (`COMPACT_NETS_QUICK=1`, set by `tools/run_notebooks.py --quick`) in which the
 * notebooks' `parameters` cells shrink data and epochs so that every notebook runs in a couple of minutes.
 */

import { envFlag } from './env';

/** Environment variable that selects quick mode. */
export const QUICK_ENV_VAR = 'COMPACT_NETS_QUICK';

/** True when `COMPACT_NETS_QUICK` is set to 1/true/yes (case-insensitive); any value but those and 0/false/no is an error. */
export function isQuickMode(): boolean {
  return envFlag(QUICK_ENV_VAR) === true;
}

/** `full` in a reader's run, `quick` in quick mode. */
export function byMode<T>(full: T, quick: T): T {
  return isQuickMode() ? quick : full;
}
