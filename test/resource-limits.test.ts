/**
 * Resource limits: a crafted .pth (zip bomb, absurd or negative tensor shapes, a foreign global) and absurd model
 * sizes are refused with a message before memory is allocated; the limits admit every published configuration.
 */
import * as assert from 'assert';
import { CONFIG_LIMITS, checkConfigLimits, getModelEntry, listModels } from '../src/models';
import { InvalidArgumentError } from '../src/lib/errors';
import { MAX_STATE_DICT_ELEMENTS, parseTorchStateDict } from '../src/lib/weights/torch';
import { torchFile, zipDeclaring } from './support/faults';

/** Runs `fn` and returns how many bytes of ArrayBuffers it left allocated at its peak (sampled after). */
function arrayBufferGrowth(fn: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  try {
    fn();
  } catch {
    // the caller asserts the error separately
  }
  return process.memoryUsage().arrayBuffers - before;
}

describe('resource limits', function () {
  this.timeout(60_000);

  describe('crafted torch.save files', () => {
    it('a well-formed crafted file reads (so the refusals below are about the defects)', () => {
      const state = parseTorchStateDict(torchFile([{ name: 'conv.weight', shape: [2, 3], stride: [3, 1], numel: 6 }]), 'ok.pth');
      assert.deepStrictEqual([...state.keys()], ['conv.weight']);
      assert.deepStrictEqual(state.get('conv.weight')!.shape, [2, 3]);
      assert.deepStrictEqual(Array.from(state.get('conv.weight')!.data), [0, 0, 0, 0, 0, 0]);
    });

    it('a zip declaring 3.75 GiB is refused from its directory, before inflating', () => {
      const bomb = zipDeclaring(0xf0000000);
      assert.throws(() => parseTorchStateDict(bomb, 'bomb.pth'), /^Error: bomb\.pth: the zip archive declares more than 1 GiB of contents \(entry "archive\/data\.pkl": 4026531840 bytes/);
      assert.ok(arrayBufferGrowth(() => parseTorchStateDict(bomb, 'bomb.pth')) < 64 << 20);
    });

    it('a tensor of 10^10 elements (a broadcast view of one float) is refused, naming it', () => {
      const file = torchFile([{ name: 'fc.weight', shape: [100000, 100000], stride: [0, 0], numel: 1 }]);
      assert.throws(() => parseTorchStateDict(file, 'huge.pth'), new RegExp(`huge\\.pth: tensor "fc\\.weight" \\[100000,100000\\] brings the state_dict to 10000000000 elements, more than the ${MAX_STATE_DICT_ELEMENTS}`));
      const big = torchFile([{ name: 'w', shape: [30000, 30000], stride: [0, 0], numel: 1 }]); // 3.6 GB as float32
      assert.ok(arrayBufferGrowth(() => parseTorchStateDict(big, 'big.pth')) < 64 << 20);
    });

    it('tensors that add up beyond the limit are refused at the one that crosses it', () => {
      const half = MAX_STATE_DICT_ELEMENTS / 2 + 1;
      const file = torchFile([{ name: 'a', shape: [half], stride: [0], numel: 1 }, { name: 'b', shape: [half], stride: [0], numel: 1 }]);
      assert.throws(() => parseTorchStateDict(file, 'sum.pth'), /sum\.pth: tensor "b" \[134217729\] brings the state_dict to 268435458 elements/);
      assert.ok(arrayBufferGrowth(() => parseTorchStateDict(file, 'sum.pth')) < 64 << 20, 'tensor "a" is not materialised first');
    });

    it('a negative dimension or a stride list of the wrong length is a corrupt file', () => {
      assert.throws(() => parseTorchStateDict(torchFile([{ name: 'w', shape: [-1, 4], stride: [4, 1], numel: 4 }]), 'neg.pth'), /neg\.pth: "w" has shape \[-1,4\], stride \[4,1\] and offset 0; sizes must be non-negative integers/);
      assert.throws(() => parseTorchStateDict(torchFile([{ name: 'w', shape: [2, 2], stride: [1], numel: 4 }]), 'stride.pth'), /stride\.pth: "w" has shape \[2,2\], stride \[1\]/);
    });

    it('a pickle calling os.system is refused, naming the global', () => {
      assert.throws(() => parseTorchStateDict(torchFile([], ['os', 'system']), 'evil.pth'), /evil\.pth: the pickle uses os\.system, which a state_dict does not contain/);
    });
  });

  describe('model sizes', () => {
    const absurd: Array<[string, Record<string, number>, RegExp]> = [
      ['mobilenet_v1', { width: 1e9 }, /mobilenet_v1: width = 1000000000 is beyond what any builder accepts: at most 4 \(published widths lie in 0\.25…2\)/],
      ['mobilenet_v2', { classes: 1e9 }, /mobilenet_v2: classes = 1000000000 .*at most 21841 \(ImageNet-21k/],
      ['resnet18', { resolution: 100000 }, /resnet18: resolution = 100000 .*at most 1024/],
      ['fe_net', { headChannels: 1e7 }, /fe_net: headChannels = 10000000 .*at most 8192/],
      ['shift_resnet20', { depth: 100002 }, /depth = 100002 .*at most 1202/],
    ];
    for (const [name, config, message] of absurd) {
      it(`${name} ${JSON.stringify(config)} is refused before a weight is allocated`, () => {
        const entry = getModelEntry(name);
        let error: unknown;
        const growth = arrayBufferGrowth(() => {
          try {
            entry.build({ ...entry.defaults, ...config });
          } catch (err) {
            error = err;
            throw err;
          }
        });
        assert.ok(error instanceof InvalidArgumentError, String(error));
        assert.match((error as Error).message, message);
        assert.ok(growth < 16 << 20, `${growth} bytes allocated before the refusal`);
      });
    }

    it('every published variant of every model lies within the limits', () => {
      let variants = 0;
      for (const entry of listModels()) {
        for (const variant of entry.variants) {
          assert.doesNotThrow(() => checkConfigLimits(entry.name, { ...entry.defaults, ...variant.config }), `${entry.name} ${variant.name}`);
          variants++;
        }
      }
      assert.ok(variants > 50, `only ${variants} variants checked`);
      assert.deepStrictEqual(Object.keys(CONFIG_LIMITS).sort(), ['classes', 'depth', 'expansion', 'headChannels', 'kernelSize', 'resolution', 'stemChannels', 'width']);
    });
  });
});
