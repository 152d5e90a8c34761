import { IntrnnError } from '@intrnn/format';

/** Significant bits of a fixed-point multiplier: 2^20 ≤ M < 2^21 (docs/integer-semantics.md §4). */
export const MULTIPLIER_BITS = 21;
const M_LOW = 2 ** (MULTIPLIER_BITS - 1);
const M_HIGH = 2 ** MULTIPLIER_BITS;

/** A real ratio r as an integer multiplier and right shift: r ≈ multiplier · 2^-shift. */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * Derive the fixed-point multiplier of a positive real ratio (docs/integer-semantics.md §4).
 * Relative error at most 2^-21. Ratios outside [2^-43, 2^20) are refused.
 */
export function quantizeMultiplier(ratio: number): QuantizedMultiplier {
  if (!(Number.isFinite(ratio) && ratio >= 2 ** -43 && ratio < 2 ** 20)) {
    throw new IntrnnError('ERR_MULTIPLIER_RANGE', 'quantizeMultiplier.ratio', `${ratio} is outside [2^-43, 2^20)`);
  }
  let shift = 0;
  let scaled = ratio;
  // Scaling by two is exact in float64, so `scaled` is exactly ratio · 2^shift.
  while (scaled < M_LOW) {
    scaled *= 2;
    shift += 1;
  }
  while (scaled >= M_HIGH) {
    scaled /= 2;
    shift -= 1;
  }
  let multiplier = Math.floor(scaled + 0.5); // scaled > 0, so this is round-half-away-from-zero
  if (multiplier === M_HIGH) {
    multiplier = M_LOW;
    shift -= 1;
  }
  return { multiplier, shift };
}
