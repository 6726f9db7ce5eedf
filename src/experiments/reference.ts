/**
 * The reference results: the CIFAR-10 (and Tiny ImageNet) runs every lesson draws its comparisons from, each at
 * several seeds, trained with the family's recipe at a budget where the family learns (mean top-1 ≥ 50 % on the full
 * 10,000-image CIFAR-10 test set), evaluated on the full test split, and committed in `results/reference.jsonl`
 * with their history and provenance.
 *
 * `compact-nets reference` (`make reference`) produces them: it runs only the (entry, seed) pairs the file lacks,
 * resumes a run interrupted mid-training from its last epoch checkpoint, and appends each run when it finishes, so
 * it can be stopped and restarted any number of times, on any machine, and several processes can share the work.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadData } from '../lib/data/load';
import { readResults, referenceFile, ResultRecord } from '../lib/results';
import { compare, Comparison, summarize, Summary } from '../lib/stats';
import { DivergedRunError, experimentConfig, ExperimentResult, ExperimentSpec, runExperiment, setupHashOf } from './run';

/** One configuration of the plan: what a lesson trains, at the reference budget. */
export interface ReferenceEntry {
  /** Stable id, e.g. "squeezenet1_1.bypass-none"; records carry it as `referenceId`. */
  id: string;
  /** The notebook that shows it, e.g. "03-squeezenet". */
  lesson: string;
  /** What it is, in words (shown in tables). */
  title: string;
  spec: Omit<ExperimentSpec, 'seed' | 'kind' | 'progress' | 'label' | 'retrain' | 'resume'>;
  seeds: number[];
  /** The configuration that stands for its model family (the family must learn at this budget: mean top-1 ≥ 50 %). */
  familyBase?: boolean;
}

/** A comparison a lesson draws: entry `a` against entry `b` (optionally only some seeds of each, for A/A checks). */
export interface ReferenceComparison {
  lesson: string;
  question: string;
  a: string;
  b: string;
  aSeeds?: number[];
  bSeeds?: number[];
}

const SEEDS = [0, 1, 2];
/** CIFAR-10 budgets (images per class, epochs), sized so each family learns within minutes per run on one core. */
const CIFAR = { dataset: 'cifar10' as const };
/**
 * Tiny ImageNet-20 (64×64, the 20 classes of ../shared/data/tiny-imagenet-20): all 500 training images per class,
 * the 1,000 validation images as test set, 8 epochs. Measured on the 2-vCPU machine with two runs side by side at one
 * thread each: MobileNet V1 α 0.5 ≈ 99 images/s, ShuffleNet V2 0.5× ≈ 120 (so 11–14 min per run).
 */
const TINY = { dataset: 'tiny-imagenet' as const, perClass: 500, epochs: 8 };

/**
 * The plan. Budgets: measured images/s on one core of the 2-vCPU machine and pilot accuracies are in
 * results/recipes.md; wall times per run in the reference records' provenance.
 */
export const REFERENCE_PLAN: readonly ReferenceEntry[] = [
  // 03 · SqueezeNet: bypass
  { id: 'squeezenet1_1.bypass-none', lesson: '03-squeezenet', title: 'SqueezeNet 1.1, no bypass', spec: { ...CIFAR, model: 'squeezenet1_1', modelConfig: { bypass: 'none' }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'squeezenet1_1.bypass-simple', lesson: '03-squeezenet', title: 'SqueezeNet 1.1, simple bypass', spec: { ...CIFAR, model: 'squeezenet1_1', modelConfig: { bypass: 'simple' }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 04 · MobileNet: V1, V2 widths, linear vs ReLU6 bottleneck
  { id: 'mobilenet_v1.w0.5', lesson: '04-mobilenet', title: 'MobileNet V1 α = 0.5', spec: { ...CIFAR, model: 'mobilenet_v1', modelConfig: { width: 0.5 }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'mobilenet_v2.w0.5', lesson: '04-mobilenet', title: 'MobileNet V2 α = 0.5 (linear bottleneck)', spec: { ...CIFAR, model: 'mobilenet_v2', modelConfig: { width: 0.5 }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'mobilenet_v2.w0.25', lesson: '04-mobilenet', title: 'MobileNet V2 α = 0.25', spec: { ...CIFAR, model: 'mobilenet_v2', modelConfig: { width: 0.25 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  { id: 'mobilenet_v2.w0.5.relu6', lesson: '04-mobilenet', title: 'MobileNet V2 α = 0.5, ReLU6 after the projection', spec: { ...CIFAR, model: 'mobilenet_v2', modelConfig: { width: 0.5, bottleneckActivation: 'relu6' }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 05 · ShuffleNet: V2; V1 shuffle on/off, groups
  // Six seeds: the A/A check below splits them into two groups of three.
  { id: 'shufflenet_v2.w0.5', lesson: '05-shufflenet', title: 'ShuffleNet V2 0.5×', spec: { ...CIFAR, model: 'shufflenet_v2', modelConfig: { width: 0.5 }, perClass: 2000, epochs: 6 }, seeds: [0, 1, 2, 3, 4, 5], familyBase: true },
  { id: 'shufflenet_v1.g3.w0.5', lesson: '05-shufflenet', title: 'ShuffleNet V1 g = 3, 0.5×, with shuffle', spec: { ...CIFAR, model: 'shufflenet_v1', modelConfig: { groups: 3, width: 0.5 }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'shufflenet_v1.g3.w0.5.noshuffle', lesson: '05-shufflenet', title: 'ShuffleNet V1 g = 3, 0.5×, without shuffle', spec: { ...CIFAR, model: 'shufflenet_v1', modelConfig: { groups: 3, width: 0.5, shuffle: false }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  { id: 'shufflenet_v1.g1.w0.5', lesson: '05-shufflenet', title: 'ShuffleNet V1 g = 1, 0.5×', spec: { ...CIFAR, model: 'shufflenet_v1', modelConfig: { groups: 1, width: 0.5 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 06 · ShiftNet: ε and K
  { id: 'shift_resnet20.k3.e3', lesson: '06-shiftnet', title: 'ShiftResNet-20, K = 3, ε = 3', spec: { ...CIFAR, model: 'shift_resnet20', modelConfig: { depth: 20, kernelSize: 3, expansion: 3 }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'shift_resnet20.k3.e1', lesson: '06-shiftnet', title: 'ShiftResNet-20, K = 3, ε = 1', spec: { ...CIFAR, model: 'shift_resnet20', modelConfig: { depth: 20, kernelSize: 3, expansion: 1 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  { id: 'shift_resnet20.k5.e3', lesson: '06-shiftnet', title: 'ShiftResNet-20, K = 5, ε = 3', spec: { ...CIFAR, model: 'shift_resnet20', modelConfig: { depth: 20, kernelSize: 5, expansion: 3 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 07 · AS-ResNet: learned vs fixed shifts. Base width 8, not 16: the w = 8 pilot reached 55.6 % at this budget
  // (results/recipes.md) with 1.0 M multiply-adds per image against w = 16's 3.6 M (`compact-nets cost`), and the
  // plan must fit a few runs of `make reference`.
  { id: 'as_resnet.w8.learned', lesson: '07-active-shift', title: 'AS-ResNet w = 8, learned shifts', spec: { ...CIFAR, model: 'as_resnet', modelConfig: { baseWidth: 8, shift: 'learned' }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'as_resnet.w8.fixed', lesson: '07-active-shift', title: 'AS-ResNet w = 8, fixed 3×3 shifts', spec: { ...CIFAR, model: 'as_resnet', modelConfig: { baseWidth: 8, shift: 'fixed' }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 08 · FE-Net: the SSL penalty λ. Offsets start spread uniformly (sslInit 'uniform'): from the grid initialisation
  // every channel sits exactly on a rounding boundary and λ ≤ 3·10⁻⁴ moved none of them (pilots: identical runs).
  { id: 'fe_net.w0.25.uniform.l0', lesson: '08-sparse-shift-fenet', title: 'FE-Net 0.25×, λ = 0', spec: { ...CIFAR, model: 'fe_net', modelConfig: { width: 0.25, headChannels: 128, sslInit: 'uniform', penalty: 0 }, perClass: 2000, epochs: 6 }, seeds: SEEDS, familyBase: true },
  { id: 'fe_net.w0.25.uniform.l2e-3', lesson: '08-sparse-shift-fenet', title: 'FE-Net 0.25×, λ = 2·10⁻³', spec: { ...CIFAR, model: 'fe_net', modelConfig: { width: 0.25, headChannels: 128, sslInit: 'uniform', penalty: 2e-3 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  { id: 'fe_net.w0.25.uniform.l5e-3', lesson: '08-sparse-shift-fenet', title: 'FE-Net 0.25×, λ = 5·10⁻³', spec: { ...CIFAR, model: 'fe_net', modelConfig: { width: 0.25, headChannels: 128, sslInit: 'uniform', penalty: 5e-3 }, perClass: 2000, epochs: 6 }, seeds: SEEDS },
  // 09 · The ImageNet ranking on an ImageNet subset: MobileNet V1's width multiplier, and ShuffleNet V2 0.5× against
  // MobileNet V1 α 0.25 at matched cost (13 M multiply-adds per 64×64 image each; on ImageNet both are ~41 M).
  { id: 'tiny.mobilenet_v1.w0.25', lesson: '09-imagenet-table', title: 'MobileNet V1 α = 0.25 (Tiny ImageNet-20)', spec: { ...TINY, model: 'mobilenet_v1', modelConfig: { width: 0.25 } }, seeds: SEEDS },
  { id: 'tiny.mobilenet_v1.w0.5', lesson: '09-imagenet-table', title: 'MobileNet V1 α = 0.5 (Tiny ImageNet-20)', spec: { ...TINY, model: 'mobilenet_v1', modelConfig: { width: 0.5 } }, seeds: SEEDS },
  { id: 'tiny.shufflenet_v2.w0.5', lesson: '09-imagenet-table', title: 'ShuffleNet V2 0.5× (Tiny ImageNet-20)', spec: { ...TINY, model: 'shufflenet_v2', modelConfig: { width: 0.5 } }, seeds: SEEDS },
];

/** The comparisons the lessons draw from the plan. */
export const REFERENCE_COMPARISONS: readonly ReferenceComparison[] = [
  { lesson: '10-trade-offs-and-design-tricks', question: 'A/A check: the same configuration (ShuffleNet V2 0.5×), seeds 0–2 against seeds 3–5', a: 'shufflenet_v2.w0.5', b: 'shufflenet_v2.w0.5', aSeeds: [0, 1, 2], bSeeds: [3, 4, 5] },
  { lesson: '03-squeezenet', question: 'Does simple bypass help SqueezeNet 1.1?', a: 'squeezenet1_1.bypass-simple', b: 'squeezenet1_1.bypass-none' },
  { lesson: '04-mobilenet', question: 'Does halving MobileNet V2’s width (α 0.5 → 0.25) cost accuracy?', a: 'mobilenet_v2.w0.5', b: 'mobilenet_v2.w0.25' },
  { lesson: '04-mobilenet', question: 'Linear bottleneck vs ReLU6 after the projection (MobileNet V2 α = 0.5)', a: 'mobilenet_v2.w0.5', b: 'mobilenet_v2.w0.5.relu6' },
  { lesson: '05-shufflenet', question: 'Does the channel shuffle help ShuffleNet V1 (g = 3)?', a: 'shufflenet_v1.g3.w0.5', b: 'shufflenet_v1.g3.w0.5.noshuffle' },
  { lesson: '05-shufflenet', question: 'Grouped pointwise convolutions (g = 3) vs none (g = 1) in ShuffleNet V1 0.5×', a: 'shufflenet_v1.g3.w0.5', b: 'shufflenet_v1.g1.w0.5' },
  { lesson: '06-shiftnet', question: 'Expansion ε = 3 vs ε = 1 in ShiftResNet-20 (K = 3)', a: 'shift_resnet20.k3.e3', b: 'shift_resnet20.k3.e1' },
  { lesson: '06-shiftnet', question: 'Shift kernel K = 5 vs K = 3 in ShiftResNet-20 (ε = 3)', a: 'shift_resnet20.k5.e3', b: 'shift_resnet20.k3.e3' },
  { lesson: '07-active-shift', question: 'Learned (active) vs fixed shifts in AS-ResNet w = 8', a: 'as_resnet.w8.learned', b: 'as_resnet.w8.fixed' },
  { lesson: '08-sparse-shift-fenet', question: 'What does the SSL penalty λ = 2·10⁻³ cost FE-Net 0.25×?', a: 'fe_net.w0.25.uniform.l2e-3', b: 'fe_net.w0.25.uniform.l0' },
  { lesson: '08-sparse-shift-fenet', question: 'What does the SSL penalty λ = 5·10⁻³ cost FE-Net 0.25×?', a: 'fe_net.w0.25.uniform.l5e-3', b: 'fe_net.w0.25.uniform.l0' },
  { lesson: '09-imagenet-table', question: 'Tiny ImageNet-20: does doubling MobileNet V1’s width (α 0.25 → 0.5) pay?', a: 'tiny.mobilenet_v1.w0.5', b: 'tiny.mobilenet_v1.w0.25' },
  { lesson: '09-imagenet-table', question: 'Tiny ImageNet-20 at matched cost: ShuffleNet V2 0.5× vs MobileNet V1 α = 0.25', a: 'tiny.shufflenet_v2.w0.5', b: 'tiny.mobilenet_v1.w0.25' },
];

/** The plan entry `id`; throws listing the ids when unknown. */
export function referenceEntry(id: string, plan: readonly ReferenceEntry[] = REFERENCE_PLAN): ReferenceEntry {
  const entry = plan.find((e) => e.id === id);
  if (!entry) throw new Error(`no reference entry "${id}"; entries: ${plan.map((e) => e.id).join(', ')}`);
  return entry;
}

/** The recorded runs of entry `id` (latest per seed) from the reference file. */
export function referenceRuns(id: string, file = referenceFile()): ResultRecord[] {
  const bySeed = new Map<number, ResultRecord>();
  for (const r of readResults(file).records) if (r.referenceId === id && r.seed !== undefined) bySeed.set(r.seed, r);
  return [...bySeed.values()].sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
}

/** n, mean ± sd of an entry's recorded top-1 (fractions), or undefined when it has no run yet. */
export function referenceSummary(id: string, file = referenceFile()): Summary | undefined {
  const runs = referenceRuns(id, file);
  return runs.length > 0 ? summarize(runs.map((r) => r.top1)) : undefined;
}

/** The verdict of a plan comparison from the recorded runs, or why there is none yet. */
export function referenceComparison(c: ReferenceComparison, file = referenceFile()): { comparison?: Comparison; missing?: string } {
  const pick = (id: string, seeds?: number[]) => referenceRuns(id, file).filter((r) => !seeds || seeds.includes(r.seed ?? -1));
  const [a, b] = [pick(c.a, c.aSeeds), pick(c.b, c.bSeeds)];
  if (a.length < 2 || b.length < 2) return { missing: `${c.a}: ${a.length} run(s), ${c.b}: ${b.length} run(s); run \`make reference\`` };
  return { comparison: compare(a, b) };
}

/** One (entry, seed) the reference file does not hold yet. */
export interface PendingRun {
  entry: ReferenceEntry;
  seed: number;
}

/** The (entry, seed) pairs missing from the reference file, in plan order (entries filtered by `only` ids). */
export function pendingRuns(plan: readonly ReferenceEntry[] = REFERENCE_PLAN, file = referenceFile(), only?: string[]): PendingRun[] {
  if (only) for (const id of only) referenceEntry(id, plan);
  const done = new Set(readResults(file).records.filter((r) => r.referenceId !== undefined).map((r) => `${r.referenceId}#${r.seed}`));
  return plan
    .filter((e) => !only || only.includes(e.id))
    .flatMap((entry) => entry.seeds.map((seed) => ({ entry, seed })))
    .filter((p) => !done.has(`${p.entry.id}#${p.seed}`));
}

/** Events of {@link runReference}, for progress output. */
export interface ReferenceEvent {
  run: PendingRun;
  index: number;
  total: number;
  result?: ExperimentResult;
  failure?: string;
}

/**
 * Trains the pending runs with index ≡ shard.index (mod shard.count), appending each to the reference file as it
 * finishes. A run interrupted earlier resumes from its last epoch checkpoint. Diverged runs are reported and left
 * pending (a later invocation tries again; the recipe must be fixed for them to land).
 */
export async function runReference(options: { plan?: readonly ReferenceEntry[]; file?: string; only?: string[]; shard?: { index: number; count: number }; onEvent?: (e: ReferenceEvent) => void } = {}): Promise<{ finished: number; failed: number }> {
  const plan = options.plan ?? REFERENCE_PLAN;
  const file = options.file ?? referenceFile();
  const shard = options.shard ?? { index: 0, count: 1 };
  if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new Error(`shard must be i/n with 0 ≤ i < n, got ${shard.index}/${shard.count}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine = pendingRuns(plan, file, options.only).filter((_, i) => i % shard.count === shard.index);
  let finished = 0;
  let failed = 0;
  for (let i = 0; i < mine.length; i++) {
    const run = mine[i];
    try {
      const result = await runExperiment({ ...run.entry.spec, seed: run.seed, kind: 'reference', referenceId: run.entry.id, resultsFile: file, resume: true, label: `${run.entry.id} seed ${run.seed}`, progress: 'silent' });
      finished++;
      options.onEvent?.({ run, index: i + 1, total: mine.length, result });
    } catch (err) {
      if (!(err instanceof DivergedRunError)) throw err;
      failed++;
      options.onEvent?.({ run, index: i + 1, total: mine.length, failure: err.reason });
    }
  }
  return { finished, failed };
}

/** The setup hash an entry's runs must share (for checking that recorded runs match the current plan). */
export function entrySetupHash(entry: ReferenceEntry): string {
  const spec: ExperimentSpec = { ...entry.spec, seed: 0 };
  return setupHashOf(experimentConfig(spec, loadData(spec.dataset, spec)), spec);
}
