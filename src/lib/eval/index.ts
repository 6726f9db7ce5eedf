/** ImageNet-style evaluation of a classifier on labelled image files: labels, the published preprocessings, top-k scores. */
export * from './evaluate';
export * from './labels';
export * from './preprocess';
export * from './score';
