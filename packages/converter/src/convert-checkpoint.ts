import { decodeModel, FORMAT_VERSION, IntrnnError, opsetVersionFor, readTensor, type ModelMetadata } from '@intrnn/format';
import {
  END,
  loadBrownLm,
  loadG2pCheckpoint,
  loadLmCheckpoint,
  loadPosCheckpoint,
  readCheckpointMeta,
  SENTENCE_END,
  START,
  taggerFeatureSpec,
  UNKNOWN,
  useWasmBackend,
  type CheckpointMeta,
} from '@intrnn/qat';
import { buildFloatG2pModel, buildFloatModel, floatG2pSpec, floatLanguageModelSpec, floatTaggerSpec } from './float-graph.js';
import { buildG2pModel, buildIntegerModel } from './integer-graph.js';
import { g2pSpec, languageModelSpec, taggerSpec } from './from-model.js';

/** The files of one converted checkpoint. */
export interface ConvertedModel {
  task: string;
  /** The integer ONNX file (ai.intrnn ops + standard-op functions); null for a float checkpoint. */
  integer: Uint8Array | null;
  /** The float32 ONNX file of the same weights (standard ops only). */
  float32: Uint8Array;
  /** The same float model with ONNX Runtime's dynamic int8 weight products (a benchmark extra); null for a float checkpoint. */
  int8Dynamic: Uint8Array | null;
  /** The integer file's metadata (the float32 file's for a float checkpoint). */
  metadata: ModelMetadata;
}

/** A checkpoint's metadata, checked to hold `task`, and its source record for the files. */
async function open(dir: string, task: string): Promise<{ meta: CheckpointMeta; source: ModelMetadata['source']; qat: boolean }> {
  const meta = readCheckpointMeta(dir);
  if (meta.task !== task) throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${meta.task}, not ${task}`);
  await useWasmBackend();
  const qat = meta.mode === 'qat';
  if (qat && !meta.quant) throw new IntrnnError('ERR_CHECKPOINT', dir, 'is a QAT checkpoint without its frozen quantization');
  return { meta, qat, source: { producer: 'intrnn-converter 0.1.0', preset: meta.preset, checkpointStep: meta.step, dataFingerprint: meta.dataFingerprint } };
}

/**
 * The metadata of a float32 file from a float checkpoint (no quantization to describe): the task's
 * vocabularies, unit scales (float files do not use them) and no layers, tables or proof.
 */
function floatOnlyMeta(m: Pick<ModelMetadata, 'task' | 'kind' | 'vocabularies' | 'source'> & Partial<Pick<ModelMetadata, 'wordFeatures'>>): ModelMetadata {
  return {
    format: 'intrnn',
    formatVersion: FORMAT_VERSION,
    opsetVersion: opsetVersionFor([]), // a float file uses no ai.intrnn op
    numerics: 'float32',
    scales: { embedding: 1, logits: 1 },
    layers: [],
    pwlTables: {},
    overflowProof: [],
    ...m,
  };
}

/** A language model checkpoint: QAT → integer + float32 (+ int8-dynamic); float → float32. */
export async function convertLmCheckpoint(dir: string): Promise<ConvertedModel> {
  const { meta, source, qat } = await open(dir, 'lm-brown');
  const { model } = loadLmCheckpoint(dir);
  try {
    const data = loadBrownLm({ vocabSize: meta.train.vocabSize as number });
    if (data.fingerprint !== meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
    const vocabularies = { input: [...data.vocab.tokens], unknown: UNKNOWN, sentenceEnd: SENTENCE_END };
    if (!qat) {
      const metadata = floatOnlyMeta({ task: 'lm-brown', kind: 'language-model', vocabularies, source });
      return { task: 'lm-brown', integer: null, float32: buildFloatModel(floatLanguageModelSpec(model, metadata)), int8Dynamic: null, metadata };
    }
    const { bytes, metadata } = buildIntegerModel(languageModelSpec(model, data.vocab.tokens, { unknown: UNKNOWN, sentenceEnd: SENTENCE_END }, source));
    const f = floatLanguageModelSpec(model, metadata);
    return { task: 'lm-brown', integer: bytes, float32: buildFloatModel(f), int8Dynamic: buildFloatModel(f, 'int8-dynamic'), metadata };
  } finally {
    model.dispose();
  }
}

/** A tagger checkpoint: QAT → integer + float32 (+ int8-dynamic); float → float32. */
export async function convertPosCheckpoint(dir: string): Promise<ConvertedModel> {
  const { source, qat } = await open(dir, 'pos-brown');
  const { model, words, tags } = loadPosCheckpoint(dir);
  try {
    if (!qat) {
      const spec = taggerFeatureSpec(model.config);
      const metadata = floatOnlyMeta({
        task: 'pos-brown',
        kind: 'tagger',
        vocabularies: { input: [...words.tokens], output: [...tags.tokens], unknown: UNKNOWN },
        source,
        ...(spec ? { wordFeatures: { suffixLengths: [...spec.suffixLengths], buckets: spec.buckets } } : {}),
      });
      return { task: 'pos-brown', integer: null, float32: buildFloatModel(floatTaggerSpec(model, metadata)), int8Dynamic: null, metadata };
    }
    const { bytes, metadata } = buildIntegerModel(taggerSpec(model, words.tokens, tags.tokens, UNKNOWN, source));
    const f = floatTaggerSpec(model, metadata);
    return { task: 'pos-brown', integer: bytes, float32: buildFloatModel(f), int8Dynamic: buildFloatModel(f, 'int8-dynamic'), metadata };
  } finally {
    model.dispose();
  }
}

/** A G2P checkpoint: QAT → integer + float32 (+ int8-dynamic); float → float32. */
export async function convertG2pCheckpoint(dir: string): Promise<ConvertedModel> {
  const { source, qat } = await open(dir, 'g2p-cmudict');
  const { model, letters, phones } = loadG2pCheckpoint(dir);
  try {
    if (!qat) {
      const metadata = floatOnlyMeta({
        task: 'g2p-cmudict',
        kind: 'transducer',
        vocabularies: { input: [...letters.tokens], output: [...phones.tokens], unknown: letters.tokens[0], sequenceStart: START, sentenceEnd: END },
        source,
      });
      return { task: 'g2p-cmudict', integer: null, float32: buildFloatG2pModel(floatG2pSpec(model, metadata)), int8Dynamic: null, metadata };
    }
    const { bytes, metadata } = buildG2pModel(g2pSpec(model, letters.tokens, phones.tokens, { start: START, end: END }, source));
    const f = floatG2pSpec(model, metadata);
    return { task: 'g2p-cmudict', integer: bytes, float32: buildFloatG2pModel(f), int8Dynamic: buildFloatG2pModel(f, 'int8-dynamic'), metadata };
  } finally {
    model.dispose();
  }
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
    const cls =
      name === 'embedding' || name === 'decoder_embedding' || name.startsWith('table.')
        ? 'embedding'
        : /\.(W|R|wx|wh)(\.q)?$/.test(name)
          ? 'weights'
          : /\.(B|bias)$/.test(name)
            ? 'biases'
            : /(sigmoid|tanh_gate|tanh_cell|exp)(_params)?$/.test(name)
              ? 'pwl tables'
              : /(rescale|multipliers|shifts|score_rescale)$/.test(name)
                ? 'rescaling'
                : /norm|gamma|beta/.test(name)
                  ? 'madnorm'
                  : /initial_/.test(name)
                    ? 'states'
                    : 'other tensors';
    add(cls, n);
  }
  add(
    'metadata',
    (model.metadataProps ?? []).reduce((s, e) => s + (e.value?.length ?? 0), 0),
  );
  const counted = Object.values(byClass).reduce((a, b) => a + b, 0);
  add('graph and functions', Math.max(0, bytes.length - counted));
  return { total: bytes.length, byClass };
}
