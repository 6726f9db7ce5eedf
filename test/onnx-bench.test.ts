/**
 * The benchmark's stronger peers at tiny sizes (schema and consistency, not speed): torchvision's own model (train and
 * inference; eager or TorchScript-frozen) and our ONNX export in onnxruntime-node, each line naming its peer.
 */
import { strict as assert } from 'assert';
import { benchMain, BenchLine, parseBenchOptions, peersFor, torchvisionTwin } from '../bench/run';
import { speedTable } from '../bench/table';

describe('benchmark peers: torchvision and onnxruntime (smoke, tiny sizes)', function () {
  this.timeout(600000);

  it('knows which peers apply where', () => {
    const all = parseBenchOptions([]);
    assert.deepEqual(all.peers, ['pytorch-graph', 'torchvision', 'onnxruntime']);
    assert.deepEqual(peersFor('shufflenet_v2', 'infer224', all), ['pytorch-graph', 'torchvision', 'onnxruntime']);
    assert.deepEqual(peersFor('shufflenet_v2', 'train224', all), ['pytorch-graph', 'torchvision']);
    assert.deepEqual(peersFor('shufflenet_v2', 'train32', all), ['pytorch-graph'], 'torchvision models are ImageNet models');
    assert.deepEqual(peersFor('fe_net', 'infer224', all), ['pytorch-graph', 'onnxruntime'], 'FE-Net has no torchvision twin');
    assert.deepEqual(torchvisionTwin('mobilenet_v2'), { name: 'mobilenet_v2', config: { padding: 'torch' } });
    assert.deepEqual(torchvisionTwin('shufflenet_v2'), { name: 'shufflenet_v2_x1_0', config: { width: 1 } });
    assert.equal(torchvisionTwin('shufflenet_v1'), null);
    assert.throws(() => parseBenchOptions(['--peers', 'tensorrt']), /unknown peer "tensorrt"; choose from pytorch-graph, torchvision, onnxruntime/);
  });

  it('formats one README row per model × mode with every peer (old lines without peerName count as pytorch-graph)', () => {
    const base = { model: 'm', mode: 'infer224', unit: 'ms', ours: 10, rounds: 3, threads: 1 } as unknown as BenchLine;
    const table = speedTable([
      { ...base, peer: 20, ratio: 0.5, ratioRange: [0.4, 0.6] } as BenchLine,
      { ...base, peerName: 'onnxruntime', peer: 5, ratio: 2, ratioRange: [1.9, 2.2] } as BenchLine,
      { ...base, peerName: 'torchvision', peer: 12.5, ratio: 0.8, ratioRange: [0.75, 0.9], oursConfig: { padding: 'torch' } } as BenchLine,
    ]);
    const [header, , row] = table.split('\n');
    assert.equal(header, '| model | mode | unit | ours | PyTorch (our graph) | ratio vs PyTorch (our graph) (per-round range) | torchvision | ratio vs torchvision (per-round range) | ONNX Runtime | ratio vs ONNX Runtime (per-round range) |');
    assert.equal(row, '| m | infer224 | ms | 10.0 | 20.0 | 0.50 (0.40–0.60) | 12.5 ¹ | 0.80 (0.75–0.90) | 5.0 | 2.00 (1.90–2.20) |');
  });

  it('times torchvision (train224, infer224) and onnxruntime (infer224) in interleaved rounds, one line per peer', async () => {
    const out: string[] = [];
    const lines: BenchLine[] = await benchMain(
      ['--json', '--models', 'mobilenet_v2', '--modes', 'infer224,train224', '--peers', 'torchvision,onnxruntime', '--batch', '2',
        '--resolution', '64', '--repetitions', '2', '--rounds', '2', '--warmup', '1'],
      (s) => out.push(s),
    );
    const records = out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.gemm !== true);
    assert.deepEqual(records.map((r) => `${r.mode} ${r.peerName}`), ['infer224 torchvision', 'infer224 onnxruntime', 'train224 torchvision']);
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.equal(l.error, undefined, `${l.mode} ${l.peerName}: ${l.error}`);
      assert.ok(l.ours! > 0 && l.peer! > 0);
      assert.ok(Math.abs(l.ratio! - l.ours! / l.peer!) < 1e-9);
      assert.equal(l.rounds, 2);
      assert.ok(l.ratioRange !== null && l.ratioRange[0] > 0 && l.ratioRange[0] <= l.ratioRange[1]);
      assert.equal(l.unit, l.mode === 'infer224' ? 'ms' : 'images/s');
      if (l.peerName === 'torchvision') {
        // Ours is built as the twin (padding 'torch'), so the parameter counts agree exactly.
        assert.deepEqual(l.oursConfig, { padding: 'torch' });
        assert.equal(l.peerParams, l.oursParams);
        assert.match(l.peerDetail!, l.mode === 'infer224' ? /^torchvision mobilenet_v2 \((eager|torchscript-frozen)\)$/ : /^torchvision mobilenet_v2 \(eager\)$/);
      } else {
        assert.equal(l.oursConfig, undefined);
        assert.equal(l.peerParams, null);
        assert.match(l.peerDetail!, /^onnxruntime-node 1\.30\.\d+, 1 intra-op thread\(s\), our graph exported to ONNX$/);
        assert.ok(l.peerPeakRssMB! > 10);
      }
    }
  });
});
