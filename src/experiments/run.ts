/**
 * The experiment runner: load a data set by name, build a registered model (or a custom one), train, evaluate,
 * and record the result — or reuse a recorded run with the same configuration. Shared by the notebooks and
 * `compact-nets train`, so a notebook re-run is free once trained.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { backendSummary, initBackend } from '../lib/backend';
import { costOf } from '../lib/cost';
import { cacheRoot } from '../lib/data/cache';
import { DatasetName, LoadDataOptions, loadData, LoadedData } from '../lib/data/load';
import type { DatasetProfile } from '../lib/data/profiles';
import type { ProgressMode, ProgressReporter } from '../lib/progress';
import { appendResult, configHash, findResult, ResultRecord } from '../lib/results';
import { evaluate, train, EpochRecord } from '../lib/train';
import { OPTIMIZER_NAMES, OptimizerName } from '../lib/train/optimizers';
import { buildModel, getVariant, ModelConfig } from '../models';

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
  /** Default 64. */
  batchSize?: number;
  /** Default 0.05 for SGD, 0.001 for Adam/RMSProp (cosine decay). */
  learningRate?: number;
  /** Default 'sgd' (momentum 0.9, Nesterov). */
  optimizer?: OptimizerName;
  /** L2 on kernels; default 5e-4 for SGD, 0 otherwise. */
  weightDecay?: number;
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
  /** Per-epoch history of this run (absent when the record was reused). */
  history?: EpochRecord[];
}

/** The configuration that keys the results store (everything that changes the outcome). */
export function experimentConfig(spec: ExperimentSpec, data: LoadedData) {
  const optimizer = spec.optimizer ?? 'sgd';
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got "${optimizer}"`);
  const training = {
    epochs: spec.epochs,
    batchSize: spec.batchSize ?? 64,
    learningRate: spec.learningRate ?? (optimizer === 'sgd' ? 0.05 : 0.001),
    optimizer: { name: optimizer, ...(optimizer === 'sgd' ? { momentum: 0.9, nesterov: true } : {}) },
    weightDecay: spec.weightDecay ?? (optimizer === 'sgd' ? 5e-4 : 0),
    schedule: { kind: 'cosine' as const },
    seed: spec.seed ?? 0,
    augmentation: data.augmentation,
  };
  const modelConfig: ModelConfig = { ...(spec.modelConfig ?? {}), dataset: data.profile, classes: data.train.classNames.length };
  return {
    model: spec.model, variant: spec.variant, custom: spec.build !== undefined, modelConfig,
    dataset: data.train.name, subset: data.train.subset ?? null, testSubset: data.test.subset ?? null, source: data.source, training,
  };
}

/** Folder where {@link runExperiment} keeps the checkpoints of the run whose configuration hashes to `hash`. */
function runDirectory(hash: string): string {
  return path.join(cacheRoot(), 'runs', hash);
}

/** Folder where {@link runExperiment} keeps the checkpoints of `spec` trained on `data`. */
export function checkpointDirOf(spec: ExperimentSpec, data: LoadedData): string {
  return runDirectory(configHash(experimentConfig(spec, data)));
}

/** Trains and evaluates one configuration, or returns the recorded run with the same configuration. */
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
  const model = spec.build
    ? spec.build(data.profile, data.train.classNames.length)
    : buildModel(spec.model, { ...(spec.variant ? getVariant(spec.model, spec.variant).config : {}), ...config.modelConfig });
  try {
    const result = await train(model, data.train, {
      ...config.training,
      normalization: data.normalization,
      checkpointDir: runDirectory(hash),
      resume: spec.resume,
      progress: spec.progress,
      title: `train ${label} on ${data.train.name}`,
    });
    const evaluation = evaluate(model, data.test, { normalization: data.normalization });
    let macs: number | undefined;
    try {
      macs = costOf(model).macs;
    } catch {
      macs = undefined; // a layer the cost counter does not know: the record has no MACs rather than a wrong one
    }
    if (spec.inspect) await spec.inspect(model);
    const record: ResultRecord = {
      model: spec.model, variant: spec.variant, config: config as unknown as Record<string, unknown>, configHash: hash,
      dataset: data.train.name, subset: data.train.subset, trainImages: data.train.count, testImages: data.test.count,
      backend: backend.backend, computedWith: backendSummary(backend), epochs: result.epochs, top1: evaluation.top1, top5: evaluation.top5, params: model.countParams(),
      macs, wallSeconds: result.wallSeconds, imagesPerSec: result.imagesPerSec, date: new Date().toISOString(),
    };
    appendResult(record);
    return { ...record, label, reused: false, history: result.history };
  } finally {
    model.dispose();
  }
}
