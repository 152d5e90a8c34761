import { applyMultiplier, gemvInt8, pwlEval, roundingShiftRight } from '../src/index.js';
import { oGemv, oPwl, oShift } from './oracle/bigint-oracle.js';
import { tableFrom } from './fixtures.js';

// JS numbers are exact integers only up to 2^53. Each test drives one intermediate of
// docs/integer-semantics.md to its worst case and compares with BigInt.
describe('worst-case intermediates stay exact in float64', () => {
  test('int32 accumulator times the largest multiplier (< 2^52)', () => {
    const M = 2 ** 21 - 1;
    for (const acc of [-(2 ** 31), 2 ** 31 - 1]) {
      const product = acc * M;
      expect(BigInt(product)).toBe(BigInt(acc) * BigInt(M));
      expect(Math.abs(product)).toBeLessThan(2 ** 52);
      for (const n of [1, 20, 31, 52, 63]) expect(BigInt(applyMultiplier(acc, M, n))).toBe(oShift(BigInt(acc) * BigInt(M), n));
    }
  });

  test('GEMV with -128·-128 in every term at the largest length that fits int32', () => {
    const cols = 131071; // 131071 · 16384 < 2^31
    const w = new Int8Array(cols).fill(-128);
    const x = new Int8Array(cols).fill(-128);
    const got = gemvInt8(w, 1, cols, x);
    expect(BigInt(got[0])).toBe(oGemv(w, 1, cols, x)[0]);
    expect(got[0]).toBe(131071 * 16384);
  });

  test('PWL interpolation product at its largest (int16 domain, F = 30)', () => {
    const t = tableFrom([-32768, 32767], [-32768, 32767], { fracBits: 30 });
    for (const q of [-32768, -32767, 0, 32766]) {
      expect(BigInt(pwlEval(t, q))).toBe(oPwl(t, BigInt(q)));
    }
    expect(Math.abs((32766 + 32768) * t.slopes[0])).toBeLessThan(2 ** 53);
  });

  test('shift of the largest exact magnitude', () => {
    expect(BigInt(roundingShiftRight(2 ** 53, 1))).toBe(2n ** 52n);
    expect(BigInt(roundingShiftRight(-(2 ** 53) + 1, 1))).toBe(oShift(-(2n ** 53n) + 1n, 1));
  });
});
