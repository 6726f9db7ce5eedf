/**
 * The model families of the survey and their registry: import this module (not the family files) to list or build
 * models; it registers every family. Also: building registered models from pretrained weight files, and the plain
 * (non-compact) CNN the compression lesson starts from.
 */
import './families';

export * from './registry';
export * from './pretrained';
export * from './plain-cnn';
