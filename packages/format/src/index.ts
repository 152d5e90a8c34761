/**
 * `@intrnn/format`: the contract between intrnn's trainer, converter and runtimes.
 *
 * - {@link IntrnnError}: the typed error all packages throw for bad input.
 * - {@link INTRNN_DOMAIN}, {@link IntrnnOp}: the versioned `ai.intrnn` op set.
 * - {@link PwlTableSchema}: the zod schema of a piecewise-linear activation table.
 *
 * No Node-only imports: this package runs in browsers too.
 * @packageDocumentation
 */
export { IntrnnError, isIntrnnError } from './errors.js';
export { INTRNN_DOMAIN, INTRNN_OPSET_VERSION, IntrnnOp } from './op-set.js';
export type { IntrnnOpName } from './op-set.js';
export { PwlTableSchema } from './pwl-table.js';
export type { PwlTable } from './pwl-table.js';
export { onnx, DataType, decodeModel, encodeModel, makeTensor, readTensor, dataTypeCode, toNumber } from './onnx-io.js';
export type { ModelProto, TensorProto, Tensor, TensorData, IModelProto, IGraphProto, INodeProto, IAttributeProto, IValueInfoProto, IFunctionProto } from './onnx-io.js';
export { ModelMetadataSchema, LstmLayerMetaSchema, OverflowBoundSchema, PwlScalesSchema, FORMAT_VERSION, METADATA_KEY, encodeMetadata, parseMetadata, modelMetadata } from './metadata.js';
export type { ModelMetadata, LstmLayerMeta } from './metadata.js';
