/**
 * The one downloader: fetches a published file (a data archive, pretrained weights) into the cache, for readers with
 * internet access, and checks its sha256. The build machines have none: there every error says how to supply the
 * file by hand instead.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import type { ProgressReporter } from './progress';
import { writeFileAtomic } from './data/cache';

/** A file to fetch and where it goes. */
export interface DownloadSpec {
  url: string;
  /** Destination path (its folder is created). */
  dest: string;
  /** Expected sha256, lowercase hex: the whole digest, or a prefix of it (torchvision puts one in its file names). */
  sha256: string;
  /** What the file is, for messages, e.g. "torchvision weights for resnet18". */
  what: string;
  /** How to supply the file without this download (appended to every error), e.g. "copy it to …". */
  manual: string;
}

/** sha256 of bytes, lowercase hex. */
function sha256Hex(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** The expected digest as shown in messages: a prefix ends with "…". */
function expectedText(spec: DownloadSpec): string {
  return spec.sha256.length < 64 ? `${spec.sha256}…` : spec.sha256;
}

/**
 * Returns `spec.dest`: a copy already there is kept when its sha256 matches (and refused when not); otherwise the file
 * is downloaded (progress in bytes through `progress`), checked, and written atomically. A network failure, an HTTP
 * error, a broken-off transfer or a digest mismatch throws an error naming the URL and `spec.manual`; nothing is
 * written then (the body is held in memory and written atomically only once verified).
 */
export async function downloadVerified(spec: DownloadSpec, progress?: ProgressReporter): Promise<string> {
  if (!/^[0-9a-f]{8,64}$/.test(spec.sha256)) throw new Error(`downloadVerified: sha256 must be 8 to 64 lowercase hex digits, got "${spec.sha256}"`);
  if (fs.existsSync(spec.dest)) {
    const actual = sha256Hex(fs.readFileSync(spec.dest));
    if (actual.startsWith(spec.sha256)) return spec.dest;
    throw new Error(`${spec.dest} has sha256 ${actual}, expected ${expectedText(spec)}: the copy is corrupt or a different file; delete it and ${spec.manual}`);
  }
  let response: Response;
  try {
    response = await fetch(spec.url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot download ${spec.what} from ${spec.url} (${cause?.code ?? cause?.message ?? (err as Error).message}); no internet access? Instead, ${spec.manual}`);
  }
  if (!response.ok || !response.body) throw new Error(`download of ${spec.what} from ${spec.url} failed with HTTP ${response.status}; instead, ${spec.manual}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      progress?.update({ step: received, total });
    }
  } catch (err) {
    // The bytes so far live in memory only: nothing partial reaches the disk.
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Error(`download of ${spec.what} from ${spec.url} broke off after ${received} of ${total ?? '?'} bytes (${cause}); nothing was saved; retry, or ${spec.manual}`);
  }
  // With a Content-Encoding, fetch decompresses and the length counts compressed bytes: nothing to compare then.
  if (total !== undefined && received !== total && !response.headers.get('content-encoding')) {
    throw new Error(`download of ${spec.what} from ${spec.url} ended after ${received} of ${total} bytes; nothing was saved; retry, or ${spec.manual}`);
  }
  const bytes = Buffer.concat(chunks);
  progress?.done(`${(received / 2 ** 20).toFixed(1)} MiB`);
  const actual = sha256Hex(bytes);
  if (!actual.startsWith(spec.sha256)) {
    throw new Error(`downloaded ${spec.url} has sha256 ${actual}, expected ${expectedText(spec)}; nothing was saved; retry, or ${spec.manual}`);
  }
  writeFileAtomic(spec.dest, bytes);
  return spec.dest;
}
