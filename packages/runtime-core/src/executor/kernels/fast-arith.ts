/**
 * The arithmetic of runtime-core's fast twins (docs/integer-semantics.md §2-3) without the
 * reference functions' argument checks, which the twins prove once at load instead of per value.
 */

const { abs, floor } = Math;

/** round(x / 2^s) half away from zero with p = 2^s precomputed; the reference formula, without its checks. */
export function rshr(x: number, p: number): number {
  const a = abs(x);
  const t = floor(a / p);
  const q = t + (2 * (a - t * p) >= p ? 1 : 0);
  return x < 0 ? 0 - q : q;
}

/** Clamp x to [lo, hi]. */
export function sat(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
