import { IntrnnError } from '@intrnn/format';
import { loadCmudictG2p, type CmudictG2pData, type G2pEntry } from '../data/g2p-cmudict.js';
import { scoreG2p, type G2pScores } from '../data/g2p-score.js';

export { scoreG2p, type G2pScores };
import { Vocabulary } from '../data/vocabulary.js';
import { crossEntropy } from '../models/language-model.js';
import { G2pModel, type G2pQatConstants } from '../models/g2p.js';
import { requireQatExactness } from '../qat/exactness.js';
import { tf, useWasmBackend } from '../qat/tf-backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { LengthBatches } from './pos-task.js';
import { disposeCheckpoint, loadFloatStart, loadWeights, requireLstmCell, trainTask, trainingMode, type TaskTrainOptions, type TaskTrainSummary, type TrainProgress } from './trainer.js';

/** Training settings of a G2P preset. */
export interface G2pTrainSettings {
  batch: number;
  steps: number;
  learningRate: number;
  clipNorm: number;
  dropout: number;
  qatSteps: number;
  qatLearningRate: number;
  calibrationBatches: number;
  /** Validation after training decodes at most this many words (0: all). */
  evalWords: number;
  /** Float pretraining: cosine decay of the learning rate over this many steps, to lrFloor × the rate (0: constant). */
  lrDecaySteps?: number;
  lrFloor?: number;
}

/** Presets of CMUdict G2P: `tiny` for tests, `small` for the shipped model. */
export const G2P_PRESETS: Record<string, { model: { embedSize: number; hiddenSize: number; seed: number }; train: G2pTrainSettings }> = {
  tiny: {
    model: { embedSize: 16, hiddenSize: 16, seed: 1 },
    train: { batch: 32, steps: 60, learningRate: 0.01, clipNorm: 5, dropout: 0, qatSteps: 8, qatLearningRate: 0.002, calibrationBatches: 2, evalWords: 100 },
  },
  small: {
    model: { embedSize: 64, hiddenSize: 128, seed: 1 },
    train: { batch: 64, steps: 4000, learningRate: 0.002, clipNorm: 5, dropout: 0.2, qatSteps: 500, qatLearningRate: 0.0005, calibrationBatches: 8, evalWords: 0 },
  },
  // the shipped model: about 32 epochs of the training split
  medium: {
    model: { embedSize: 128, hiddenSize: 256, seed: 1 },
    train: {
      batch: 64,
      steps: 60000,
      learningRate: 0.002,
      clipNorm: 5,
      dropout: 0.3,
      qatSteps: 4000,
      qatLearningRate: 0.0002,
      calibrationBatches: 8,
      evalWords: 0,
      lrDecaySteps: 60000,
      lrFloor: 0.05,
    },
  },
};

/** Start and end symbols of the phoneme sequences. */
export const START = '<s>';
export const END = '</s>';

/** Letters (the dictionary's graphemes) and phonemes with stress plus the start and end symbols. */
export function g2pVocabularies(data: CmudictG2pData): { letters: Vocabulary; phones: Vocabulary } {
  return { letters: new Vocabulary(data.graphemes), phones: new Vocabulary([START, END, ...data.phonemes]) };
}

/** Letter ids [B, S], decoder inputs [B, T+1] (start, p1…pT) and targets [B·(T+1)] (p1…pT, end). */
export function encodeG2pBatch(batch: G2pEntry[], letters: Vocabulary, phones: Vocabulary): { letters: tf.Tensor2D; decoderIn: tf.Tensor2D; targets: Int32Array } {
  const S = batch[0].word.length;
  const T = batch[0].phones.length + 1;
  const l = new Int32Array(batch.length * S);
  const d = new Int32Array(batch.length * T);
  const targets = new Int32Array(batch.length * T);
  batch.forEach((e, b) => {
    [...e.word].forEach((ch, s) => (l[b * S + s] = letters.id(ch)));
    const ids = e.phones.map((p) => phones.id(p));
    [phones.id(START), ...ids].forEach((id, t) => (d[b * T + t] = id));
    [...ids, phones.id(END)].forEach((id, t) => (targets[b * T + t] = id));
  });
  return { letters: tf.tensor2d(l, [batch.length, S], 'int32'), decoderIn: tf.tensor2d(d, [batch.length, T], 'int32'), targets };
}

/** Greedy decoding of words of equal length: phoneme ids up to (not including) the end symbol. */
export function decodeGreedy(model: G2pModel, words: string[], letters: Vocabulary, phones: Vocabulary, k: G2pQatConstants | null): number[][] {
  const S = words[0].length;
  const ids = tf.tensor2d(
    words.flatMap((w) => [...w].map((ch) => letters.id(ch))),
    [words.length, S],
    'int32',
  );
  const enc = tf.tidy(() => (k ? model.encodeQat(ids, k) : model.encodeFloat(ids)));
  const start = phones.id(START);
  const end = phones.id(END);
  const out: number[][] = words.map(() => []);
  const done = words.map(() => false);
  const prefix: number[][] = words.map(() => [start]);
  const maxLen = Math.min(S + 10, 48);
  for (let t = 0; t < maxLen && done.some((d) => !d); t++) {
    const next = tf.tidy(() => {
      const dec = tf.tensor2d(prefix.flat(), [words.length, t + 1], 'int32');
      const logits = k ? model.decodeQat(enc, dec, k).logitsInt : model.decodeFloat(enc, dec);
      const last = logits.reshape([words.length, t + 1, -1]).slice([0, t, 0], [words.length, 1, -1]);
      return tf.argMax(last.reshape([words.length, -1]), 1).dataSync();
    });
    words.forEach((_, b) => {
      prefix[b].push(next[b]);
      if (done[b]) return;
      if (next[b] === end) done[b] = true;
      else out[b].push(next[b]);
    });
  }
  tf.dispose([ids, enc]);
  return out;
}

/** Decode every word of a split (float or QAT integer forward) and score it. */
export function evaluateG2p(model: G2pModel, entries: G2pEntry[], letters: Vocabulary, phones: Vocabulary, maxWords = 0, onProgress?: (p: TrainProgress) => void): G2pScores {
  const references = new Map<string, string[][]>();
  for (const e of entries) {
    if (maxWords > 0 && !references.has(e.word) && references.size >= maxWords) continue;
    references.set(e.word, [...(references.get(e.word) ?? []), e.phones]);
  }
  const words = [...references.keys()].map((word) => ({ word }));
  const batches = new LengthBatches(words, 128, 0, (w) => w.word.length).batches;
  const k = model.quant ? model.qatConstants() : null;
  const predicted = new Map<string, string[]>();
  batches.forEach((batch, i) => {
    const out = decodeGreedy(
      model,
      batch.map((w) => w.word),
      letters,
      phones,
      k,
    );
    batch.forEach((w, b) =>
      predicted.set(
        w.word,
        out[b].map((id) => phones.tokens[id]),
      ),
    );
    onProgress?.({ phase: 'eval', step: i + 1, totalSteps: batches.length });
  });
  if (k) model.disposeQatConstants(k);
  return scoreG2p(predicted, references);
}

export type G2pTrainOptions = TaskTrainOptions;

/** Phoneme and word error rates on the validation split (or its first `evalWords` words). */
export type G2pTrainSummary = TaskTrainSummary<'g2p-cmudict', G2pScores>;

function preset(name: string) {
  const p = G2P_PRESETS[name];
  if (!p) throw new IntrnnError('ERR_OPTION', '--preset', `unknown preset '${name}' for g2p-cmudict (one of ${Object.keys(G2P_PRESETS).join(', ')})`);
  return p;
}

const pairKey = (e: G2pEntry) => e.word.length * 1000 + e.phones.length;

/** Train CMUdict G2P (float, or QAT from a float checkpoint), with checkpoints and exact resume. */
export async function trainG2p(opts: G2pTrainOptions): Promise<G2pTrainSummary> {
  requireLstmCell(opts, 'g2p-cmudict');
  await useWasmBackend();
  const p = preset(opts.preset);
  const mode = trainingMode(opts);
  const data = loadCmudictG2p();
  const { letters, phones } = g2pVocabularies(data);
  const model = new G2pModel({ ...p.model, letterCount: letters.size, phoneCount: phones.size });
  const batches = new LengthBatches(data.train, p.train.batch, p.model.seed, pairKey);
  let k: G2pQatConstants | undefined;
  let tokens = 0;

  if (opts.qatFrom && !opts.resume) {
    loadFloatStart(model, opts.qatFrom, 'g2p-cmudict', data.fingerprint);
    opts.onProgress?.({ phase: 'calibrate', step: 0, totalSteps: p.train.calibrationBatches });
    const cal = Array.from({ length: p.train.calibrationBatches }, (_, s) => encodeG2pBatch(batches.at(s), letters, phones));
    model.calibrate(cal);
    tf.dispose(cal.flatMap((c) => [c.letters, c.decoderIn]));
  }

  return trainTask<'g2p-cmudict', G2pScores>(
    'g2p-cmudict',
    opts,
    { model, config: { ...model.config }, settings: { ...p.train }, dataFingerprint: data.fingerprint },
    {
      begin: () => {
        if (mode === 'qat') {
          k = model.qatConstants();
          requireQatExactness(model.exportIntegers(k), 'g2p-cmudict');
        }
      },
      loss: (step) => {
        const b = encodeG2pBatch(batches.at(step), letters, phones);
        tokens = b.targets.length;
        const targets = tf.tensor1d(b.targets, 'int32');
        const logits = mode === 'qat' ? model.forwardQat(b.letters, b.decoderIn, k!).logits : model.forwardFloat(b.letters, b.decoderIn, undefined, p.train.dropout, step + 1);
        return crossEntropy(logits, targets);
      },
      tokens: () => tokens,
      commit: () => {
        if (mode === 'qat') k = model.qatConstants(k);
      },
      state: () => [],
      restoreState: () => undefined,
      evaluate: (onProgress) => ({ ...evaluateG2p(model, data.valid, letters, phones, p.train.evalWords, onProgress) }),
      dispose: () => {
        if (k) model.disposeQatConstants(k);
      },
    },
  );
}

/** Load a G2P checkpoint as a model with its vocabularies and data. */
export function loadG2pCheckpoint(dir: string): { model: G2pModel; letters: Vocabulary; phones: Vocabulary; data: CmudictG2pData; mode: string } {
  const ck = loadCheckpoint(dir);
  if (ck.meta.task !== 'g2p-cmudict') throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${ck.meta.task}, not g2p-cmudict`);
  const data = loadCmudictG2p();
  if (data.fingerprint !== ck.meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
  const { letters, phones } = g2pVocabularies(data);
  const c = ck.meta.config;
  const model = new G2pModel({ letterCount: c.letterCount, phoneCount: c.phoneCount, embedSize: c.embedSize, hiddenSize: c.hiddenSize, seed: c.seed });
  loadWeights(model, ck);
  model.quant = ck.meta.quant;
  disposeCheckpoint(ck);
  return { model, letters, phones, data, mode: ck.meta.mode };
}

/** `eval-qat` of a G2P checkpoint: phoneme and word error rates on a split. */
export async function evalG2pCheckpoint(dir: string, split: 'valid' | 'test', onProgress?: (p: TrainProgress) => void): Promise<{ task: 'g2p-cmudict'; split: string; mode: string } & G2pScores> {
  await useWasmBackend();
  const { model, letters, phones, data, mode } = loadG2pCheckpoint(dir);
  try {
    return { task: 'g2p-cmudict', split, mode, ...evaluateG2p(model, split === 'valid' ? data.valid : data.test, letters, phones, 0, onProgress) };
  } finally {
    model.dispose();
  }
}
