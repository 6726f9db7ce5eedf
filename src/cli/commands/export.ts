/** `compact-nets export`: a registered model (any option, random or loaded weights) → an ONNX file, optionally verified. */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../main';
import { numberOption, parseArgs, ParsedArgs, stringOption, UsageError } from '../args';
import { initBackend } from '../../lib/backend';
import {
  checkOpset, DEFAULT_OPSET, exportOnnx, loadOnnxRuntime, MAX_OPSET, MIN_OPSET, OnnxExportError, OnnxRuntimeUnavailableError,
  verifyOnnx, writeFileNoPartial,
} from '../../lib/onnx';
import { fileWeightsHandler, loadModelWeights } from '../../lib/train/checkpoint';
import { detectWeightFormat, loadTfliteMobilenet } from '../../models/pretrained';
import { readTorchStateDict } from '../../lib/weights/torch';
import { loadTorchStateDict, TORCHVISION_MODELS } from '../../lib/weights/torch-map';
import { getModelEntry, getVariant, listModels, ModelConfig, ModelEntry } from '../../models';

const FORMATS = ['onnx'];
/** Largest |ours − onnxruntime| over the logits that --verify accepts by default. */
const DEFAULT_TOLERANCE = 1e-3;

/** camelCase option name → its flag: baseWidth → base-width. */
export function optionFlag(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every option flag of every registered model (the parser must know them before the model is known). */
function allOptionFlags(): string[] {
  return [...new Set(listModels().flatMap((m) => m.options.map((o) => optionFlag(o.name))))];
}

const USAGE = [
  'usage: compact-nets export <model> [--variant NAME] [model options] --out FILE [--format onnx] [--weights FILE]',
  `                           [--opset N] [--verify] [--tolerance X] [--threads N] [--backend NAME] [--json]`,
  '',
  'Writes <model> (see `compact-nets models`) as an ONNX inference graph: BatchNorm folded into the convolution before',
  'it where exact, grouped convs as Conv `group`, channel shuffle as Reshape/Transpose, fixed and sparse shifts as',
  'Pad + Slice, active shifts as their bilinear form. The graph input is NCHW float32 [N, 3, H, W] (our tfjs models',
  'take NHWC: x_onnx = transpose(x_tfjs, [0, 3, 1, 2])); the output is [N, classes] logits. Batch N is free.',
  '  model options      every option `compact-nets models` lists, as --kebab-case flags: --width 0.5, --groups 8,',
  '                     --base-width 32, --bypass complex, --padding torch, --kernel-size 5, --expansion 3,',
  '                     --dataset cifar10, --resolution 160, --batch-norm true, --shuffle false, …',
  '  --out FILE         the .onnx file (its folder must exist); written whole or not at all',
  '  --format onnx      the only format',
  '  --weights FILE     checkpoint of `compact-nets train` (checkpoint.json, its folder, or weights-epochN.json),',
  '                     a TF-slim .tflite (mobilenet_v1/v2) or a torchvision torch.save state_dict (models with a',
  '                     torchvision twin); default: the builder\'s random initialisation',
  `  --opset N          ONNX opset ${MIN_OPSET}–${MAX_OPSET} (default ${DEFAULT_OPSET})`,
  '  --verify           run the file in onnxruntime-node and our model on the same random batch; print the largest',
  `                     absolute logit difference; exit 1 (and write nothing) above --tolerance (default ${DEFAULT_TOLERANCE})`,
  '  --threads N        onnxruntime threads for --verify (default 1)',
  '  --backend NAME     tfjs backend of our side of --verify (default: see `compact-nets env`)',
  '  --json             print {model, config, out, bytes, opset, inputShape, outputShape, maxAbsDiff, runtime} and',
  '                     maxAbsLogit (the scale the difference compares with), weights, opCounts, foldedBatchNorms',
].join('\n');

/** A flag value as the builder expects it: true/false → boolean, a number → number, else the string. */
function typedValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
}

/** The model options given on the command line; a flag the model does not accept is a UsageError naming its options. */
function configFromArgs(entry: ModelEntry, args: ParsedArgs): ModelConfig {
  const config: ModelConfig = {};
  const accepted = new Map(entry.options.map((o) => [optionFlag(o.name), o.name]));
  for (const flag of allOptionFlags()) {
    const raw = stringOption(args, flag);
    if (raw === undefined) continue;
    const key = accepted.get(flag);
    if (key === undefined) {
      throw new UsageError(`${entry.name} does not accept --${flag}; its options: ${[...accepted.keys()].map((f) => `--${f}`).join(', ')}`);
    }
    config[key] = typedValue(raw);
  }
  return config;
}

/** Checks that `file` can be written (folder exists, not a folder itself) before any work is done. */
function checkOutputPath(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new UsageError(`--out ${file}: folder ${dir} does not exist; create it first`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${file}: ${dir} is not a folder`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--out ${file} is a folder; name a file such as ${path.join(file, 'model.onnx')}`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`--out ${file}: folder ${dir} is not writable`);
  }
}

/** The weights file of a `compact-nets train` checkpoint: checkpoint.json, its folder or a weights-epochN.json spec. */
function checkpointWeights(file: string): { dir: string; prefix: string } | null {
  const resolved = path.resolve(file);
  const stateFile = fs.statSync(resolved).isDirectory() ? path.join(resolved, 'checkpoint.json') : resolved;
  if (!stateFile.endsWith('.json') || !fs.existsSync(stateFile)) return null;
  let parsed: { weightsPrefix?: unknown; weightSpecs?: unknown };
  try {
    parsed = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new UsageError(`--weights ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed.weightsPrefix === 'string') return { dir: path.dirname(stateFile), prefix: parsed.weightsPrefix };
  if (Array.isArray(parsed.weightSpecs)) return { dir: path.dirname(stateFile), prefix: path.basename(stateFile, '.json') };
  throw new UsageError(`--weights ${file}: a JSON file that is neither a checkpoint.json (weightsPrefix) nor a weights spec (weightSpecs)`);
}

/** Builds the model with `config` and loads `weightsFile` into it (or keeps the random initialisation). */
async function buildWithWeights(
  entry: ModelEntry, explicit: ModelConfig, weightsFile: string | undefined,
): Promise<{ model: tf.LayersModel; config: ModelConfig; weights: string }> {
  const config: ModelConfig = { ...entry.defaults, ...explicit };
  const build = (c: ModelConfig): tf.LayersModel => {
    try {
      return entry.build(c);
    } catch (err) {
      throw new UsageError((err as Error).message); // builders validate their config first
    }
  };
  if (weightsFile === undefined) return { model: build(config), config, weights: 'random initialisation' };
  if (!fs.existsSync(weightsFile)) throw new UsageError(`--weights ${weightsFile}: no such file or folder`);
  const checkpoint = checkpointWeights(weightsFile);
  if (checkpoint !== null) {
    const model = build(config);
    try {
      await loadModelWeights(model, fileWeightsHandler(checkpoint.dir, checkpoint.prefix), path.join(checkpoint.dir, checkpoint.prefix));
    } catch (err) {
      throw new UsageError(`--weights ${weightsFile}: ${(err as Error).message}; pass the model options the run was trained with`);
    }
    return { model, config, weights: `checkpoint ${path.join(checkpoint.dir, checkpoint.prefix)}` };
  }
  let format: 'tflite' | 'torch';
  try {
    format = detectWeightFormat(weightsFile);
  } catch (err) {
    throw new UsageError(`--weights ${weightsFile}: ${(err as Error).message}, or a checkpoint.json of \`compact-nets train\``);
  }
  if (format === 'tflite') {
    if (entry.name !== 'mobilenet_v1' && entry.name !== 'mobilenet_v2') throw new UsageError(`--weights ${weightsFile} is a TFLite file; TFLite import supports mobilenet_v1 and mobilenet_v2, not ${entry.name}`);
    try {
      const loaded = loadTfliteMobilenet(weightsFile, { model: entry.name, ...(typeof config.resolution === 'number' ? { resolution: config.resolution } : {}) });
      const { width, resolution, classes } = loaded.config;
      return { model: loaded.model, config: { ...config, width, resolution, classes }, weights: `tflite ${weightsFile}` };
    } catch (err) {
      throw new UsageError(`--weights ${weightsFile}: ${(err as Error).message}`);
    }
  }
  // torch.save: the torchvision twin whose builder and configuration match.
  const twins = Object.entries(TORCHVISION_MODELS).filter(([, t]) => t.builder === entry.name);
  // The file implies its twin's options (mobilenet_v2 → padding 'torch'); only an option given explicitly can contradict it.
  const twin = twins.find(([, t]) => Object.entries(t.config).every(([k, v]) => explicit[k] === undefined || explicit[k] === v));
  if (twin === undefined) {
    const known = twins.map(([name, t]) => `${name} (${JSON.stringify(t.config)})`).join(', ');
    throw new UsageError(`--weights ${weightsFile} is a torch.save file; ${entry.name} with ${JSON.stringify(explicit)} has no torchvision twin${known ? `; twins: ${known}` : ''}`);
  }
  const [twinName, t] = twin;
  const merged = { ...config, ...t.config };
  const model = build(merged);
  try {
    loadTorchStateDict(model, twinName, readTorchStateDict(weightsFile), weightsFile);
  } catch (err) {
    model.dispose();
    throw new UsageError(`--weights ${weightsFile}: ${(err as Error).message}`);
  }
  return { model, config: merged, weights: `torchvision ${twinName} ${weightsFile}` };
}

export const command: Command = {
  summary: 'write a model as an ONNX file (optionally verified in onnxruntime-node)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, {
      values: ['variant', 'out', 'format', 'weights', 'opset', 'tolerance', 'threads', 'backend', ...allOptionFlags()],
      booleans: ['verify', 'json'],
    });
    if (args.positional.length !== 1) {
      throw new UsageError(`export takes exactly one model name (got ${args.positional.length}); models: ${listModels().map((m) => m.name).join(', ')}`);
    }
    const format = stringOption(args, 'format') ?? 'onnx';
    if (!FORMATS.includes(format)) throw new UsageError(`--format ${format} is not supported; formats: ${FORMATS.join(', ')}`);
    const out = stringOption(args, 'out');
    if (out === undefined) throw new UsageError('--out FILE is required (the .onnx file to write)');
    let opset: number;
    try {
      opset = checkOpset(numberOption(args, 'opset', { integer: true }) ?? DEFAULT_OPSET);
    } catch (err) {
      throw new UsageError(`--opset: ${(err as Error).message}`);
    }
    const tolerance = numberOption(args, 'tolerance', { min: 0 }) ?? DEFAULT_TOLERANCE;
    const threads = numberOption(args, 'threads', { integer: true, min: 1 }) ?? 1;
    const verify = args.options.has('verify');
    const json = args.options.has('json');
    let entry: ModelEntry;
    let base: ModelConfig = {};
    try {
      entry = getModelEntry(args.positional[0]);
      const variant = stringOption(args, 'variant');
      if (variant !== undefined) base = getVariant(entry.name, variant).config;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const overrides = configFromArgs(entry, args);
    checkOutputPath(out);
    if (verify) {
      try {
        loadOnnxRuntime();
      } catch (err) {
        if (!(err instanceof OnnxRuntimeUnavailableError)) throw err;
        console.error(`compact-nets export: --verify needs onnxruntime-node: ${err.message}. Nothing was written; export without --verify works.`);
        return 1;
      }
    }
    await initBackend(stringOption(args, 'backend'));
    const { model, config, weights } = await buildWithWeights(entry, { ...base, ...overrides }, stringOption(args, 'weights'));
    try {
      let result;
      try {
        result = exportOnnx(model, { opset, metadata: { model: entry.name, config: JSON.stringify(config), weights } });
      } catch (err) {
        if (err instanceof OnnxExportError) throw new UsageError(`${entry.name} cannot be exported to ONNX: ${err.message}`);
        throw err;
      }
      let maxAbsDiff: number | null = null;
      let maxAbsLogit: number | null = null;
      let runtime: string | null = null;
      if (verify) {
        const check = await verifyOnnx(model, result.bytes, { threads });
        maxAbsDiff = check.maxAbsDiff;
        maxAbsLogit = check.maxAbsOutput;
        runtime = check.runtime;
        if (!(check.maxAbsDiff <= tolerance)) {
          console.error(`compact-nets export: verification failed: largest |ours − onnxruntime| = ${check.maxAbsDiff} > ${tolerance} (logits up to ${check.maxAbsOutput.toFixed(3)}); ${out} was not written`);
          return 1;
        }
      }
      try {
        writeFileNoPartial(out, result.bytes);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (json) {
        console.log(JSON.stringify({
          model: entry.name, config, out, bytes: result.bytes.length, opset, inputShape: result.inputShape, outputShape: result.outputShape,
          maxAbsDiff, maxAbsLogit, runtime, weights, opCounts: result.opCounts, foldedBatchNorms: result.foldedBatchNorms,
        }));
      } else {
        console.log(`${entry.name} ${JSON.stringify(config)} → ${out} (${(result.bytes.length / 2 ** 20).toFixed(2)} MiB, opset ${opset}, ` +
          `input ${result.inputName} [${result.inputShape.join(', ')}] NCHW, output ${result.outputName} [${result.outputShape.join(', ')}]; ${weights})`);
        if (verify) {
          console.log(`verified in ${runtime}: largest |ours − onnxruntime| logit difference ${maxAbsDiff!.toExponential(2)} ` +
            `(tolerance ${tolerance}; logits up to ${maxAbsLogit!.toExponential(2)} in magnitude)`);
        }
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
