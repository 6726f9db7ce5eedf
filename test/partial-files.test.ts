/**
 * No partial files: a writer killed mid-write leaves only a temporary file, which the next write into that folder
 * (or the CLI on start) removes; a failed write removes its own; an interrupted download writes nothing; a cached
 * download whose sha256 does not match the published one is refused before use.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { main } from '../src/cli/main';
import { downloadVerified } from '../src/lib/download';
import { removeStaleTempFiles, writeFileAtomic } from '../src/lib/files';
import { fetchTorchvisionWeights } from '../src/lib/weights/download';
import { REPO_ROOT } from './support/paths';

const FILES_JS = path.join(REPO_ROOT, 'dist', 'src', 'lib', 'files.js');
const temps = (dir: string) => fs.readdirSync(dir).filter((f) => /\.tmp-\d+-[0-9a-f]{8}$/.test(f)).sort();

describe('no partial files', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-partial-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a writer killed (SIGKILL) mid-write leaves no entry, and the next write removes its temporary file', () => {
    // A shell starts the writer, kills it once its temporary file exists, and reaps it (as a terminal or a job runner would).
    const writer = `require(${JSON.stringify(FILES_JS)}).writeFileAtomic(process.argv[1], Buffer.alloc(256 << 20, 1))`;
    const script = `"${process.execPath}" -e '${writer}' "${path.join(dir, 'entry.bin')}" & pid=$!
      i=0; while [ -z "$(ls "${dir}" | grep '[.]tmp-')" ] && [ $i -lt 100000 ]; do i=$((i+1)); done
      kill -9 $pid; wait $pid; echo "status $?"`;
    const killed = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.match(killed.stdout, /status 137/, 'the writer died by SIGKILL');
    const left = temps(dir);
    assert.strictEqual(left.length, 1, `one temporary file after the kill: ${fs.readdirSync(dir)}`);
    assert.ok(!fs.existsSync(path.join(dir, 'entry.bin')), 'no half-written entry under the final name');
    writeFileAtomic(path.join(dir, 'other.bin'), 'x');
    assert.deepStrictEqual(temps(dir), [], 'the dead writer\'s temporary file is gone');
    assert.deepStrictEqual(fs.readdirSync(dir), ['other.bin']);
  });

  it('the cleanup spares the temporary files of running processes and every other file', () => {
    const own = path.join(dir, `a.bin.tmp-${process.pid}-0123abcd`);
    const parent = path.join(dir, 'sub', `b.bin.tmp-${process.ppid}-0123abcd`);
    const dead = path.join(dir, 'sub', 'deeper', 'c.bin.tmp-999999999-0123abcd');
    const unrelated = path.join(dir, 'notes.tmp-1-x');
    for (const f of [own, parent, dead, unrelated]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, 'x');
    }
    assert.deepStrictEqual(removeStaleTempFiles(dir, 0), [], 'depth 0 looks at the folder itself only');
    assert.deepStrictEqual(removeStaleTempFiles(dir, 2), [dead]);
    for (const f of [own, parent, unrelated]) assert.ok(fs.existsSync(f), f);
  });

  it('every compact-nets start removes dead writers\' temporary files from the cache', async () => {
    const dead = path.join(dir, 'runs', 'abc', 'checkpoint.bin.tmp-999999999-0123abcd');
    fs.mkdirSync(path.dirname(dead), { recursive: true });
    fs.writeFileSync(dead, 'half');
    const saved = process.env.COMPACT_NETS_CACHE;
    const log = console.log;
    process.env.COMPACT_NETS_CACHE = dir;
    console.log = () => undefined;
    try {
      assert.strictEqual(await main(['models']), 0);
    } finally {
      console.log = log;
      if (saved === undefined) delete process.env.COMPACT_NETS_CACHE;
      else process.env.COMPACT_NETS_CACHE = saved;
    }
    assert.ok(!fs.existsSync(dead));
  });

  it('a write that fails (disk full) removes its temporary file and names the file and the fix', () => {
    // The module object itself (the `import * as` namespace only has getters onto it).
    const nodeFs = require('fs') as { fsyncSync: typeof fs.fsyncSync };
    const fsync = nodeFs.fsyncSync;
    nodeFs.fsyncSync = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC', syscall: 'fsync' });
    };
    try {
      assert.throws(() => writeFileAtomic(path.join(dir, 'entry.bin'), 'data'), /^Error: cannot write .*entry\.bin: no space left on the device \(ENOSPC\); free disk space, or set COMPACT_NETS_CACHE/);
    } finally {
      nodeFs.fsyncSync = fsync;
    }
    assert.deepStrictEqual(fs.readdirSync(dir), []);
  });

  it('a download that breaks off writes nothing and says how far it got', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(100_000));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      await assert.rejects(
        downloadVerified({ url: `http://127.0.0.1:${port}/w.pth`, dest: path.join(dir, 'w.pth'), sha256: 'abcdef12', what: 'test weights', manual: 'copy it by hand' }),
        /download of test weights from http:\/\/127\.0\.0\.1:\d+\/w\.pth broke off after \d+ of 1000000 bytes .*nothing was saved; retry, or copy it by hand/,
      );
    } finally {
      server.close();
    }
    assert.deepStrictEqual(fs.readdirSync(dir), []);
  });

  it('a cached torchvision file is verified against its published sha256 before use', async () => {
    const cached = path.join(dir, 'squeezenet1_1-b8a52dc0.pth');
    fs.writeFileSync(cached, 'not the published file');
    // The base URL is unreachable: a rejection naming the digest proves the copy was checked, not re-downloaded.
    await assert.rejects(fetchTorchvisionWeights('squeezenet1_1', dir, 'http://127.0.0.1:9/'), /squeezenet1_1-b8a52dc0\.pth has sha256 [0-9a-f]{64}, expected b8a52dc0…: the copy is corrupt or a different file/);
    assert.ok(fs.existsSync(cached), 'the copy is left for the user to inspect');
  });
});
