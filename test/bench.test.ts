/** Smoke test of the benchmark harness (bench/run.ts + bench/peer.py) at tiny sizes: schema and consistency, not speed. */
import { nativeStatus } from '../src/lib/kernels/core/addon';
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { benchMain, parseBenchOptions, BenchLine } from '../bench/run';
import { exportGraph } from '../bench/graph-spec';
import { macsPerUnit, MODE_SPECS } from '../bench/modes';
import { buildModel } from '../src/models';

describe('benchmark harness (smoke, tiny sizes)', function () {
  this.timeout(240000);

  it('rejects bad options with a message naming the value', () => {
    assert.throws(() => parseBenchOptions(['--modes', 'train99']), /unknown mode "train99".*train32/);
    assert.throws(() => parseBenchOptions(['--models', 'nope']), /unknown model "nope"/);
    assert.throws(() => parseBenchOptions(['--threads', '0']), /threads/);
    assert.throws(() => parseBenchOptions(['--rounds', '0']), /rounds/);
  });

  it('MAC accounting', () => {
    assert.equal(macsPerUnit(10, MODE_SPECS.train32), 3 * 10 * 32);
    assert.equal(macsPerUnit(10, MODE_SPECS.infer224), 10);
  });

  it('exports a graph whose layers are in topological order with static shapes', () => {
    const model = buildModel('shufflenet_v1', { dataset: 'cifar10' });
    const graph = exportGraph(model);
    const seen = new Set<string>();
    for (const layer of graph.layers) {
      for (const src of layer.inbound) assert.ok(seen.has(src), `${layer.name} reads ${src} before it is defined`);
      seen.add(layer.name);
      assert.ok(layer.outputShape.every((d) => Number.isInteger(d) && d > 0), `${layer.name} shape ${layer.outputShape}`);
    }
    assert.ok(seen.has(graph.output));
    assert.equal(graph.layers.reduce((n, l) => n + l.params, 0), model.countParams());
    model.dispose();
  });

  it('prints one schema-conforming JSON line per model and mode, with the peer on the same architecture', async () => {
    const out: string[] = [];
    const lines: BenchLine[] = await benchMain(
      ['--json', '--models', 'fe_net', '--modes', 'train32,infer224', '--peers', 'pytorch-graph', '--batch', '2', '--resolution', '32', '--repetitions', '2', '--rounds', '2', '--warmup', '0'],
      (s) => out.push(s),
    );
    const records = out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const gemm = records.filter((r) => r.gemm === true);
    assert.deepEqual(gemm.map((g) => g.threads), [1, 2]);
    for (const g of gemm) assert.ok((g.gemmMacsPerSec as number) > 1e8, `GEMM peak ${g.gemmMacsPerSec}`);
    const benches = records.filter((r) => r.gemm !== true);
    assert.equal(benches.length, 2);
    assert.equal(lines.length, 2);
    for (const r of benches) {
      const l = r as unknown as BenchLine;
      for (const key of ['model', 'mode', 'ours', 'peer', 'unit', 'ratio', 'threads', 'backend', 'macsPerSec', 'peakFraction']) {
        assert.ok(key in r, `missing ${key} in ${JSON.stringify(r)}`);
      }
      assert.equal(l.error, undefined, `run failed: ${l.error}`);
      assert.equal(l.peerName, 'pytorch-graph');
      // With the native addon (built wherever a C compiler exists, CI included) the line says so, with its threads.
      const native = nativeStatus();
      assert.equal(l.backend, native.loaded ? 'wasm+native' : 'wasm', JSON.stringify(l.native));
      assert.equal(l.oursThreads, native.loaded ? l.threads : 1);
      if (native.loaded) assert.ok((l.native?.kernels?.length ?? 0) > 10 && l.native?.blas !== undefined, JSON.stringify(l.native));
      assert.equal(l.unit, l.mode === 'infer224' ? 'ms' : 'images/s');
      assert.ok(l.ours! > 0 && l.peer! > 0);
      assert.ok(Math.abs(l.ratio! - l.ours! / l.peer!) < 1e-9);
      // Two alternating rounds ran; the pooled ratio need not lie between the per-round ones, but both are finite.
      assert.equal(l.rounds, 2);
      assert.ok(l.ratioRange !== null && l.ratioRange[0] > 0 && l.ratioRange[0] <= l.ratioRange[1], JSON.stringify(l.ratioRange));
      assert.ok(l.peakFraction! > 0 && l.peakFraction! < 1, `peak fraction ${l.peakFraction}`);
      // Same architecture on both sides: trainable parameter counts agree exactly.
      assert.equal(l.peerParams, l.oursParams, `${l.model}: peer has ${l.peerParams} parameters, ours ${l.oursParams}`);
      if (l.mode !== 'infer224') assert.ok(l.oursPeakRssMB! > 10 && l.peerPeakRssMB! > 10);
    }
  });
});

void tf;
