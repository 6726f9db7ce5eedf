/**
 * The experiment runner: load a data set by name, build a registered model (or a custom one), train with the
 * model's recipe (experiments/recipes.ts, overridable), evaluate, and record the result — or reuse a recorded run
 * with the same configuration and seed. Shared by the notebooks, `compact-nets train`, sweeps and the reference
 * results, so a notebook re-run is free once trained.
 *
 * One seed drives everything random: the per-class subsets and data order, augmentation, weight initialisation
 * (the model is built under {@link withSeededRandom}), dropout and learned-offset initialisation. Same seed,
 * backend and thread count → the same history, bit for bit.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { costOf } from '../lib/cost';
import { cacheRoot } from '../lib/data/cache';
import { DatasetName, LoadDataOptions, loadData, LoadedData } from '../lib/data/load';
import type { DatasetProfile } from '../lib/data/profiles';
import type { ProgressMode, ProgressReporter } from '../lib/progress';
import { appendResult, configHash, findResult, referenceFile, resultsFile, ResultRecord, RunKind } from '../lib/results';
import { deriveSeed, Rng, withSeededRandom } from '../lib/seed';
import { evaluate, train, EpochRecord } from '../lib/train';
import { readCheckpointState } from '../lib/train/checkpoint';
import { OPTIMIZER_NAMES, OptimizerName } from '../lib/train/optimizers';
import { buildModel, getVariant, ModelConfig } from '../models';
import { provenanceOf } from './provenance';
import { recipeFor } from './recipes';

/** What to train: a registered model (by name) or a custom builder, on a data set, with training options. */
export interface ExperimentSpec extends LoadDataOptions {
  /** Registry name (e.g. "mobilenet_v2"), or a label for a custom `build`. */
  model: string;
  /** A published variant whose config is the starting point. */
  variant?: string;
  /** Model options merged over the variant's; `dataset`/`classes` are set from the data. */
  modelConfig?: ModelConfig;
  /**
   * Custom model instead of the registry: called with the data profile and number of classes. Its
   * configuration must be fully described by `model` + `modelConfig`, which key the result store.
   */
  build?: (profile: DatasetProfile, classes: number) => tf.LayersModel;
  dataset: DatasetName;
  epochs: number;
  /** Images per step; default: the model's recipe (recipeFor). */
  batchSize?: number;
  /** Peak learning rate after the warm-up (cosine decay to 0 follows); default: the recipe's. */
  learningRate?: number;
  /** 'sgd' (Nesterov momentum 0.9), 'adam' or 'rmsprop'; default: the recipe's. */
  optimizer?: OptimizerName;
  /** Weight decay on kernels; default: the recipe's. */
  weightDecay?: number;
  /** Linear warm-up in epochs (at most half the run is warm-up); default: the recipe's. */
  warmupEpochs?: number;
  /** Label smoothing ε in [0, 1); default: the recipe's. */
  labelSmoothing?: number;
  /** 'reader' (default: the local store) or 'reference' (written by `compact-nets reference`). */
  kind?: RunKind;
  /** The reference plan entry this run belongs to (stored in the record). */
  referenceId?: string;
  /** Where the record is appended; default: the reader's store, or results/reference.jsonl for kind 'reference'. */
  resultsFile?: string;
  /** Label for charts; default `model` (+ variant). */
  label?: string;
  /** Train even when a recorded run has the same configuration. */
  retrain?: boolean;
  /** Continue an interrupted run from its checkpoint. */
  resume?: boolean;
  progress?: ProgressReporter | ProgressMode;
  /** Backend name for `initBackend` (default: $COMPACT_NETS_BACKEND, tfjs-node, else wasm). */
  backend?: string;
  /** Called with the trained model before it is disposed (e.g. to read learned shift offsets). */
  inspect?: (model: tf.LayersModel) => void | Promise<void>;
}

/** A recorded run, plus whether it was reused and its label. */
export interface ExperimentResult extends ResultRecord {
  label: string;
  reused: boolean;
}

/**
 * Thrown by {@link runExperiment} when a run ends with its training loss no lower than it started (or it turned
 * non-finite): a diverged run is a failed run, never a result, so it is not recorded.
 */
export class DivergedRunError extends Error {
  constructor(readonly label: string, readonly reason: string, readonly history: EpochRecord[]) {
    super(`${label} diverged: ${reason}. The run is not recorded; lower the learning rate (or lengthen the warm-up) and run it again`);
    this.name = 'DivergedRunError';
  }
}

/** The training options an experiment resolves from its model's recipe and the spec's overrides. */
export function trainingOptionsOf(spec: ExperimentSpec, data: LoadedData) {
  const recipe = recipeFor(spec.model);
  const optimizer = spec.optimizer ?? recipe.optimizer;
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizer}"`);
  const warmup = spec.warmupEpochs ?? recipe.warmupEpochs;
  if (!(warmup >= 0)) throw new Error(`warmupEpochs must be ≥ 0 epochs, got ${warmup}`);
  return {
    epochs: spec.epochs,
    batchSize: spec.batchSize ?? recipe.batchSize,
    learningRate: spec.learningRate ?? recipe.learningRate,
    optimizer: { name: optimizer, ...(optimizer === 'sgd' ? { momentum: 0.9, nesterov: true } : {}) },
    weightDecay: spec.weightDecay ?? recipe.weightDecay,
    weightDecayMode: recipe.weightDecayMode,
    // learningRateAt caps the warm-up at half the run (quick one-epoch runs); stored uncapped so that the
    // configuration does not change when a resumed run asks for more epochs.
    schedule: { kind: 'cosine' as const, warmupEpochs: warmup },
    labelSmoothing: spec.labelSmoothing ?? recipe.labelSmoothing,
    seed: spec.seed ?? 0,
    augmentation: data.augmentation,
  };
}

/**
 * The configuration that keys the results store: everything that changes the outcome, the seed included. The
 * data's location on disk is not part of it (the same data set elsewhere gives the same run).
 */
export function experimentConfig(spec: ExperimentSpec, data: LoadedData) {
  const modelConfig: ModelConfig = { ...(spec.modelConfig ?? {}), dataset: data.profile, classes: data.train.classNames.length };
  return {
    model: spec.model, variant: spec.variant, custom: spec.build !== undefined, modelConfig,
    dataset: data.train.name, subset: data.train.subset ?? null, testSubset: data.test.subset ?? null, training: trainingOptionsOf(spec, data),
  };
}

/** The same configuration without its seed: runs that differ only in the seed share this hash (one point, several seeds). */
export function setupHashOf(config: ReturnType<typeof experimentConfig>, spec: Pick<ExperimentSpec, 'perClass' | 'testPerClass' | 'classes'>): string {
  // The subset descriptions name their seed ("200 per class, seed 1"): describe the subset by its sizes instead.
  const { subset: _subset, testSubset: _testSubset, training, ...rest } = config;
  const { seed: _seed, ...trainingWithoutSeed } = training;
  return configHash({ ...rest, training: trainingWithoutSeed, perClass: spec.perClass ?? null, testPerClass: spec.testPerClass ?? null, classes: spec.classes ?? null });
}

/** Builds the model of `spec` with its weights initialised from the run's seed (see the module comment). */
export function buildSeeded(spec: ExperimentSpec, data: LoadedData, modelConfig: ModelConfig): tf.LayersModel {
  const rng = new Rng(deriveSeed(spec.seed ?? 0, 'weights'));
  return withSeededRandom(rng, () =>
    spec.build
      ? spec.build(data.profile, data.train.classNames.length)
      : buildModel(spec.model, { ...(spec.variant ? getVariant(spec.model, spec.variant).config : {}), ...modelConfig }),
  );
}

/**
 * Folder where {@link runExperiment} keeps the checkpoints of a configuration: keyed by the configuration without its
 * epoch count, so that `--resume` with a larger `--epochs` continues the same run instead of starting another.
 */
function runDirectory(config: ReturnType<typeof experimentConfig>): string {
  const { epochs: _epochs, ...training } = config.training;
  return path.join(cacheRoot(), 'runs', configHash({ ...config, training }));
}

/** Folder where {@link runExperiment} keeps the checkpoints of `spec` trained on `data`. */
export function checkpointDirOf(spec: ExperimentSpec, data: LoadedData): string {
  return runDirectory(experimentConfig(spec, data));
}

/** Throws naming `what`, its path and the fix unless `dir` can be created and written (checked before hours of training). */
function assertWritableFile(file: string): void {
  try {
    fs.accessSync(file, fs.constants.W_OK);
  } catch (err) {
    throw new Error(`cannot append to the results store ${file} (${(err as NodeJS.ErrnoException).code}); make it writable, or point COMPACT_NETS_CACHE at a writable folder — checked before training so that no run is lost`);
  }
}

function assertWritableFolder(dir: string, what: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`cannot write the ${what} at ${dir} (${code}); make it writable or point COMPACT_NETS_CACHE at a writable folder — checked before training so that no run is lost`);
  }
}

/**
 * What to do about an existing checkpoint of this configuration: resume it, start over (retrain), or stop with a
 * message naming both options, so an interrupted run is never silently overwritten.
 */
function planCheckpoint(dir: string, spec: ExperimentSpec, label: string): 'resume' | 'fresh' {
  const state = readCheckpointState(dir);
  if (spec.retrain) {
    fs.rmSync(dir, { recursive: true, force: true });
    return 'fresh';
  }
  if (!state) {
    if (spec.resume && spec.kind !== 'reference') console.warn(`${label}: nothing to resume (no checkpoint in ${dir}); training from epoch 1`);
    return 'fresh';
  }
  if (state.epoch > spec.epochs) {
    throw new Error(`${label}: the checkpoint in ${dir} is at epoch ${state.epoch}, past the ${spec.epochs} epoch(s) asked for; ask for at least ${state.epoch} epochs, or pass --retrain (retrain: true) to start over`);
  }
  // A checkpoint at the last epoch is a finished training that was not recorded (interrupted before the record was
  // written): picking it up costs only the evaluation.
  if (spec.resume || state.epoch === spec.epochs) {
    if (state.epoch < spec.epochs && spec.kind !== 'reference') console.warn(`${label}: resuming from the checkpoint at epoch ${state.epoch} (of ${spec.epochs}) in ${dir}`);
    return 'resume';
  }
  throw new Error(`${label}: this configuration has an unfinished run (checkpoint at epoch ${state.epoch} in ${dir}); pass --resume (resume: true) to continue it, or --retrain (retrain: true) to start over`);
}

/**
 * Trains and evaluates one configuration, or returns the recorded run with the same configuration and seed (from the
 * local store, else from the committed reference results). Throws {@link DivergedRunError} for a diverged run.
 */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentResult> {
  const backend = await initBackend(spec.backend);
  const data = loadData(spec.dataset, spec);
  const config = experimentConfig(spec, data);
  const hash = configHash(config);
  const label = spec.label ?? (spec.variant ? `${spec.model} ${spec.variant}` : spec.model);
  if (!spec.retrain && !spec.resume) {
    const existing = findResult(hash);
    if (existing) return { ...existing, label, reused: true };
  }
  const target = spec.resultsFile ?? (spec.kind === 'reference' ? referenceFile() : resultsFile());
  const checkpointDir = runDirectory(config);
  assertWritableFolder(path.dirname(target), 'results store');
  if (fs.existsSync(target)) assertWritableFile(target);
  assertWritableFolder(checkpointDir, 'run folder (checkpoints)');
  const start = planCheckpoint(checkpointDir, spec, label);
  const model = buildSeeded(spec, data, config.modelConfig);
  try {
    const result = await train(model, data.train, {
      ...config.training,
      normalization: data.normalization,
      checkpointDir,
      resume: start === 'resume',
      progress: spec.progress,
      title: `train ${label} on ${data.train.name}`,
    }).catch((err: Error) => {
      if (/loss became/.test(err.message)) throw new DivergedRunError(label, err.message.replace(/^train: /, ''), []);
      throw err;
    });
    if (result.diverged) throw new DivergedRunError(label, result.diverged, result.history);
    const evaluation = evaluate(model, data.test, { normalization: data.normalization });
    let macs: number | undefined;
    try {
      macs = costOf(model).macs;
    } catch {
      macs = undefined; // a layer the cost counter does not know: the record has no MACs rather than a wrong one
    }
    if (spec.inspect) await spec.inspect(model);
    // Training seconds of every epoch, including those before a resume (the history survives it).
    const trainSeconds = result.history.reduce((sum, h) => sum + h.seconds, 0);
    const provenance = provenanceOf(backend, trainSeconds);
    const record: ResultRecord = {
      kind: spec.kind ?? 'reader',
      model: spec.model, variant: spec.variant, config: config as unknown as Record<string, unknown>, configHash: hash, setupHash: setupHashOf(config, spec),
      dataset: data.train.name, subset: data.train.subset, trainImages: data.train.count, testImages: data.test.count,
      backend: backend.backend, computedWith: provenance.backend, epochs: result.epochs, top1: evaluation.top1, top5: evaluation.top5, params: model.countParams(),
      macs, wallSeconds: trainSeconds, imagesPerSec: result.imagesPerSec, date: provenance.date,
      seed: spec.seed ?? 0, history: result.history, provenance, ...(spec.referenceId ? { referenceId: spec.referenceId } : {}),
    };
    appendResult(record, target);
    return { ...record, label, reused: false };
  } finally {
    model.dispose();
  }
}
