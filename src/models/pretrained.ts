/**
 * Registered models built from a pretrained weight file (TFLite or torch.save), with the preprocessing its source
 * expects. The weight formats and their layer mappings are in src/lib/weights; this module picks the registry
 * builder and configuration that fit a file.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import type { PreprocessingName } from '../lib/eval/preprocess';
import { parseTflite, TfliteModel } from '../lib/weights/tflite';
import { inferTfliteMobilenetConfig, loadTfliteWeights, TfliteMobilenetConfig } from '../lib/weights/tflite-mobilenet';
import { readTorchStateDict } from '../lib/weights/torch';
import { loadTorchStateDict, TORCHVISION_MODELS } from '../lib/weights/torch-map';
import { buildModel } from './registry';
import './families';
import { InvalidArgumentError, rethrowFileError } from '../lib/errors';

export interface PretrainedModel {
  model: tf.LayersModel;
  format: 'tflite' | 'torch';
  preprocessing: PreprocessingName;
  /** Input size in pixels. */
  resolution: number;
  /** 1 for 1001-class files (index 0 = background), else 0. */
  labelOffset: number;
}

/** The weight format from the file's first bytes: "TFL3" at 4..7 (TFLite) or a zip signature (torch.save). */
export function detectWeightFormat(file: string): 'tflite' | 'torch' {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    fs.closeSync(fd);
  } catch (err) {
    rethrowFileError(err, 'read the weights file', file);
  }
  if (head.toString('latin1', 4, 8) === 'TFL3') return 'tflite';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'torch';
  throw new Error(`${file}: neither a TFLite flatbuffer ("TFL3") nor a torch.save zip; supported: .tflite (TF-slim MobileNets) and torchvision state_dicts`);
}

/** Builds `config.model` at the file's width/resolution/classes (or `override`) and loads the file into it. */
export function loadTfliteMobilenet(
  file: string,
  override: Partial<TfliteMobilenetConfig> = {},
): { model: tf.LayersModel; config: TfliteMobilenetConfig; tflite: TfliteModel } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    rethrowFileError(err, 'read the weights file', file);
  }
  const tflite = parseTflite(bytes, file);
  const inferred = inferTfliteMobilenetConfig(tflite, file);
  if (override.model !== undefined && override.model !== inferred.model) {
    throw new InvalidArgumentError(`${file} holds a ${inferred.model} (width ${inferred.width}, ${inferred.resolution}×${inferred.resolution}), not a ${override.model}`);
  }
  const config = { ...inferred, ...override };
  let model: tf.LayersModel;
  try {
    model = buildModel(config.model, { width: config.width, resolution: config.resolution, classes: config.classes });
  } catch (err) {
    // Sizes read from the file (classes, resolution) beyond the builders' limits: the file is at fault, not the caller.
    if (err instanceof InvalidArgumentError && override.resolution === undefined) throw new Error(`${file}: ${err.message.replace(/; choose a value in that range$/, '')}; the file is corrupt or not a TF-slim MobileNet`);
    throw err;
  }
  loadTfliteWeights(model, tflite, file);
  return { model, config, tflite };
}

/** Labels offset for a classifier with `classes` outputs; throws unless 1000 or 1001. */
function labelOffsetFor(classes: number, file: string): number {
  if (classes === 1000) return 0;
  if (classes === 1001) return 1;
  throw new Error(`${file}: the classifier has ${classes} outputs; ImageNet evaluation needs 1000 (or 1001 with background)`);
}

/**
 * Loads `file` into model `name`: for TFLite a registry name (mobilenet_v1 / mobilenet_v2, width and resolution
 * from the file); for torch a torchvision name (e.g. resnet18, shufflenet_v2_x1_0). `resolution` overrides the
 * input size of torch models (default 224).
 */
export function loadPretrained(name: string, file: string, resolution?: number): PretrainedModel {
  const format = detectWeightFormat(file);
  if (format === 'tflite') {
    if (name !== 'mobilenet_v1' && name !== 'mobilenet_v2') {
      throw new InvalidArgumentError(`${file} is a TFLite file; TFLite import supports mobilenet_v1 and mobilenet_v2, not "${name}"`);
    }
    const override: Partial<TfliteMobilenetConfig> = { model: name };
    if (resolution !== undefined) override.resolution = resolution;
    const { model, config } = loadTfliteMobilenet(file, override);
    return { model, format, preprocessing: 'tfslim', resolution: config.resolution, labelOffset: labelOffsetFor(config.classes, file) };
  }
  const entry = TORCHVISION_MODELS[name];
  if (entry === undefined) {
    throw new InvalidArgumentError(`${file} is a torch.save file; name the torchvision model it holds, one of: ${Object.keys(TORCHVISION_MODELS).join(', ')} (got "${name}")`);
  }
  const state = readTorchStateDict(file);
  const size = resolution ?? 224;
  const model = buildModel(entry.builder, { ...entry.config, resolution: size });
  loadTorchStateDict(model, name, state, file);
  // Published GoogLeNet weights expect torchvision's transform_input (see preprocess.ts).
  const preprocessing: PreprocessingName = name === 'googlenet' ? 'torchvision-googlenet' : 'torchvision';
  return { model, format, preprocessing, resolution: size, labelOffset: labelOffsetFor(model.outputs[0].shape[1] as number, file) };
}
