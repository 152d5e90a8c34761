import { IntrnnError, PwlTableSchema, type PwlTable } from '@intrnn/format';
import { roundingShiftRight } from '../arithmetic/rounding-shift-right.js';
import { saturate } from '../arithmetic/saturate.js';

/**
 * Evaluate a PWL table at integer q (docs/integer-semantics.md §7): clamp outside the knots,
 * otherwise y_j + round((q - k_j) · m_j / 2^F), saturated; q < 0 mirrored for symmetric tables.
 */
export function pwlEval(table: PwlTable, q: number): number {
  if (table.symmetry !== 'none' && q < 0) {
    return saturate(table.center - pwlEval(table, -q), table.outBits);
  }
  const { knots, values, slopes } = table;
  const last = knots.length - 1;
  if (q <= knots[0]) return values[0];
  if (q >= knots[last]) return values[last];
  let j = 0;
  while (knots[j + 1] <= q) j++; // reference: a plain scan over a handful of knots
  return saturate(values[j] + roundingShiftRight((q - knots[j]) * slopes[j], table.fracBits), table.outBits);
}

/**
 * The smallest value of a table on the integers [lo, hi] and where it is, exactly, from O(knots)
 * evaluations: within a piece the result is monotone in q (a line, a monotone rounding, a monotone
 * saturation; mirrored for q < 0 on symmetric tables), so the minimum sits at an end of a piece
 * (k_j - 1 and k_j, or -k_j and 1 - k_j when mirrored) or of the range.
 */
export function pwlMinimum(table: PwlTable, lo: number, hi: number): { value: number; at: number } {
  const candidates = [lo, hi, ...table.knots.flatMap((k) => [k - 1, k, -k, 1 - k])];
  let best = { value: Number.POSITIVE_INFINITY, at: lo };
  for (const q of candidates) {
    if (q < lo || q > hi) continue;
    const v = pwlEval(table, q);
    if (v < best.value) best = { value: v, at: q };
  }
  return best;
}

/** Evaluate a PWL table on every element of an integer array. */
export function pwlEvalArray(table: PwlTable, input: ArrayLike<number>, out: Int32Array = new Int32Array(input.length)): Int32Array {
  for (let i = 0; i < input.length; i++) out[i] = pwlEval(table, input[i]);
  return out;
}

/**
 * Validate an untrusted PWL table: the zod schema, values within outBits, and every piece's
 * interpolation product within 2^53 (so evaluation is exact). Throws a typed error naming the field.
 */
export function validatePwlTable(input: unknown, where = 'pwlTable'): PwlTable {
  const parsed = PwlTableSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntrnnError('ERR_SCHEMA', [where, ...issue.path].join('.'), issue.message);
  }
  const t = parsed.data;
  const lo = -(2 ** (t.outBits - 1));
  const hi = 2 ** (t.outBits - 1) - 1;
  t.values.forEach((v, j) => {
    if (v < lo || v > hi) throw new IntrnnError('ERR_SCHEMA', `${where}.values.${j}`, `${v} is outside int${t.outBits}`);
  });
  t.slopes.forEach((m, j) => {
    if ((t.knots[j + 1] - t.knots[j]) * Math.abs(m) > 2 ** 53) {
      throw new IntrnnError('ERR_SCHEMA', `${where}.slopes.${j}`, 'interpolation product can exceed 2^53');
    }
  });
  return t;
}
