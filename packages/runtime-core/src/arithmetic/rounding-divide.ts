import { IntrnnError } from '@intrnn/format';

const TWO_POW_53 = 2 ** 53;

/**
 * round(a / b) for integers, rounding half away from zero (docs/integer-semantics.md §2).
 * Exact integer division for |a|, |b| ≤ 2^53, b ≠ 0.
 */
export function roundingDivide(a: number, b: number): number {
  if (!(Number.isInteger(a) && Math.abs(a) <= TWO_POW_53)) {
    throw new IntrnnError('ERR_RANGE', 'roundingDivide.a', `${a} is not an integer within ±2^53`);
  }
  if (!(Number.isInteger(b) && b !== 0 && Math.abs(b) <= TWO_POW_53)) {
    throw new IntrnnError('ERR_RANGE', 'roundingDivide.b', `${b} is not a non-zero integer within ±2^53`);
  }
  const aa = Math.abs(a);
  const bb = Math.abs(b);
  // floor(aa / bb) in float64 can be off by one for large operands; correct it with exact products.
  let t = Math.floor(aa / bb);
  while (t * bb > aa) t -= 1;
  while ((t + 1) * bb <= aa) t += 1;
  const r = aa - t * bb;
  const q = t + (2 * r >= bb ? 1 : 0);
  return a < 0 !== b < 0 ? 0 - q : q; // 0 - q, not -q: never return -0
}
