import { tokenizeText } from './tokenize.js';
import { IntrnnError, type ModelMetadata, type Tensor } from '@intrnn/format';
import type { IntrnnModel } from '../executor/model.js';
import { requireKind, requireRows, requireValues } from './kind.js';
import { argmax } from './logits.js';
import { checkWordFeatureSpec, WORD_SHAPES, wordFeatureIds, type WordFeatureSpec } from './word-features.js';

/** A word with its predicted tag. */
export interface TaggedWord {
  word: string;
  tag: string;
  /** Whether the word was outside the vocabulary (tagged from context as the unknown token). */
  unknown: boolean;
}

/** Graph input names of the spelling features: `suffix<n>` per suffix length, then `shape`. */
export function featureInputs(spec: WordFeatureSpec): string[] {
  return [...spec.suffixLengths.map((n) => `suffix${n}`), 'shape'];
}

/**
 * The inputs of a tagger file from its metadata alone: word ids (unknown words as the unknown
 * token) and, when the model has them, the spelling feature ids. Shared by {@link Tagger} and by
 * evaluations that run the same file in another engine (ONNX Runtime, also on the float32 file).
 */
export class TaggerCodec {
  readonly vocabulary: readonly string[];
  readonly tags: readonly string[];
  /** The model's spelling features, or null. */
  readonly features: WordFeatureSpec | null;
  private readonly ids: Map<string, number>;
  private readonly unkId: number;

  constructor(meta: ModelMetadata) {
    requireKind(meta, 'tagger');
    if (!meta.vocabularies.output) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.vocabularies.output', 'a tagger needs its tag list');
    this.vocabulary = meta.vocabularies.input;
    this.tags = meta.vocabularies.output;
    this.features = meta.wordFeatures ? checkWordFeatureSpec(meta.wordFeatures, 'metadata.wordFeatures') : null;
    this.ids = new Map(this.vocabulary.map((w, i) => [w, i]));
    this.unkId = this.ids.get(meta.vocabularies.unknown) ?? -1;
  }

  /** Whether a word is in the vocabulary (else it is read as the unknown token and its spelling). */
  known(word: string): boolean {
    return this.ids.has(word);
  }

  /** The model's feeds for a sentence: word ids and, with spelling features, their ids per table. */
  feeds(words: readonly string[]): Record<string, Tensor> {
    if (!Array.isArray(words)) throw new IntrnnError('ERR_TOKEN', 'words', 'must be an array of words');
    if (words.length === 0) throw new IntrnnError('ERR_SHAPE', 'words', 'is empty: give at least one word');
    const ids = words.map((w, i) => {
      if (typeof w !== 'string' || w.length === 0) throw new IntrnnError('ERR_TOKEN', `words[${i}]`, 'is not a non-empty string');
      const id = this.ids.get(w) ?? this.unkId;
      if (id < 0) throw new IntrnnError('ERR_TOKEN', `words[${i}]`, `'${w}' is not in the vocabulary and the model has no unknown token`);
      return id;
    });
    const int64 = (v: number[]): Tensor => ({ type: 'int64', dims: [1, v.length], data: BigInt64Array.from(v, BigInt) });
    const feeds: Record<string, Tensor> = { tokens: int64(ids) };
    if (this.features) {
      const f = words.map((w) => wordFeatureIds(w, this.features!));
      featureInputs(this.features).forEach((name, j) => (feeds[name] = int64(f.map((row) => row[j]))));
    }
    return feeds;
  }
}

/**
 * A sequence tagger (part of speech, or any per-word labels) over an intrnn integer model of kind
 * `tagger`. Words outside its vocabulary are read through their spelling features when the model
 * has them, else as its unknown token.
 */
export class Tagger {
  readonly codec: TaggerCodec;

  /** Free the model's kernel memory now ({@link IntrnnModel.dispose}); later calls are refused. */
  dispose(): void {
    this.model.dispose();
  }

  constructor(readonly model: IntrnnModel) {
    const c = (this.codec = new TaggerCodec(model.metadata));
    requireValues(model, Object.fromEntries(['tokens', ...(c.features ? featureInputs(c.features) : [])].map((n) => [n, 'int64'])), { logits: 'int32' });
    requireRows(model.lookupRows('tokens'), c.vocabulary.length, 'the embedding read by input tokens', 'metadata.vocabularies.input');
    requireRows(model.denseRows('logits'), c.tags.length, 'the output layer of logits', 'metadata.vocabularies.output');
    if (c.features) {
      const names = featureInputs(c.features);
      names.forEach((name, i) => requireRows(model.lookupRows(name), i < names.length - 1 ? c.features!.buckets : WORD_SHAPES.length, `the table read by input ${name}`, 'metadata.wordFeatures'));
    }
  }

  get vocabulary(): readonly string[] {
    return this.codec.vocabulary;
  }

  get tags(): readonly string[] {
    return this.codec.tags;
  }

  /** Tag ids of a sentence's words: the argmax of each word's int32 logits. */
  tagIds(words: readonly string[]): number[] {
    const logits = this.model.run(this.codec.feeds(words)).logits.data as Int32Array;
    const N = this.tags.length;
    return words.map((_, t) => argmax(logits, t * N, N));
  }

  /** Words of a sentence as the training corpus tokenized them (punctuation apart: {@link tokenizeText}). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new IntrnnError('ERR_TOKEN', 'text', 'must be a string');
    return tokenizeText(text, (w) => this.codec.known(w));
  }

  /** Tag a sentence given as words. */
  tag(words: readonly string[]): TaggedWord[] {
    return this.tagIds(words).map((tag, i) => ({ word: words[i], tag: this.tags[tag], unknown: !this.codec.known(words[i]) }));
  }
}
