/**
 * AlexNet as torchvision 0.14 defines it (`torchvision/models/alexnet.py`), i.e. the single-tower variant of
 * Krizhevsky, "One weird trick for parallelizing convolutional neural networks", arXiv:1404.5997 — NOT the 2012
 * two-GPU net of Krizhevsky, Sutskever & Hinton (NeurIPS 2012). Differences from the 2012 paper:
 * conv widths 64-192-384-256-256 (paper 96-256-384-384-256), no local response normalisation, no grouped convs,
 * conv1 padding 2 on a 224² input (the paper's 227² effective input), and an adaptive average pool to 6×6
 * before the classifier (the identity at 224², where the features are already 6×6).
 *
 * Output: logits (no softmax). Layer names ↔ torchvision `state_dict` keys (for a weight importer):
 *   `features.<i>.conv` ↔ `features.<i>` (i = 0, 3, 6, 8, 10; kernels HWIO ↔ OIHW),
 *   `classifier.<i>` ↔ `classifier.<i>` (i = 1, 4, 6; Dense kernels [in, out] ↔ Linear [out, in]).
 * The features are flattened in PyTorch's C·H·W order (`flatten.nchw` permute), so `classifier.1` loads with a
 * plain transpose.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '../lib/blocks/conv';
import { adaptiveAvgPool2d, convOutputSize, flattenTorchOrder, maxPool2dTorch, maxPoolOutputSize } from '../lib/blocks/torch-pooling';
import { BaselineProfile, imageInput, logits, requireResolution, resolveProfile } from './baselines-common';
import { ModelConfig, registerModel } from './registry';

/** Max pools after conv1, conv2, conv5: 3×3, stride 2, no padding, floor mode. */
const POOL = { kernel: 3, stride: 2 } as const;
/** Hidden width of the two FC layers. */
const FC_WIDTH = 4096;
/** torchvision default dropout before each hidden FC. */
const DROPOUT = 0.5;

/** One conv of `features`; `index` is its position in torchvision's `features` Sequential. */
interface ConvRow {
  index: number;
  filters: number;
  kernel: number;
  stride: number;
  padding: number;
  /** A max pool follows (torchvision index `index + 2`, after the ReLU). */
  pool: boolean;
}

/** torchvision `AlexNet.features`. */
const FEATURES: readonly ConvRow[] = [
  { index: 0, filters: 64, kernel: 11, stride: 4, padding: 2, pool: true },
  { index: 3, filters: 192, kernel: 5, stride: 1, padding: 2, pool: true },
  { index: 6, filters: 384, kernel: 3, stride: 1, padding: 1, pool: false },
  { index: 8, filters: 256, kernel: 3, stride: 1, padding: 1, pool: false },
  { index: 10, filters: 256, kernel: 3, stride: 1, padding: 1, pool: true },
];

/**
 * Small-image profiles replace conv1 (11×11, stride 4) by a 3×3 conv, padding 1, stride 1 on CIFAR-10 (32²) and
 * stride 2 on Tiny-ImageNet (64²), so conv2 sees a 32×32 map in both; the three max pools stay, leaving 3×3 maps,
 * and the adaptive pool's output becomes 3×3 (the identity at the profile's size): classifier.1 has 256·9 inputs.
 */
const SMALL_STEM = { kernel: 3, padding: 1, stride: { cifar10: 1, 'tiny-imagenet': 2 } } as const;
/** Adaptive-pool output size per profile (torchvision: 6). */
const POOL_OUTPUT = { imagenet: 6, cifar10: 3, 'tiny-imagenet': 3 } as const;

/** The feature convs for a profile (conv1 swapped for small images). */
function featureTable(profile: BaselineProfile): ConvRow[] {
  if (profile.dataset === 'imagenet') return [...FEATURES];
  const stem = { ...FEATURES[0], kernel: SMALL_STEM.kernel, padding: SMALL_STEM.padding, stride: SMALL_STEM.stride[profile.dataset] };
  return [stem, ...FEATURES.slice(1)];
}

/** Spatial size after `features` for input `r` (≤ 0 when some layer would get too small a map). */
function featureMapSize(table: readonly ConvRow[], r: number): number {
  let n = r;
  for (const row of table) {
    n = convOutputSize(n, row.kernel, row.stride, row.padding);
    if (n < 1) return 0;
    if (row.pool) n = maxPoolOutputSize(n, POOL.kernel, POOL.stride, 0, false);
    if (n < 1) return 0;
  }
  return n;
}

/** Options: `dataset`, `resolution`, `classes` (see {@link alexnet}). */
export type AlexNetConfig = Pick<ModelConfig, 'dataset' | 'resolution' | 'classes'>;

function build(table: readonly ConvRow[], profile: BaselineProfile): tf.LayersModel {
  const input = imageInput(profile);
  let x = input;
  for (const row of table) {
    x = convBnAct(x, {
      outChannels: row.filters, kernelSize: row.kernel, stride: row.stride, padding: row.padding,
      useBias: true, batchNorm: false, name: `features.${row.index}`,
    });
    if (row.pool) x = maxPool2dTorch(x, { kernelSize: POOL.kernel, stride: POOL.stride, name: `features.${row.index + 2}` });
  }
  x = adaptiveAvgPool2d(x, POOL_OUTPUT[profile.dataset], 'avgpool');
  x = flattenTorchOrder(x, 'flatten');
  x = tf.layers.dropout({ rate: DROPOUT, name: 'classifier.0' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: FC_WIDTH, activation: 'relu', name: 'classifier.1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: DROPOUT, name: 'classifier.3' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: FC_WIDTH, activation: 'relu', name: 'classifier.4' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits(x, profile.classes, 'classifier.6'), name: `alexnet_${profile.dataset}` });
}

/**
 * torchvision AlexNet; [N, r, r, 3] → logits [N, classes]. `dataset`: 'imagenet' (224², 1000 classes, default),
 * 'cifar10' (32², 10) or 'tiny-imagenet' (64², 200) — small profiles use a 3×3 conv1 (stride 1 / 2) and a 3×3
 * adaptive pool (see SMALL_STEM). `resolution` ≥ 63 on ImageNet (torchvision's min_size), ≥ 15 / 29 on the small profiles.
 */
export function alexnet(cfg: AlexNetConfig = {}): tf.LayersModel {
  const profile = resolveProfile('alexnet', cfg);
  const table = featureTable(profile);
  requireResolution('alexnet', profile, (r) => featureMapSize(table, r));
  return build(table, profile);
}

const SOURCE = 'torchvision 0.14 AlexNet_Weights.IMAGENET1K_V1 (docs/sources.md §4.10)';

registerModel({
  name: 'alexnet',
  family: 'baseline',
  description: 'AlexNet, torchvision "one weird trick" variant (64-192-384-256-256, no LRN, adaptive 6×6 pool); logits output',
  options: [
    { name: 'dataset', description: 'data-set profile; small profiles use a 3×3 conv1 (stride 1 CIFAR, 2 Tiny-ImageNet) and a 3×3 pool before the classifier', accepted: ['imagenet', 'cifar10', 'tiny-imagenet'] },
    { name: 'resolution', description: 'input height = width (pixels); ImageNet ≥ 63' },
    { name: 'classes', description: 'classifier outputs' },
  ],
  defaults: { dataset: 'imagenet' },
  variants: [
    {
      name: 'imagenet-224',
      config: { dataset: 'imagenet' },
      published: {
        top1Percent: 56.522, top5Percent: 79.066, params: 61_100_840, paramsConvention: 'W+BN2', macs: 714.2e6,
        rounding: { macs: 0.05 / 714.2 }, inputSize: 224, source: SOURCE,
        footnote: 'The 2012 paper reports 60 M params, 720 M MACs (as quoted by MobileNet T9) and 59.3 % top-1 (1 CNN) for the two-GPU net; torchvision trains the single-tower variant (arXiv:1404.5997).',
      },
    },
    { name: 'cifar10', config: { dataset: 'cifar10' } },
    { name: 'tiny-imagenet', config: { dataset: 'tiny-imagenet' } },
  ],
  build: (cfg) => alexnet(cfg as AlexNetConfig),
});
