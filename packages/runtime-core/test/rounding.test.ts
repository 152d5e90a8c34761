import fc from 'fast-check';
import { roundingDivide, roundingShiftRight, saturate, intMin, intMax } from '../src/index.js';
import { oRoundDiv, oShift, oSat } from './oracle/bigint-oracle.js';

const SAFE = Number.MAX_SAFE_INTEGER;

describe('roundingShiftRight', () => {
  test('equals the exact oracle on random integers and shifts', () => {
    fc.assert(
      fc.property(fc.integer({ min: -SAFE, max: SAFE }), fc.integer({ min: 0, max: 63 }), (x, n) => {
        expect(BigInt(roundingShiftRight(x, n))).toBe(oShift(BigInt(x), n));
      }),
      { numRuns: 2000 },
    );
  });

  test('rounds ties away from zero', () => {
    expect(roundingShiftRight(1, 1)).toBe(1);
    expect(roundingShiftRight(-1, 1)).toBe(-1);
    expect(roundingShiftRight(3, 1)).toBe(2);
    expect(roundingShiftRight(-3, 1)).toBe(-2);
    expect(roundingShiftRight(5, 2)).toBe(1); // 1.25
    expect(roundingShiftRight(6, 2)).toBe(2); // 1.5
    expect(roundingShiftRight(-6, 2)).toBe(-2);
    expect(roundingShiftRight(-5, 2)).toBe(-1);
  });

  test('is exact at the ends of the double range and at shift 63', () => {
    for (const x of [2 ** 53, -(2 ** 53), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 52 + 1]) {
      for (const n of [0, 1, 2, 31, 52, 53, 54, 63]) expect(BigInt(roundingShiftRight(x, n))).toBe(oShift(BigInt(x), n));
    }
  });

  test('is odd, monotone, and within half an LSB', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 40 }), (x, dx, n) => {
        const y = roundingShiftRight(x, n);
        expect(roundingShiftRight(-x, n)).toBe(0 - y);
        expect(roundingShiftRight(x + dx, n)).toBeGreaterThanOrEqual(y);
        expect(Math.abs(y * 2 ** n - x)).toBeLessThanOrEqual(2 ** n / 2);
      }),
    );
  });

  test('never returns -0 (a negative input that rounds to zero gives +0)', () => {
    expect(Object.is(roundingShiftRight(-1, 2), 0)).toBe(true);
    expect(Object.is(roundingShiftRight(-0, 0), 0)).toBe(true);
    expect(Object.is(roundingShiftRight(-5 * 0, 3), 0)).toBe(true);
    expect(Object.is(roundingDivide(-1, 3), 0)).toBe(true);
    expect(Object.is(roundingDivide(1, -3), 0)).toBe(true);
  });

  test('refuses inexact inputs with a typed error', () => {
    expect(() => roundingShiftRight(2 ** 53 + 2, 1)).toThrow(/roundingShiftRight\.x/);
    expect(() => roundingShiftRight(0.5, 1)).toThrow(/roundingShiftRight\.x/);
    expect(() => roundingShiftRight(1, 64)).toThrow(/roundingShiftRight\.n/);
    expect(() => roundingShiftRight(1, -1)).toThrow(/roundingShiftRight\.n/);
  });
});

describe('roundingDivide', () => {
  test('equals the exact oracle on random operands, including large ones', () => {
    const big = fc.integer({ min: -SAFE, max: SAFE });
    const nonZero = big.filter((b) => b !== 0);
    fc.assert(
      fc.property(big, nonZero, (a, b) => {
        expect(BigInt(roundingDivide(a, b))).toBe(oRoundDiv(BigInt(a), BigInt(b)));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -50, max: 50 }).filter((b) => b !== 0),
        (a, b) => {
          expect(BigInt(roundingDivide(a, b))).toBe(oRoundDiv(BigInt(a), BigInt(b)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('rounds ties away from zero for every sign combination', () => {
    expect(roundingDivide(5, 2)).toBe(3);
    expect(roundingDivide(-5, 2)).toBe(-3);
    expect(roundingDivide(5, -2)).toBe(-3);
    expect(roundingDivide(-5, -2)).toBe(3);
    expect(roundingDivide(7, 3)).toBe(2);
    expect(roundingDivide(8, 3)).toBe(3);
  });

  test('is exact where float division rounds: (2^53 - 1) / 3 and neighbours', () => {
    for (const a of [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 53, 2 ** 53 - 3]) {
      for (const b of [3, 7, 2 ** 26 + 1, 2 ** 53 - 1, 94906267]) expect(BigInt(roundingDivide(a, b))).toBe(oRoundDiv(BigInt(a), BigInt(b)));
    }
  });

  test('refuses division by zero with a typed error', () => {
    expect(() => roundingDivide(1, 0)).toThrow(/roundingDivide\.b/);
  });
});

describe('saturate', () => {
  test('clamps to the signed range at each width and never wraps', () => {
    for (const bits of [8, 16, 32]) {
      const lo = intMin(bits);
      const hi = intMax(bits);
      for (const x of [lo - 1, lo, lo + 1, -1, 0, 1, hi - 1, hi, hi + 1, 2 ** 52, -(2 ** 52)]) {
        expect(BigInt(saturate(x, bits))).toBe(oSat(BigInt(x), bits));
      }
    }
    expect(saturate(128, 8)).toBe(127);
    expect(saturate(-129, 8)).toBe(-128);
    expect(saturate(32768, 16)).toBe(32767);
  });
});
