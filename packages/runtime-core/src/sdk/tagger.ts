import { IntrnnError } from '@intrnn/format';
import type { IntrnnModel } from '../executor/model.js';
import { argmax } from './logits.js';

/** A word with its predicted tag. */
export interface TaggedWord {
  word: string;
  tag: string;
  /** Whether the word was outside the vocabulary (tagged from context as the unknown token). */
  unknown: boolean;
}

/** A part-of-speech tagger over an intrnn integer model (task `pos-brown`). */
export class Tagger {
  readonly vocabulary: readonly string[];
  readonly tags: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly unkId: number;

  constructor(readonly model: IntrnnModel) {
    const m = model.metadata;
    if (m.task !== 'pos-brown') throw new IntrnnError('ERR_TASK', 'model', `serves task ${m.task}, not a tagger`);
    if (!m.vocabularies.output) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.vocabularies.output', 'a tagger needs its tag list');
    this.vocabulary = m.vocabularies.input;
    this.tags = m.vocabularies.output;
    this.ids = new Map(this.vocabulary.map((w, i) => [w, i]));
    this.unkId = this.ids.get(m.vocabularies.unknown) ?? -1;
  }

  /** Tag ids of a sentence's words: the argmax of each word's int32 logits. */
  tagIds(words: readonly string[]): number[] {
    if (words.length === 0) throw new IntrnnError('ERR_SHAPE', 'words', 'is empty: give at least one word');
    const ids = words.map((w, i) => {
      if (typeof w !== 'string' || w.length === 0) throw new IntrnnError('ERR_TOKEN', `words[${i}]`, 'is not a non-empty string');
      return this.ids.get(w) ?? this.unkId;
    });
    const logits = this.model.run({ tokens: { type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) } }).logits.data as Int32Array;
    const N = this.tags.length;
    return ids.map((_, t) => argmax(logits, t * N, N));
  }

  /** Tag a sentence given as words. */
  tag(words: readonly string[]): TaggedWord[] {
    return this.tagIds(words).map((tag, i) => ({ word: words[i], tag: this.tags[tag], unknown: !this.ids.has(words[i]) }));
  }
}
