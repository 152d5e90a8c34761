import { roundingShiftRight } from './rounding-shift-right.js';
import { saturate } from './saturate.js';

/**
 * x · M · 2^-n rounded half away from zero, not saturated (docs/integer-semantics.md §5).
 * For int32 x and M < 2^21 the product is below 2^52, exact in a double.
 */
export function applyMultiplier(x: number, multiplier: number, shift: number): number {
  return roundingShiftRight(x * multiplier, shift);
}

/** Rescale an int32 value to a `bits`-bit integer: saturate(applyMultiplier(x, M, n), bits). */
export function requantize(x: number, multiplier: number, shift: number, bits: number): number {
  return saturate(applyMultiplier(x, multiplier, shift), bits);
}
