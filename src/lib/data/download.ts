/**
 * Fetches an official data archive into the cache (`<cache>/downloads/`), for readers with internet access. The loaders
 * never download: pass them the path this returns. Without internet the error says where to put a local copy instead.
 */
import * as path from 'path';
import { downloadVerified } from '../download';
import type { ProgressReporter } from '../progress';
import { cacheRoot } from './cache';
import { CIFAR10_BINARY_SHA256, CIFAR10_BINARY_URL } from './cifar10';

/** A downloadable archive. */
export interface ArchiveSpec {
  url: string;
  /** Expected sha256 of the file, lowercase hex. */
  sha256: string;
  /** File name in `<cache>/downloads/`. */
  fileName: string;
}

/** The official CIFAR-10 binary archive (162 MiB). */
export const CIFAR10_ARCHIVE: ArchiveSpec = { url: CIFAR10_BINARY_URL, sha256: CIFAR10_BINARY_SHA256, fileName: 'cifar-10-binary.tar.gz' };

/**
 * Returns the path of `spec`'s archive in `<cacheDir>/downloads/`, downloading it first when absent
 * (progress in bytes through `progress`), then checking its sha256. A mismatch or a network failure
 * throws an error that names the local path where a manually fetched copy can be put.
 */
export async function downloadArchive(spec: ArchiveSpec, options: { cacheDir?: string; progress?: ProgressReporter } = {}): Promise<string> {
  const dest = path.join(options.cacheDir ?? cacheRoot(), 'downloads', spec.fileName);
  const manual = `download ${spec.url} on a machine with internet and copy it to ${dest} (sha256 ${spec.sha256}), or pass the archive's path to the loader`;
  return downloadVerified({ url: spec.url, dest, sha256: spec.sha256, what: spec.fileName, manual }, options.progress);
}
