/**
 * The registry's option documentation agrees with the builders: an option that lists `accepted` values is a fixed set
 * the builder itself enforces (a value outside it fails to build), and the CLI's early check lets through every value
 * the builder builds (open options list `published` values only, e.g. AS-ResNet's base width).
 */
import * as assert from 'assert';
import { buildModel, listModels } from '../src/models';
import { checkModelOptions } from '../src/cli/model-options';
import { useBackend } from './support/backend';

/** A value of the same type as `values` that none of them equals. */
function outsider(values: Array<number | string>): number | string {
  return typeof values[0] === 'number' ? Math.max(...(values as number[])) + 0.37 : 'not-a-choice';
}

describe('registry options and the builders', function () {
  this.timeout(120000);
  useBackend('cpu');

  it('every option with an accepted list is enforced by its builder', () => {
    let checked = 0;
    for (const entry of listModels()) {
      for (const option of entry.options) {
        if (!option.accepted || option.name === 'dataset' || option.accepted.every((v) => v === 'true' || v === 'false')) continue;
        const build = (value: number | string) => buildModel(entry.name, { ...entry.defaults, dataset: 'cifar10', classes: 10, [option.name]: value }).dispose();
        // The control: an accepted value builds, so a failure below is the option's doing.
        build(option.accepted[option.accepted.length - 1]);
        const value = outsider(option.accepted);
        assert.throws(() => build(value),
          Error, `${entry.name}: ${option.name} = ${value} is outside its accepted list, yet the builder built it: the list should be 'published'`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `checked ${checked} accepted lists`);
  });

  it('the CLI check takes values the builders build beyond the published ones', () => {
    const cases: Array<[string, Record<string, number | string>]> = [
      ['as_resnet', { baseWidth: 8 }], ['fe_net', { width: 0.25, headChannels: 128 }], ['shufflenet_v1', { width: 0.75, groups: 3 }],
    ];
    for (const [name, config] of cases) {
      const entry = listModels().find((e) => e.name === name)!;
      assert.doesNotThrow(() => checkModelOptions(entry, config), `${name} ${JSON.stringify(config)}`);
      buildModel(name, { ...config, dataset: 'cifar10', classes: 10 }).dispose();
    }
  });
});
