import { IntrnnError } from '@intrnn/format';

const TWO_POW_53 = 2 ** 53;
// Builtins bound once: hot loops then avoid global lookups, which are slow in sandboxed realms (jest's vm).
const { abs, floor } = Math;
const { isInteger } = Number;

/**
 * round(x / 2^n), rounding half away from zero (docs/integer-semantics.md §2).
 * Exact for integers |x| ≤ 2^53 and 0 ≤ n ≤ 63: it never forms |x| + 2^(n-1), which could
 * leave the exact range of a double.
 */
export function roundingShiftRight(x: number, n: number): number {
  if (!(isInteger(x) && abs(x) <= TWO_POW_53)) {
    throw new IntrnnError('ERR_RANGE', 'roundingShiftRight.x', `${x} is not an integer within ±2^53`);
  }
  if (!(isInteger(n) && n >= 0 && n <= 63)) {
    throw new IntrnnError('ERR_RANGE', 'roundingShiftRight.n', `shift ${n} is not an integer in [0, 63]`);
  }
  if (n === 0) return x + 0; // + 0: never return -0 (x may be -0, e.g. -5 · 0)
  const p = 2 ** n;
  const a = abs(x);
  const t = floor(a / p);
  const r = a - t * p;
  const q = t + (2 * r >= p ? 1 : 0);
  return x < 0 ? 0 - q : q; // 0 - q, not -q: never return -0
}
