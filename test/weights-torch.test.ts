/**
 * torchvision import. Oracle: PyTorch itself. `tools/make_torch_fixtures.py` (Debian's torch 1.13 +
 * torchvision 0.14) builds RANDOMLY initialised torchvision models with randomised BN statistics, in eval
 * mode, and saves their state_dict and their logits on a fixed input; our builders with the imported weights
 * must give the same logits (max |Δ| ≤ 1e-3 · max |logit|). The reader is checked on dtypes, views and offsets.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../src/models';
import { buildModel, listModels } from '../src/models/registry';
import { initBackend } from '../src/lib/backend';
import { fetchTorchvisionWeights, torchvisionWeightSource } from '../src/lib/weights/download';
import { parseTorchStateDict, readTorchStateDict } from '../src/lib/weights/torch';
import { loadTorchStateDict, permute, TORCHVISION_MODELS } from '../src/lib/weights/torch-map';
import { loadPretrained } from '../src/models/pretrained';
import { REPO_ROOT } from './support/paths';

const SCRIPT = path.join(REPO_ROOT, 'tools', 'make_torch_fixtures.py');
const PYTHON = '/usr/bin/python3';

/** Model → input size of its parity check: small where the architecture allows, one model at 224. */
const PARITY: Record<string, number> = {
  squeezenet1_0: 96,
  squeezenet1_1: 96,
  mobilenet_v2: 224,
  shufflenet_v2_x0_5: 64,
  shufflenet_v2_x1_0: 64,
  shufflenet_v2_x1_5: 64,
  shufflenet_v2_x2_0: 64,
  resnet18: 64,
  resnet50: 64,
  alexnet: 96,
  vgg16: 32,
  googlenet: 64,
};

const registered = new Set(listModels().map((m) => m.name));
/** Only models whose builder exists (other families may land later). */
const MODELS = Object.keys(PARITY).filter((name) => registered.has(TORCHVISION_MODELS[name].builder));

function readF32(file: string): Float32Array {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('torch.save reader and torchvision mapping', function () {
  this.timeout(600_000);
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-fixtures-'));
    execFileSync(PYTHON, [SCRIPT, dir, 'misc', ...MODELS.map((m) => `${m}:${PARITY[m]}`)], { stdio: ['ignore', 'ignore', 'inherit'] });
    await initBackend('wasm');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads float32/64/16 and int64 tensors, non-contiguous views and storage offsets like torch', () => {
    const state = readTorchStateDict(path.join(dir, 'misc.pth'));
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'misc.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    assert.deepStrictEqual([...state.keys()], Object.keys(expected));
    for (const [key, want] of Object.entries(expected)) {
      const got = state.get(key)!;
      assert.deepStrictEqual(got.shape, want.shape, key);
      assert.deepStrictEqual(Array.from(got.data), want.values.map((v) => Math.fround(v)), key);
    }
    assert.strictEqual(state.get('half')!.dtype, 'float16');
  });

  it('rejects truncated and foreign files with the reason', () => {
    const bytes = fs.readFileSync(path.join(dir, `${MODELS[0]}.pth`));
    assert.throws(() => parseTorchStateDict(bytes.subarray(0, bytes.length >> 1), 'half.pth'), /half\.pth: .*(corrupt|truncated)/);
    assert.throws(() => parseTorchStateDict(Buffer.from([0x80, 0x02, 0x7d]), 'old.pth'), /legacy pre-1\.6 pickle format/);
    assert.throws(() => parseTorchStateDict(Buffer.from('TFL3TFL3'), 'm.tflite'), /m\.tflite: not a zip-format torch\.save file/);
  });

  it('permutes like tf.transpose (OIHW → HWIO)', () => {
    const shape = [5, 3, 2, 4];
    const data = Float32Array.from({ length: 120 }, (_, i) => i * 0.5 - 7);
    const got = permute(data, shape, [2, 3, 1, 0]);
    const want = tf.tidy(() => tf.tensor(data, shape).transpose([2, 3, 1, 0]).dataSync());
    assert.deepStrictEqual(Array.from(got.data), Array.from(want));
    assert.deepStrictEqual(got.shape, [2, 4, 3, 5]);
  });

  for (const name of Object.keys(PARITY)) {
    it(`${name}: logits equal torchvision's on the same input (${PARITY[name]}×${PARITY[name]})`, function () {
      if (!MODELS.includes(name)) {
        // Reported, not silently passed: the builder is missing from the registry.
        assert.fail(`builder "${TORCHVISION_MODELS[name].builder}" for torchvision ${name} is not registered`);
      }
      const entry = TORCHVISION_MODELS[name];
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))[name] as { input: number[]; logits: number[] };
      const model = buildModel(entry.builder, { ...entry.config, resolution: PARITY[name] });
      const report = loadTorchStateDict(model, name, readTorchStateDict(path.join(dir, `${name}.pth`)), `${name}.pth`);
      assert.ok(report.assigned.length > 0);
      const want = readF32(path.join(dir, `${name}.logits.bin`));
      const got = tf.tidy(() => {
        const x = tf.tensor(readF32(path.join(dir, `${name}.input.bin`)), manifest.input).transpose([0, 2, 3, 1]);
        return (model.predict(x) as tf.Tensor).dataSync();
      });
      assert.strictEqual(got.length, want.length);
      let maxDiff = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      model.dispose();
      assert.ok(maxDiff <= 1e-3 * scale, `${name}: max |Δlogit| ${maxDiff} > 1e-3 × ${scale}`);
    });
  }

  it('loadPretrained (the eval command\'s loader) detects the format and picks torchvision preprocessing', () => {
    const name = 'shufflenet_v2_x0_5';
    if (!MODELS.includes(name)) assert.fail('shufflenet_v2 builder is needed for this check');
    const pretrained = loadPretrained(name, path.join(dir, `${name}.pth`), PARITY[name]);
    assert.strictEqual(pretrained.format, 'torch');
    assert.strictEqual(pretrained.preprocessing, 'torchvision');
    assert.strictEqual(pretrained.labelOffset, 0);
    assert.strictEqual(pretrained.resolution, PARITY[name]);
    pretrained.model.dispose();
    assert.throws(() => loadPretrained('resnet', path.join(dir, `${name}.pth`)), /torch\.save file; name the torchvision model it holds, one of: .*shufflenet_v2_x0_5/);
  });

  it('names unmatched keys, unfilled layers and shape mismatches', () => {
    const [small, other] = ['shufflenet_v2_x0_5', 'resnet18'];
    if (!MODELS.includes(small) || !MODELS.includes(other)) assert.fail('shufflenet_v2 and resnet18 builders are needed for this check');
    const state = readTorchStateDict(path.join(dir, `${small}.pth`));
    const wider = buildModel('shufflenet_v2', { width: 1, resolution: 64 });
    assert.throws(
      () => loadTorchStateDict(wider, 'shufflenet_v2_x1_0', state, 'x0_5.pth'),
      /x0_5\.pth does not fit model .*Mismatches \(\d+\): stage2\.0\.branch1\.2 → "stage2\.unit1\.branch1\.pw\.conv": shapes \[1,1,24,24\] vs the layer's \[1,1,24,58\]/,
    );
    const resnet = buildModel('resnet18', { resolution: 64 });
    assert.throws(() => loadTorchStateDict(resnet, 'resnet18', state, 'x0_5.pth'), /Keys without a layer \(\d+\): conv1\.0 .*Layers the file does not fill \(\d+\): conv1\.conv/);
    const partial = new Map(readTorchStateDict(path.join(dir, 'resnet18.pth')));
    partial.delete('fc.weight');
    assert.throws(() => loadTorchStateDict(resnet, 'resnet18', partial, 'cut.pth'), /cut\.pth .*fc → "fc": the file has no bias|cut\.pth .*no weight tensor/);
    [wider, resnet].forEach((m) => m.dispose());
  });

  it('knows the published file of each model, and offline says how to supply the file', async () => {
    const source = torchvisionWeightSource('resnet18');
    assert.strictEqual(source.url, 'https://download.pytorch.org/models/resnet18-f37072fd.pth');
    assert.strictEqual(source.sha256Prefix, 'f37072fd');
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'weights-cache-'));
    try {
      // Port 9 (discard) on localhost refuses the connection: the offline path, whether or not this machine has internet.
      await assert.rejects(fetchTorchvisionWeights('resnet18', cache, 'http://127.0.0.1:9/'), /cannot download torchvision weights for resnet18 from http:\/\/127\.0\.0\.1:9\/resnet18-f37072fd\.pth .*no internet access\? .*--weights FILE/);
      assert.deepStrictEqual(fs.readdirSync(cache), []);
      assert.throws(() => torchvisionWeightSource('resnet101'), /no published torchvision weights known for "resnet101"; known: .*resnet18/);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
