import { IntrnnError } from '@intrnn/format';
import seedrandom from 'seedrandom';
import { loadBrownPos, type BrownPosData, type TaggedSentence } from '../data/pos-brown.js';
import { UNKNOWN } from '../data/lm-brown.js';
import { Vocabulary, countTokens, frequentTokens } from '../data/vocabulary.js';
import { crossEntropy } from '../models/language-model.js';
import { wordFeatureIds, type WordFeatureSpec } from '@intrnn/runtime-core';
import { BiLstmTagger, taggerFeatureSpec, type TaggerConfig, type TaggerInputs, type TaggerQatConstants } from '../models/tagger.js';
import { requireQatExactness } from '../qat/exactness.js';
import { tf, useWasmBackend } from '../qat/tf-backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { disposeCheckpoint, loadFloatStart, loadWeights, requireLstmCell, trainsGru, trainTask, trainingMode, type TaskTrainOptions, type TaskTrainSummary, type TrainProgress } from './trainer.js';

/** Training settings of a tagging preset. */
export interface PosTrainSettings {
  batch: number;
  steps: number;
  learningRate: number;
  clipNorm: number;
  /** Vocabulary: the K most frequent training words (0: words seen at least twice). */
  vocabSize: number;
  dropout: number;
  qatSteps: number;
  qatLearningRate: number;
  calibrationBatches: number;
  /** Validation after training reads at most this many sentences (0: all). */
  evalSentences: number;
  /** Float pretraining: cosine decay of the learning rate over this many steps, to lrFloor × the rate (0: constant). */
  lrDecaySteps?: number;
  lrFloor?: number;
}

const TINY_FEATURES = { suffixes: 2, buckets: 64, suffixDim: 4, shapeDim: 4 };
const MEDIUM_FEATURES = { suffixes: 4, buckets: 4096, suffixDim: 32, shapeDim: 16 };
const TINY_TRAIN: PosTrainSettings = {
  batch: 16,
  steps: 60,
  learningRate: 0.01,
  clipNorm: 5,
  vocabSize: 2000,
  dropout: 0,
  qatSteps: 8,
  qatLearningRate: 0.002,
  calibrationBatches: 2,
  evalSentences: 200,
};
const SMALL_TRAIN: PosTrainSettings = {
  batch: 32,
  steps: 3000,
  learningRate: 0.002,
  clipNorm: 5,
  vocabSize: 0,
  dropout: 0.3,
  qatSteps: 600,
  qatLearningRate: 0.0005,
  calibrationBatches: 8,
  evalSentences: 0,
};
const MEDIUM_TRAIN: PosTrainSettings = {
  batch: 32,
  steps: 18000,
  learningRate: 0.002,
  clipNorm: 5,
  vocabSize: 0,
  dropout: 0.4,
  qatSteps: 2000,
  qatLearningRate: 0.0002,
  calibrationBatches: 8,
  evalSentences: 0,
  lrDecaySteps: 18000,
  lrFloor: 0.05,
};

/** Presets of the Brown tagger: `tiny` for tests, `medium` for the shipped model; `-gru`: the same at equal parameters with GRU cells. */
export const POS_PRESETS: Record<string, { model: Omit<TaggerConfig, 'vocabSize' | 'tagCount'>; train: PosTrainSettings }> = {
  tiny: { model: { embedSize: 16, hiddenSize: 16, madNorm: 1, seed: 1, ...TINY_FEATURES }, train: TINY_TRAIN },
  small: { model: { embedSize: 128, hiddenSize: 128, madNorm: 1, seed: 1 }, train: SMALL_TRAIN },
  // the shipped model: spelling features for words outside the vocabulary, about 12 epochs
  medium: { model: { embedSize: 128, hiddenSize: 192, madNorm: 1, seed: 1, ...MEDIUM_FEATURES }, train: MEDIUM_TRAIN },
  // GRU cells (no MadNorm) at the LSTM preset's parameter count and schedule: the embeddings and
  // output layer as the LSTM's, hidden size so that both directions and the output layer hold as
  // many parameters (tiny 12,103 against 12,187; small 314,219 against 313,275; medium 791,307 against 789,307)
  'tiny-gru': { model: { embedSize: 16, hiddenSize: 18, madNorm: 0, seed: 1, gru: 1, ...TINY_FEATURES }, train: TINY_TRAIN },
  'small-gru': { model: { embedSize: 128, hiddenSize: 152, madNorm: 0, seed: 1, gru: 1 }, train: SMALL_TRAIN },
  'medium-gru': { model: { embedSize: 128, hiddenSize: 232, madNorm: 0, seed: 1, gru: 1, ...MEDIUM_FEATURES }, train: MEDIUM_TRAIN },
};

/** Word and tag vocabularies of the task: training words seen twice (or the top K) plus `<unk>`; the training tagset. */
export function posVocabularies(data: BrownPosData, vocabSize: number): { words: Vocabulary; tags: Vocabulary } {
  const counts = countTokens(data.train.flatMap((s) => s.words));
  const kept = frequentTokens(counts, vocabSize > 0 ? { topK: vocabSize - 1 } : { minCountExclusive: 1 });
  return { words: new Vocabulary([UNKNOWN, ...kept], UNKNOWN), tags: new Vocabulary(data.tagset) };
}

/**
 * Items grouped into batches of equal length (no padding, so a backward direction needs no
 * masking), the batch order shuffled per epoch with a seeded generator: step → batch is fixed.
 * The length key defaults to a sentence's word count; G2P keys on (letters, phonemes).
 */
export class LengthBatches<S = TaggedSentence> {
  readonly batches: S[][];

  constructor(
    items: S[],
    readonly batchSize: number,
    readonly seed: number,
    key: (item: S) => number = (item) => (item as TaggedSentence).words.length,
  ) {
    const byLength = new Map<number, S[]>();
    for (const s of items) {
      const list = byLength.get(key(s)) ?? [];
      list.push(s);
      byLength.set(key(s), list);
    }
    this.batches = [];
    for (const len of [...byLength.keys()].sort((a, b) => a - b)) {
      const list = byLength.get(len)!;
      for (let i = 0; i < list.length; i += batchSize) this.batches.push(list.slice(i, i + batchSize));
    }
  }

  private order(epoch: number): number[] {
    const rng = seedrandom(`${this.seed}:epoch${epoch}`);
    const idx = this.batches.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx;
  }

  /** The batch of a global step. */
  at(step: number): S[] {
    const epoch = Math.floor(step / this.batches.length);
    return this.batches[this.order(epoch)[step % this.batches.length]];
  }
}

/** Feature ids of word types, computed once (runtime-core's wordFeatureIds is the definition). */
const featureCache = new WeakMap<WordFeatureSpec, Map<string, number[]>>();
function featuresOf(word: string, spec: WordFeatureSpec): number[] {
  let cache = featureCache.get(spec);
  if (!cache) featureCache.set(spec, (cache = new Map()));
  let ids = cache.get(word);
  if (!ids) {
    ids = wordFeatureIds(word, spec);
    cache.set(word, ids);
  }
  return ids;
}

/**
 * Word ids [B, L], the spelling feature ids of each table [B, L] (with a feature spec), and tag ids
 * [B·L] of a batch of equal-length sentences (tags outside the tagset get -1).
 */
export function encodeBatch(batch: TaggedSentence[], words: Vocabulary, tags: Vocabulary, spec: WordFeatureSpec | null = null): { ids: TaggerInputs; tagIds: Int32Array; known: Uint8Array } {
  const L = batch[0].words.length;
  const n = batch.length * L;
  const ids = new Int32Array(n);
  const tables = spec ? spec.suffixLengths.length + 1 : 0;
  const features = Array.from({ length: tables }, () => new Int32Array(n));
  const tagIds = new Int32Array(n);
  const known = new Uint8Array(n);
  batch.forEach((s, b) => {
    s.words.forEach((w, t) => {
      const i = b * L + t;
      ids[i] = words.id(w);
      known[i] = words.has(w) ? 1 : 0;
      if (spec) featuresOf(w, spec).forEach((f, j) => (features[j][i] = f));
    });
    s.tags.forEach((g, t) => (tagIds[b * L + t] = tags.has(g) ? tags.id(g) : -1));
  });
  const shape: [number, number] = [batch.length, L];
  return { ids: { words: tf.tensor2d(ids, shape, 'int32'), features: features.map((f) => tf.tensor2d(f, shape, 'int32')) }, tagIds, known };
}

function disposeInputs(ids: TaggerInputs): void {
  tf.dispose([ids.words, ...ids.features]);
}

/** Token accuracy of the tagger on sentences (float or QAT integer forward), overall and on tokens outside the word vocabulary. */
export function evaluateTagger(
  model: BiLstmTagger,
  sentences: TaggedSentence[],
  words: Vocabulary,
  tags: Vocabulary,
  onProgress?: (p: TrainProgress) => void,
): { accuracy: number; tokens: number; oovAccuracy: number; oovTokens: number } {
  const batches = new LengthBatches(sentences, 64, 0).batches;
  const k: TaggerQatConstants | null = model.quant ? model.qatConstants() : null;
  const spec = taggerFeatureSpec(model.config);
  let right = 0;
  let total = 0;
  let oovRight = 0;
  let oov = 0;
  batches.forEach((batch, i) => {
    const { ids, tagIds, known } = encodeBatch(batch, words, tags, spec);
    const predicted = tf.tidy(() => tf.argMax(k ? model.forwardQat(ids, k).logitsInt : model.forwardFloat(ids), 1).dataSync());
    for (let j = 0; j < tagIds.length; j++) {
      const hit = predicted[j] === tagIds[j] ? 1 : 0;
      right += hit;
      if (!known[j]) {
        oov++;
        oovRight += hit;
      }
    }
    total += tagIds.length;
    disposeInputs(ids);
    onProgress?.({ phase: 'eval', step: i + 1, totalSteps: batches.length });
  });
  if (k) model.disposeQatConstants(k);
  return { accuracy: right / total, tokens: total, oovAccuracy: oov > 0 ? oovRight / oov : NaN, oovTokens: oov };
}

export type PosTrainOptions = TaskTrainOptions;

/** Token accuracy on the validation split (or its first `evalSentences` sentences for presets that say so), overall and outside the vocabulary. */
export type PosTrainSummary = TaskTrainSummary<'pos-brown', { accuracy: number; tokens: number; oovAccuracy: number; oovTokens: number }>;

function preset(name: string) {
  const p = POS_PRESETS[name];
  if (!p) throw new IntrnnError('ERR_OPTION', '--preset', `unknown preset '${name}' for pos-brown (one of ${Object.keys(POS_PRESETS).join(', ')})`);
  return p;
}

/** Train the Brown tagger (float, or QAT from a float checkpoint), with checkpoints and exact resume. */
export async function trainPos(opts: PosTrainOptions): Promise<PosTrainSummary> {
  requireLstmCell(opts, 'pos-brown', ['lstm', 'gru']);
  await useWasmBackend();
  const p = preset(opts.preset);
  const gru = trainsGru(opts, !!p.model.gru);
  // MadNorm is defined for LSTM gates only (docs/integer-semantics.md §10b): a GRU run takes a GRU preset, sized to the LSTM's parameters
  if (gru && !p.model.gru)
    throw new IntrnnError(
      'ERR_OPTION',
      '--cell',
      `preset ${opts.preset} is an LSTM preset with MadNorm; GRU taggers: --preset ${opts.preset}-gru (one of ${Object.keys(POS_PRESETS)
        .filter((n) => POS_PRESETS[n].model.gru)
        .join(', ')})`,
    );
  const mode = trainingMode(opts);
  const data = loadBrownPos();
  const { words, tags } = posVocabularies(data, p.train.vocabSize);
  const model = new BiLstmTagger({ ...p.model, vocabSize: words.size, tagCount: tags.size });
  const batches = new LengthBatches(data.train, p.train.batch, p.model.seed);
  const spec = taggerFeatureSpec(model.config);
  let k: TaggerQatConstants | undefined;
  let tokens = 0;

  if (opts.qatFrom && !opts.resume) {
    loadFloatStart(model, opts.qatFrom, 'pos-brown', data.fingerprint);
    opts.onProgress?.({ phase: 'calibrate', step: 0, totalSteps: p.train.calibrationBatches });
    const cal = Array.from({ length: p.train.calibrationBatches }, (_, s) => encodeBatch(batches.at(s), words, tags, spec).ids);
    model.calibrate(cal);
    cal.forEach(disposeInputs);
  }

  return trainTask<'pos-brown', NonNullable<PosTrainSummary['validation']>>(
    'pos-brown',
    opts,
    { model, config: { ...model.config }, settings: { ...p.train }, dataFingerprint: data.fingerprint },
    {
      begin: () => {
        if (mode === 'qat') {
          k = model.qatConstants();
          requireQatExactness(model.exportIntegers(k), 'pos-brown');
        }
      },
      loss: (step) => {
        const { ids, tagIds } = encodeBatch(batches.at(step), words, tags, spec);
        tokens = tagIds.length;
        // tags unseen in training (-1) cannot be learned: they train toward tag 0 and count as errors in evaluation
        const targets = tf.tensor1d(
          tagIds.map((t) => Math.max(t, 0)),
          'int32',
        );
        const logits = mode === 'qat' ? model.forwardQat(ids, k!).logits : model.forwardFloat(ids, undefined, p.train.dropout, step + 1);
        const loss = crossEntropy(logits, targets);
        disposeInputs(ids);
        return loss;
      },
      tokens: () => tokens,
      commit: () => {
        if (mode === 'qat') k = model.qatConstants(k);
      },
      state: () => [],
      restoreState: () => undefined,
      evaluate: (onProgress) => {
        const valid = p.train.evalSentences > 0 ? data.valid.slice(0, p.train.evalSentences) : data.valid;
        return evaluateTagger(model, valid, words, tags, onProgress);
      },
      dispose: () => {
        if (k) model.disposeQatConstants(k);
      },
    },
  );
}

/** Load a tagging checkpoint as a model with its vocabularies. */
export function loadPosCheckpoint(dir: string): { model: BiLstmTagger; words: Vocabulary; tags: Vocabulary; data: BrownPosData; mode: string } {
  const ck = loadCheckpoint(dir);
  if (ck.meta.task !== 'pos-brown') throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${ck.meta.task}, not pos-brown`);
  const data = loadBrownPos();
  if (data.fingerprint !== ck.meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
  const { words, tags } = posVocabularies(data, ck.meta.train.vocabSize);
  const c = ck.meta.config;
  const model = new BiLstmTagger({
    vocabSize: c.vocabSize,
    tagCount: c.tagCount,
    embedSize: c.embedSize,
    hiddenSize: c.hiddenSize,
    madNorm: c.madNorm,
    seed: c.seed,
    ...(c.gru ? { gru: 1 } : {}),
    suffixes: c.suffixes ?? 0,
    buckets: c.buckets ?? 0,
    suffixDim: c.suffixDim ?? 0,
    shapeDim: c.shapeDim ?? 0,
  });
  loadWeights(model, ck);
  model.quant = ck.meta.quant;
  disposeCheckpoint(ck);
  return { model, words, tags, data, mode: ck.meta.mode };
}

/** `eval-qat` of a tagging checkpoint: token accuracy on a split. */
export async function evalPosCheckpoint(
  dir: string,
  split: 'valid' | 'test',
  onProgress?: (p: TrainProgress) => void,
): Promise<{ task: 'pos-brown'; split: string; mode: string } & ReturnType<typeof evaluateTagger>> {
  await useWasmBackend();
  const { model, words, tags, data, mode } = loadPosCheckpoint(dir);
  try {
    return { task: 'pos-brown', split, mode, ...evaluateTagger(model, split === 'valid' ? data.valid : data.test, words, tags, onProgress) };
  } finally {
    model.dispose();
  }
}
