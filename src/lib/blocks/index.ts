/**
 * Building blocks of the survey's networks, as functions from a symbolic tensor to a symbolic tensor with
 * deterministic layer names (`<name>.conv`, `<name>.bn`, …) so that weight files map by name. Every block spells
 * its output width `outChannels`, its stride `stride` and its padding `padding` (see {@link ConvPadding}).
 */
export * from './conv';
export * from './separable';
export * from './fire';
export * from './inverted-residual';
export * from './residual';
export * from './inception';
export * from './shuffle-units';
export * from './shift-blocks';
export * from './torch-pooling';
