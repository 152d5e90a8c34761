import fc from 'fast-check';
import { applyMultiplier, roundingDivide, roundingShiftRight, saturate } from '@intrnn/runtime-core';
import { disposeShiftConstants, mulShiftRoundExact, roundHalfAway, roundingDivideExact, shiftConstants } from '../src/qat/exact-int.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

function run(x: number[], m: number[], shifts: number[]): number[] {
  const c = shiftConstants(shifts);
  const out = tf.tidy(() => mulShiftRoundExact(tf.tensor2d(x, [x.length / shifts.length, shifts.length]), tf.tensor2d(m, [m.length / shifts.length, shifts.length]), c));
  const v = Array.from(out.dataSync());
  out.dispose();
  disposeShiftConstants(c);
  return v;
}

describe('mulShiftRoundExact (float32) equals runtime-core applyMultiplier, saturated to int24', () => {
  const want = (x: number, m: number, n: number) => saturate(applyMultiplier(x, m, n), 24);

  test('random accumulators, 21-bit multipliers and per-column shifts 0..63', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -(2 ** 24) + 1, max: 2 ** 24 - 1 }), fc.integer({ min: 0, max: 2 ** 21 - 1 })), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 4, maxLength: 4 }),
        (pairs, shifts) => {
          const got = run(
            pairs.map((p) => p[0]),
            pairs.map((p) => p[1]),
            shifts,
          );
          pairs.forEach(([x, m], i) => expect(got[i]).toBe(want(x, m, shifts[i % 4])));
        },
      ),
      { numRuns: 400 },
    );
  });

  test('ties, zero, the limb boundaries and the extremes', () => {
    const xs = [0, 1, -1, 2047, 2048, -2048, 4194303, 4194304, -4194305, 2 ** 24 - 1, -(2 ** 24 - 1), 3, -3, 5, -5];
    const ms = [0, 1, 2047, 2048, 2 ** 20, 2 ** 21 - 1, 3];
    for (const n of [0, 1, 2, 10, 11, 12, 21, 22, 23, 32, 33, 34, 43, 44, 45, 62, 63]) {
      const x: number[] = [];
      const m: number[] = [];
      for (const a of xs)
        for (const b of ms) {
          x.push(a);
          m.push(b);
        }
      const got = run(x, m, [n]);
      x.forEach((a, i) => expect(got[i]).toBe(want(a, m[i], n)));
    }
  });

  test('as a product shift of two int16 values (the cell update): round(f·c / 2^15)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 32767 }), fc.integer({ min: -32768, max: 32767 })), { minLength: 16, maxLength: 16 }), (pairs) => {
        const got = run(
          pairs.map((p) => p[1]),
          pairs.map((p) => p[0]),
          [15],
        );
        pairs.forEach(([f, c], i) => expect(got[i]).toBe(roundingShiftRight(f * c, 15)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('roundingDivideExact and roundHalfAway', () => {
  test('equal runtime-core roundingDivide for |a| + b < 2^24', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -(2 ** 23), max: 2 ** 23 }), fc.integer({ min: 1, max: 2 ** 23 - 1 })), { minLength: 32, maxLength: 32 }), (pairs) => {
        const got = tf.tidy(() => roundingDivideExact(tf.tensor1d(pairs.map((p) => p[0])), tf.tensor1d(pairs.map((p) => p[1]))).dataSync());
        pairs.forEach(([a, b], i) => expect(got[i]).toBe(roundingDivide(a, b)));
      }),
      { numRuns: 200 },
    );
  });

  test('round half away from zero, unlike tf.round', () => {
    const got = tf.tidy(() => Array.from(roundHalfAway(tf.tensor1d([0.5, 1.5, 2.5, -0.5, -2.5, 2.4999, -7])).dataSync()));
    expect(got).toEqual([1, 2, 3, -1, -3, 2, -7]);
  });
});
