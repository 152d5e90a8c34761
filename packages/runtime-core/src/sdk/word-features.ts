import { IntrnnError } from '@intrnn/format';

/**
 * Spelling features of a word, for models whose vocabulary cannot cover every word (the tagger):
 * hashed suffixes and a shape class, each looked up in its own int8 embedding table. Training
 * (`@intrnn/qat`) and every runtime compute them with this one function, so a word seen by no
 * training sentence still gets the features its spelling implies. Defined in docs/onnx-format.md.
 */
export interface WordFeatureSpec {
  /** Suffix lengths, one table each (e.g. [1, 2, 3, 4]). */
  suffixLengths: readonly number[];
  /** Rows of each suffix table: suffixes are hashed into [0, buckets). */
  buckets: number;
}

/** The shape classes, by id: letter case (× hyphenated) for words with letters, else number, digits mixed with letters, punctuation. */
export const WORD_SHAPES = ['lower', 'capitalized', 'upper', 'mixed', 'lower-hyphen', 'capitalized-hyphen', 'upper-hyphen', 'mixed-hyphen', 'number', 'alphanumeric', 'punctuation'] as const;

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;
const NUMBER = /^[+\-±]?[\p{Nd}.,:/]*\p{Nd}[\p{Nd}.,:/%]*$/u;

/** The shape class id of a word (an index of {@link WORD_SHAPES}). */
export function wordShape(word: string): number {
  const hasLetter = LETTER.test(word);
  if (!hasLetter) return NUMBER.test(word) ? 8 : DIGIT.test(word) ? 9 : 10;
  if (DIGIT.test(word)) return 9;
  const isUpper = (ch: string) => ch !== ch.toLowerCase();
  const letters = [...word].filter((ch) => LETTER.test(ch));
  const upper = letters.filter(isUpper).length;
  // capitalized: each hyphen-separated part is capitalized or lower case, the first capitalized (Anglo-Saxon, Fulton, I)
  const parts = word
    .split('-')
    .map((p) => [...p].filter((ch) => LETTER.test(ch)))
    .filter((p) => p.length > 0);
  const capitalized = isUpper(parts[0][0]) && parts.every((p) => p.slice(1).every((ch) => !isUpper(ch)));
  const kase = upper === 0 ? 0 : upper === letters.length && letters.length > 1 ? 2 : capitalized ? 1 : 3;
  return kase + (word.includes('-') ? 4 : 0);
}

/**
 * FNV-1a (32-bit) over UTF-16 code units. Written here because the features must be bit-identical
 * in every runtime (browsers included) and the function is a handful of lines.
 */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The bucket of a word's suffix of length n: the lowercased last n characters (the whole word after a '^' mark when it is shorter), hashed with n. */
export function suffixBucket(word: string, n: number, buckets: number): number {
  const chars = [...word.toLowerCase()];
  const suffix = chars.length >= n ? chars.slice(chars.length - n).join('') : `^${chars.join('')}`;
  return fnv1a(`${n}\u0001${suffix}`) % buckets;
}

/** Check a feature spec (lengths 1…16, buckets 1…2^20). */
export function checkWordFeatureSpec(spec: WordFeatureSpec, where = 'wordFeatures'): WordFeatureSpec {
  if (!Array.isArray(spec.suffixLengths) || spec.suffixLengths.length < 1 || spec.suffixLengths.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) {
    throw new IntrnnError('ERR_SCHEMA', `${where}.suffixLengths`, 'must list suffix lengths in [1, 16]');
  }
  if (!Number.isInteger(spec.buckets) || spec.buckets < 1 || spec.buckets > 2 ** 20) throw new IntrnnError('ERR_SCHEMA', `${where}.buckets`, 'must be an integer in [1, 2^20]');
  return spec;
}

/** Every feature id of a word: one suffix bucket per suffix length, then the shape class. */
export function wordFeatureIds(word: string, spec: WordFeatureSpec): number[] {
  return [...spec.suffixLengths.map((n) => suffixBucket(word, n, spec.buckets)), wordShape(word)];
}
