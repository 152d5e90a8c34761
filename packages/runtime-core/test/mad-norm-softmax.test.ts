import fc from 'fast-check';
import { intSoftmax, madNormReference } from '../src/index.js';
import { oMadNorm, oSoftmax } from './oracle/bigint-oracle.js';
import { EDGE_LENGTHS, ints, madNormParams, sampledTable, toBig } from './fixtures.js';

describe('madNormReference', () => {
  test.each(EDGE_LENGTHS)('length %i: random int16 rows equal the oracle', (n) => {
    for (const seed of [1, 2, 3]) {
      const x = ints(n, -32768, 32767, seed * 1000 + n);
      const p = madNormParams(n, seed + n);
      expect(toBig(madNormReference(x, p))).toEqual(oMadNorm(x, p));
    }
  });

  test('extreme rows: alternating int16 limits, one outlier, all equal', () => {
    for (const n of EDGE_LENGTHS) {
      const p = madNormParams(n, n);
      const rows = [Array.from({ length: n }, (_, j) => (j % 2 ? 32767 : -32768)), Array.from({ length: n }, (_, j) => (j === 0 ? 32767 : -32768)), new Array(n).fill(-32768)];
      for (const x of rows) expect(toBig(madNormReference(x, p))).toEqual(oMadNorm(x, p));
    }
  });

  test('an all-equal row gives beta (MAD clamped to 1, d = 0)', () => {
    const p = madNormParams(8, 5);
    expect(Array.from(madNormReference(new Array(8).fill(1234), p))).toEqual(Array.from(p.beta, (b) => Math.max(-32768, Math.min(32767, b))));
  });

  test('tracks float MadNorm within the rounding of the integer mean and MAD (named tolerance)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3000, max: 3000 }), { minLength: 8, maxLength: 64 }), (x) => {
        const n = x.length;
        const mean = x.reduce((a, b) => a + b, 0) / n;
        const mad = x.reduce((a, b) => a + Math.abs(b - mean), 0) / n;
        fc.pre(mad >= 50);
        // γ = 1 at scale 2^-12 (γ_int = 4096), β = 0; output scale 2^-11: M·2^-n = s_γ / s_out = 2^-1
        const p = { gamma: new Int16Array(n).fill(4096), beta: new Int32Array(n), normFracBits: 11, multiplier: 2 ** 20, shift: 21, outBits: 16 };
        const y = madNormReference(x, p);
        for (let j = 0; j < n; j++) {
          const want = ((x[j] - mean) / mad) * 2 ** 11;
          // μ and MAD are each rounded to the input grid (half an input LSB), the reciprocal round(2^23/MAD)
          // has relative error ≤ MAD/2^24, then three output roundings
          const tolerance = (2 ** 11 * 0.5 * (1 + Math.abs(want) / 2 ** 11)) / mad + (Math.abs(want) * mad) / 2 ** 24 + 3;
          expect(Math.abs(y[j] - want)).toBeLessThanOrEqual(tolerance);
        }
      }),
    );
  });

  test('bad shapes are typed errors', () => {
    expect(() => madNormReference([], madNormParams(0, 1))).toThrow(/madNorm\.x: row is empty/);
    expect(() => madNormReference([1, 2], madNormParams(3, 1))).toThrow(/madNorm\.gamma/);
    expect(() => madNormReference([1, 2], { ...madNormParams(2, 1), beta: Int32Array.from([0, 2 ** 23]) })).toThrow(/madNorm\.beta\.1: 8388608 is outside int24/);
  });
});

describe('intSoftmax', () => {
  // exp on [-16, 0] at input scale 2^-10, output 2^-15: 128 evenly spaced pieces (a fixture, not a knot search)
  const expTable = sampledTable(Math.exp, -16384, 0, 128, 2 ** -10, 2 ** -15);

  test.each(EDGE_LENGTHS)('length %i: random scores equal the oracle', (n) => {
    for (const seed of [1, 2]) {
      const x = ints(n, -40000, 40000, seed * 77 + n);
      expect(toBig(intSoftmax(x, expTable))).toEqual(oSoftmax(x, expTable, 8));
      expect(toBig(intSoftmax(x, expTable, 15))).toEqual(oSoftmax(x, expTable, 15));
    }
  });

  test('extremes: int32 limits in one row, all equal, one dominant', () => {
    const rows = [
      [-(2 ** 31), 2 ** 31 - 1, 0],
      [7, 7, 7, 7],
      [0, -100000, -100000],
    ];
    for (const x of rows) expect(toBig(intSoftmax(x, expTable))).toEqual(oSoftmax(x, expTable, 8));
    expect(Array.from(intSoftmax([7, 7, 7, 7], expTable))).toEqual([64, 64, 64, 64]);
    expect(Array.from(intSoftmax([0, -100000, -100000], expTable))).toEqual([256, 0, 0]);
  });

  test('weights sum to 2^P within half an LSB per term, and track float softmax (named tolerance 0.004)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -8000, max: 8000 }), { minLength: 1, maxLength: 40 }), (x) => {
        const a = intSoftmax(x, expTable);
        const sum = a.reduce((s, v) => s + v, 0);
        expect(Math.abs(sum - 256)).toBeLessThanOrEqual(x.length / 2);
        const max = Math.max(...x);
        const e = x.map((v) => Math.exp((v - max) / 1024));
        const z = e.reduce((s, v) => s + v, 0);
        x.forEach((_, j) => expect(Math.abs(a[j] / 256 - e[j] / z)).toBeLessThanOrEqual(0.004)); // 2^-9 rounding + PWL error
      }),
    );
  });

  test('an empty row and an exp table that is 0 at 0 are typed errors', () => {
    expect(() => intSoftmax([], expTable)).toThrow(/intSoftmax\.x/);
    const zero = sampledTable(() => 0, -10, 0, 1, 1, 1);
    expect(() => intSoftmax([1, 2], zero)).toThrow(/intSoftmax\.expTable/);
  });
});
