/**
 * `@intrnn/runtime-core`: intrnn's pure TypeScript integer runtime.
 *
 * The arithmetic primitives and reference kernels that define intrnn's integer semantics
 * (docs/integer-semantics.md), their fast twins, the kernel registry, the ONNX executor and the task
 * SDK (language model, tagger, transducer). Every optimized kernel, in any backend, is tested to the
 * bit against the references. No Node-only imports: runs in browsers too.
 * @packageDocumentation
 */
export { roundingShiftRight } from './arithmetic/rounding-shift-right.js';
export { roundingDivide } from './arithmetic/rounding-divide.js';
export { saturate, intMin, intMax } from './arithmetic/saturate.js';
export { quantizeMultiplier, MULTIPLIER_BITS } from './arithmetic/quantize-multiplier.js';
export type { QuantizedMultiplier } from './arithmetic/quantize-multiplier.js';
export { applyMultiplier, requantize } from './arithmetic/requantize.js';
export { gemvInt8, accumulatorBound } from './kernels/gemv-int8.js';
export { gemmInt8 } from './kernels/gemm-int8.js';
export { pwlEval, pwlEvalArray, pwlMinimum, validatePwlTable } from './kernels/pwl-eval.js';
export { compilePwl } from './kernels/pwl-eval-fast.js';
export { madNormReference } from './kernels/mad-norm.js';
export type { MadNormParams } from './kernels/mad-norm.js';
export { intSoftmax } from './kernels/int-softmax.js';
export { lstmStepReference } from './kernels/lstm-step.js';
export { gruStepReference, type GruCellParams } from './kernels/gru-step.js';
export type { LstmCellParams, LstmState } from './kernels/lstm-step.js';
export { loadModel, IntrnnModel } from './executor/model.js';
export type { ValueSpec, LoadOptions } from './executor/model.js';
export { registerKernel, useReference, isReferenceOnly, kernelsFor, selectKernel, candidateKernels } from './executor/registry.js';
export type { KernelEntry, KernelInstance, NodeSpec } from './executor/registry.js';
export { HEAP_ALLOCATOR } from './executor/arena.js';
export { modelPwlTables } from './executor/pwl-tables.js';
export type { ModelPwlTable, PwlFunction } from './executor/pwl-tables.js';
export type { OutputAllocator } from './executor/arena.js';
export type { Tensor, TensorData, ModelMetadata } from '@intrnn/format';
export { LanguageModel, MAX_GENERATED_TOKENS } from './sdk/language-model.js';
export type { LmStreamState, GenerateOptions } from './sdk/language-model.js';
export { Tagger, TaggerCodec, featureInputs } from './sdk/tagger.js';
export { wordFeatureIds, wordShape, suffixBucket, checkWordFeatureSpec, WORD_SHAPES } from './sdk/word-features.js';
export type { WordFeatureSpec } from './sdk/word-features.js';
export type { TaggedWord } from './sdk/tagger.js';
export { argmax, logSumExp, softmax, Sampler } from './sdk/logits.js';
export type { Seed } from './sdk/logits.js';
export { tokenizeText } from './sdk/tokenize.js';
export { attentionReference } from './kernels/attention.js';
export type { AttentionParams } from './kernels/attention.js';
export { Transducer, G2pCodec, MAX_WORD_LENGTH } from './sdk/transducer.js';
export type { PronounceOptions, Pronunciation } from './sdk/transducer.js';
export { BeamSearch } from './sdk/beam-search.js';
export type { Hypothesis } from './sdk/beam-search.js';
// For kernel backends (runtime-native): the same parameter parsing and input checks as the built-in kernels.
export {
  lstmParamsFromTensors,
  lstmTensors,
  pwlTensors,
  expectTensor,
  pwlFromTensors,
  LSTM_INPUT,
  gruParamsFromTensors,
  gruTensors,
  GRU_INPUT,
  expectWeights,
  weightTensor,
} from './executor/tensor-checks.js';
export { checkLstmInputs, lstmDirection } from './executor/kernels/int-lstm.js';
export { denseParams, checkDenseInput } from './executor/kernels/int-dense.js';
export { LIMITS, checkCost } from './executor/limits.js';
export { attentionParamsFromTensors, checkAttentionInputs } from './executor/kernels/int-attention.js';
// For handle-based kernel libraries (runtime-native, runtime-wasm): one adapter for both bindings.
export { handleKernels, packPwl } from './executor/kernels/handle-kernels.js';
export type { HandleKernelLibrary, HandleKernelOptions } from './executor/kernels/handle-kernels.js';
