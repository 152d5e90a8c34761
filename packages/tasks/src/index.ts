/**
 * `@intrnn/tasks`: the task registry and the evaluation harness.
 *
 * - {@link TASKS}, {@link taskEntry}: each task (a model kind on a dataset) with its trainer,
 *   converter, evaluation data and demo slice; {@link convertCheckpoint} and {@link evalCheckpoint}
 *   dispatch by the task a checkpoint records.
 * - {@link openEngine}: runtime-core (with or without the native kernels) or ONNX Runtime on a file.
 * - {@link evaluateModel}: a file's task metric on a split and the hash of every output, so that two
 *   engines' outputs can be compared exactly; {@link measureLatency}, {@link benchModel}.
 *
 * The CLI and the tools use this package; training and conversion load TensorFlow.js on first use.
 * @packageDocumentation
 */
export { TASKS, taskEntry, convertCheckpoint, evalCheckpoint } from './registry.js';
export type { TaskEntry, TaskData, LanguageModelData, TaggerData, TransducerData, Split } from './registry.js';
export { openEngine, engineBackends, ENGINES } from './engines.js';
export type { Engine, EngineName, KernelEngine } from './engines.js';
export { evaluateModel } from './evaluate.js';
export { zeroLmState, carryLmState } from './lm-state.js';
export type { EvalResult, EvalProgress } from './evaluate.js';
export { measureLatency, latencyStepper, median, warmUp, timeInterleaved } from './latency.js';
export type { SteppableEngine, TimedStepper } from './latency.js';
export type { Latency } from './latency.js';
export { benchModel } from './bench.js';
export type { BenchResult } from './bench.js';
