/**
 * The helpers the native- and wasm-kernel tests import under their old path; they live in test/support/. This file
 * goes when those tests import test/support directly (with the kernel folders' move to src/lib/kernels).
 */
export { randomValues } from './support/random';
export { scaledError } from './support/tolerance';
export { saveAndLoad } from './support/models';
