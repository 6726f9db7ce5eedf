#!/usr/bin/env node
/**
 * Fault-injection pass over the `compact-nets` command line: runs every command with bad input (unknown names, bad
 * numbers, options that do not apply, missing/unreadable/directory paths, corrupt and crafted files, bad environment
 * variables, killed writes) and prints, per case, the exit status, the first line of stderr and a verdict:
 *
 *   ok        the expected status and a message that names the value (the case's pattern)
 *   STATUS    an error, but with the wrong exit status (e.g. 1 for a usage error, README promises 2)
 *   UNCLEAR   the expected status, but the message lacks what the case requires (value, constraint, fix)
 *   SILENT    exit 0 although the input is wrong (silently wrong result)
 *   CRASH     a stack trace, a signal, or a raw Node error (EACCES, ENOENT, "Invalid typed array length"…)
 *   HANG      no answer within the case's time limit
 *   LEFTOVER  partial files left behind
 *   MEMORY    peak RSS above the case's limit (allocated before refusing)
 *
 * Usage: node tools/fault-inject.js [--json] [--only REGEX] [--keep]   (needs `npx tsc -p .` first)
 * Every case runs in a fresh process with its own temporary cache ($COMPACT_NETS_CACHE); nothing outside the
 * temporary folder is written. Exit status: 0 when every case is "ok", else 1.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'compact-nets.js');
const DIST = path.join(ROOT, 'dist', 'src');
const SHARED = path.join(ROOT, '..', 'shared', 'data');

const args = process.argv.slice(2);
const only = args.includes('--only') ? new RegExp(args[args.indexOf('--only') + 1]) : undefined;
const asJson = args.includes('--json');
const keep = args.includes('--keep');

const { writeTar } = require(path.join(DIST, 'lib', 'data', 'tar.js'));
// The crafted files are shared with the mocha tests (test/support/faults.ts).
const crafted = require(path.join(ROOT, 'dist', 'test', 'support', 'faults.js'));

// ---------------------------------------------------------------- fixtures

const F = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-fault-'));
const at = (...p) => path.join(F, ...p);
const write = crafted.writeFile;
const cifarRecords = crafted.cifarRecords;
const idx = crafted.idxFile;
const gzipBomb = crafted.gzipBomb;
const pth = (tensors, callGlobal) => crafted.torchFile(tensors, callGlobal);
const hugePng = crafted.pngDeclaring;

function cifarFolder(dir, labelOf) {
  for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    write(path.join(dir, f), cifarRecords(20, labelOf));
  }
  return dir;
}
const fmnistFolder = (dir, { labels } = {}) => crafted.fashionMnistFolder(dir, { labelOf: labels });
const tinyFolder = crafted.tinyImageNetFolder;
const imagenetFolder = crafted.imagenetFolder;

function buildFixtures() {
  cifarFolder(at('cifar-bin'));
  cifarFolder(at('cifar-label12'), (i) => (i === 3 ? 12 : i % 10));
  write(at('cifar-trunc', 'data_batch_1.bin'), cifarRecords(20).subarray(0, 3073 * 5 + 100));
  for (const f of ['data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) write(at('cifar-trunc', f), cifarRecords(20));
  const tar = writeTar(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']
    .map((n) => ({ name: `cifar-10-batches-bin/${n}`, data: cifarRecords(20) })));
  const tgz = zlib.gzipSync(tar);
  write(at('cifar.tar.gz'), tgz);
  write(at('cifar-trunc.tar.gz'), tgz.subarray(0, tgz.length >> 1));
  const corrupt = Buffer.from(tgz); for (let i = 200; i < 400; i++) corrupt[i] ^= 0x5a; write(at('cifar-corrupt.tar.gz'), corrupt);
  write(at('cifar-trunc.tar'), Buffer.from(tar).subarray(0, 3000));
  write(at('cifar-bomb.tar.gz'), gzipBomb(Buffer.alloc(0), 64 << 20, 24)); // 1.5 GiB of zeros

  fmnistFolder(at('fmnist-ok'));
  fmnistFolder(at('fmnist-label200'), { labels: (i) => (i === 5 ? 200 : i % 10) });
  fmnistFolder(at('fmnist-plain'));
  write(at('fmnist-plain', 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idx([20, 28, 28], Buffer.alloc(20 * 784)).subarray(0, 1000)));
  fmnistFolder(at('fmnist-count'));
  write(at('fmnist-count', 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(idx([19], Buffer.alloc(19))));
  fmnistFolder(at('fmnist-magic'));
  write(at('fmnist-magic', 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idx([20], Buffer.alloc(20))));
  fmnistFolder(at('fmnist-bomb'));
  write(at('fmnist-bomb', 'train-images-idx3-ubyte.gz'), gzipBomb(idx([2000000, 28, 28], Buffer.alloc(0)).subarray(0, 16), 64 << 20, 24));
  fmnistFolder(at('fmnist-dims'));
  write(at('fmnist-dims', 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idx([20, 30, 30], Buffer.alloc(20 * 900))));

  tinyFolder(at('tiny-ok'));
  tinyFolder(at('tiny-dupwnid'), { wnids: ['n01', 'n02', 'n01'] });
  tinyFolder(at('tiny-twolabels'), { val: ['v0.JPEG\tn01\t0 0 1 1', 'v1.JPEG\tn02\t0 0 1 1', 'v0.JPEG\tn02\t0 0 1 1', 'v2.JPEG\tn03\t0 0 1 1'] });
  tinyFolder(at('tiny-missingval'), { skipVal: ['val_1_0.JPEG', 'val_2_1.JPEG'] });
  tinyFolder(at('tiny-unknownwnid'), { val: ['v0.JPEG\tn01\t0 0 1 1', 'v1.JPEG\tn02\t0 0 1 1', 'v2.JPEG\tn99\t0 0 1 1', 'v3.JPEG\tn03\t0 0 1 1'] });
  tinyFolder(at('tiny-truncjpeg'));
  const j = fs.readFileSync(at('tiny-truncjpeg', 'train', 'n02', 'images', 'n02_1.JPEG'));
  write(at('tiny-truncjpeg', 'train', 'n02', 'images', 'n02_1.JPEG'), j.subarray(0, j.length >> 2));
  tinyFolder(at('tiny-emptywnid'), { wnids: [] });
  tinyFolder(at('tiny-hugepng'));
  write(at('tiny-hugepng', 'train', 'n01', 'images', 'n01_0.png'), hugePng(60000, 60000));

  imagenetFolder(at('imnet-ok'), ['a.JPEG 1', 'b.JPEG 2']);
  imagenetFolder(at('imnet-twolabels'), ['a.JPEG 1', 'b.JPEG 2', 'a.JPEG 7']);
  imagenetFolder(at('imnet-label1000'), ['a.JPEG 1', 'b.JPEG 1000']);
  imagenetFolder(at('imnet-trunc'), ['a.JPEG 1', 'b.JPEG 2']);
  const b = fs.readFileSync(at('imnet-trunc', 'images', 'b.JPEG')); write(at('imnet-trunc', 'images', 'b.JPEG'), b.subarray(0, 100));

  write(at('w', 'good.pth'), pth([{ name: 'w', shape: [2, 2], stride: [2, 1], numel: 4 }]));
  write(at('w', 'bomb.pth'), crafted.zipDeclaring(0xf0000000));
  write(at('w', 'hugeshape.pth'), pth([{ name: 'w', shape: [100000, 100000], stride: [0, 0], numel: 1 }]));
  write(at('w', 'bigshape.pth'), pth([{ name: 'w', shape: [30000, 30000], stride: [0, 0], numel: 1 }]));
  write(at('w', 'negshape.pth'), pth([{ name: 'w', shape: [-1, 4], stride: [4, 1], numel: 4 }]));
  write(at('w', 'evil.pth'), pth([], ['os', 'system']));
  const good = fs.readFileSync(at('w', 'good.pth'));
  write(at('w', 'trunc.pth'), good.subarray(0, good.length - 30));
  const tfl = path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite');
  if (fs.existsSync(tfl)) {
    const t = fs.readFileSync(tfl);
    write(at('w', 'trunc.tflite'), t.subarray(0, t.length >> 1));
  }
  write(at('w', 'random.tflite'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
  write(at('w', 'empty.pth'), Buffer.alloc(0));
  fs.mkdirSync(at('w', 'dir.pth'), { recursive: true });

  // The torchvision cache with a corrupt copy of squeezenet1_1's published file (sha256 prefix b8a52dc0).
  write(at('cache-corrupt', 'weights', 'squeezenet1_1-b8a52dc0.pth'), good);
  write(at('a-file'), 'not a folder\n');
}

// ---------------------------------------------------------------- cases

/**
 * A case: `argv` for the CLI (or `script` for a custom check), `env` additions, the expected `status`, `match`: a
 * pattern the stderr must contain (the value and what is accepted); `maxRssMb`: memory limit; `timeout` in s.
 */
const CASES = [];
const usage = (cls, name, argv, match, extra = {}) => CASES.push({ cls, name, argv, status: 2, match, ...extra });
const runtime = (cls, name, argv, match, extra = {}) => CASES.push({ cls, name, argv, status: 1, match, ...extra });
const TRAIN_OK = ['--epochs', '1', '--per-class', '2'];

// 4. usage errors: status 2, message names value and choices
usage('usage', 'unknown command', ['fly'], /"fly".*commands: env/);
usage('usage', 'env positional', ['env', 'extra'], /"extra"/);
usage('usage', 'env --backend gpu', ['env', '--backend', 'gpu'], /"gpu".*tensorflow, node, wasm, cpu/);
usage('usage', 'env --json=1', ['env', '--json=1'], /takes no value/);
usage('usage', 'models positional', ['models', 'x'], /"x"/);
usage('usage', 'models --bogus', ['models', '--bogus'], /--bogus.*--json/);
usage('usage', 'cost no model', ['cost'], /model name.*mobilenet_v2/);
usage('usage', 'cost unknown model', ['cost', 'mobilenet_v9'], /"mobilenet_v9".*mobilenet_v2/);
usage('usage', 'cost unknown variant', ['cost', 'mobilenet_v2', '--variant', '9.9-999'], /"9\.9-999".*1\.0-224/);
usage('usage', 'cost --width abc', ['cost', 'mobilenet_v2', '--width', 'abc'], /--width.*"abc"/);
usage('usage', 'cost --width NaN', ['cost', 'mobilenet_v2', '--width', 'NaN'], /--width.*NaN/);
usage('usage', 'cost --width ""', ['cost', 'mobilenet_v2', '--width='], /--width/);
usage('usage', 'cost --width 0x10', ['cost', 'mobilenet_v1', '--width', '0x10'], /--width.*0x10/);
usage('usage', 'cost --width -1', ['cost', 'mobilenet_v2', '--width', '-1'], /--width.*-1/);
usage('usage', 'cost --width 0', ['cost', 'mobilenet_v1', '--width', '0'], /--width.*0/);
usage('usage', 'cost --width 1e9 (absurd)', ['cost', 'mobilenet_v1', '--width', '1e9'], /width.*1e\+?9|width.*1000000000/, { maxRssMb: 1500, timeout: 60 });
usage('usage', 'cost --classes 1e9 (absurd)', ['cost', 'mobilenet_v1', '--classes', '1000000000'], /classes.*1000000000/, { maxRssMb: 1500, timeout: 60 });
usage('usage', 'cost --resolution 100000', ['cost', 'mobilenet_v1', '--resolution', '100000'], /resolution.*100000/, { maxRssMb: 1500, timeout: 60 });
usage('usage', 'cost --resolution 2.5', ['cost', 'mobilenet_v1', '--resolution', '2.5'], /--resolution.*integer.*2\.5/);
usage('usage', 'cost --groups on mobilenet_v2', ['cost', 'mobilenet_v2', '--groups', '3'], /--groups/);
usage('usage', 'cost --groups 7 shufflenet_v1', ['cost', 'shufflenet_v1', '--groups', '7'], /groups.*7/);
usage('usage', 'cost --width 0.3 shufflenet_v2', ['cost', 'shufflenet_v2', '--width', '0.3'], /width.*0\.3/);
usage('usage', 'cost --dataset mnist', ['cost', 'mobilenet_v2', '--dataset', 'mnist'], /mnist.*cifar10/);
usage('usage', 'cost --resolution 8 (too small)', ['cost', 'mobilenet_v1', '--resolution', '8'], /resolution.*8/);
usage('usage', 'train no --dataset', ['train', 'mobilenet_v2'], /--dataset/);
usage('usage', 'train unknown model', ['train', 'mobilenet_v9', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /"mobilenet_v9".*mobilenet_v2/, { timeout: 120 });
usage('usage', 'train unknown variant', ['train', 'mobilenet_v2', '--variant', 'x', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /"x".*1\.0-224/, { timeout: 120 });
usage('usage', 'train --backend gpu', ['train', 'mobilenet_v2', '--dataset', 'cifar10', '--backend', 'gpu', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /"gpu".*wasm/, { timeout: 120 });
usage('usage', 'train --classes 3 on cifar10', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'cifar10', '--classes', '3', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /--classes.*cifar10|--classes.*tiny-imagenet/, { timeout: 300 });
usage('usage', 'train --classes 3 on fashion-mnist', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'fashion-mnist', '--classes', '3', '--data-dir', at('fmnist-ok'), ...TRAIN_OK], /--classes/, { timeout: 300 });
usage('usage', 'train --classes 9 > wnids (3)', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'tiny-imagenet', '--classes', '9', '--data-dir', at('tiny-ok'), ...TRAIN_OK], /classes.*9.*3/, { timeout: 120 });
usage('usage', 'train --width on resnet18', ['train', 'resnet18', '--width', '0.5', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /resnet18.*--width/, { timeout: 120 });
usage('usage', 'train --width 0.3 shufflenet_v2', ['train', 'shufflenet_v2', '--width', '0.3', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /width.*0\.3/, { timeout: 120 });
usage('usage', 'train --width 1e6', ['train', 'mobilenet_v1', '--width', '1e6', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK], /width/, { timeout: 120, maxRssMb: 1500 });
usage('usage', 'train --per-class 1e9', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), '--epochs', '1', '--per-class', '1000000000'], /per-class.*1000000000/, { timeout: 120 });
usage('usage', 'train --batch 1e9', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), '--epochs', '1', '--batch', '1000000000'], /batch.*1000000000/, { timeout: 120 });
usage('usage', 'train --epochs 1.5', ['train', 'mobilenet_v2', '--dataset', 'cifar10', '--epochs', '1.5'], /--epochs.*1\.5/);
usage('usage', 'train --seed 2^32', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'cifar10', '--data-dir', at('cifar-bin'), ...TRAIN_OK, '--seed', '4294967296'], /--seed.*4294967296/, { timeout: 120 });
usage('usage', 'train --seed -1', ['train', 'mobilenet_v2', '--dataset', 'cifar10', '--seed', '-1'], /--seed.*-1/);
usage('usage', 'train --lr NaN', ['train', 'mobilenet_v2', '--dataset', 'cifar10', '--lr', 'NaN'], /--lr.*NaN/);
usage('usage', 'train --weight-decay -1', ['train', 'mobilenet_v2', '--dataset', 'cifar10', '--weight-decay', '-1'], /--weight-decay.*-1/);
usage('usage', 'train --data-dir missing', ['train', 'shufflenet_v2', '--dataset', 'cifar10', '--data-dir', at('nope')], /--data-dir.*nope/);
usage('usage', 'train --data-dir a file (fashion-mnist)', ['train', 'shufflenet_v2', '--dataset', 'fashion-mnist', '--data-dir', at('a-file')], /a-file/);
usage('usage', 'eval no --weights', ['eval', 'mobilenet_v1', '--images', at('imnet-ok')], /--weights/);
usage('usage', 'eval --weights missing', ['eval', 'mobilenet_v1', '--weights', at('w', 'nope.tflite'), '--images', at('imnet-ok')], /nope\.tflite/);
usage('usage', 'eval --images missing', ['eval', 'mobilenet_v1', '--weights', at('w', 'good.pth'), '--images', at('nope')], /nope/);
usage('usage', 'eval --labels missing', ['eval', 'mobilenet_v1', '--weights', at('w', 'good.pth'), '--images', at('imnet-ok'), '--labels', at('nope.txt')], /nope\.txt/);
usage('usage', 'eval --weights a folder', ['eval', 'mobilenet_v1', '--weights', at('w', 'dir.pth'), '--images', at('imnet-ok')], /dir\.pth.*(folder|directory)/);
usage('usage', 'eval --weights torchvision unknown model', ['eval', 'mobilenet_v9', '--weights', 'torchvision', '--images', at('imnet-ok')], /"mobilenet_v9".*resnet18/);
usage('usage', 'eval --backend gpu', ['eval', 'mobilenet_v1', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-ok'), '--backend', 'gpu'], /"gpu"/);
usage('usage', 'eval tflite into resnet18', ['eval', 'resnet18', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-ok')], /resnet18/);
usage('usage', 'eval --resolution with tflite', ['eval', 'mobilenet_v1', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-ok'), '--resolution', '300'], /--resolution/);
usage('usage', 'eval --batch 0', ['eval', 'mobilenet_v1', '--weights', 'x', '--images', 'y', '--batch', '0'], /--batch.*0/);
usage('usage', 'eval --resolution 1e6', ['eval', 'resnet18', '--weights', 'torchvision', '--images', at('imnet-ok'), '--resolution', '1000000'], /--resolution.*1000000/);
usage('usage', 'table --backend gpu', ['table', '--backend', 'gpu'], /"gpu"/);
usage('usage', 'table --models unknown', ['table', '--models', 'mobilenet_v9'], /"mobilenet_v9"/, { timeout: 120 });
usage('usage', 'table --limit without --pretrained', ['table', '--limit', '5'], /--limit.*--pretrained/);
usage('usage', 'table --batch without --latency', ['table', '--batch', '4'], /--batch.*--latency/);
usage('usage', 'table --pretrained missing', ['table', '--pretrained', at('nope'), '--images', at('imnet-ok')], /nope/);
usage('usage', 'table --repetitions 1e9', ['table', '--latency', '--repetitions', '1000000000', '--models', 'squeezenet1_1'], /--repetitions.*1000000000/, { timeout: 60 });

// 5. environment variables: an unknown value is an error listing the choices
usage('env', 'COMPACT_NETS_BACKEND=gpu', ['env'], /COMPACT_NETS_BACKEND.*"gpu".*wasm/, { env: { COMPACT_NETS_BACKEND: 'gpu' } });
usage('env', 'COMPACT_NETS_THREADS=0', ['env'], /COMPACT_NETS_THREADS.*"0".*1.*64/, { env: { COMPACT_NETS_THREADS: '0', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_THREADS=two', ['env'], /COMPACT_NETS_THREADS.*"two"/, { env: { COMPACT_NETS_THREADS: 'two', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_THREADS=2 on cpu (unused) still checked', ['env', '--backend', 'cpu'], /COMPACT_NETS_THREADS.*"2x"/, { env: { COMPACT_NETS_THREADS: '2x' } });
usage('env', 'COMPACT_NETS_BLAS=mkl', ['env'], /COMPACT_NETS_BLAS.*"mkl".*builtin.*openblas/, { env: { COMPACT_NETS_BLAS: 'mkl', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_SPIN_US=-5', ['env'], /COMPACT_NETS_SPIN_US.*"-5"/, { env: { COMPACT_NETS_SPIN_US: '-5', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_SPIN_US=300us', ['env'], /COMPACT_NETS_SPIN_US.*"300us"/, { env: { COMPACT_NETS_SPIN_US: '300us', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_SPIN_US=1e12', ['env'], /COMPACT_NETS_SPIN_US/, { env: { COMPACT_NETS_SPIN_US: '1000000000000', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_NATIVE=maybe', ['env'], /COMPACT_NETS_NATIVE.*"maybe"/, { env: { COMPACT_NETS_NATIVE: 'maybe', COMPACT_NETS_BACKEND: 'wasm' } });
usage('env', 'COMPACT_NETS_QUICK=maybe', ['models'], /COMPACT_NETS_QUICK.*"maybe"/, { env: { COMPACT_NETS_QUICK: 'maybe' } });
usage('env', 'COMPACT_NETS_DATA missing folder', ['train', 'shufflenet_v2', '--dataset', 'cifar10'], /COMPACT_NETS_DATA.*nope/, { env: { COMPACT_NETS_DATA: at('nope') } });
usage('env', 'COMPACT_NETS_CACHE is a file', ['env', '--backend', 'cpu'], /COMPACT_NETS_CACHE.*a-file/, { env: { COMPACT_NETS_CACHE: at('a-file') } });

// 2. data checked at the boundary (runtime errors: status 1, message names the file)
const train = (dataset, dir, extra = []) => ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', dataset, '--data-dir', dir, ...TRAIN_OK, ...extra];
runtime('data', 'fashion-mnist label 200', train('fashion-mnist', at('fmnist-label200')), /label 200.*0…9|200.*outside/, { timeout: 300 });
runtime('data', 'fashion-mnist label 200 without --per-class', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'fashion-mnist', '--data-dir', at('fmnist-label200'), '--epochs', '1', '--test-per-class', '1'], /200/, { timeout: 300 });
runtime('data', 'fashion-mnist truncated IDX', train('fashion-mnist', at('fmnist-plain')), /train-images.*(truncated|unexpected end)/);
runtime('data', 'fashion-mnist 19 labels for 20 images', train('fashion-mnist', at('fmnist-count')), /20 images.*19 labels/);
runtime('data', 'fashion-mnist wrong magic', train('fashion-mnist', at('fmnist-magic')), /magic/);
runtime('data', 'fashion-mnist 30×30 images', train('fashion-mnist', at('fmnist-dims')), /30.*28/, { timeout: 120 });
runtime('data', 'fashion-mnist gzip bomb (1.5 GiB)', train('fashion-mnist', at('fmnist-bomb')), /train-images.*(MiB|GiB|bytes)/, { timeout: 120, maxRssMb: 900 });
runtime('data', 'cifar10 label 12', train('cifar10', at('cifar-label12')), /label 12/);
runtime('data', 'cifar10 truncated batch', train('cifar10', at('cifar-trunc')), /data_batch_1.*3073|whole number/);
runtime('data', 'cifar10 truncated tar.gz', train('cifar10', at('cifar-trunc.tar.gz')), /cifar-trunc\.tar\.gz/);
runtime('data', 'cifar10 corrupt tar.gz', train('cifar10', at('cifar-corrupt.tar.gz')), /cifar-corrupt\.tar\.gz/);
runtime('data', 'cifar10 truncated tar', train('cifar10', at('cifar-trunc.tar')), /cifar-trunc\.tar/);
runtime('data', 'cifar10 gzip bomb (1.5 GiB)', train('cifar10', at('cifar-bomb.tar.gz')), /cifar-bomb\.tar\.gz.*(MiB|GiB)/, { timeout: 120, maxRssMb: 900 });
runtime('data', 'tiny-imagenet duplicate wnid', train('tiny-imagenet', at('tiny-dupwnid')), /n01.*twice|duplicate.*n01|n01.*lines 1 and 3/, { timeout: 120 });
runtime('data', 'tiny-imagenet image with two labels', train('tiny-imagenet', at('tiny-twolabels'), ['--per-class', '1']), /v0\.JPEG.*n01.*n02/, { timeout: 120 });
runtime('data', 'tiny-imagenet missing val images', train('tiny-imagenet', at('tiny-missingval')), /val_1_0\.JPEG.*val_2_1\.JPEG|2 .*missing/, { timeout: 120 });
runtime('data', 'tiny-imagenet val wnid not in wnids.txt', train('tiny-imagenet', at('tiny-unknownwnid'), ['--per-class', '1']), /n99/, { timeout: 120 });
runtime('data', 'tiny-imagenet truncated JPEG', train('tiny-imagenet', at('tiny-truncjpeg')), /n02_1\.JPEG/, { timeout: 120 });
runtime('data', 'tiny-imagenet empty wnids.txt', train('tiny-imagenet', at('tiny-emptywnid')), /wnids\.txt/, { timeout: 120 });
runtime('data', 'tiny-imagenet PNG declaring 60000×60000', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'tiny-imagenet', '--data-dir', at('tiny-hugepng'), '--epochs', '1'], /n01_0\.png.*60000/, { timeout: 120, maxRssMb: 1500 });
runtime('data', 'eval image labelled twice', ['eval', 'mobilenet_v1', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-twolabels')], /a\.JPEG.*1.*7/, { timeout: 120 });
runtime('data', 'eval label 1000', ['eval', 'mobilenet_v1', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-label1000')], /1000/, { timeout: 120 });
runtime('data', 'eval truncated JPEG', ['eval', 'mobilenet_v1', '--weights', path.join(SHARED, 'pretrained', 'mobilenet_v1_0.25_128_quant.tflite'), '--images', at('imnet-trunc')], /b\.JPEG/, { timeout: 120 });

// 6. resource limits and corrupt weight files
const evalWith = (w, model = 'resnet18') => ['eval', model, '--weights', w, '--images', at('imnet-ok')];
runtime('weights', '.pth zip bomb (declares 3.75 GiB)', evalWith(at('w', 'bomb.pth')), /bomb\.pth.*(GiB|MiB|bytes)/, { maxRssMb: 900, timeout: 120 });
runtime('weights', '.pth tensor of 10^10 elements', evalWith(at('w', 'hugeshape.pth')), /hugeshape\.pth.*"w"/, { maxRssMb: 900, timeout: 120 });
runtime('weights', '.pth tensor of 9·10^8 elements (3.6 GB)', evalWith(at('w', 'bigshape.pth')), /bigshape\.pth.*"w"/, { maxRssMb: 900, timeout: 120 });
runtime('weights', '.pth negative dimension', evalWith(at('w', 'negshape.pth')), /negshape\.pth.*-1/, { timeout: 120 });
runtime('weights', '.pth calls os.system', evalWith(at('w', 'evil.pth')), /os\.system/, { timeout: 120 });
runtime('weights', '.pth truncated', evalWith(at('w', 'trunc.pth')), /trunc\.pth/, { timeout: 120 });
runtime('weights', '.pth empty file', evalWith(at('w', 'empty.pth')), /empty\.pth/, { timeout: 120 });
runtime('weights', '.tflite truncated', evalWith(at('w', 'trunc.tflite'), 'mobilenet_v1'), /trunc\.tflite/, { timeout: 120 });
runtime('weights', '.tflite random bytes', evalWith(at('w', 'random.tflite'), 'mobilenet_v1'), /random\.tflite/, { timeout: 120 });
runtime('weights', 'torchvision cache copy corrupt', ['eval', 'squeezenet1_1', '--weights', 'torchvision', '--images', at('imnet-ok')], /squeezenet1_1-b8a52dc0\.pth.*sha256/, { timeout: 120, cache: at('cache-corrupt') });

// 3. no partial files; Node errors translated
CASES.push({ cls: 'files', name: 'killed cache write leaves a temp file; the next write removes it', script: killedWrite, status: 0 });
runtime('files', 'cache folder not writable (EACCES)', ['train', 'shufflenet_v2', '--width', '0.5', '--dataset', 'tiny-imagenet', '--data-dir', at('tiny-ok'), ...TRAIN_OK], /cache|COMPACT_NETS_CACHE/, { timeout: 120, asNobody: true });
runtime('files', 'weights unreadable (EACCES)', evalWith(at('w', 'unreadable.pth')), /unreadable\.pth.*permission/, { timeout: 120, asNobody: true, prepare: () => { write(at('w', 'unreadable.pth'), fs.readFileSync(at('w', 'good.pth'))); fs.chmodSync(at('w', 'unreadable.pth'), 0o600); } });
CASES.push({ cls: 'files', name: 'stdout closed early (models | head -c1)', shell: `node ${BIN} models | head -c1 >/dev/null`, status: 0 });

// ---------------------------------------------------------------- running

/**
 * Kills (SIGKILL) a process writing a 400 MB cache entry once its temporary file exists, then checks that the next
 * write into that folder removes the dead writer's temporary file. A shell runs and reaps the writer, as in real use.
 */
function killedWrite() {
  const dir = at('kill-cache');
  fs.mkdirSync(dir, { recursive: true });
  const cacheJs = JSON.stringify(path.join(DIST, 'lib', 'files.js'));
  const writer = `require(${cacheJs}).writeFileAtomic(process.argv[1], Buffer.alloc(400 << 20, 1))`;
  const script = `"${process.execPath}" -e '${writer}' "${path.join(dir, 'entry.bin')}" & pid=$!
    i=0; while [ -z "$(ls "${dir}" | grep '[.]tmp-')" ] && [ $i -lt 20000 ]; do i=$((i+1)); done
    kill -9 $pid; wait $pid 2>/dev/null; ls "${dir}"`;
  const killed = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const left = killed.stdout.split('\n').filter((f) => f.includes('.tmp-'));
  const second = spawnSync(process.execPath, ['-e', `require(${cacheJs}).writeFileAtomic(process.argv[1], 'x')`, path.join(dir, 'other.bin')], { encoding: 'utf8' });
  const after = fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));
  const ok = left.length > 0 && after.length === 0 && second.status === 0;
  return { status: ok ? 0 : 1, stderr: `temp files after the kill: ${left.join(', ') || 'none (the kill came too late)'}; after the next write: ${after.join(', ') || 'none'}${second.stderr ? '; ' + second.stderr : ''}`, leftover: after.length > 0 };
}

function peakRssMb(stderr) {
  const m = /PEAK_RSS_KB=(\d+)/.exec(stderr);
  return m ? Number(m[1]) / 1024 : undefined;
}

function runCase(c) {
  if (c.prepare) c.prepare();
  if (c.script) return { ...c.script(), seconds: 0 };
  const cache = c.cache ?? fs.mkdtempSync(path.join(F, 'cache-'));
  const env = { ...process.env, COMPACT_NETS_CACHE: cache, COMPACT_NETS_THREADS: '1', ...(c.env ?? {}) };
  for (const [k, v] of Object.entries(c.env ?? {})) if (v === undefined) delete env[k];
  let cmd;
  let argv;
  if (c.shell) {
    cmd = 'sh';
    argv = ['-c', c.shell];
  } else {
    cmd = '/usr/bin/time';
    // `timeout` signals the CLI itself (spawnSync's own timeout would only kill /usr/bin/time and orphan the CLI).
    argv = ['-f', 'PEAK_RSS_KB=%M', 'timeout', '-k', '5', String(c.timeout ?? 60), process.execPath, BIN, ...c.argv];
    if (c.asNobody) {
      fs.chmodSync(F, 0o755);
      fs.chmodSync(cache, 0o555);
      argv = ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/time', ...argv];
      cmd = 'setpriv';
    }
  }
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, encoding: 'utf8', timeout: ((c.timeout ?? 60) + 30) * 1000, maxBuffer: 1 << 26 });
  const timedOut = r.error?.code === 'ETIMEDOUT' || (!c.shell && (r.status === 124 || r.status === 137));
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000, timedOut };
}

const RAW_NODE = /\b(EACCES|EISDIR|ENOENT|ENOTDIR|EPERM|EPIPE|ENOSPC|EROFS): [a-z]|Invalid typed array length|Array buffer allocation failed|Cannot read properties of undefined|is not a function|Maximum call stack/;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

function verdict(c, r) {
  const stderr = (r.stderr ?? '').replace(/PEAK_RSS_KB=\d+\n?/, '');
  const message = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  const rss = peakRssMb(r.stderr ?? '');
  let v = 'ok';
  if (r.timedOut) v = 'HANG';
  else if (r.signal || STACK.test(stderr) || RAW_NODE.test(stderr)) v = 'CRASH';
  else if (r.leftover) v = 'LEFTOVER';
  else if (c.status !== 0 && r.status === 0) v = 'SILENT';
  else if (r.status !== c.status) v = 'STATUS';
  else if (c.match && !c.match.test(stderr.replace(/\n/g, ' '))) v = 'UNCLEAR';
  if (v === 'ok' && c.maxRssMb !== undefined && rss !== undefined && rss > c.maxRssMb) v = 'MEMORY';
  return { cls: c.cls, name: c.name, expected: c.status, status: r.status ?? r.signal, verdict: v, seconds: r.seconds, rssMb: rss && Math.round(rss), message: message.slice(0, 220) };
}

function main() {
  buildFixtures();
  const rows = [];
  for (const c of CASES) {
    if (only && !only.test(`${c.cls} ${c.name}`)) continue;
    const row = verdict(c, runCase(c));
    rows.push(row);
    if (!asJson) console.log(`${row.verdict.padEnd(8)} ${String(row.status).padEnd(3)} (want ${row.expected}) [${row.cls}] ${row.name}${row.rssMb ? ` · ${row.rssMb} MB` : ''} · ${row.seconds.toFixed(1)} s\n           ${row.message}`);
  }
  if (asJson) console.log(JSON.stringify(rows, null, 1));
  const tally = {};
  for (const r of rows) tally[r.verdict] = (tally[r.verdict] ?? 0) + 1;
  console.error(`fault-inject: ${rows.length} cases: ${Object.entries(tally).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (!keep) {
    spawnSync('chmod', ['-R', 'u+rwX', F]);
    fs.rmSync(F, { recursive: true, force: true });
  } else console.error(`fixtures kept in ${F}`);
  process.exitCode = rows.every((r) => r.verdict === 'ok') ? 0 : 1;
}

main();
