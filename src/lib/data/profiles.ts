/**
 * Data-set profiles: the image size and class count a model configuration targets. A profile is not a loader:
 * `loadData` maps each data set it loads to the profile its images fit (Fashion-MNIST, padded to 32×32 RGB, uses
 * the CIFAR-10 profile).
 */

/** Which data set a configuration targets; it sets the default input size, classes and stem. */
export type DatasetProfile = 'imagenet' | 'cifar10' | 'tiny-imagenet';

/** Input side (pixels) and classes of each profile: the defaults that a model's `resolution` / `classes` override. */
export const DATASET_PROFILES: Record<DatasetProfile, { resolution: number; classes: number }> = {
  imagenet: { resolution: 224, classes: 1000 },
  cifar10: { resolution: 32, classes: 10 },
  'tiny-imagenet': { resolution: 64, classes: 200 },
};

/** The profile names, in the order of {@link DATASET_PROFILES}. */
export const DATASET_PROFILE_NAMES = Object.keys(DATASET_PROFILES) as DatasetProfile[];
