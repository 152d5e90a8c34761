/**
 * `@intrnn/cli`: the `intrnn` command line as a library, for embedding and tests.
 * @packageDocumentation
 */
export { main } from './main.js';
export type { Io } from './io.js';
