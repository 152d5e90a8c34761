/**
 * `@intrnn/converter`: QAT checkpoint → ONNX integer graph (`ai.intrnn` ops with standard-op
 * model-local functions), with zod-validated metadata, an overflow proof and a size report.
 *
 * Skeleton: nothing is exported yet. The converter is built in issue 3.
 * @packageDocumentation
 */
export {};
