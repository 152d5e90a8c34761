import { IntrnnError } from '@intrnn/format';
import { readBrownSentences } from './brown.js';
import { fingerprint } from './fingerprint.js';
import { Vocabulary, countTokens, frequentTokens } from './vocabulary.js';

/** Sentence boundary token of the language-modeling stream. */
export const SENTENCE_END = '</s>';
/** Stand-in for words outside the vocabulary. */
export const UNKNOWN = '<unk>';

/** Train / validation sizes of Bengio et al. 2003 (in tokens of the stream); test is the rest. */
export const BROWN_LM_SPLIT = { train: 800_000, valid: 200_000 } as const;

export interface BrownLmOptions {
  /** Keep the K most frequent training words instead of the count rule. */
  vocabSize?: number;
  /** Keep words seen more than this many times in the training split (default 3). */
  minCountExclusive?: number;
}

export interface BrownLmData {
  vocab: Vocabulary;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** Words of the whole stream (before mapping to ids). */
  streamTokens: number;
  sentences: number;
  /** Share of tokens mapped to <unk>, per split. */
  unkRate: { train: number; valid: number; test: number };
  /** sha256 prefix of the token stream (words, not ids): identifies the data exactly. */
  fingerprint: string;
  options: Required<Pick<BrownLmOptions, 'minCountExclusive'>> & { vocabSize: number | null };
}

/**
 * Brown corpus language modeling: files ca01…cr09 in order, tags stripped, case kept, `</s>` after
 * every sentence; the first 800,000 tokens train, the next 200,000 validate, the rest test.
 * Vocabulary: training words seen more than 3 times (or the top K), plus `<unk>` and `</s>`.
 */
export function loadBrownLm(opts: BrownLmOptions = {}): BrownLmData {
  if (opts.vocabSize !== undefined && !(Number.isInteger(opts.vocabSize) && opts.vocabSize >= 3)) {
    throw new IntrnnError('ERR_OPTION', '--vocab-size', `${opts.vocabSize} is not an integer ≥ 3`);
  }
  const sentences = readBrownSentences();
  const stream: string[] = [];
  for (const s of sentences) {
    for (const w of s.words) stream.push(w);
    stream.push(SENTENCE_END);
  }
  const { train: nTrain, valid: nValid } = BROWN_LM_SPLIT;
  const trainWords = stream.slice(0, nTrain);
  const counts = countTokens(trainWords);
  counts.delete(SENTENCE_END);
  const minCountExclusive = opts.minCountExclusive ?? 3;
  const kept = frequentTokens(counts, opts.vocabSize !== undefined ? { topK: opts.vocabSize - 2 } : { minCountExclusive });
  const vocab = new Vocabulary([SENTENCE_END, UNKNOWN, ...kept], UNKNOWN);
  const encode = (words: string[]) => vocab.encode(words);
  const rate = (ids: Int32Array) => ids.reduce((n, id) => n + (id === vocab.unkId ? 1 : 0), 0) / ids.length;
  const train = encode(trainWords);
  const valid = encode(stream.slice(nTrain, nTrain + nValid));
  const test = encode(stream.slice(nTrain + nValid));
  return {
    vocab,
    train,
    valid,
    test,
    streamTokens: stream.length,
    sentences: sentences.length,
    unkRate: { train: rate(train), valid: rate(valid), test: rate(test) },
    fingerprint: fingerprint(stream),
    options: { minCountExclusive, vocabSize: opts.vocabSize ?? null },
  };
}
