/**
 * Checkpoints written after every epoch: model weights and optimizer state through a file-backed
 * tf.io handler, plus a JSON state (epoch, global step, RNG state, history).
 *
 * Crash safety: the weight files of epoch k get epoch-specific names and are each written
 * atomically (temp + rename); `checkpoint.json`, written last and atomically, is the only pointer to
 * them. A process killed at any moment therefore leaves `checkpoint.json` naming a complete earlier
 * checkpoint; files of older epochs are deleted only after the new pointer is in place.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../data/cache';

/** A tf.io handler that stores weight specs and data as `<prefix>.json` + `<prefix>.bin` (atomically). */
export function fileWeightsHandler(dir: string, prefix: string): tf.io.IOHandler {
  const binFile = path.join(dir, `${prefix}.bin`);
  const specFile = path.join(dir, `${prefix}.json`);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const data = artifacts.weightData;
      const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bytes = Buffer.concat(parts.map((b) => Buffer.from(b)));
      writeFileAtomic(binFile, bytes);
      writeFileAtomic(specFile, JSON.stringify({ weightSpecs: artifacts.weightSpecs ?? [], byteLength: bytes.length }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      for (const f of [binFile, specFile]) if (!fs.existsSync(f)) throw new Error(`checkpoint file ${f} is missing`);
      const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { weightSpecs: tf.io.WeightsManifestEntry[]; byteLength: number };
      const bin = fs.readFileSync(binFile);
      if (bin.length !== spec.byteLength) throw new Error(`checkpoint file ${binFile} has ${bin.length} bytes, ${specFile} says ${spec.byteLength}: it is truncated`);
      return { weightSpecs: spec.weightSpecs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) };
    },
  };
}

/** Saves every model weight (trainable and not, e.g. BN moving statistics) in `model.weights` order. */
export async function saveModelWeights(model: tf.LayersModel, handler: tf.io.IOHandler): Promise<void> {
  // Names carry the position: tfjs variable names depend on how many layers a process built before.
  const named = model.weights.map((w, i) => ({ name: `${i}/${w.originalName}`, tensor: w.read() }));
  const { data, specs } = await tf.io.encodeWeights(named);
  await handler.save!({ weightSpecs: specs, weightData: data });
}

/** Loads weights saved by {@link saveModelWeights} into `model`, checking count and shapes. */
export async function loadModelWeights(model: tf.LayersModel, handler: tf.io.IOHandler, where: string): Promise<void> {
  const artifacts = await handler.load!();
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length !== model.weights.length) {
    throw new Error(`checkpoint ${where} holds ${specs.length} weights, the model has ${model.weights.length}: it was written for another model or configuration`);
  }
  const tensors = tf.io.decodeWeights(artifacts.weightData!, specs);
  try {
    model.weights.forEach((w, i) => {
      const t = tensors[specs[i].name];
      if (!tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new Error(`checkpoint ${where}: weight ${i} (${specs[i].name}) has shape [${t.shape}], the model's ${w.originalName} has [${w.shape}]`);
      }
      w.write(t);
    });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Saves the optimizer's state (iterations, moments, accumulators). */
export async function saveOptimizerState(optimizer: tf.Optimizer, handler: tf.io.IOHandler): Promise<void> {
  const weights = await optimizer.getWeights();
  // Positional names: the optimizer matches accumulators to variables by position, not name.
  const named = weights.map((w, i) => ({ name: `${i}/${w.name}`, tensor: w.tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor)); // saveIterations makes a fresh scalar
  await handler.save!({ weightSpecs: specs, weightData: data });
}

/** Restores state saved by {@link saveOptimizerState} into a freshly created optimizer of the same kind. */
export async function loadOptimizerState(optimizer: tf.Optimizer, handler: tf.io.IOHandler): Promise<void> {
  const artifacts = await handler.load!();
  const specs = artifacts.weightSpecs ?? [];
  const tensors = tf.io.decodeWeights(artifacts.weightData!, specs);
  const values = specs.map((s) => ({ name: s.name.slice(s.name.indexOf('/') + 1), tensor: tensors[s.name] }));
  await optimizer.setWeights(values);
  // setWeights wraps each tensor in a new variable (a copy); the decoded tensors are ours to free.
  tf.dispose(Object.values(tensors));
}

/** One epoch's figures. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss (data loss + regularisation) over the epoch's steps. */
  loss: number;
  /** Training accuracy over the epoch (on augmented images, in training mode). */
  accuracy: number;
  /** Learning rate at the epoch's last step. */
  learningRate: number;
  seconds: number;
  imagesPerSec: number;
  /** Validation top-1 / top-5 when a validation set was given. */
  valTop1?: number;
  valTop5?: number;
}

/** The JSON part of a checkpoint. */
export interface CheckpointState {
  format: 1 | 2;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** Rng state after the last completed epoch. */
  rngState: number;
  history: EpochRecord[];
  /** Hash of the training configuration; resuming with another configuration is refused. */
  configHash: string;
  weightsPrefix: string;
  /** Format 1: the one optimizer's files. */
  optimizerPrefix?: string | null;
  /** Format 2: one optimizer per learning-rate group, in the training loop's group order. */
  optimizerPrefixes?: string[];
  date: string;
}

const STATE_FILE = 'checkpoint.json';

/** Reads `<dir>/checkpoint.json`, or returns null when there is none. A corrupt file is an error naming it. */
export function readCheckpointState(dir: string): CheckpointState | null {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointState;
    if ((state.format !== 1 && state.format !== 2) || !Number.isInteger(state.epoch)) throw new Error('unknown format');
    return state;
  } catch (err) {
    throw new Error(`checkpoint ${file} is unreadable (${(err as Error).message}); delete ${dir} to start over`);
  }
}

/** Writes a complete checkpoint for `state.epoch` (model weights, every optimizer's state) and then removes files of older checkpoints. */
export async function writeCheckpoint(
  dir: string, model: tf.LayersModel, optimizers: readonly tf.Optimizer[],
  state: Omit<CheckpointState, 'format' | 'weightsPrefix' | 'optimizerPrefix' | 'optimizerPrefixes' | 'date'>,
): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const weightsPrefix = `weights-epoch${state.epoch}`;
  // Group 0 (the base learning rate) keeps the single-optimizer name; further groups get a suffix.
  const optimizerPrefixes = optimizers.map((_, i) => `optimizer-epoch${state.epoch}${i === 0 ? '' : `-group${i}`}`);
  await saveModelWeights(model, fileWeightsHandler(dir, weightsPrefix));
  for (let i = 0; i < optimizers.length; i++) await saveOptimizerState(optimizers[i], fileWeightsHandler(dir, optimizerPrefixes[i]));
  const full: CheckpointState = { format: 2, ...state, weightsPrefix, optimizerPrefixes, date: new Date().toISOString() };
  const file = path.join(dir, STATE_FILE);
  writeFileAtomic(file, JSON.stringify(full, null, 1));
  const current = [weightsPrefix, ...optimizerPrefixes].map((p) => `${p}.`);
  for (const f of fs.readdirSync(dir)) {
    const stale = (f.startsWith('weights-epoch') || f.startsWith('optimizer-epoch')) && !current.some((p) => f.startsWith(p));
    if (stale || f.includes('.tmp-')) fs.rmSync(path.join(dir, f), { force: true });
  }
  return file;
}

/** Restores model weights and the optimizers' state (one per learning-rate group) of the checkpoint in `dir`. */
export async function restoreCheckpoint(dir: string, model: tf.LayersModel, optimizers: readonly tf.Optimizer[], state: CheckpointState): Promise<void> {
  await loadModelWeights(model, fileWeightsHandler(dir, state.weightsPrefix), path.join(dir, state.weightsPrefix));
  const prefixes = state.optimizerPrefixes ?? (state.optimizerPrefix ? [state.optimizerPrefix] : []);
  if (prefixes.length > 0 && prefixes.length !== optimizers.length) {
    throw new Error(`checkpoint ${dir} holds ${prefixes.length} optimizer state(s), the model trains ${optimizers.length} learning-rate group(s): it was written for another configuration; delete ${dir} to start over`);
  }
  for (let i = 0; i < prefixes.length; i++) await loadOptimizerState(optimizers[i], fileWeightsHandler(dir, prefixes[i]));
}
