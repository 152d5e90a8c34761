import * as z from 'zod/mini';

// zod/mini: the same validation as zod's classic API, tree-shakable (the browser worker bundles it)
const int = z.int();
const range = (lo: number, hi: number) => z.int().check(z.minimum(lo), z.maximum(hi));

/**
 * A piecewise-linear table in the integer domain (docs/integer-semantics.md, "PWL evaluation").
 *
 * For input q: clamp to the first/last knot, find the piece j with knots[j] <= q < knots[j+1], and
 * return values[j] + roundingShiftRight((q - knots[j]) * slopes[j], fracBits), saturated to outBits.
 * With `symmetry` 'odd' or 'point' the knots cover q >= 0 only and q < 0 is mirrored:
 * out(q) = center - out(-q) (center 0 for 'odd').
 */
export const PwlTableSchema = z
  .object({
    /** Integer input domain the table was built and verified for (inclusive). */
    inMin: int,
    inMax: int,
    /** Strictly increasing integer knots. */
    knots: z.array(int).check(z.minLength(1)),
    /** Output integer at each knot. */
    values: z.array(int).check(z.minLength(1)),
    /** One integer slope per piece (knots.length - 1), at fracBits fractional bits; fits int32. */
    slopes: z.array(range(-2147483648, 2147483647)),
    fracBits: range(0, 30),
    outBits: range(2, 32),
    symmetry: z.enum(['none', 'odd', 'point']),
    /** For 'point' symmetry: out(q) = center - out(-q) for q < 0. 0 otherwise. */
    center: int,
    /** Real scales (metadata for reports and plots; the runtime never reads them). */
    inScale: z.number().check(z.positive()),
    outScale: z.number().check(z.positive()),
  })
  .check(
    z.superRefine((t, ctx) => {
      if (t.values.length !== t.knots.length) {
        ctx.addIssue({ code: 'custom', path: ['values'], message: `has ${t.values.length} entries, knots has ${t.knots.length}` });
      }
      if (t.slopes.length !== t.knots.length - 1) {
        ctx.addIssue({ code: 'custom', path: ['slopes'], message: `has ${t.slopes.length} entries, expected knots.length - 1 = ${t.knots.length - 1}` });
      }
      for (let j = 1; j < t.knots.length; j++) {
        if (t.knots[j] <= t.knots[j - 1]) {
          ctx.addIssue({ code: 'custom', path: ['knots', j], message: 'knots must be strictly increasing' });
          break;
        }
      }
      if (t.inMin > t.inMax) ctx.addIssue({ code: 'custom', path: ['inMin'], message: 'inMin exceeds inMax' });
      if (t.symmetry !== 'none' && t.knots[0] !== 0) {
        ctx.addIssue({ code: 'custom', path: ['knots', 0], message: 'a symmetric table starts at knot 0' });
      }
      if (t.symmetry !== 'point' && t.center !== 0) {
        ctx.addIssue({ code: 'custom', path: ['center'], message: "center is used by 'point' symmetry only and must be 0 otherwise" });
      }
    }),
  );

/** A validated PWL table; see {@link PwlTableSchema}. */
export type PwlTable = z.infer<typeof PwlTableSchema>;
