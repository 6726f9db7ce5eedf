#!/usr/bin/env node
// One pilot training run for choosing a recipe: full control of the options, test top-1 on the full CIFAR-10 test set
// after every epoch (evalEach) or at the end. Prints one JSON line: spec, backend, top1, seconds, history
// [[epoch, loss, train acc, test top-1 | null, learning rate, seconds], …], SSL statistics when the model has SSL layers.
// usage: node tools/recipe-pilot.js '{"model":"shufflenet_v2","config":{"width":0.5},"perClass":2000,"epochs":6,
//          "batch":64,"lr":0.1,"warmup":1,"wd":5e-4,"smoothing":0.1,"opt":"sgd"|"adam","seed":0,"evalEach":true}'
const lib = require('..');

const s = JSON.parse(process.argv[2]);
(async () => {
  const backend = await lib.initBackend('wasm');
  const data = lib.loadData('cifar10', { perClass: s.perClass, seed: s.seed ?? 0 });
  const model = lib.withSeededRandom(new lib.Rng(s.seed ?? 0), () => lib.buildModel(s.model, { ...s.config, dataset: 'cifar10', classes: 10 }));
  const t0 = Date.now();
  const r = await lib.train(model, data.train, {
    epochs: s.epochs, batchSize: s.batch ?? 64, learningRate: s.lr,
    optimizer: s.opt === 'adam' ? { name: 'adam' } : { name: 'sgd', momentum: 0.9, nesterov: true },
    weightDecay: s.wd ?? 5e-4, schedule: { kind: 'cosine', warmupEpochs: s.warmup ?? 0 }, labelSmoothing: s.smoothing ?? 0,
    normalization: data.normalization, augmentation: data.augmentation, seed: s.seed ?? 0, progress: 'silent',
    validation: s.evalEach ? data.test : undefined,
  });
  const ev = lib.evaluate(model, data.test, { normalization: data.normalization });
  let sparse = null;
  try { sparse = lib.sparseShiftStats(model); } catch { sparse = null; }
  console.log(JSON.stringify({
    spec: s, sparse, backend: lib.backendSummary(backend), top1: ev.top1, seconds: (Date.now() - t0) / 1000, diverged: r.diverged ?? null,
    history: r.history.map((h) => [h.epoch, +h.loss.toFixed(3), +h.accuracy.toFixed(3), h.valTop1 !== undefined ? +h.valTop1.toFixed(3) : null, +h.learningRate.toFixed(4), +h.seconds.toFixed(0)]),
  }));
})();
