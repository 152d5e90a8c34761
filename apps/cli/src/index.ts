/**
 * `@intrnn/cli`: the `intrnn` command line as a library, for embedding and tests. The evaluation
 * harness it uses is `@intrnn/tasks`.
 * @packageDocumentation
 */
export { main } from './main.js';
export type { Io } from './io.js';
