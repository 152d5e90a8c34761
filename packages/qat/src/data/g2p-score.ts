import { distance } from 'fastest-levenshtein';
import { stripStress } from './g2p-cmudict.js';

/** Phoneme and word error rates, with and without stress. */
export type G2pScores = {
  per: number;
  wer: number;
  perNoStress: number;
  werNoStress: number;
  words: number;
};

/** Sequences of phonemes as strings of one character per phoneme, for edit distance. */
function codes(seq: readonly string[], table: Map<string, string>): string {
  let s = '';
  for (const p of seq) {
    let c = table.get(p);
    if (!c) table.set(p, (c = String.fromCharCode(0x4e00 + table.size)));
    s += c;
  }
  return s;
}

/**
 * Error rates of predicted pronunciations against every reference of each word (alternates): a word
 * is right if it equals any reference; its phoneme errors are the edit distance to the closest one,
 * over that reference's length.
 */
export function scoreG2p(predicted: Map<string, string[]>, references: Map<string, string[][]>): G2pScores {
  const table = new Map<string, string>();
  const rates = (strip: boolean) => {
    let edits = 0;
    let length = 0;
    let wrong = 0;
    for (const [word, refs] of references) {
      const pred = codes(strip ? stripStress(predicted.get(word) ?? []) : (predicted.get(word) ?? []), table);
      let best = Infinity;
      let bestLen = 0;
      for (const r of refs) {
        const d = distance(pred, codes(strip ? stripStress(r) : r, table));
        if (d < best) [best, bestLen] = [d, r.length];
      }
      edits += best;
      length += bestLen;
      if (best > 0) wrong++;
    }
    return { per: edits / length, wer: wrong / references.size };
  };
  const s = rates(false);
  const n = rates(true);
  return { per: s.per, wer: s.wer, perNoStress: n.per, werNoStress: n.wer, words: references.size };
}
