/**
 * Image preprocessing as each weight source was trained and evaluated with. Input: RGB HWC uint8.
 * - TF-slim (`tfslim`): central crop of 87.5 % (`tf.image.central_crop`), bilinear resize to r×r without
 *   half-pixel centres (TF1 `resize_bilinear`, align_corners=False), values mapped to [−1, 1] as 2·(x/255 − 0.5).
 * - torchvision (`torchvision`): resize the shorter side to 256 (bilinear, half-pixel centres as PIL),
 *   centre crop 224, x/255 normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
 * - `torchvision-googlenet`: the same resize and crop, then (x/255 − 0.5)/0.5. torchvision runs its published
 *   GoogLeNet weights with `transform_input=True`, which turns the mean/std-normalised input into exactly this.
 */
import * as tf from '@tensorflow/tfjs';
import type { Image } from '../data/dataset';

export type PreprocessingName = 'tfslim' | 'torchvision' | 'torchvision-googlenet';
export const PREPROCESSING_NAMES: PreprocessingName[] = ['tfslim', 'torchvision', 'torchvision-googlenet'];

/** TF-slim's evaluation crop fraction. */
export const TFSLIM_CENTRAL_FRACTION = 0.875;
/** torchvision's ImageNet evaluation: resize shorter side to 256, crop 224. */
export const TORCH_RESIZE = 256;
export const TORCH_MEAN = [0.485, 0.456, 0.406];
export const TORCH_STD = [0.229, 0.224, 0.225];

/** One-line description of a preprocessing, as printed by `eval --json`. */
export function describePreprocessing(name: PreprocessingName, resolution: number): string {
  if (name === 'tfslim') return `tfslim: central crop 87.5%, bilinear resize to ${resolution}x${resolution}, scale to [-1, 1]`;
  const norm = name === 'torchvision' ? 'mean/std normalisation' : 'scale to [-1, 1] (GoogLeNet transform_input)';
  return `${name}: resize shorter side to ${Math.round((resolution * TORCH_RESIZE) / 224)}, centre crop ${resolution}, ${norm}`;
}

/** The TF `central_crop` window of one side of `size` pixels: start offset and length. */
export function centralCropWindow(size: number, fraction: number): { start: number; length: number } {
  const start = Math.floor((size - size * fraction) / 2);
  return { start, length: size - 2 * start };
}

function imageTensor(image: Image): tf.Tensor3D {
  if (image.channels !== 3) throw new Error(`preprocessing needs RGB images (3 channels), got ${image.channels}`);
  return tf.tensor3d(image.data, [image.height, image.width, 3], 'int32').toFloat();
}

/** TF-slim evaluation preprocessing of one image to [r, r, 3] float32 in [−1, 1]. */
export function preprocessTfSlim(image: Image, resolution: number): tf.Tensor3D {
  return tf.tidy(() => {
    const x = imageTensor(image);
    const h = centralCropWindow(image.height, TFSLIM_CENTRAL_FRACTION);
    const w = centralCropWindow(image.width, TFSLIM_CENTRAL_FRACTION);
    const crop = x.slice([h.start, w.start, 0], [h.length, w.length, 3]);
    const resized = tf.image.resizeBilinear(crop, [resolution, resolution], false, false);
    return resized.div(127.5).sub(1) as tf.Tensor3D;
  });
}

/**
 * torchvision evaluation preprocessing of one image to [crop, crop, 3] float32 (normalised). `crop` defaults to
 * 224 with resize 256; another crop keeps the 256/224 ratio.
 */
export function preprocessTorchvision(image: Image, crop = 224, normalisation: 'imagenet' | 'half' = 'imagenet'): tf.Tensor3D {
  return tf.tidy(() => {
    const x = imageTensor(image);
    const resize = Math.round((crop * TORCH_RESIZE) / 224);
    const short = Math.min(image.height, image.width);
    // torchvision: the shorter side becomes `resize`, the longer int(resize·long/short).
    const newH = image.height === short ? resize : Math.floor((resize * image.height) / short);
    const newW = image.width === short ? resize : Math.floor((resize * image.width) / short);
    const resized = tf.image.resizeBilinear(x, [newH, newW], false, true);
    const top = Math.round((newH - crop) / 2);
    const left = Math.round((newW - crop) / 2);
    const cropped = resized.slice([top, left, 0], [crop, crop, 3]);
    if (normalisation === 'half') return cropped.div(127.5).sub(1) as tf.Tensor3D;
    const mean = tf.tensor1d(TORCH_MEAN.map((m) => m * 255));
    const std = tf.tensor1d(TORCH_STD.map((s) => s * 255));
    return cropped.sub(mean).div(std) as tf.Tensor3D;
  });
}

/** Applies preprocessing `name` at `resolution`. [H,W,3] uint8 image → [r,r,3] float32. */
export function preprocess(name: PreprocessingName, image: Image, resolution: number): tf.Tensor3D {
  if (name === 'tfslim') return preprocessTfSlim(image, resolution);
  if (name === 'torchvision') return preprocessTorchvision(image, resolution);
  if (name === 'torchvision-googlenet') return preprocessTorchvision(image, resolution, 'half');
  throw new Error(`unknown preprocessing "${String(name)}"; accepted: ${PREPROCESSING_NAMES.join(', ')}`);
}
