import fc from 'fast-check';
import { compilePwl, pwlEval, pwlEvalArray, pwlMinimum, validatePwlTable } from '../src/index.js';
import { oPwl } from './oracle/bigint-oracle.js';
import { sampledTable, sigmoid, tableFrom } from './fixtures.js';

/** Random strictly increasing knots in int16 with random int16 values. */
const randomTable = fc
  .record({
    knots: fc.uniqueArray(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 20 }).map((k) => [...k].sort((a, b) => a - b)),
    fracBits: fc.integer({ min: 0, max: 20 }),
    seedValues: fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 20, maxLength: 20 }),
  })
  .map(({ knots, fracBits, seedValues }) =>
    tableFrom(
      knots,
      knots.map((_, j) => seedValues[j]),
      { fracBits },
    ),
  );

describe('pwlEval', () => {
  test('equals the oracle on random tables over int16 and beyond (clamping)', () => {
    fc.assert(
      fc.property(randomTable, fc.array(fc.integer({ min: -70000, max: 70000 }), { minLength: 50, maxLength: 50 }), (t, qs) => {
        for (const q of [...qs, ...t.knots, ...t.knots.map((k) => k - 1), ...t.knots.map((k) => k + 1)]) {
          expect(BigInt(pwlEval(t, q))).toBe(oPwl(t, BigInt(q)));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('returns the exact value at every knot and clamps outside', () => {
    const t = tableFrom([-100, -3, 0, 7, 1000], [5, -20, 0, 300, 301], { fracBits: 8 });
    t.knots.forEach((k, j) => expect(pwlEval(t, k)).toBe(t.values[j]));
    expect(pwlEval(t, -101)).toBe(5);
    expect(pwlEval(t, -(2 ** 31))).toBe(5);
    expect(pwlEval(t, 2 ** 31 - 1)).toBe(301);
  });

  test('odd and point symmetry mirror exactly: out(-q) = center - out(q)', () => {
    const tanh = sampledTable(Math.tanh, 0, 32767, 40, 2 ** -12, 2 ** -15, { symmetry: 'odd' });
    const sig = sampledTable(sigmoid, 0, 32767, 40, 2 ** -12, 2 ** -15, { symmetry: 'point', center: 32768 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32767 }), (q) => {
        expect(pwlEval(tanh, -q)).toBe(-pwlEval(tanh, q));
        expect(pwlEval(sig, -q)).toBe(32768 - pwlEval(sig, q));
        expect(BigInt(pwlEval(tanh, -q))).toBe(oPwl(tanh, BigInt(-q)));
        expect(BigInt(pwlEval(sig, -q))).toBe(oPwl(sig, BigInt(-q)));
      }),
      { numRuns: 2000 },
    );
  });

  test('is monotone on monotone knot values when every piece is at most 2^F wide (§7)', () => {
    fc.assert(
      fc.property(randomTable, (t0) => {
        const values = [...t0.values].sort((a, b) => a - b);
        const t = tableFrom(t0.knots, values, { fracBits: t0.fracBits });
        fc.pre(t.knots.every((k, j) => j === 0 || k - t.knots[j - 1] <= 2 ** t.fracBits));
        let prev = -Infinity;
        let decreases = 0;
        for (let q = t.knots[0] - 2; q <= t.knots[t.knots.length - 1] + 2; q++) {
          const y = pwlEval(t, q);
          if (y < prev) decreases++;
          prev = y;
        }
        expect(decreases).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  test('a piece wider than 2^F can overshoot: the reason for the monotonicity precondition', () => {
    const t = tableFrom([0, 10, 20], [0, 25, 25], { fracBits: 0 }); // slope round(2.5) = 3
    expect(pwlEval(t, 9)).toBe(27);
    expect(pwlEval(t, 10)).toBe(25);
  });

  test('saturates to outBits when a piece overshoots', () => {
    // slope rounded up from 127·2^0/2 = 63.5 -> 64 overshoots 127 inside the piece: int8 saturates
    const t = tableFrom([0, 2, 4], [0, 127, 127], { fracBits: 0, outBits: 8 });
    expect(pwlEval(t, 1)).toBe(64);
    const steep = { ...tableFrom([0, 4], [-128, 127], { fracBits: 0, outBits: 8 }), slopes: [100] };
    expect(pwlEval(steep, 3)).toBe(127);
    expect(BigInt(pwlEval(steep, 3))).toBe(oPwl(steep, 3n));
  });

  test('pwlEvalArray maps every element', () => {
    const t = tableFrom([0, 10], [0, 100], { fracBits: 4 });
    expect(Array.from(pwlEvalArray(t, [-1, 0, 5, 10, 11]))).toEqual([0, 0, 50, 100, 100]);
  });
});

describe('pwlMinimum', () => {
  test('equals the brute-force minimum over the range, for any slopes a file may hold and every symmetry', () => {
    fc.assert(
      fc.property(
        randomTable,
        fc.constantFrom('none', 'odd', 'point'),
        fc.array(fc.integer({ min: -40000, max: 40000 }), { minLength: 20, maxLength: 20 }),
        fc.integer({ min: -3000, max: 0 }),
        fc.integer({ min: 0, max: 3000 }),
        (t0, symmetry, slopes, lo, span) => {
          const knots = symmetry === 'none' ? t0.knots : [0, ...t0.knots.filter((k) => k > 0)];
          // slopes not derived from the knots: a hostile file's tables overshoot between knots
          const t = {
            ...tableFrom(
              knots,
              knots.map((_, j) => t0.values[j % t0.values.length]),
              { fracBits: t0.fracBits % 8, symmetry, center: symmetry === 'point' ? 32768 : 0 },
            ),
            slopes: knots.slice(1).map((_, j) => slopes[j]),
          };
          let want = Number.POSITIVE_INFINITY;
          for (let q = lo; q <= lo + span; q++) want = Math.min(want, pwlEval(t, q));
          expect(pwlMinimum(t, lo, lo + span).value).toBe(want);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('validatePwlTable', () => {
  const good = tableFrom([0, 10, 20], [0, 100, 150], { fracBits: 4 });
  test('accepts a well-formed table', () => {
    expect(validatePwlTable(good)).toEqual(good);
  });
  test.each([
    ['knots not increasing', { ...good, knots: [0, 20, 10] }, /pwlTable\.knots\.2/],
    ['slopes length', { ...good, slopes: [1] }, /pwlTable\.slopes/],
    ['values length', { ...good, values: [1, 2] }, /pwlTable\.values/],
    ['non-integer knot', { ...good, knots: [0, 1.5, 20] }, /pwlTable\.knots\.1/],
    ['value outside outBits', { ...good, outBits: 8 }, /pwlTable\.values\.1: 100|pwlTable\.values\.2/],
    ['symmetric table not starting at 0', { ...good, knots: [1, 10, 20], symmetry: 'odd' }, /pwlTable\.knots\.0/],
    ['missing field', { ...good, fracBits: undefined }, /pwlTable\.fracBits/],
    ['product beyond 2^53', { ...tableFrom([0, 2 ** 30], [0, 1]), slopes: [2 ** 31 - 1], fracBits: 30 }, /pwlTable\.slopes\.0/],
  ])('rejects %s with a typed error naming the field', (_name, table, pattern) => {
    expect(() => validatePwlTable(table)).toThrow(pattern);
  });
});

describe('compilePwl (optimized twin of pwlEval)', () => {
  test('is bit-exact with the reference on random tables, inputs and clamping', () => {
    fc.assert(
      fc.property(randomTable, fc.constantFrom('none', 'odd', 'point'), fc.array(fc.integer({ min: -70000, max: 70000 }), { minLength: 60, maxLength: 60 }), (t0, symmetry, qs) => {
        const knots = symmetry === 'none' ? t0.knots : [0, ...t0.knots.filter((k) => k > 0)];
        const t = tableFrom(
          knots,
          knots.map((_, j) => t0.values[j % t0.values.length]),
          { fracBits: t0.fracBits, symmetry, center: symmetry === 'point' ? 32768 : 0 },
        );
        fc.pre(t.slopes.every((m) => Math.abs(m) <= 2 ** 31 - 1)); // slopes beyond int32 are invalid tables
        const fast = compilePwl(t);
        for (const q of [...qs, ...knots, ...knots.map((k) => -k), ...knots.map((k) => k + 1), -(2 ** 31), 2 ** 31 - 1]) {
          expect(fast(q)).toBe(pwlEval(t, q));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('is bit-exact on every int16 input of symmetric activation tables', () => {
    const tables = [
      sampledTable(Math.tanh, 0, 32767, 97, 2 ** -12, 2 ** -15, { symmetry: 'odd', fracBits: 16 }),
      sampledTable(sigmoid, 0, 32767, 61, 2 ** -12, 2 ** -15, { symmetry: 'point', center: 32768, fracBits: 16 }),
    ];
    for (const t of tables) {
      const fast = compilePwl(t);
      let mismatches = 0;
      for (let q = -32768; q <= 32767; q++) if (fast(q) !== pwlEval(t, q)) mismatches++;
      expect(mismatches).toBe(0);
    }
  });

  test('refuses an invalid table up front', () => {
    expect(() => compilePwl({ ...tableFrom([0, 1], [0, 1]), knots: [1, 0] })).toThrow(/pwlTable\.knots/);
  });
});
