import fc from 'fast-check';
import { applyMultiplier, quantizeMultiplier, requantize } from '../src/index.js';
import { oDyadic, oQuantizeMultiplier, oRequantize } from './oracle/bigint-oracle.js';

const ratio = fc.double({ min: 2 ** -43, max: 2 ** 20, noNaN: true, maxExcluded: true });

describe('quantizeMultiplier', () => {
  test('equals the exact oracle on log-uniform random ratios', () => {
    fc.assert(
      fc.property(fc.double({ min: -43, max: 20, noNaN: true, maxExcluded: true }), (e) => {
        const r = 2 ** e;
        const { multiplier, shift } = quantizeMultiplier(r);
        const o = oQuantizeMultiplier(r);
        expect(BigInt(multiplier)).toBe(o.multiplier);
        expect(shift).toBe(o.shift);
      }),
      { numRuns: 3000 },
    );
  });

  test('handles powers of two, the range ends, and ratios that round up to 2^21', () => {
    const cases = [2 ** -43, 1, 0.5, 2 ** 19, 2 ** 20 - 2 ** -32, 0.1, 1 / 3, 1 - 2 ** -30, 2 - 2 ** -22, 3 * 2 ** -40];
    for (const r of cases) {
      const { multiplier, shift } = quantizeMultiplier(r);
      const o = oQuantizeMultiplier(r);
      expect([BigInt(multiplier), shift]).toEqual([o.multiplier, o.shift]);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 20);
      expect(multiplier).toBeLessThan(2 ** 21);
      expect(shift).toBeGreaterThanOrEqual(0);
      expect(shift).toBeLessThanOrEqual(63);
    }
    expect(quantizeMultiplier(1 - 2 ** -30)).toEqual({ multiplier: 2 ** 20, shift: 20 });
  });

  test('meets its error bound |M·2^-n - r| <= r·2^-21, checked exactly', () => {
    fc.assert(
      fc.property(ratio, (r) => {
        const { multiplier, shift } = quantizeMultiplier(r);
        const { mant, exp } = oDyadic(r);
        // Scale both sides of |M·2^-n - mant·2^exp| <= mant·2^exp·2^-21 by 2^(n + 21 + K).
        const K = Math.max(0, -(exp + shift)) + 1;
        const mTerm = BigInt(multiplier) << BigInt(21 + K);
        const rTerm = mant << BigInt(exp + shift + 21 + K);
        const diff = mTerm > rTerm ? mTerm - rTerm : rTerm - mTerm;
        expect(diff <= mant << BigInt(exp + shift + K)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('refuses ratios outside [2^-43, 2^20) with a typed error', () => {
    for (const r of [0, -1, 2 ** -44, 2 ** 20, Infinity, NaN]) expect(() => quantizeMultiplier(r)).toThrow(/quantizeMultiplier\.ratio/);
  });
});

describe('requantize', () => {
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  test('equals the exact oracle for int32 inputs and every multiplier', () => {
    fc.assert(
      fc.property(int32, fc.integer({ min: 2 ** 20, max: 2 ** 21 - 1 }), fc.integer({ min: 0, max: 63 }), fc.constantFrom(8, 16, 32), (x, m, n, bits) => {
        expect(BigInt(requantize(x, m, n, bits))).toBe(oRequantize(BigInt(x), BigInt(m), n, bits));
      }),
      { numRuns: 3000 },
    );
  });

  test('saturation edges: results just inside and outside int8', () => {
    // x · 2^20 / 2^20 = x, so the edges of int8 are exercised directly
    for (const x of [-129, -128, -127, 126, 127, 128, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(BigInt(requantize(x, 2 ** 20, 20, 8))).toBe(oRequantize(BigInt(x), 2n ** 20n, 20, 8));
    }
  });

  test('error against the real rescale is at most 1/2 LSB plus the multiplier bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double({ min: -20, max: 0, noNaN: true }), (x, e) => {
        const r = 2 ** e;
        const { multiplier, shift } = quantizeMultiplier(r);
        const y = applyMultiplier(x, multiplier, shift);
        // named tolerance: the float64 evaluation of x·r adds at most 2^-40 relative
        const bound = 0.5 + Math.abs(x) * r * 2 ** -21 + Math.abs(x * r) * 2 ** -40;
        expect(Math.abs(y - x * r)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 3000 },
    );
  });
});
