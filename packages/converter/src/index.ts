/**
 * `@intrnn/converter`: QAT model → one ONNX file. Recurrent layers and the output layer are
 * `ai.intrnn` nodes (IntLSTM, IntDense) that runtime-core runs with fused kernels; each is also a
 * model-local ONNX function of standard integer ops, so stock ONNX Runtime runs the same file
 * bit-exactly. The metadata (task, vocabularies, scales, PWL tables, overflow proof) is validated
 * by `@intrnn/format`'s zod schema.
 * @packageDocumentation
 */
export { buildIntegerModel, buildG2pModel, pwlTensors } from './integer-graph.js';
export type { IntegerModelSpec, LayerSpec, LstmLayerSpec, GruLayerSpec, G2pModelSpec } from './integer-graph.js';
export { languageModelSpec, taggerSpec, g2pSpec } from './from-model.js';
export { buildFloatModel, buildFloatG2pModel, floatLanguageModelSpec, floatTaggerSpec, floatG2pSpec } from './float-graph.js';
export type { FloatModelSpec, FloatG2pSpec, FloatLayer, WeightProducts } from './float-graph.js';
export { convertLmCheckpoint, convertPosCheckpoint, convertG2pCheckpoint, sizeReport } from './convert-checkpoint.js';
export type { ConvertedModel, SizeReport } from './convert-checkpoint.js';
export { dequantizeLanguageModel, buildPeerLanguageModel } from './peer-models.js';
export type { DequantizedLm, PeerForm, PeerLayer } from './peer-models.js';
