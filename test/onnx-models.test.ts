/**
 * Every registered model exports to ONNX and runs in onnxruntime-node with the same logits as our tfjs model (wasm
 * backend, inference mode) within 1e-3: default configurations and a spread of every family's options, at small
 * resolutions (the graph does not change with the input size apart from shapes). BatchNorm statistics and learned
 * shift offsets are randomised first (non-integer ASL offsets, SSL offsets that round, halves included), so that
 * folding and the shift forms are checked on values that matter.
 */
import * as assert from 'assert';
import { initBackend } from '../src/lib/backend';
import { buildModel, listModels, ModelConfig } from '../src/models';
import { exportAndVerify, randomizeInferenceState } from './onnx-helpers';

/** [model, config]: defaults at a small profile, then options (ImageNet profiles at reduced resolution). */
const CASES: Array<[string, ModelConfig]> = [
  ['squeezenet1_0', { dataset: 'cifar10' }],
  ['squeezenet1_0', { resolution: 67, bypass: 'simple' }],
  ['squeezenet1_0', { dataset: 'tiny-imagenet', bypass: 'complex', classes: 7 }],
  ['squeezenet1_1', { resolution: 64 }],
  ['squeezenet1_1', { dataset: 'cifar10', bypass: 'complex' }],
  ['mobilenet_v1', { dataset: 'cifar10', width: 0.5 }],
  ['mobilenet_v1', { resolution: 64, width: 0.25 }],
  ['mobilenet_v1', { dataset: 'tiny-imagenet', width: 0.75 }],
  ['mobilenet_v2', { dataset: 'cifar10' }],
  ['mobilenet_v2', { resolution: 64, padding: 'torch', width: 0.35 }],
  ['mobilenet_v2', { dataset: 'cifar10', bottleneckActivation: 'relu6', width: 1.4 }],
  ['mobilenet_v2', { resolution: 65, padding: 'tf', width: 0.5 }],
  ['alexnet', { dataset: 'cifar10' }],
  ['alexnet', { dataset: 'tiny-imagenet', classes: 10 }],
  ['vgg16', { dataset: 'cifar10', batchNorm: true }],
  ['vgg16', { dataset: 'cifar10', resolution: 48 }],
  ['googlenet', { dataset: 'cifar10' }],
  ['googlenet', { resolution: 64, branch3Kernel: 5 }],
  ['resnet18', { dataset: 'cifar10' }],
  ['resnet18', { resolution: 64 }],
  ['resnet50', { dataset: 'cifar10', stride: 'v1' }],
  ['shufflenet_v1', { dataset: 'cifar10' }],
  ['shufflenet_v1', { resolution: 64, groups: 8, width: 0.5 }],
  ['shufflenet_v1', { dataset: 'cifar10', groups: 2, shuffle: false, width: 0.25 }],
  ['shufflenet_v1', { dataset: 'tiny-imagenet', groups: 4, width: 1.5, stemChannels: 16 }],
  ['shufflenet_v2', { dataset: 'cifar10', width: 0.5 }],
  ['shufflenet_v2', { resolution: 64, width: 1.5 }],
  ['shufflenet_v2', { dataset: 'tiny-imagenet', width: 2 }],
  ['shiftnet_a', { dataset: 'cifar10' }],
  ['shiftnet_a', { dataset: 'cifar10', kernelSize: 7, expansion: 2, width: 0.5 }],
  ['shiftnet_a', { resolution: 64 }],
  ['shift_resnet20', {}],
  ['shift_resnet20', { kernelSize: 5, expansion: 1, dataset: 'tiny-imagenet' }],
  ['as_resnet', { dataset: 'cifar10' }],
  ['as_resnet', { dataset: 'cifar10', shift: 'fixed', baseWidth: 32 }],
  ['as_resnet', { resolution: 64, baseWidth: 50, normalizeGrad: false }],
  ['fe_net', { dataset: 'cifar10' }],
  ['fe_net', { dataset: 'cifar10', downsampling: 'paper', penalty: 0.01 }],
  ['fe_net', { resolution: 64, width: 1.375 }],
  ['fe_net', { dataset: 'tiny-imagenet', headChannels: 640 }],
];

describe('ONNX export of every registered model', function () {
  this.timeout(600000);
  const report: string[] = [];

  before(async () => {
    await initBackend('wasm');
  });

  after(() => {
    // The per-model figures for the record (mocha prints them under the suite).
    console.log(`      largest |ours − onnxruntime| per configuration:\n${report.map((l) => `        ${l}`).join('\n')}`);
  });

  it('covers every registered model', () => {
    const covered = new Set(CASES.map(([name]) => name));
    const missing = listModels().map((m) => m.name).filter((n) => !covered.has(n));
    assert.deepStrictEqual(missing, [], `add ONNX cases for ${missing.join(', ')}`);
  });

  for (const [name, config] of CASES) {
    it(`${name} ${JSON.stringify(config)} agrees with onnxruntime within 1e-3`, async () => {
      const model = buildModel(name, config);
      try {
        randomizeInferenceState(model, 7);
        const r = await exportAndVerify(model, `${name} ${JSON.stringify(config)}`);
        report.push(`${name} ${JSON.stringify(config)}: ${r.maxAbsDiff.toExponential(2)} (|logit| ≤ ${r.maxAbsOutput.toFixed(2)})`);
      } finally {
        model.dispose();
      }
    });
  }
});
