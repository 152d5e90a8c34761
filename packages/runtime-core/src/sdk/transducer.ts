import { IntrnnError, type ModelMetadata, type Tensor } from '@intrnn/format';
import type { IntrnnModel } from '../executor/model.js';
import { BeamSearch } from './beam-search.js';
import { requireKind, requireRows, requireValues } from './kind.js';

/** Options of {@link Transducer.pronounce}. */
export interface PronounceOptions {
  /** Beam width (1: greedy). Default 4. */
  beam?: number;
  /** Longest output in phonemes. Default: the word's length + 10. */
  maxLength?: number;
}

/** One pronunciation hypothesis. */
export interface Pronunciation {
  phonemes: string[];
  /** Log-probability under the model (float64 log-softmax of the integer logits). */
  logProb: number;
}

/** Longest word a Transducer accepts. */
export const MAX_WORD_LENGTH = 48;

/**
 * The symbols of a G2P model file, from its metadata alone: letters in, phonemes out, how to feed
 * one decoder step and how to set up the search. Shared by {@link Transducer} and by evaluations
 * that run the same file in another engine (ONNX Runtime, also on the float32 file).
 */
export class G2pCodec {
  readonly letters: readonly string[];
  readonly phonemes: readonly string[];
  readonly startId: number;
  readonly endId: number;
  /** Real scale of the logits the model outputs (1 for a float32 file). */
  readonly logitScale: number;
  private readonly letterIds: Map<string, number>;

  constructor(meta: ModelMetadata) {
    requireKind(meta, 'transducer');
    const out = meta.vocabularies.output;
    if (!out || meta.vocabularies.sequenceStart === undefined || meta.vocabularies.sentenceEnd === undefined)
      throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.vocabularies', 'a transducer needs output symbols with start and end');
    this.letters = meta.vocabularies.input;
    this.phonemes = out;
    this.letterIds = new Map(this.letters.map((l, i) => [l, i]));
    this.startId = out.indexOf(meta.vocabularies.sequenceStart);
    this.endId = out.indexOf(meta.vocabularies.sentenceEnd);
    if (this.startId < 0 || this.endId < 0) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.vocabularies', 'start or end symbol is not among the output symbols');
    this.logitScale = meta.numerics === 'integer' ? meta.scales.logits : 1;
  }

  /** Letter ids of a word (upper-cased); a character outside the model's letters is a typed error. */
  encode(word: string): number[] {
    if (typeof word !== 'string') throw new IntrnnError('ERR_TOKEN', 'word', 'must be a string');
    const w = word.trim().toUpperCase();
    if (w.length === 0) throw new IntrnnError('ERR_SHAPE', 'word', 'is empty');
    if (!/\p{L}/u.test(w)) throw new IntrnnError('ERR_TOKEN', 'word', `'${word}' has no letters to pronounce`);
    if (w.length > MAX_WORD_LENGTH) throw new IntrnnError('ERR_SHAPE', 'word', `has ${w.length} letters; at most ${MAX_WORD_LENGTH}`);
    return [...w].map((ch, i) => {
      const id = this.letterIds.get(ch);
      if (id === undefined) throw new IntrnnError('ERR_TOKEN', `word[${i}]`, `'${ch}' is not a letter this model knows (${this.letters.join('')})`);
      return id;
    });
  }

  /** The feeds of one decoder step: the word and the phonemes so far (after the start symbol). */
  feeds(letters: number[], prefix: number[]): Record<string, Tensor> {
    return {
      letters: { type: 'int64', dims: [1, letters.length], data: BigInt64Array.from(letters, BigInt) },
      decoder_input: { type: 'int64', dims: [1, prefix.length + 1], data: BigInt64Array.from([this.startId, ...prefix], BigInt) },
    };
  }

  /** A beam search set up for a word. */
  search(letters: number[], options: PronounceOptions = {}): BeamSearch {
    const beam = options.beam ?? 4;
    if (!(Number.isInteger(beam) && beam >= 1 && beam <= 64)) throw new IntrnnError('ERR_OPTION', 'beam', `${beam} is not an integer in [1, 64]`);
    const maxLength = options.maxLength ?? letters.length + 10;
    // 0 or less returned an empty pronunciation; NaN or Infinity searched without end
    if (!(Number.isInteger(maxLength) && maxLength >= 1 && maxLength <= 256)) throw new IntrnnError('ERR_OPTION', 'maxLength', `${maxLength} is not an integer in [1, 256]`);
    return new BeamSearch(beam, this.endId, maxLength, this.logitScale);
  }
}

/**
 * A sequence transducer (grapheme-to-phoneme) over an intrnn integer model of kind `transducer`:
 * spells a word into output symbols with beam search. The model's graph is run once per live hypothesis and step
 * with the phonemes so far.
 */
export class Transducer {
  readonly codec: G2pCodec;

  /** Free the model's kernel memory now ({@link IntrnnModel.dispose}); later calls are refused. */
  dispose(): void {
    this.model.dispose();
  }

  constructor(readonly model: IntrnnModel) {
    this.codec = new G2pCodec(model.metadata);
    requireValues(model, { letters: 'int64', decoder_input: 'int64' }, { logits: 'int32' });
    requireRows(model.lookupRows('letters'), this.codec.letters.length, 'the letter embedding read by input letters', 'metadata.vocabularies.input');
    requireRows(model.lookupRows('decoder_input'), this.codec.phonemes.length, 'the symbol embedding read by input decoder_input', 'metadata.vocabularies.output');
    requireRows(model.denseRows('logits'), this.codec.phonemes.length, 'the output layer of logits', 'metadata.vocabularies.output');
  }

  /** The phoneme symbols (with the start and end symbols). */
  get phonemes(): readonly string[] {
    return this.codec.phonemes;
  }

  /** The n-best pronunciations of a word, best first. */
  pronounceAll(word: string, options: PronounceOptions = {}): Pronunciation[] {
    const c = this.codec;
    const letters = c.encode(word);
    const search = c.search(letters, options);
    const P = c.phonemes.length;
    while (!search.finished) {
      search.advance(
        search.pending().map((prefix) => {
          const logits = this.model.run(c.feeds(letters, prefix)).logits.data as Int32Array;
          return logits.subarray(logits.length - P);
        }),
      );
    }
    return search.results().map((h) => ({ phonemes: h.ids.map((id) => c.phonemes[id]), logProb: h.logProb }));
  }

  /** The best pronunciation of a word. */
  pronounce(word: string, options: PronounceOptions = {}): Pronunciation {
    return this.pronounceAll(word, options)[0];
  }
}
