/** Benchmark modes and their fixed workloads (issue 9). */
import type { DatasetProfile } from '../src/models/registry';

export const MODES = ['train32', 'train224', 'infer224'] as const;
export type Mode = (typeof MODES)[number];

/** Workload of a mode: batch size, input side (pixels), data-set profile, whether it trains. */
export interface ModeSpec {
  batch: number;
  resolution: number;
  dataset: DatasetProfile;
  training: boolean;
  /** Unit of `ours` / `peer`: images per second for training, milliseconds per batch-1 forward for inference. */
  unit: 'images/s' | 'ms';
}

export const MODE_SPECS: Record<Mode, ModeSpec> = {
  train32: { batch: 32, resolution: 32, dataset: 'cifar10', training: true, unit: 'images/s' },
  train224: { batch: 16, resolution: 224, dataset: 'imagenet', training: true, unit: 'images/s' },
  infer224: { batch: 1, resolution: 224, dataset: 'imagenet', training: false, unit: 'ms' },
};

/** Models of the issue; `shiftnet_a` stands for ShiftNet (the CSC-based shift_resnet20 is not benchmarked). */
export const DEFAULT_MODELS = [
  'mobilenet_v1', 'mobilenet_v2', 'shufflenet_v1', 'shufflenet_v2', 'squeezenet1_1', 'shiftnet_a', 'as_resnet', 'fe_net',
];

/** Checks a mode name, naming the accepted ones on error. */
export function parseMode(name: string): Mode {
  if ((MODES as readonly string[]).includes(name)) return name as Mode;
  throw new Error(`unknown mode "${name}"; choose from ${MODES.join(', ')} (comma-separated in --modes)`);
}

/** Multiply-accumulates of one measured unit of work: a training step costs forward + two backward products (3×). */
export function macsPerUnit(forwardMacsPerImage: number, spec: ModeSpec): number {
  return spec.training ? 3 * forwardMacsPerImage * spec.batch : forwardMacsPerImage * spec.batch;
}

