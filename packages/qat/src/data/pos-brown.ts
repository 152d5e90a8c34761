import { readBrownSentences, normalizeBrownTag, type BrownSentence } from './brown.js';
import { fingerprint } from './fingerprint.js';

/** A tagged sentence of the tagging task. */
export interface TaggedSentence {
  file: string;
  words: string[];
  tags: string[];
}

export interface BrownPosData {
  /** Tagset (normalized tags of the training split, sorted). */
  tagset: string[];
  train: TaggedSentence[];
  valid: TaggedSentence[];
  test: TaggedSentence[];
  fingerprint: string;
}

/**
 * The documented split by file: within each category (the second letter of ca01…cr09), file
 * number n goes to test if n % 10 == 0, to validation if n % 10 == 9, else to training
 * (about 80 / 10 / 10 of the files).
 */
export function brownPosSplit(file: string): 'train' | 'valid' | 'test' {
  const n = Number(file.slice(2));
  return n % 10 === 0 ? 'test' : n % 10 === 9 ? 'valid' : 'train';
}

/** Brown part-of-speech tagging with normalized tags (see normalizeBrownTag) and the split by file. */
export function loadBrownPos(): BrownPosData {
  const splits: Record<'train' | 'valid' | 'test', TaggedSentence[]> = { train: [], valid: [], test: [] };
  const sentences: BrownSentence[] = readBrownSentences();
  for (const s of sentences) splits[brownPosSplit(s.file)].push({ file: s.file, words: s.words, tags: s.tags.map(normalizeBrownTag) });
  const tagset = [...new Set(splits.train.flatMap((s) => s.tags))].sort();
  return {
    tagset,
    ...splits,
    fingerprint: fingerprint(sentences.map((s) => `${brownPosSplit(s.file)}\t${s.words.map((w, i) => `${w}/${normalizeBrownTag(s.tags[i])}`).join(' ')}`)),
  };
}
