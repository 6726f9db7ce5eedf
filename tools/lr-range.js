#!/usr/bin/env node
// Learning-rate range tests (findLearningRate) for training recipes: one JSON line per model with the smoothed loss
// curve (every 6th step), the minimum-loss rate and whether the loss blew up.
// usage: node tools/lr-range.js '[{"model":"shufflenet_v2","config":{"width":0.5}}, …]' [perClass=1000]
// Each spec may set "opt" ("sgd" | "adam"), "minLr", "maxLr". Runs on CIFAR-10 (found as by `compact-nets train`).
const { initBackend, findLearningRate, buildModel, loadData, Rng, withSeededRandom } = require('..');

const specs = JSON.parse(process.argv[2] ?? '[]');
const perClass = Number(process.argv[3] ?? 1000);
(async () => {
  await initBackend('wasm');
  const data = loadData('cifar10', { perClass, seed: 0 });
  for (const s of specs) {
    const model = withSeededRandom(new Rng(1), () => buildModel(s.model, { ...s.config, dataset: 'cifar10', classes: 10 }));
    const adam = s.opt === 'adam';
    const r = await findLearningRate(model, data.train, {
      batchSize: 64, minLr: s.minLr ?? 1e-4, maxLr: s.maxLr ?? 10, steps: 120,
      optimizer: adam ? { name: 'adam' } : { name: 'sgd', momentum: 0.9, nesterov: true }, weightDecay: adam ? 0 : 5e-4,
      labelSmoothing: 0.1, normalization: data.normalization, augmentation: data.augmentation, seed: 0,
    });
    console.log(JSON.stringify({
      model: s.model, config: s.config, opt: adam ? 'adam' : 'sgd', minLossLr: r.minLossLr, steepestLr: r.steepestLr, suggestion: r.suggestion,
      stoppedEarly: r.stoppedEarly, curve: r.learningRates.filter((_, i) => i % 6 === 0).map((lr, k) => [+lr.toPrecision(2), +r.smoothed[k * 6].toFixed(3)]),
    }));
    model.dispose();
  }
})();
