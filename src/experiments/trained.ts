/**
 * A trained model back in memory (e.g. to compress it): `runExperiment` trains (or reuses a recorded run), then the
 * weights are read back from the run's final checkpoint, so a re-run of a lesson does not retrain.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadData, LoadedData } from '../lib/data/load';
import { fileWeightsHandler, loadModelWeights, readCheckpointState } from '../lib/train/checkpoint';
import { checkpointDirOf, ExperimentResult, ExperimentSpec, runExperiment } from './run';

/** The trained model (caller disposes it), its recorded result and the data it was trained on. */
export interface TrainedModel {
  model: tf.LayersModel;
  result: ExperimentResult;
  data: LoadedData;
}

/**
 * Trains `spec` (a custom `build` is required: the weights are loaded into a model it builds), or reuses
 * the recorded run and loads its final checkpoint. Retrains when the record exists but its checkpoint
 * is gone or incomplete (e.g. the cache folder was cleaned).
 */
export async function trainedModel(spec: ExperimentSpec): Promise<TrainedModel> {
  if (!spec.build) throw new Error('trainedModel: spec.build is required (the model whose weights are restored from the checkpoint)');
  let result = await runExperiment(spec);
  const data = loadData(spec.dataset, spec);
  const dir = checkpointDirOf(spec, data);
  let state = readCheckpointState(dir);
  if (!state || state.epoch !== spec.epochs) {
    result = await runExperiment({ ...spec, retrain: true });
    state = readCheckpointState(dir);
    if (!state || state.epoch !== spec.epochs) throw new Error(`trainedModel: training finished but no final checkpoint is in ${dir}`);
  }
  const model = spec.build(data.profile, data.train.classNames.length);
  await loadModelWeights(model, fileWeightsHandler(dir, state.weightsPrefix), path.join(dir, state.weightsPrefix));
  return { model, result, data };
}
