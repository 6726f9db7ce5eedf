/** `compact-nets train` rejects bad command lines with status 2 and a message naming the value and the fix. */
import * as assert from 'assert';
import { runCliInProcess as run } from './support/cli';

describe('compact-nets train: command-line errors', () => {
  it('needs exactly one model name', async () => {
    const r = await run(['train', '--dataset', 'cifar10']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /exactly one model name, got none/);
  });

  it('names an unknown data set and lists the accepted ones', async () => {
    const r = await run(['train', 'mobilenet_v2', '--dataset', 'mnist']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--dataset must be one of cifar10, tiny-imagenet, fashion-mnist, got "mnist"/);
  });

  it('rejects a bad optimizer, epoch count and learning rate', async () => {
    assert.match((await run(['train', 'shufflenet_v2', '--dataset', 'cifar10', '--optimizer', 'lamb'])).stderr, /--optimizer must be one of sgd, adam, rmsprop, got "lamb"/);
    assert.match((await run(['train', 'shufflenet_v2', '--dataset', 'cifar10', '--epochs', '0'])).stderr, /--epochs must be an integer from 1 to 10000, got 0/);
    assert.match((await run(['train', 'shufflenet_v2', '--dataset', 'cifar10', '--lr', '-1'])).stderr, /--lr must be a number > 0 and ≤ 10, got -1/);
    assert.match((await run(['train', 'shufflenet_v2', '--dataset', 'cifar10', '--bogus', '1'])).stderr, /unknown option --bogus/);
  });
});
