/** `compact-nets models` and `compact-nets cost` through the real launcher (bin/compact-nets.js). */
import * as assert from 'assert';
import { runCliProcess } from './support/cli';

/** Runs the CLI (2 minutes at most) and returns exit status, stdout and stderr. */
const cli = (...args: string[]) => runCliProcess(args, { timeoutMs: 120000 });

describe('cli: models and cost', () => {
  it('models --json lists the spatial families with options and published variants', () => {
    const r = cli('models', '--json');
    assert.strictEqual(r.status, 0, r.stderr);
    const models = JSON.parse(r.stdout) as Array<{ name: string; family: string; options: Array<{ name: string }>; variants: Array<{ name: string; published?: { source: string } }> }>;
    const byName = new Map(models.map((m) => [m.name, m]));
    for (const name of ['squeezenet1_0', 'squeezenet1_1', 'mobilenet_v1', 'mobilenet_v2']) assert.ok(byName.has(name), name);
    assert.strictEqual(byName.get('mobilenet_v1')!.family, 'MobileNet');
    assert.ok(byName.get('mobilenet_v2')!.options.some((o) => o.name === 'width'));
    assert.ok(byName.get('mobilenet_v1')!.variants.some((v) => v.name === '1.0-224' && /1704\.04861/.test(v.published!.source)));
  });

  it('models (text) prints each model with its variants', () => {
    const r = cli('models');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /mobilenet_v2 {2}\[MobileNet\]/);
    assert.match(r.stdout, /1\.0-224 .*top-1 70\.6 %/);
  });

  it('cost --json prints one object with the exact MobileNet V1 counts (docs/sources.md §4.2)', () => {
    const r = cli('cost', 'mobilenet_v1', '--json');
    assert.strictEqual(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepStrictEqual(Object.keys(o).filter((k) => ['model', 'config', 'params', 'macs', 'memoryAccess', 'layers'].includes(k)).length, 6);
    assert.strictEqual(o.model, 'mobilenet_v1');
    assert.deepStrictEqual(o.params, { weights: 4210088, trainable: 4231976, all: 4253864 });
    assert.ok(Math.abs(o.macs / 1e6 - 568.7) <= 0.05);
    assert.strictEqual(o.layers.reduce((a: number, l: { macs: number }) => a + l.macs, 0), o.macs);
  });

  it('cost --variant and option overrides; text table with totals', () => {
    const r = cli('cost', 'mobilenet_v2', '--variant', '0.35-224', '--classes', '10');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /"width":0\.35/);
    assert.match(r.stdout, /head\.fc +Dense +10 /);
    assert.match(r.stdout, /^Total /m);
    const j = JSON.parse(cli('cost', 'squeezenet1_0', '--resolution', '227', '--json').stdout);
    assert.strictEqual(j.config.resolution, 227);
    assert.ok(Math.abs(j.macs / 1e6 - 832.7) <= 0.05);
  });

  it('errors name the value and the accepted values, exit status 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['cost', 'mobilenet_v9'], /unknown model "mobilenet_v9"; registered models: .*mobilenet_v2/],
      [['cost', 'mobilenet_v2', '--variant', '9-9'], /no variant "9-9"; variants: .*1\.0-224/],
      [['cost', 'mobilenet_v2', '--groups', '3'], /mobilenet_v2 does not accept --groups; its options: --width/],
      [['cost', 'mobilenet_v1', '--width', 'abc'], /--width must be a number > 0 and ≤ 4, got "abc"/],
      [['cost', 'mobilenet_v1', '--width', '0.01'], /width ≥ 0\.03125/],
      [['cost', 'squeezenet1_0', '--dataset', 'mnist'], /squeezenet1_0: --dataset mnist is not accepted; choose one of imagenet, cifar10, tiny-imagenet/],
      [['cost'], /exactly one model name/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      assert.strictEqual(r.status, 2, `${args.join(' ')}: status ${r.status}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});
