/** Issue #8's acceptance over the real registry: every published row matches within rounding or explains why. */
import { strict as assert } from 'assert';
import { imagenetTable } from '../src/lessons/table';
import { listModels } from '../src/models';
import { useBackend } from './support/backend';

describe('ImageNet table over the registry', function () {
  this.timeout(600_000);
  useBackend('cpu'); // only graphs are built: no forward pass

  it('has a row for every published variant of the survey families and the baselines', async () => {
    const table = await imagenetTable(listModels());
    const models = new Set(table.rows.map((r) => r.model));
    for (const m of ['squeezenet1_0', 'squeezenet1_1', 'mobilenet_v1', 'mobilenet_v2', 'shufflenet_v1', 'shufflenet_v2', 'shiftnet_a',
      'as_resnet', 'fe_net', 'alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet50']) {
      assert.ok(models.has(m), `no published row for ${m}`);
    }
    const unexplained = table.rows.filter((r) => (r.ours.paramsOutsideRounding || r.ours.macsOutsideRounding) && !r.footnote && !r.reconstruction);
    assert.deepEqual(unexplained.map((r) => `${r.model} ${r.variant}`), [], 'rows beyond the published rounding need a footnote');
    // Spot checks against exact references (docs/sources.md §6 / torchvision metadata).
    const row = (m: string, v: string) => table.rows.find((r) => r.model === m && r.variant === v)!;
    assert.equal(row('resnet50', 'imagenet-224').ours.paramsByConvention.trainable, 25_557_032);
    assert.equal(row('mobilenet_v2', '1.0-224').ours.paramsByConvention.trainable, 3_504_872);
    assert.equal(row('mobilenet_v1', '1.0-224').ours.paramsByConvention.all, 4_253_864);
  });
});
