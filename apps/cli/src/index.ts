/**
 * `@intrnn/cli`: the `intrnn` command line as a library, for embedding and tests.
 * @packageDocumentation
 */
export { main } from './main.js';
export type { Io } from './io.js';
export { evaluateModel, zeroLmState } from './evaluate.js';
export type { EvalResult, EvalProgress } from './evaluate.js';
export { openEngine, ENGINES } from './engines.js';
export type { Engine, EngineName } from './engines.js';
export { measureLatency, median } from './latency.js';
export type { Latency } from './latency.js';
export { DEMO_SLICES, LATENCY_IDS } from './demo-slices.js';
export { benchModel } from './commands/bench.js';
export type { BenchResult } from './commands/bench.js';
