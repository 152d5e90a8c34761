import { checkWordFeatureSpec, suffixBucket, WORD_SHAPES, wordFeatureIds, wordShape } from '../src/index.js';

describe('spelling features of a word', () => {
  test.each([
    ['jury', 'lower'],
    ['Fulton', 'capitalized'],
    ['I', 'capitalized'],
    ['U.S.', 'upper'],
    ['NATO', 'upper'],
    ['McDonald', 'mixed'],
    ['well-run', 'lower-hyphen'],
    ['Anglo-Saxon', 'capitalized-hyphen'],
    ['U.S.-Soviet', 'mixed-hyphen'],
    ['1,960', 'number'],
    ['3.5%', 'number'],
    ['-12', 'number'],
    ['B-52', 'alphanumeric'],
    ['1960s', 'alphanumeric'],
    ['.', 'punctuation'],
    ["''", 'punctuation'],
    ['--', 'punctuation'],
  ])('%s has shape %s', (word, shape) => {
    expect(WORD_SHAPES[wordShape(word)]).toBe(shape);
  });

  test('a suffix bucket depends on the lowercased suffix and its length only', () => {
    const b = 4096;
    expect(suffixBucket('Running', 3, b)).toBe(suffixBucket('jumping', 3, b));
    expect(suffixBucket('RUNNING', 3, b)).toBe(suffixBucket('running', 3, b));
    expect(suffixBucket('running', 2, b)).not.toBe(suffixBucket('running', 3, b));
    // a word shorter than the suffix is marked, so "at" as a 3-suffix differs from "cat"'s
    expect(suffixBucket('at', 3, b)).not.toBe(suffixBucket('cat', 3, b));
    for (const w of ['a', 'the', 'quantization', 'Ünïcödé', '😀ok'])
      for (const n of [1, 2, 3, 4]) {
        const v = suffixBucket(w, n, b);
        expect(Number.isInteger(v) && v >= 0 && v < b).toBe(true);
      }
  });

  test('feature ids: one bucket per suffix length, then the shape; specs are checked', () => {
    const spec = { suffixLengths: [1, 2, 3, 4], buckets: 512 };
    const ids = wordFeatureIds('Reporters', spec);
    expect(ids).toHaveLength(5);
    expect(ids[4]).toBe(WORD_SHAPES.indexOf('capitalized'));
    expect(ids.slice(0, 4)).toEqual([1, 2, 3, 4].map((n) => suffixBucket('reporters', n, 512)));
    expect(() => checkWordFeatureSpec({ suffixLengths: [], buckets: 8 })).toThrow(/suffixLengths/);
    expect(() => checkWordFeatureSpec({ suffixLengths: [1], buckets: 0 })).toThrow(/buckets/);
  });
});
