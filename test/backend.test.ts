/** Backend selection: names, env var, defaults, error messages, and the `compact-nets env` command. */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV_VAR, EnvironmentInfo, environmentInfo, environmentRows, initBackend } from '../src/lib/backend';
import { runCliProcess } from './support/cli';

/** Whether @tensorflow/tfjs-node is installed (then it is the default backend). */
function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with $COMPACT_NETS_BACKEND set to `value` (undefined: unset), restoring it afterwards. */
async function withEnvVar<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[BACKEND_ENV_VAR];
  if (value === undefined) delete process.env[BACKEND_ENV_VAR];
  else process.env[BACKEND_ENV_VAR] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[BACKEND_ENV_VAR];
    else process.env[BACKEND_ENV_VAR] = saved;
  }
}

describe('backend selection', function () {
  this.timeout(60000);
  let before0: string | null = null;
  before(() => {
    before0 = tf.engine().backendName;
  });
  after(async () => {
    await tf.setBackend(before0 ?? 'wasm');
  });

  it('an unknown name is an error listing the choices and naming the env var', async () => {
    await assert.rejects(initBackend('webgpu'), (err: Error) => {
      for (const word of ['"webgpu"', 'tensorflow', 'node', 'wasm', 'cpu', BACKEND_ENV_VAR]) {
        assert.ok(err.message.includes(word), `message lacks ${word}: ${err.message}`);
      }
      return true;
    });
  });

  it('an unknown name in the env var is an error that names the env var', async () => {
    await withEnvVar('gpu', async () => {
      await assert.rejects(initBackend(), new RegExp(`"gpu" \\(from \\$${BACKEND_ENV_VAR}\\)`));
    });
  });

  it('tensorflow (and its alias node) without tfjs-node says how to install it', async () => {
    if (tfjsNodeInstalled()) {
      assert.equal((await initBackend('node')).backend, 'tensorflow');
      return;
    }
    for (const name of ['tensorflow', 'node']) {
      await assert.rejects(initBackend(name), /npm install @tensorflow\/tfjs-node/);
    }
    assert.notEqual(tf.engine().backendName, 'tensorflow');
  });

  it('the env var picks the backend (cpu only when asked for)', async () => {
    await withEnvVar('cpu', async () => {
      const info = await initBackend();
      assert.equal(info.backend, 'cpu');
      assert.equal(tf.getBackend(), 'cpu');
    });
    await withEnvVar('WASM', async () => {
      assert.equal((await initBackend()).backend, 'wasm');
      assert.equal(tf.getBackend(), 'wasm');
    });
  });

  it('defaults to wasm here (tensorflow when tfjs-node is installed), never cpu', async () => {
    await tf.setBackend('cpu');
    const info = await withEnvVar(undefined, () => initBackend());
    assert.equal(info.backend, tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
    assert.equal(tf.getBackend(), info.backend);
    assert.equal(info.tfjs, tf.version.tfjs);
    assert.equal(info.tfjsNodeFound, tfjsNodeInstalled());
    if (info.backend === 'wasm') {
      assert.equal(typeof info.wasmSimd, 'boolean');
      assert.ok(info.threads !== undefined && info.threads >= 1, `threads ${info.threads}`);
      assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'training kernels not registered');
    }
  });

  it('is idempotent: a second call keeps the same backend instance', async () => {
    const first = await initBackend('wasm');
    const instance = tf.backend();
    const second = await initBackend('wasm');
    assert.deepEqual(second, first);
    assert.equal(tf.backend(), instance);
  });

  it('environmentInfo adds tslab, TypeScript, Node and CPU', async () => {
    await initBackend('wasm');
    const info = await environmentInfo();
    assert.equal(info.backend, 'wasm');
    assert.equal(info.tslab, require('tslab/package.json').version);
    assert.equal(info.typescript, require('typescript/package.json').version);
    assert.equal(info.node, process.versions.node);
    assert.ok(info.cpuCores >= 1);
  });
});

describe('environmentRows (the environment table of notebook 00)', () => {
  const base: EnvironmentInfo = {
    backend: 'wasm', tfjs: '4.22.0', tfjsNodeFound: false, wasmSimd: true, threads: 1,
    tfjsCore: '4.22.0', tfjsBackendWasm: '4.22.0', tslab: null, typescript: '5.4.5', node: '20.1.0',
    platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpuCores: 2, onnxruntimeNode: null, onnxruntimeNodeStatus: 'cannot find module',
  };
  const value = (rows: Array<{ setting: string; value: string }>, setting: string) => rows.find((r) => r.setting === setting)?.value;

  it('lists the native kernels by name, sorted, and no value reads "[object Object]"', () => {
    const rows = environmentRows({ ...base, native: { loaded: true, path: '/x.node', blas: 'openblas', threads: 2, kernels: ['Conv2D', 'BatchMatMul', 'AvgPool'] } });
    assert.equal(value(rows, 'native kernels (3)'), 'AvgPool, BatchMatMul, Conv2D');
    assert.equal(value(rows, 'native addon'), 'loaded (openblas GEMM, 2 threads)');
    assert.equal(value(rows, 'computes with'), 'wasm (SIMD) + native kernels: 3 (openblas GEMM, 2 threads)');
    assert.equal(value(rows, 'tslab'), '(not installed)');
    assert.equal(value(rows, 'wasm threads'), '1', 'wasm threads are told apart from the addon threads');
    assert.equal(value(rows, 'onnxruntime-node'), '(does not load)');
    assert.equal(value(rows, 'onnxruntime-node status'), 'cannot find module');
    assert.ok(rows.every((r) => !r.value.includes('[object')), JSON.stringify(rows));
  });

  it('says why the native kernels are off, and lists none', () => {
    const rows = environmentRows({ ...base, native: { loaded: false, path: '/x.node', reason: 'not built', kernels: [] } });
    assert.equal(value(rows, 'native addon'), 'off: not built');
    assert.ok(!rows.some((r) => r.setting.startsWith('native kernels')));
  });
});

describe('compact-nets env', function () {
  this.timeout(60000);
  const run = (args: string[], extraEnv: Record<string, string> = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
    if (!(BACKEND_ENV_VAR in extraEnv)) delete env[BACKEND_ENV_VAR];
    return runCliProcess(['env', ...args], { env });
  };

  it('--json prints valid JSON with backend wasm', () => {
    const result = run(['--json']);
    assert.equal(result.status, 0, result.stderr);
    const info = JSON.parse(result.stdout); // the whole of stdout, no banner before it
    assert.equal(info.backend, tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
    assert.equal(info.tfjs, tf.version.tfjs);
    assert.equal(info.node, process.versions.node);
    assert.equal(typeof info.cpuModel, 'string');
  });

  it('--backend cpu and the env var are honoured; a bad name fails with the choices', () => {
    assert.equal(JSON.parse(run(['--json', '--backend', 'cpu']).stdout).backend, 'cpu');
    assert.equal(JSON.parse(run(['--json'], { [BACKEND_ENV_VAR]: 'cpu' }).stdout).backend, 'cpu');
    const bad = run(['--backend', 'tpu']);
    assert.equal(bad.status, 2, 'a usage error');
    assert.match(bad.stderr, /--backend "tpu" is not a tfjs backend; choose one of tensorflow, node, wasm, cpu/);
  });
});
