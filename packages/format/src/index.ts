/**
 * `@intrnn/format`: the contract between intrnn's trainer, converter and runtimes.
 *
 * - {@link IntrnnError}: the typed error all packages throw for bad input.
 * - {@link INTRNN_DOMAIN}, {@link IntrnnOp}, {@link OP_SIGNATURES}: the versioned `ai.intrnn` op set
 *   with every op's typed inputs, outputs and attributes, the PWL tensor encoding, type codes and
 *   the names of layer tensors and states.
 * - {@link PwlTableSchema}: the zod schema of a piecewise-linear activation table.
 *
 * No Node-only imports: this package runs in browsers too.
 * @packageDocumentation
 */
export { IntrnnError, isIntrnnError } from './errors.js';
export { INTRNN_DOMAIN, INTRNN_OPSET_VERSION, IntrnnOp, INTRNN_OPS, opsetVersionFor } from './op-set.js';
export type { IntrnnOpName } from './op-set.js';
export {
  OP_SIGNATURES,
  STANDARD_OPS,
  INT4_WEIGHTS_SINCE,
  AttributeType,
  DataType,
  dataTypeCode,
  elementTypeName,
  inputIndex,
  inputNames,
  outputNames,
  inputCounts,
  PWL_SYMMETRY,
  pwlSymmetryCode,
  encodePwl,
  decodePwl,
  layerTensorName,
  stateNames,
} from './op-signatures.js';
export type { OpSignature, InputSignature, OutputSignature, AttributeSignature, ElementTypeName, PwlFunction } from './op-signatures.js';
export { PwlTableSchema } from './pwl-table.js';
export type { PwlTable } from './pwl-table.js';
export { onnx, decodeModel, encodeModel, graphInputs, makeTensor, readTensor, toNumber, packInt4, unpackInt4, int4Bytes, int8Values } from './onnx-io.js';
export type { GraphInput, ModelProto, TensorProto, Tensor, TensorData, IModelProto, IGraphProto, INodeProto, IAttributeProto, IValueInfoProto, IFunctionProto } from './onnx-io.js';
export {
  ModelMetadataSchema,
  LstmLayerMetaSchema,
  GruLayerMetaSchema,
  OverflowBoundSchema,
  PwlScalesSchema,
  FORMAT_VERSION,
  METADATA_KEY,
  encodeMetadata,
  parseMetadata,
  modelMetadata,
  modelKind,
} from './metadata.js';
export type { ModelMetadata, LstmLayerMeta, GruLayerMeta, LayerMeta, ModelKind } from './metadata.js';
