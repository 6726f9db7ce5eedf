/** Roofline arithmetic (bench/roofline.ts) on hand-computable cases: traffic, intensity, the min() of the roof. */
import { strict as assert } from 'assert';
import { attainable, bytesPerUnit, intensity, machineRoof, ProbeFile, rooflineRows, rooflineTable, trafficOf } from '../bench/roofline';

const probe: ProbeFile = {
  results: [
    { threads: 1, what: 'gemm', gemm: 'builtin', gmacPerSec: 40, gmacPerSecBest: 50 },
    { threads: 1, what: 'gemm', gemm: 'openblas', gmacPerSec: 45 },
    { threads: 1, what: 'bandwidth', kernel: 'copy', gbPerSec: 18, gbPerSecBest: 20 },
    { threads: 1, what: 'bandwidth', kernel: 'triad', gbPerSec: 19 },
  ],
};

describe('roofline arithmetic', () => {
  it('traffic: memory access less per-layer parameters, parameters once per pass', () => {
    // Two layers: 100 and 50 elements of memory access, of which 10 and 5 are parameters.
    const layer = (memoryAccess: number, all: number) => ({ memoryAccess, params: { weights: all, trainable: all, all } });
    const t = trafficOf({ memoryAccess: 150, params: { weights: 15, trainable: 15, all: 15 }, layers: [layer(100, 10), layer(50, 5)] } as never);
    assert.deepEqual(t, { activationElements: 135, parameterElements: 15 });
    // Inference, batch 2: 4 bytes × (2 × 135 + 15) = 1140; training triples it.
    assert.equal(bytesPerUnit(t, { batch: 2, training: false }), 1140);
    assert.equal(bytesPerUnit(t, { batch: 2, training: true }), 3420);
  });

  it('intensity is MACs per byte and refuses zero bytes', () => {
    assert.equal(intensity(1000, 250), 4);
    assert.throws(() => intensity(1, 0), /bytes = 0 must be positive/);
  });

  it('the roof is the smaller of peak and bandwidth × intensity', () => {
    // 50 GMAC/s peak, 20 GB/s: ridge at 2.5 MAC/B.
    assert.deepEqual(attainable(50e9, 20e9, 1), { macsPerSec: 20e9, bound: 'memory' });
    assert.deepEqual(attainable(50e9, 20e9, 10), { macsPerSec: 50e9, bound: 'compute' });
    assert.deepEqual(attainable(50e9, 20e9, 2.5), { macsPerSec: 50e9, bound: 'compute' });
    assert.throws(() => attainable(0, 20e9, 1), /peak 0 MAC\/s/);
  });

  it('machine roof: fastest GEMM and stream kernel, best round over median', () => {
    const r = machineRoof(probe, 1);
    assert.equal(r.peakMacsPerSec, 50e9); // builtin's best 50 beats openblas's median 45
    assert.equal(r.peakGemm, 'builtin');
    assert.equal(r.bytesPerSec, 20e9); // copy's best 20 beats triad's median 19
    assert.throws(() => machineRoof(probe, 2), /no GEMM and bandwidth results for 2 thread\(s\) \(it has: 1\)/);
  });

  it('rows: % of the attainable rate for ours and each peer', () => {
    // infer224 (batch 1): 1e9 MACs and 62.5e6 activation elements → 250 MB, 4 MAC/B > ridge 2.5: compute-bound at 50 G.
    const cost = () => ({ macs: 1e9, traffic: { activationElements: 62.5e6, parameterElements: 0 } });
    const rows = rooflineRows([
      { model: 'm', mode: 'infer224', peerName: 'a', threads: 1, batch: 1, macsPerSec: 25e9, peerMacsPerSec: 10e9 },
      { model: 'm', mode: 'infer224', peerName: 'b', threads: 1, batch: 1, macsPerSec: 25e9, peerMacsPerSec: null },
    ], cost, probe);
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.equal(r.bytesPerUnit, 250e6);
    assert.equal(r.macsPerByte, 4);
    assert.equal(r.bound, 'compute');
    assert.equal(r.oursFraction, 0.5);
    assert.deepEqual(r.peers, { a: { macsPerSec: 10e9, fraction: 0.2 }, b: { macsPerSec: null, fraction: null } });
    assert.match(rooflineTable(rows), /\| m \| infer224 \| 1\.00 \| 250 \| 4\.0 \| 50\.0 \(compute\) \| 25\.0 \(50 %\) \| 10\.0 \(20 %\) \| — \(—\) \|/);
  });
});
