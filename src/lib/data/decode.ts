/** Decoding of JPEG and PNG files to uint8 RGB with jpeg-js and pngjs (pure JavaScript, no native code). */
import * as fs from 'fs';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Image } from './dataset';
import { rethrowFileError } from '../errors';

/** Largest image accepted, in pixels (jpeg-js's own default limit, applied to PNG too): more is a corrupt or crafted file. */
export const MAX_IMAGE_PIXELS = 100e6;

/** File extensions the image-folder loaders accept (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** True when `file` has an image extension the decoder reads. */
export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Decodes JPEG or PNG `bytes` (format detected from the signature, not the name) to RGB HWC uint8.
 * Grayscale JPEGs come out as RGB (jpeg-js replicates the channel); PNG alpha is dropped.
 * `name` is used in error messages.
 */
export function decodeImageBytes(bytes: Uint8Array, name: string): Image {
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  try {
    if (isJpeg) {
      const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 512, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
      return { data: decoded.data as Uint8Array, height: decoded.height, width: decoded.width, channels: 3 };
    }
    if (isPng) {
      // pngjs allocates width × height × 4 bytes from the header before reading any pixel: check the header first.
      const width = bytes.length >= 24 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(16) : 0;
      const height = bytes.length >= 24 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(20) : 0;
      if (width * height > MAX_IMAGE_PIXELS) {
        throw new Error(`its header declares ${width}×${height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels accepted`);
      }
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
        rgb[i] = png.data[j];
        rgb[i + 1] = png.data[j + 1];
        rgb[i + 2] = png.data[j + 2];
      }
      return { data: rgb, height: png.height, width: png.width, channels: 3 };
    }
  } catch (err) {
    throw new Error(`cannot decode image ${name}: ${(err as Error).message}; the file is corrupt or truncated — replace it from the original archive`);
  }
  throw new Error(`cannot decode image ${name}: neither a JPEG nor a PNG signature (${bytes.length} bytes); only JPEG and PNG are supported`);
}

/** Reads and decodes the image file at `file` to RGB HWC uint8; errors name the file. */
export function decodeImageFile(file: string): Image {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    rethrowFileError(err, 'read the image', file);
  }
  return decodeImageBytes(bytes, file);
}
