/** Experiments: train registered (or custom) models on the lessons' data sets, with every run recorded and reused. */
export * from './run';
export * from './trained';
