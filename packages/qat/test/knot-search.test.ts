import { pwlEval, validatePwlTable } from '@intrnn/runtime-core';
import { activationSpec, budgetPwl, greedyPwl, gridSpec, uniformPwl, type ActivationName, type PwlSpec } from '../src/index.js';
import { compileExpression } from '../src/pwl/expression.js';

// Bound once: global lookups are slow inside jest's vm sandbox and these run 65,536 times per check.
const { abs, floor, sign, min, max: maxOf } = Math;

/** The quantized true function, written out independently of pwl-spec.ts. */
function target(spec: PwlSpec, q: number): number {
  const v = spec.f(q * spec.inScale) / spec.outScale;
  const r = sign(v) * floor(abs(v) + 0.5);
  const hi = 2 ** (spec.outBits - 1) - 1;
  return min(hi, maxOf(-hi - 1, r));
}

/** Exhaustive max error over every integer input of the domain. */
function exhaustiveMaxError(spec: PwlSpec, table: ReturnType<typeof greedyPwl>['table']): number {
  let max = 0;
  for (let q = spec.inMin; q <= spec.inMax; q++) max = maxOf(max, abs(pwlEval(table, q) - target(spec, q)));
  return max;
}

const OUT = { 8: 2 ** -7, 16: 2 ** -15 } as const;
function spec(fn: ActivationName, outBits: 8 | 16, symmetry: 'auto' | 'none' = 'auto'): PwlSpec {
  const outScale = fn === 'sigmoid' || fn === 'tanh' || fn === 'exp' ? OUT[outBits] : outBits === 8 ? 2 ** -4 : 2 ** -12;
  return activationSpec(fn, { outBits, outScale, symmetry });
}

describe('greedyPwl (Algorithm 1)', () => {
  test('places the knot at the input of largest error: |x| gets exactly one knot, at 0', () => {
    const s = gridSpec(Math.abs, { inScale: 1, outScale: 1, inBits: 8 });
    const r = greedyPwl({ ...s, inMin: -100, inMax: 100 }, 0);
    expect(r.table.knots).toEqual([-100, 0, 100]);
    expect(r.maxErrorLsb).toBe(0);
  });

  const cases: Array<[ActivationName, 8 | 16, number]> = [];
  for (const fn of ['sigmoid', 'tanh', 'exp', 'gelu', 'softplus', 'silu'] as const) for (const bits of [8, 16] as const) for (const tol of [1, 2, 4]) cases.push([fn, bits, tol]);

  test.each(cases)('%s, int%i output, tolerance %i LSB: met on every integer input (exhaustive)', (fn, bits, tol) => {
    const s = spec(fn, bits);
    const r = greedyPwl(s, tol);
    const measured = exhaustiveMaxError(s, r.table);
    expect(measured).toBeLessThanOrEqual(tol);
    expect(r.maxErrorLsb).toBe(measured);
    expect(r.pieces).toBe(r.table.knots.length - 1);
    expect(validatePwlTable(r.table)).toEqual(r.table);
  });

  test('a tighter tolerance never needs fewer pieces (sigmoid, tanh, exp)', () => {
    for (const fn of ['sigmoid', 'tanh', 'exp'] as const) {
      const pieces = [4, 2, 1].map((tol) => greedyPwl(spec(fn, 16), tol).pieces);
      expect(pieces[0]).toBeLessThanOrEqual(pieces[1]);
      expect(pieces[1]).toBeLessThanOrEqual(pieces[2]);
    }
  });

  test.each([
    ['sigmoid', 16, 1],
    ['tanh', 16, 1],
    ['sigmoid', 8, 1],
    ['tanh', 8, 1],
  ] as const)('%s int%i at %i LSB: greedy needs fewer pieces than any uniform knot count reaching the same error', (fn, bits, tol) => {
    const s = spec(fn, bits, 'none');
    const g = greedyPwl(s, tol);
    for (let n = 1; n <= g.pieces; n++) expect(uniformPwl(s, n).maxErrorLsb).toBeGreaterThan(tol);
  });

  test('symmetric tables mirror exactly, meet the tolerance on the full domain, and store fewer pieces', () => {
    for (const fn of ['sigmoid', 'tanh'] as const) {
      const sym = greedyPwl(spec(fn, 16), 1);
      const plain = greedyPwl(spec(fn, 16, 'none'), 1);
      expect(sym.table.knots[0]).toBe(0);
      expect(sym.pieces).toBeLessThan(plain.pieces);
      expect(exhaustiveMaxError(spec(fn, 16), sym.table)).toBeLessThanOrEqual(1);
      const c = sym.table.center;
      expect(c).toBe(fn === 'sigmoid' ? 32768 : 0);
      for (let q = 1; q <= 32767; q++) {
        if (pwlEval(sym.table, -q) !== c - pwlEval(sym.table, q)) throw new Error(`asymmetric at ${q}`);
      }
    }
  });

  test('greedy tables of monotone functions are monotone on every input', () => {
    for (const fn of ['sigmoid', 'tanh', 'exp', 'softplus'] as const) {
      const s = spec(fn, 16);
      const t = greedyPwl(s, 2).table;
      let prev = -Infinity;
      let drops = 0;
      for (let q = s.inMin; q <= s.inMax; q++) {
        const y = pwlEval(t, q);
        if (y < prev) drops++;
        prev = y;
      }
      expect(drops).toBe(0);
    }
  });
});

describe('budgetPwl and uniformPwl', () => {
  test('the budget form never exceeds its piece count and beats uniform knots at equal count', () => {
    for (const fn of ['sigmoid', 'tanh', 'exp'] as const) {
      for (const n of [4, 8, 16, 32]) {
        const s = spec(fn, 16, 'none');
        const b = budgetPwl(s, n);
        const u = uniformPwl(s, n);
        expect(b.pieces).toBeLessThanOrEqual(n);
        expect(u.pieces).toBe(n);
        expect(b.maxErrorLsb).toBe(exhaustiveMaxError(s, b.table));
        expect(b.maxErrorLsb).toBeLessThan(u.maxErrorLsb);
      }
    }
  });

  test('the budget form stops early when no error is left', () => {
    const s = gridSpec((x) => 2 * x, { inScale: 1, outScale: 1, inBits: 8 });
    const b = budgetPwl(s, 10);
    expect(b.pieces).toBe(1);
    expect(b.maxErrorLsb).toBe(0);
  });
});

describe('bad specs and options are typed errors', () => {
  const s = spec('sigmoid', 16);
  test.each([
    ['empty domain', () => greedyPwl({ ...s, inMin: 5, inMax: 5 }, 1), /pwlSpec\.inMin/],
    ['negative tolerance', () => greedyPwl(s, -1), /tolerance/],
    ['NaN tolerance', () => greedyPwl(s, NaN), /tolerance/],
    ['zero budget', () => budgetPwl(s, 0), /maxPieces/],
    ['fractional uniform count', () => uniformPwl(s, 2.5), /pieces/],
    ['bad output scale', () => greedyPwl({ ...s, outScale: 0 }, 1), /pwlSpec\.outScale/],
    ['symmetric on a domain without 0', () => greedyPwl({ ...s, inMin: 10 }, 1), /pwlSpec\.symmetry/],
    ['slope beyond int32', () => greedyPwl({ ...gridSpec((x) => 1000 * x, { inScale: 1, outScale: 1, inBits: 16, outBits: 32 }), fracBits: 30 }, 0), /pwlSpec\.fracBits/],
    [
      'function giving NaN',
      () =>
        greedyPwl(
          gridSpec(() => NaN, { inScale: 1, outScale: 1, inBits: 8 }),
          1,
        ),
      /pwlSpec\.f/,
    ],
    ['expression that does not compile', () => compileExpression('x +* 2'), /--expr/],
    ['expression that is not finite at 0', () => compileExpression('1 / x'), /--expr/],
    ['expression using an unknown name', () => compileExpression('foo(x)'), /--expr/],
    // JavaScript is not run: a loop, a property access or an assignment is refused, never executed
    ['a JavaScript loop', () => compileExpression('(() => { while (true) {} })()'), /--expr/],
    ['a property access', () => compileExpression('constructor.constructor("return process")()'), /--expr/],
    ['an assignment', () => compileExpression('x = 3'), /--expr/],
    ['a matrix that could be huge', () => compileExpression('sum(ones(100000, 100000)) + x'), /--expr: function (sum|ones)/],
    ['an empty expression', () => compileExpression('  '), /--expr/],
  ])('%s', (_name, call, pattern) => {
    expect(call).toThrow(pattern);
  });

  test('expressions are math: elementary functions bare, ^ is a power, pi and e', () => {
    expect(compileExpression('x / (1 + exp(-x))')(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(compileExpression('x^2 + tanh(x) * pi - e')(0.5)).toBeCloseTo(0.25 + Math.tanh(0.5) * Math.PI - Math.E, 12);
    expect(compileExpression('sqrt(x)')(-1)).toBeNaN(); // complex results are not values
  });
});
