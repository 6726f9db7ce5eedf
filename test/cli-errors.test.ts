/**
 * Exit statuses and messages of every command (README, "Command line"): 2 for each usage error — unknown model,
 * variant, backend or option, a value out of range, an option that does not apply, a path that does not exist, an
 * environment variable with a value it does not accept — checked before any data is loaded; 1 for a run that fails;
 * raw Node errors translated into "what, why, fix"; never a stack trace.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { main } from '../src/cli/main';
import { ENV_VARIABLES, envChoice, envInteger, validateEnvironment } from '../src/lib/env';
import { describeError, InvalidArgumentError } from '../src/lib/errors';
import { cifarRecords, writeFile } from './support/faults';
import { REPO_ROOT } from './support/paths';

/** Runs the CLI in this process; returns the status and what it printed on stderr (console.error). */
async function run(argv: string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const error = console.error;
  const log = console.log;
  let stderr = '';
  console.error = (...parts: unknown[]) => void (stderr += parts.join(' ') + '\n');
  console.log = () => undefined;
  try {
    return { status: await main(argv), stderr };
  } finally {
    console.error = error;
    console.log = log;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('compact-nets: usage errors exit 2 with the value, the constraint and the fix', function () {
  this.timeout(60_000);
  let dir = '';
  let cifar = '';
  let tflite = '';
  let aFile = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-cli-errors-'));
    // A CIFAR folder whose batches are corrupt: loading it fails, so a usage error reported on it proves that the
    // check came before any loading.
    cifar = path.join(dir, 'cifar');
    for (const f of ['data_batch_1.bin', 'test_batch.bin']) writeFile(path.join(cifar, f), cifarRecords(3).subarray(0, 100));
    tflite = writeFile(path.join(dir, 'm.tflite'), Buffer.from('\0\0\0\0TFL3'));
    aFile = writeFile(path.join(dir, 'a-file'), 'x');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const train = (...extra: string[]) => ['train', 'shufflenet_v2', '--dataset', 'cifar10', '--data-dir', cifar, '--epochs', '1', ...extra];
  const cases: Array<[string, () => string[], RegExp]> = [
    ['an unknown command', () => ['fly'], /unknown command "fly"; commands: env, train/],
    ['env: an unknown backend', () => ['env', '--backend', 'gpu'], /--backend "gpu" is not a tfjs backend; choose one of tensorflow, node, wasm, cpu/],
    ['models: an unknown option', () => ['models', '--bogus'], /unknown option --bogus; accepted options: --json/],
    ['cost: an unknown model', () => ['cost', 'mobilenet_v9'], /unknown model "mobilenet_v9"; registered models: .*mobilenet_v2/],
    ['cost: an unknown variant', () => ['cost', 'mobilenet_v2', '--variant', '9-9'], /no variant "9-9"; variants: .*1\.0-224/],
    ['cost: a hexadecimal width', () => ['cost', 'mobilenet_v1', '--width', '0x10'], /--width must be a number > 0 and ≤ 4, got "0x10"/],
    ['cost: an absurd width', () => ['cost', 'mobilenet_v1', '--width', '1e9'], /--width must be a number > 0 and ≤ 4, got 1e9 \(published widths/],
    ['cost: an absurd class count', () => ['cost', 'mobilenet_v1', '--classes', '1000000000'], /--classes must be an integer from 1 to 21841, got 1000000000/],
    ['cost: an empty value', () => ['cost', 'mobilenet_v1', '--width='], /option --width needs a value/],
    ['cost: a width outside the accepted list', () => ['cost', 'shufflenet_v2', '--width', '0.3'], /shufflenet_v2: --width 0\.3 is not accepted; choose one of 0\.5, 1, 1\.5, 2/],
    ['train: an unknown model', () => ['train', 'mobilenet_v9', '--dataset', 'cifar10', '--data-dir', cifar], /unknown model "mobilenet_v9"/],
    ['train: an unknown variant', () => ['train', 'mobilenet_v2', '--variant', 'x', '--dataset', 'cifar10', '--data-dir', cifar], /has no variant "x"/],
    ['train: an unknown backend', () => train('--backend', 'gpu'), /--backend "gpu" is not a tfjs backend/],
    ['train: --classes on CIFAR-10', () => train('--classes', '3'), /--classes applies to tiny-imagenet only .*leave --classes out/],
    ['train: --width on a model without it', () => ['train', 'resnet18', '--width', '0.5', '--dataset', 'cifar10', '--data-dir', cifar], /resnet18 does not accept --width; its options: --resolution, --classes, --dataset/],
    ['train: a width outside the accepted list', () => train('--width', '0.3'), /--width 0\.3 is not accepted; choose one of 0\.5, 1, 1\.5, 2/],
    ['train: a seed beyond 32 bits', () => train('--seed', '4294967296'), /--seed must be an integer from 0 to 4294967295, got 4294967296 \(seeds are 32-bit/],
    ['train: an absurd batch', () => train('--batch', '1000000000'), /--batch must be an integer from 1 to 4096/],
    ['train: a missing data folder', () => ['train', 'shufflenet_v2', '--dataset', 'cifar10', '--data-dir', path.join(dir, 'nope')], /--data-dir .*nope does not exist; pass cifar-10-binary\.tar\.gz/],
    ['train: a file for Fashion-MNIST\'s folder', () => ['train', 'shufflenet_v2', '--dataset', 'fashion-mnist', '--data-dir', aFile], /a-file is a file, not a folder; pass the folder holding the Fashion-MNIST IDX files/],
    ['eval: missing weights', () => ['eval', 'mobilenet_v1', '--weights', path.join(dir, 'nope.pth'), '--images', dir], /--weights .*nope\.pth does not exist/],
    ['eval: a folder as weights', () => ['eval', 'mobilenet_v1', '--weights', dir, '--images', dir], /is a folder; pass a \.tflite or torch\.save file/],
    ['eval: a model the file cannot fill', () => ['eval', 'resnet18', '--weights', tflite, '--images', dir], /model "resnet18" does not fit: .*TFLite file, which loads for mobilenet_v1, mobilenet_v2/],
    ['eval: --resolution with a TFLite file', () => ['eval', 'mobilenet_v1', '--weights', tflite, '--images', dir, '--resolution', '300'], /--resolution applies to torchvision weights only/],
    ['eval: no published weights for the name', () => ['eval', 'mobilenet_v9', '--weights', 'torchvision', '--images', dir], /model "mobilenet_v9" does not fit: published torchvision weights exist for .*resnet18/],
    ['table: --limit without --pretrained', () => ['table', '--limit', '5'], /--limit applies only with --pretrained/],
    ['table: --batch without --latency', () => ['table', '--batch', '4'], /--batch applies only with --latency/],
    ['table: an unknown model', () => ['table', '--models', 'squeezenet1_1,mobilenet_v9'], /--models: unknown model "mobilenet_v9"; registered: /],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await run(argv());
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr.replace(/\n/g, ' '), message);
    });
  }

  it('a run that fails exits 1 with the file and the reason, after the usage checks passed', async () => {
    const r = await run(train());
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /data_batch_1\.bin: 100 bytes is not a whole number of CIFAR-10 records/);
  });

  it('the launcher prints one line, no stack trace, for usage errors and failures', () => {
    const launcher = (...args: string[]) => spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'compact-nets.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    const usage = launcher('train', 'mobilenet_v9', '--dataset', 'cifar10');
    assert.strictEqual(usage.status, 2, usage.stderr);
    const failure = launcher('train', 'shufflenet_v2', '--dataset', 'cifar10', '--data-dir', cifar, '--epochs', '1');
    assert.strictEqual(failure.status, 1, failure.stderr);
    for (const r of [usage, failure]) assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  });
});

describe('environment variables: an unknown value is an error listing the choices', function () {
  this.timeout(60_000);
  const bad: Array<[keyof typeof ENV_VARIABLES, string, RegExp]> = [
    ['COMPACT_NETS_BACKEND', 'gpu', /\$COMPACT_NETS_BACKEND = "gpu" is not accepted .*choose one of tensorflow, node, wasm, cpu/],
    ['COMPACT_NETS_THREADS', '2x', /\$COMPACT_NETS_THREADS = "2x" is not a thread count; give an integer from 1 to 64/],
    ['COMPACT_NETS_THREADS', '0', /"0" is not a thread count/],
    ['COMPACT_NETS_BLAS', 'mkl', /\$COMPACT_NETS_BLAS = "mkl" is not accepted .*choose one of auto, builtin, openblas/],
    ['COMPACT_NETS_SPIN_US', '300us', /\$COMPACT_NETS_SPIN_US = "300us" is not a spin time in µs; give an integer from 0 to 100000/],
    ['COMPACT_NETS_SPIN_US', '-5', /"-5" is not a spin time/],
    ['COMPACT_NETS_NATIVE', 'maybe', /\$COMPACT_NETS_NATIVE = "maybe" is not accepted .*choose one of 1, 0, on, off/],
    ['COMPACT_NETS_QUICK', 'maybe', /\$COMPACT_NETS_QUICK = "maybe" is not accepted/],
    ['COMPACT_NETS_NATIVE_BUILD', 'yes', /\$COMPACT_NETS_NATIVE_BUILD = "yes" is not accepted .*choose one of 1, 0/],
    ['COMPACT_NETS_DATA', '/nonexistent/data', /\$COMPACT_NETS_DATA = "\/nonexistent\/data": \/nonexistent\/data does not exist/],
    ['COMPACT_NETS_CACHE', __filename, /\$COMPACT_NETS_CACHE = ".*cli-errors\.test\.js": .* is not a folder/],
  ];
  for (const [name, value, message] of bad) {
    it(`${name}=${value}`, async () => {
      assert.throws(() => validateEnvironment({ [name]: value }), (err: Error) => err instanceof InvalidArgumentError && message.test(err.message));
      const r = await run(['models'], { [name]: value });
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('accepts every documented value, empty as unset, and warns about names it does not read', () => {
    assert.deepStrictEqual(validateEnvironment({ COMPACT_NETS_BACKEND: 'WASM', COMPACT_NETS_THREADS: '2', COMPACT_NETS_BLAS: 'auto', COMPACT_NETS_SPIN_US: '0', COMPACT_NETS_NATIVE: 'off', COMPACT_NETS_QUICK: '', COMPACT_NETS_CACHE: path.join(os.tmpdir(), 'not-yet-created') }), []);
    assert.strictEqual(envChoice('COMPACT_NETS_BACKEND', { COMPACT_NETS_BACKEND: ' WASM ' }), 'wasm');
    assert.strictEqual(envInteger('COMPACT_NETS_SPIN_US', { COMPACT_NETS_SPIN_US: '250' }), 250);
    const warnings = validateEnvironment({ COMPACT_NETS_THREAD: '2' });
    assert.strictEqual(warnings.length, 1);
    assert.match(warnings[0], /\$COMPACT_NETS_THREAD is not a variable compact-nets reads; it is ignored \(known: .*COMPACT_NETS_THREADS/);
  });

  it('the native kernels refuse a bad value before the addon loads (library use, outside the CLI)', () => {
    const addon = path.join(REPO_ROOT, 'dist', 'src', 'lib', 'kernels', 'core', 'addon.js');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)}).nativeStatus()`], {
      encoding: 'utf8', env: { ...process.env, COMPACT_NETS_SPIN_US: '300us' },
    });
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stderr, /InvalidArgumentError: \$COMPACT_NETS_SPIN_US = "300us" is not a spin time/);
  });
});

describe('Node errors are translated into what, why and the fix', () => {
  it('system errors name the operation, the path, the meaning and the fix', () => {
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      assert.fail('expected a throw');
    };
    assert.match(describeError(thrown(() => fs.readdirSync(__filename))), /^cannot list the folder .*cli-errors\.test\.js: a part of the path is a file, and a folder was expected \(ENOTDIR\); check the path/);
    // Node names no path for a read of a folder: the call sites that know the file wrap it (rethrowFileError).
    assert.match(describeError(thrown(() => fs.readFileSync(os.tmpdir()))), /^read failed: it is a folder, and a file was expected \(EISDIR\); pass the file itself/);
    const denied = Object.assign(new Error("EACCES: permission denied, open '/x/w.pth'"), { code: 'EACCES', syscall: 'open', path: '/x/w.pth' });
    assert.strictEqual(describeError(denied), 'cannot open /x/w.pth: permission denied (EACCES); give your user access to it (see `ls -l`) or choose another path');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    assert.match(describeError(full), /^write failed: no space left on the device \(ENOSPC\); free disk space, or set COMPACT_NETS_CACHE/);
  });

  it('allocation failures say that a size from the input or an option is too large', () => {
    let tooLarge: unknown;
    try {
      new Float32Array(-1);
    } catch (err) {
      tooLarge = err;
    }
    assert.match(describeError(tooLarge), /^a size computed from the input is too large to allocate \(Invalid typed array length: -1\); a file is corrupt or crafted, or a size option/);
  });

  it('other errors keep their message', () => {
    assert.strictEqual(describeError(new Error('plain')), 'plain');
  });
});
