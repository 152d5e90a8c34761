import { greedyPwl, uniformPwl, type PwlSearchResult } from './knot-search.js';
import type { PwlSpec } from './pwl-spec.js';

/** Greedy knots against evenly spaced knots for one spec and tolerance (docs/pwl.md, `intrnn demo`). */
export interface PwlComparison {
  tolerance: number;
  /** Greedy search on the spec as given (symmetric if the spec is). */
  greedy: PwlSearchResult;
  /** Evenly spaced knots with the same number of pieces as `greedy`. */
  uniformSameCount: PwlSearchResult;
  /** Fewest evenly spaced pieces that reach `tolerance`, scanning upwards; null if none up to the limit. */
  uniformPiecesForTolerance: number | null;
}

/** Smallest piece count n ≤ limit whose evenly spaced knots meet the tolerance, or null. */
export function uniformPiecesFor(spec: PwlSpec, toleranceLsb: number, limit: number): number | null {
  for (let n = 1; n <= limit; n++) if (uniformPwl(spec, n).maxErrorLsb <= toleranceLsb) return n;
  return null;
}

/**
 * Compare greedy and uniform knots. `scanLimit` bounds the uniform scan (0 skips it): the scan costs
 * one exhaustive measurement per piece count.
 */
export function comparePwl(spec: PwlSpec, toleranceLsb: number, scanLimit = 0): PwlComparison {
  const greedy = greedyPwl(spec, toleranceLsb);
  const uniformSameCount = uniformPwl(spec, greedy.pieces);
  const uniformPiecesForTolerance = scanLimit > 0 ? uniformPiecesFor(spec, toleranceLsb, scanLimit) : null;
  return { tolerance: toleranceLsb, greedy, uniformSameCount, uniformPiecesForTolerance };
}
