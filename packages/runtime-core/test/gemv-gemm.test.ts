import fc from 'fast-check';
import { gemmInt8, gemvInt8 } from '../src/index.js';
import { oGemv } from './oracle/bigint-oracle.js';
import { EDGE_LENGTHS, int8s, ints, toBig } from './fixtures.js';

describe('gemvInt8', () => {
  test.each(EDGE_LENGTHS)('cols = %i: random rows equal the oracle', (cols) => {
    for (const rows of [1, 3, 8, 17]) {
      const w = int8s(rows * cols, cols * 100 + rows);
      const x = int8s(cols, cols * 7 + rows);
      const bias = Int32Array.from(ints(rows, -(2 ** 30), 2 ** 30, cols + rows));
      expect(toBig(gemvInt8(w, rows, cols, x, bias))).toEqual(oGemv(w, rows, cols, x, bias));
      expect(toBig(gemvInt8(w, rows, cols, x))).toEqual(oGemv(w, rows, cols, x));
    }
  });

  test.each(EDGE_LENGTHS)('cols = %i: extremes -128·-128, 127·-128, 127·127', (cols) => {
    for (const [a, b] of [
      [-128, -128],
      [127, -128],
      [127, 127],
      [-128, 127],
    ]) {
      const w = new Int8Array(cols).fill(a);
      const x = new Int8Array(cols).fill(b);
      expect(toBig(gemvInt8(w, 1, cols, x))).toEqual(oGemv(w, 1, cols, x));
      expect(gemvInt8(w, 1, cols, x)[0]).toBe(a * b * cols);
    }
  });

  test('an accumulator that leaves int32 is a typed error naming the row', () => {
    const w = Int8Array.from([0, 127]);
    const x = Int8Array.from([0, 127]);
    expect(() => gemvInt8(w, 2, 1, Int8Array.from([127]), Int32Array.from([0, 2 ** 31 - 1]))).toThrow(/gemvInt8\.row1: accumulator/);
    expect(() => gemvInt8(w, 1, 2, x, Int32Array.from([-(2 ** 31)]))).not.toThrow();
  });

  test('wrong lengths are typed shape errors', () => {
    expect(() => gemvInt8(new Int8Array(6), 2, 3, new Int8Array(2))).toThrow(/gemvInt8\.x: has 2 elements, expected 3/);
    expect(() => gemvInt8(new Int8Array(5), 2, 3, new Int8Array(3))).toThrow(/gemvInt8\.w/);
    expect(() => gemvInt8(new Int8Array(6), 2, 3, new Int8Array(3), new Int32Array(3))).toThrow(/gemvInt8\.bias/);
  });
});

describe('gemmInt8', () => {
  test.each(EDGE_LENGTHS)('cols = %i: every batch row equals the oracle GEMV', (cols) => {
    const batch = (cols % 4) + 1;
    const rows = 5;
    const x = int8s(batch * cols, cols);
    const w = int8s(rows * cols, cols + 1);
    const bias = Int32Array.from(ints(rows, -1000, 1000, cols + 2));
    const y = gemmInt8(x, batch, w, rows, cols, bias);
    for (let m = 0; m < batch; m++) {
      expect(toBig(y.subarray(m * rows, (m + 1) * rows))).toEqual(oGemv(w, rows, cols, x.subarray(m * cols, (m + 1) * cols), bias));
    }
  });

  test('random shapes agree with gemvInt8 row by row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (batch, rows, cols, seed) => {
        const x = int8s(batch * cols, seed);
        const w = int8s(rows * cols, seed + 1);
        const y = gemmInt8(x, batch, w, rows, cols);
        for (let m = 0; m < batch; m++) {
          expect(Array.from(y.subarray(m * rows, (m + 1) * rows))).toEqual(Array.from(gemvInt8(w, rows, cols, x.subarray(m * cols, (m + 1) * cols))));
        }
      }),
      { numRuns: 100 },
    );
  });

  test('wrong lengths are typed shape errors', () => {
    expect(() => gemmInt8(new Int8Array(5), 2, new Int8Array(6), 2, 3)).toThrow(/gemmInt8\.x/);
  });
});
