/** Learning-rate schedules as pure functions of training progress (fractional epochs). */

/**
 * A schedule: `constant`, `step` (multiply by `gamma` at each milestone epoch), or `cosine`
 * (half cosine from the base rate to `minLr` over the run). Any kind may start with a linear
 * warm-up over `warmupEpochs` (from base/steps-per-warm-up to the base rate).
 */
export interface Schedule {
  kind: 'constant' | 'step' | 'cosine';
  /** step: epochs (e.g. [150, 225]) at which the rate is multiplied by gamma. */
  milestones?: number[];
  /** step: factor per milestone (default 0.1). */
  gamma?: number;
  /** cosine: final rate (default 0). */
  minLr?: number;
  /** Linear warm-up length in epochs (default 0); at most half of the run warms up, so a decay always follows. */
  warmupEpochs?: number;
}

/** Validates a schedule; throws naming the field and the constraint. */
export function validateSchedule(s: Schedule): void {
  if (!['constant', 'step', 'cosine'].includes(s.kind)) throw new Error(`schedule kind must be constant, step or cosine, got "${s.kind}"`);
  if (s.warmupEpochs !== undefined && !(s.warmupEpochs >= 0)) throw new Error(`schedule warmupEpochs must be ≥ 0, got ${s.warmupEpochs}`);
  if (s.gamma !== undefined && !(s.gamma > 0)) throw new Error(`schedule gamma must be > 0, got ${s.gamma}`);
  if (s.kind === 'step' && (!s.milestones || s.milestones.length === 0)) throw new Error('a step schedule needs milestones (epochs), e.g. [30, 60]');
}

/**
 * Learning rate at training position `epoch` (fractional: completed steps / steps per epoch) of a
 * `totalEpochs` run with base rate `baseLr`; `stepsPerEpoch` sets the warm-up granularity.
 */
export function learningRateAt(baseLr: number, schedule: Schedule, epoch: number, totalEpochs: number, stepsPerEpoch: number): number {
  const warm = Math.min(schedule.warmupEpochs ?? 0, totalEpochs / 2);
  if (warm > 0 && epoch < warm) {
    // Step k (0-based) of the warm-up gets base · (k+1)/warm-up steps: never exactly 0.
    const warmSteps = Math.max(1, Math.round(warm * stepsPerEpoch));
    const k = Math.floor(epoch * stepsPerEpoch);
    return (baseLr * Math.min(k + 1, warmSteps)) / warmSteps;
  }
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step': {
      const passed = (schedule.milestones ?? []).filter((m) => epoch >= m).length;
      return baseLr * Math.pow(schedule.gamma ?? 0.1, passed);
    }
    case 'cosine': {
      const minLr = schedule.minLr ?? 0;
      const span = Math.max(totalEpochs - warm, 1e-9);
      const t = Math.min(Math.max((epoch - warm) / span, 0), 1);
      return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
    }
  }
}
