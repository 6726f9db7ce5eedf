/**
 * Shift family (ShiftNet, AS-ResNet, FE-Net) against exact reference counts (docs/sources.md §4.6–4.8, §6, §8: SHIFT-CIFAR
 * count.py, ASL deploy prototxts, SSL-REPO code recounts = CALC) and the published figures within rounding or with
 * their documented footnotes; forward passes of every ImageNet variant, training of the small profiles, bad input.
 */
import * as assert from 'assert';
import type { CostReport } from '../src/lib/cost';
import { buildModel, DatasetProfile, getModelEntry, getVariant } from '../src/models';
import { assertVariantsRun, costOfModel, trainOnFixedBatch } from './support/models';
import { withinRounding } from './support/tolerance';
import { useBackend } from './support/backend';

/** Parameters held by layers of class `className` (shift offsets). */
function paramsOfClass(r: CostReport, className: string): number {
  return r.layers.filter((l) => l.className === className).reduce((a, l) => a + l.params.weights, 0);
}

describe('models: ShiftNet, AS-ResNet, FE-Net', function () {
  this.timeout(120000);
  useBackend('wasm');

  describe('shift_resnet20 (CIFAR)', () => {
    it('ε = 3: 95,642 params exactly (SHIFT-CIFAR README / count.py) and 16.43 M MACs (CALC, §8)', () => {
      const r = costOfModel('shift_resnet20', {});
      assert.strictEqual(r.params.trainable, 95642);
      assert.ok(Math.abs(r.macs / 1e6 - 16.43) < 0.005, String(r.macs));
      // ShiftResNet-56, ε = 3: 0.29 M (README).
      const p = getVariant('shift_resnet20', '56-3c').published!;
      withinRounding(costOfModel('shift_resnet20', { depth: 56 }).params.trainable, p.params!, p.rounding!.params!, 'ShiftResNet-56');
    });

    it('trains on the cifar10 profile', async () => {
      const model = buildModel('shift_resnet20', {});
      const losses = await trainOnFixedBatch(model, { steps: 3, seed: 5 });
      assert.ok(losses.every(Number.isFinite) && losses[2] < losses[0], String(losses));
      model.dispose();
    });

    it('rejects bad options', () => {
      assert.throws(() => buildModel('shift_resnet20', { depth: 21 }), /depth must be 6n \+ 2.*got 21/);
      assert.throws(() => buildModel('shift_resnet20', { kernelSize: 4 }), /kernelSize must be an odd positive integer.*got 4/);
      assert.throws(() => buildModel('shift_resnet20', { expansion: 0.01 }), /leaves a 16-channel block with 0 shifted channels/);
    });
  });

  describe('shiftnet_a (reconstruction)', () => {
    it('W params 4,163,144 and 1.42 G MACs (CALC of the reconstruction, docs/sources.md §4.6), near the published 4.1 M / 1.4 G', () => {
      const r = costOfModel('shiftnet_a', {});
      assert.strictEqual(r.params.weights, 4163144); // CALC "4.16 M"
      assert.ok(Math.abs(r.macs / 1e9 - 1.42) < 0.005, String(r.macs));
      const pub = getVariant('shiftnet_a', 'A').published!;
      withinRounding(r.macs, pub.macs!, pub.rounding!.macs!, 'MACs');
      withinRounding(r.params.weights, pub.params!, 0.016, 'params (footnoted: 4.16 vs 4.1, 1.5 %)');
      assert.ok(getModelEntry('shiftnet_a').reconstruction);
    });

    it('B-inferred (halved widths) lands on CALC 1.17 M and within 0.5 % of the published 371 M MACs', () => {
      const r = costOfModel('shiftnet_a', getVariant('shiftnet_a', 'B-inferred').config);
      assert.ok(Math.abs(r.params.weights / 1e6 - 1.17) < 0.005, String(r.params.weights));
      withinRounding(r.macs, 371e6, 0.005, 'MACs');
      assert.match(getVariant('shiftnet_a', 'B-inferred').published!.footnote!, /INFERENCE/);
    });

    it('shift kernel and ε options change the cost as the formulas say', () => {
      const base = costOfModel('shiftnet_a', { dataset: 'cifar10' });
      const k3 = costOfModel('shiftnet_a', { dataset: 'cifar10', kernelSize: 3 });
      assert.strictEqual(k3.params.all, base.params.all); // a shift has no parameters, whatever K
      const e1 = costOfModel('shiftnet_a', { dataset: 'cifar10', expansion: 1 });
      assert.ok(e1.params.weights < base.params.weights);
    });

    it('every ImageNet variant runs a forward pass at 224²', () => assertVariantsRun('shiftnet_a'));

    it('trains on the cifar10 profile', async () => {
      const model = buildModel('shiftnet_a', { dataset: 'cifar10', width: 0.5 });
      const losses = await trainOnFixedBatch(model, { steps: 3, seed: 5 });
      assert.ok(losses.every(Number.isFinite) && losses[2] < losses[0], String(losses));
      model.dispose();
    });

    it('rejects bad options', () => {
      assert.throws(() => buildModel('shiftnet_a', { width: 0.01 }), /width 0.01 leaves the stem with 0 channels/);
      assert.throws(() => buildModel('shiftnet_a', { kernelSize: 2 }), /kernelSize must be an odd positive integer/);
      assert.throws(() => buildModel('shiftnet_a', { resolution: 8 }), /resolution 8 is too small/);
    });
  });

  describe('as_resnet', () => {
    it('w68: 3,424,460 params exactly (CALC of the deploy prototxt); ASL α,β 3,840 / 6,000 / 8,160; MACs 166.8 / 397.6 / 726.9 M', () => {
      const expected: Array<[number, number, number]> = [
        [32, 3840, 166.8],
        [50, 6000, 397.6],
        [68, 8160, 726.9],
      ];
      for (const [w, asl, macs] of expected) {
        const r = costOfModel('as_resnet', { baseWidth: w });
        assert.strictEqual(paramsOfClass(r, 'ActiveShift'), asl, `w${w} ASL`);
        assert.ok(Math.abs(r.macs / 1e6 - macs) < 0.05, `w${w}: ${r.macs}`);
        if (w === 68) assert.strictEqual(r.params.trainable, 3424460);
        const pub = getVariant('as_resnet', `w${w}`).published!;
        withinRounding(r.params.trainable, pub.params!, pub.rounding!.params!, `w${w} params`);
        // Published MACs include the ASL interpolation (footnoted): ours are lower by < 2.5 %.
        assert.ok(r.macs < pub.macs! && (pub.macs! - r.macs) / pub.macs! < 0.025, `w${w} MACs ${r.macs}`);
      }
    });

    it('every ImageNet variant runs a forward pass at 224²', () => assertVariantsRun('as_resnet'));

    for (const dataset of ['cifar10', 'tiny-imagenet'] as DatasetProfile[]) {
      it(`trains on the ${dataset} profile (w = 16)`, async () => {
        const model = buildModel('as_resnet', { dataset, baseWidth: 16 });
        const losses = await trainOnFixedBatch(model, { steps: 3, seed: 5 });
        assert.ok(losses.every(Number.isFinite) && losses[2] < losses[0], String(losses));
        model.dispose();
      });
    }

    it('rejects bad options', () => {
      assert.throws(() => buildModel('as_resnet', { baseWidth: 12.5 }), /baseWidth must be a positive integer \(published: 32, 50, 68\)/);
      assert.throws(() => buildModel('as_resnet', { normalizeGrad: 'yes' }), /normalizeGrad must be true or false/);
    });
  });

  describe('fe_net', () => {
    it("'code' and 'paper' down-sampling: W params and MACs equal CALC; 'paper' reproduces the published MAdds", () => {
      // docs/sources.md §4.8: 1.0× (head 1380) 3,896,376 W (conv/FC) + 21,928 BN, 410.5 M ('code') / 299.7 M ('paper'), 5,344 SSL channels;
      // 1.375× (head 1932) 6,700,554 W, 773.2 M / 563.7 M, 7,348 SSL channels.
      const cases: Array<[number, number, number, number, number, number]> = [
        [1, 3896376, 21928, 410.5, 299.7, 5344],
        [1.375, 6700554, -1, 773.2, 563.7, 7348],
      ];
      for (const [width, w, bn, codeMacs, paperMacs, sslChannels] of cases) {
        const code = costOfModel('fe_net', { width });
        const ssl = paramsOfClass(code, 'SparseShift');
        assert.strictEqual(ssl, 2 * sslChannels, `${width}× SSL offsets`);
        assert.strictEqual(code.params.weights - ssl, w, `${width}× W`);
        if (bn > 0) assert.strictEqual(code.params.trainable - code.params.weights, bn);
        assert.ok(Math.abs(code.macs / 1e6 - codeMacs) < 0.05, `${width}× code ${code.macs}`);
        const paper = costOfModel('fe_net', { width, downsampling: 'paper' });
        assert.strictEqual(paper.params.all, code.params.all);
        assert.ok(Math.abs(paper.macs / 1e6 - paperMacs) < 0.05, `${width}× paper ${paper.macs}`);
        const pub = getVariant('fe_net', `${width === 1 ? '1.0' : width}x`).published!;
        // Footnoted: 299.7 vs 301 M (0.44 %), 563.7 vs 563 M (0.12 %).
        withinRounding(paper.macs, pub.macs!, 0.005, `${width}× published MAdds`);
      }
    });

    it('head width defaults by width and is required for unpublished widths', () => {
      const r = costOfModel('fe_net', { width: 0.5, headChannels: 640, dataset: 'cifar10' });
      const head = r.layers.find((l) => l.name === 'conv2.conv')!;
      assert.deepStrictEqual(head.outputShape.slice(-1), [640]);
      assert.throws(() => buildModel('fe_net', { width: 0.5 }), /width 0.5 has no released head width; set headChannels/);
    });

    it('the SSL penalty reaches every sparse-shift layer', () => {
      const model = buildModel('fe_net', { dataset: 'cifar10', penalty: 1e-4 });
      const ssl = model.layers.filter((l) => l.getClassName() === 'SparseShift') as unknown as Array<{ penalty: number }>;
      // IBSSL 1 + FE-Blocks: 3n↓ 2, 4n↓ 3, 4n 3+1, 4n↓ 3, 3n 2+1 (ResIBSSLs + closing IBSSLs; IBPools have none) = 16
      assert.strictEqual(ssl.length, 16);
      assert.ok(ssl.every((l) => l.penalty === 1e-4));
      model.dispose();
    });

    it('every ImageNet variant runs a forward pass at 224²', () => assertVariantsRun('fe_net'));

    for (const dataset of ['cifar10', 'tiny-imagenet'] as DatasetProfile[]) {
      it(`trains on the ${dataset} profile`, async () => {
        const model = buildModel('fe_net', { dataset, width: 0.5, headChannels: 256 });
        const losses = await trainOnFixedBatch(model, { steps: 3, seed: 5 });
        assert.ok(losses.every(Number.isFinite) && losses[2] < losses[0], String(losses));
        model.dispose();
      });
    }

    it('rejects bad options', () => {
      assert.throws(() => buildModel('fe_net', { width: 1.1 }), /int\(16·width\) = 17.*even base/);
      assert.throws(() => buildModel('fe_net', { downsampling: 'conv' }), /unknown downsampling "conv"; accepted: "code", "paper"/);
      assert.throws(() => buildModel('fe_net', { penalty: -1 }), /penalty must be a number ≥ 0/);
      assert.throws(() => buildModel('fe_net', { resolution: 16 }), /resolution 16 is too small/);
    });
  });
});
