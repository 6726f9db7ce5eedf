/** Experiments: train registered (or custom) models on the lessons' data sets, with every run recorded and reused. */
export * from './run';
export * from './trained';
export * from './recipes';
export * from './sweep';
export * from './provenance';
export * from './reference';
