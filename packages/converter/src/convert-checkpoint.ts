import { decodeModel, IntrnnError, readTensor, type ModelMetadata } from '@intrnn/format';
import { END, loadBrownLm, loadG2pCheckpoint, loadLmCheckpoint, loadPosCheckpoint, readCheckpointMeta, SENTENCE_END, START, UNKNOWN, useWasmBackend } from '@intrnn/qat';
import { buildFloatG2pModel, buildFloatModel, floatG2pSpec, floatLanguageModelSpec, floatTaggerSpec } from './float-graph.js';
import { buildG2pModel, buildIntegerModel } from './integer-graph.js';
import { g2pSpec, languageModelSpec, taggerSpec } from './from-model.js';

/** The two files of one converted checkpoint. */
export interface ConvertedModel {
  task: ModelMetadata['task'];
  /** The integer ONNX file (ai.intrnn ops + standard-op functions). */
  integer: Uint8Array;
  /** The float32 ONNX file of the same weights (standard ops only). */
  float32: Uint8Array;
  /** The same float model with ONNX Runtime's dynamic int8 weight products (the peer to beat). */
  int8Dynamic: Uint8Array;
  metadata: ModelMetadata;
}

/**
 * Convert a QAT training checkpoint (from `intrnn train --qat-from`) into its integer ONNX file and
 * the float32 ONNX file of the same model. A float checkpoint is refused: it has no frozen
 * quantization (scales, PWL tables) to convert.
 */
export async function convertCheckpoint(dir: string): Promise<ConvertedModel> {
  const meta = readCheckpointMeta(dir);
  if (meta.mode !== 'qat' || !meta.quant) {
    throw new IntrnnError('ERR_CHECKPOINT', dir, `is a ${meta.mode} checkpoint; convert takes a QAT checkpoint (intrnn train --qat-from ${dir} --out DIR)`);
  }
  await useWasmBackend();
  const source = { producer: 'intrnn-converter 0.1.0', preset: meta.preset, checkpointStep: meta.step, dataFingerprint: meta.dataFingerprint };
  if (meta.task === 'lm-brown') {
    const { model } = loadLmCheckpoint(dir);
    try {
      const data = loadBrownLm({ vocabSize: meta.train.vocabSize as number });
      if (data.fingerprint !== meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
      const { bytes, metadata } = buildIntegerModel(languageModelSpec(model, data.vocab.tokens, { unknown: UNKNOWN, sentenceEnd: SENTENCE_END }, source));
      const f = floatLanguageModelSpec(model, metadata);
      return { task: 'lm-brown', integer: bytes, float32: buildFloatModel(f), int8Dynamic: buildFloatModel(f, 'int8-dynamic'), metadata };
    } finally {
      model.dispose();
    }
  }
  if (meta.task === 'pos-brown') {
    const { model, words, tags } = loadPosCheckpoint(dir);
    try {
      const { bytes, metadata } = buildIntegerModel(taggerSpec(model, words.tokens, tags.tokens, UNKNOWN, source));
      const f = floatTaggerSpec(model, metadata);
      return { task: 'pos-brown', integer: bytes, float32: buildFloatModel(f), int8Dynamic: buildFloatModel(f, 'int8-dynamic'), metadata };
    } finally {
      model.dispose();
    }
  }
  if (meta.task === 'g2p-cmudict') {
    const { model, letters, phones } = loadG2pCheckpoint(dir);
    try {
      const { bytes, metadata } = buildG2pModel(g2pSpec(model, letters.tokens, phones.tokens, { start: START, end: END }, source));
      const f = floatG2pSpec(model, metadata);
      return { task: 'g2p-cmudict', integer: bytes, float32: buildFloatG2pModel(f), int8Dynamic: buildFloatG2pModel(f, 'int8-dynamic'), metadata };
    } finally {
      model.dispose();
    }
  }
  throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${meta.task}, which this converter cannot convert`);
}

/** Bytes per tensor class of an ONNX file, and the file's total. */
export interface SizeReport {
  total: number;
  byClass: Record<string, number>;
}

/**
 * Sizes of a file's initializers grouped by class: weights (int8 or float matrices), biases,
 * embedding, PWL tables, rescaling (multipliers, shifts), MadNorm, metadata and graph (the rest).
 */
export function sizeReport(bytes: Uint8Array): SizeReport {
  const model = decodeModel(bytes);
  const byClass: Record<string, number> = {};
  const add = (k: string, n: number) => (byClass[k] = (byClass[k] ?? 0) + n);
  for (const t of model.graph?.initializer ?? []) {
    const name = t.name ?? '';
    const n = readTensor(t).data.byteLength;
    const cls = name === 'embedding' || name === 'decoder_embedding' ? 'embedding' : /\.(W|R|wx|wh)(\.q)?$/.test(name) ? 'weights' : /\.(B|bias)$/.test(name) ? 'biases' : /(sigmoid|tanh_gate|tanh_cell|exp)(_params)?$/.test(name) ? 'pwl tables' : /(rescale|multipliers|shifts|score_rescale)$/.test(name) ? 'rescaling' : /norm|gamma|beta/.test(name) ? 'madnorm' : /initial_/.test(name) ? 'states' : 'other tensors';
    add(cls, n);
  }
  add('metadata', (model.metadataProps ?? []).reduce((s, e) => s + (e.value?.length ?? 0), 0));
  const counted = Object.values(byClass).reduce((a, b) => a + b, 0);
  add('graph and functions', Math.max(0, bytes.length - counted));
  return { total: bytes.length, byClass };
}
