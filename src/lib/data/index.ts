/**
 * Image data sets: the in-memory `Dataset` (uint8 images, labels, class names), batches with normalisation and
 * augmentation, loaders for CIFAR-10, Tiny ImageNet, Fashion-MNIST and image folders, the data-set profiles models
 * target, and `loadData`, which finds and loads a lesson data set by name. Decoded images are cached on disk.
 */
export * from './dataset';
export * from './load';
export * from './profiles';
export * from './cifar10';
export * from './tiny-imagenet';
export * from './fashion-mnist';
export * from './image-folder';
export * from './imagenet-folder';
export * from './decode';
export * from './download';
export { cacheRoot, repoRoot } from './cache';
