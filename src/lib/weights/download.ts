/**
 * Download of torchvision's published ImageNet weights by model name into the cache, verified by the sha256
 * prefix that torchvision puts in each file name (`<name>-<sha256 prefix>.pth`). Needs internet access.
 */
import * as path from 'path';
import { cacheRoot } from '../data/cache';
import { downloadVerified } from '../download';
import { InvalidArgumentError } from '../errors';

const BASE_URL = 'https://download.pytorch.org/models/';

/** torchvision's published file per model (torchvision 0.14, the IMAGENET1K_V1 weights). */
export const TORCHVISION_WEIGHT_FILES: Record<string, string> = {
  alexnet: 'alexnet-owt-7be5be79.pth',
  vgg16: 'vgg16-397923af.pth',
  resnet18: 'resnet18-f37072fd.pth',
  resnet50: 'resnet50-0676ba61.pth',
  squeezenet1_0: 'squeezenet1_0-b66bff10.pth',
  squeezenet1_1: 'squeezenet1_1-b8a52dc0.pth',
  mobilenet_v2: 'mobilenet_v2-b0353104.pth',
  shufflenet_v2_x0_5: 'shufflenetv2_x0.5-f707e7126e.pth',
  shufflenet_v2_x1_0: 'shufflenetv2_x1-5666bf0f80.pth',
  shufflenet_v2_x1_5: 'shufflenetv2_x1_5-3c479a10.pth',
  shufflenet_v2_x2_0: 'shufflenetv2_x2_0-8be3c8ee.pth',
  googlenet: 'googlenet-1378be20.pth',
};

/** URL and expected sha256 hex prefix of model `name`'s published weights; throws listing known names. */
export function torchvisionWeightSource(name: string, baseUrl = BASE_URL): { url: string; file: string; sha256Prefix: string } {
  const file = TORCHVISION_WEIGHT_FILES[name];
  if (file === undefined) throw new InvalidArgumentError(`no published torchvision weights known for "${name}"; known: ${Object.keys(TORCHVISION_WEIGHT_FILES).join(', ')}`);
  const match = /-([0-9a-f]+)\.pth$/.exec(file);
  return { url: baseUrl + file, file, sha256Prefix: match ? match[1] : '' };
}

/** Cache folder of downloaded weights: `<cache root>/weights`. */
export function weightsCacheDir(): string {
  return path.join(cacheRoot(), 'weights');
}

/**
 * Path of model `name`'s published torchvision weights in the cache, downloading them first when absent.
 * Rejects a file whose sha256 does not start with the published prefix. Offline: throws saying how to
 * supply the file by hand. `baseUrl` replaces download.pytorch.org (mirrors, tests).
 */
export async function fetchTorchvisionWeights(name: string, cacheDir = weightsCacheDir(), baseUrl = BASE_URL): Promise<string> {
  const source = torchvisionWeightSource(name, baseUrl);
  const dest = path.join(cacheDir, source.file);
  return downloadVerified({
    url: source.url,
    dest,
    sha256: source.sha256Prefix,
    what: `torchvision weights for ${name}`,
    manual: `download the file on a connected machine and pass it with --weights FILE, or place it at ${dest}`,
  });
}
