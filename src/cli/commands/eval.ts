/** `compact-nets eval`: top-1/top-5 of a model with pretrained weights on a labelled ImageNet image folder. */
import type { Command } from '../main';
import { backendOption, numberOption, parseArgs, pathOption, stringOption, UsageError } from '../args';
import { initBackend } from '../../lib/backend';
import { evaluateClassifier } from '../../lib/eval/evaluate';
import { loadLabelledImages } from '../../lib/eval/labels';
import { detectWeightFormat, loadPretrained } from '../../models';
import { describePreprocessing } from '../../lib/eval/preprocess';
import { fetchTorchvisionWeights, TORCHVISION_WEIGHT_FILES } from '../../lib/weights/download';
import { TORCHVISION_MODELS } from '../../lib/weights/torch-map';

/** Registry names that TFLite files load into (width and resolution come from the file). */
const TFLITE_MODELS = ['mobilenet_v1', 'mobilenet_v2'];

/**
 * Checks that model `name` fits the weights (a file's format, or "torchvision") and that --resolution applies, before
 * any image or weight is read. Returns the format.
 */
function checkModelFitsWeights(name: string, weights: string, resolution: number | undefined): 'tflite' | 'torch' {
  const format = weights === 'torchvision' ? 'torch' : detectWeightFormat(weights);
  const names = format === 'tflite' ? TFLITE_MODELS : weights === 'torchvision' ? Object.keys(TORCHVISION_WEIGHT_FILES) : Object.keys(TORCHVISION_MODELS);
  if (!names.includes(name)) {
    const what = weights === 'torchvision' ? 'published torchvision weights exist' : `${weights} is a ${format === 'tflite' ? 'TFLite' : 'torch.save'} file, which loads`;
    throw new UsageError(`model "${name}" does not fit: ${what} for ${names.join(', ')}; choose one of them`);
  }
  if (format === 'tflite' && resolution !== undefined) {
    throw new UsageError(`--resolution applies to torchvision weights only: a TFLite file fixes its input size (${weights}); leave --resolution out`);
  }
  return format;
}

const USAGE = [
  'usage: compact-nets eval <model> --weights FILE|torchvision --images DIR [--labels FILE] [--limit N] [--batch N]',
  '                         [--resolution PX] [--backend NAME] [--json]',
  '',
  'Scores top-1/top-5 accuracy of <model> with pretrained weights on labelled ImageNet validation images.',
  '  <model>            mobilenet_v1 | mobilenet_v2 for .tflite files (TF-slim; width/resolution read from the file);',
  '                     a torchvision name for torch.save state_dicts: squeezenet1_0, squeezenet1_1, mobilenet_v2,',
  '                     shufflenet_v2_x0_5 … x2_0, resnet18, resnet50, alexnet, vgg16, googlenet',
  '  --weights FILE     .tflite or torch.save file; "torchvision" downloads the published file into the cache (internet)',
  '  --images DIR       image folder (or a data-set root with images/); JPEG or PNG',
  '  --labels FILE      "<file> <index 0..999>" lines; default labels.txt in DIR or its parent, else synset ids',
  '                     at the start of file names (n01440764_…) mapped through synset_words.txt',
  '  --limit N          first N images (sorted by name) only',
  '  --batch N          images per forward pass (default 32)',
  '  --resolution PX    input size of torchvision models (default 224)',
  '  --backend NAME     tfjs backend (default: see `compact-nets env`)',
  '  --json             print {"model","weights","n","top1","top5","preprocessing"} on stdout, top1/top5 as',
  '                     fractions in [0, 1] (progress on stderr)',
  '',
  'Preprocessing follows the weights: TF-slim = central crop 87.5 %, bilinear resize, [-1, 1];',
  'torchvision = resize 256, centre crop 224, mean/std. A small or non-uniform subset (e.g. imagenet-val1300)',
  'gives figures that differ from (for imagenet-val1300: exceed) full-validation accuracy.',
].join('\n');

export const command: Command = {
  summary: 'top-1/top-5 of pretrained weights (TFLite, torchvision) on ImageNet images',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['weights', 'images', 'labels', 'limit', 'batch', 'resolution', 'backend'], booleans: ['json'] });
    if (args.positional.length !== 1) throw new UsageError(`eval takes one model name, got ${args.positional.length ? `"${args.positional.join(' ')}"` : 'none'}`);
    const name = args.positional[0];
    if (stringOption(args, 'weights') === undefined) throw new UsageError('--weights FILE is required (a .tflite or torch.save file, or "torchvision")');
    if (stringOption(args, 'images') === undefined) throw new UsageError('--images DIR is required');
    const limit = numberOption(args, 'limit', { integer: true, min: 1 });
    const batch = numberOption(args, 'batch', { integer: true, min: 1, max: 1024 });
    const resolution = numberOption(args, 'resolution', { integer: true, min: 32, max: 1024 });
    const weightsArg = stringOption(args, 'weights') === 'torchvision' ? 'torchvision' : pathOption(args, 'weights', 'file', 'a .tflite or torch.save file, or "torchvision"')!;
    const images = pathOption(args, 'images', 'folder', 'a folder of ImageNet images (or a data-set root with images/)')!;
    pathOption(args, 'labels', 'file', 'a label file of "<file> <index>" lines');
    const backend = backendOption(args);
    checkModelFitsWeights(name, weightsArg, resolution);
    const json = args.options.has('json');

    // Cheap checks first: a folder without labels fails before any weights are read.
    const labelled = loadLabelledImages(images, stringOption(args, 'labels'));
    const subset = limit !== undefined ? labelled.images.slice(0, limit) : labelled.images;
    const weights = weightsArg === 'torchvision' ? await fetchTorchvisionWeights(name) : weightsArg;
    await initBackend(backend);
    const pretrained = loadPretrained(name, weights, resolution);
    const result = await evaluateClassifier(pretrained.model, subset, {
      preprocessing: pretrained.preprocessing,
      resolution: pretrained.resolution,
      labelOffset: pretrained.labelOffset,
      batchSize: batch,
      title: `eval ${name}`,
      progressSinks: json ? { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true } : undefined,
    });
    const preprocessing = describePreprocessing(pretrained.preprocessing, pretrained.resolution);
    if (json) {
      console.log(JSON.stringify({ model: name, weights, n: result.n, top1: result.top1, top5: result.top5, preprocessing }));
    } else {
      console.log(
        [
          `model          ${name} (${pretrained.model.name})`,
          `weights        ${weights} (${pretrained.format})`,
          `images         ${result.n} from ${images}, labels from ${labelled.source}`,
          `preprocessing  ${preprocessing}`,
          `top-1          ${(100 * result.top1).toFixed(2)} %`,
          `top-5          ${(100 * result.top5).toFixed(2)} %`,
          `time           ${result.seconds.toFixed(1)} s`,
          'note           accuracy on a subset of ImageNet validation is not full-validation accuracy (imagenet-val1300 inflates it)',
        ].join('\n'),
      );
    }
    return 0;
  },
};
