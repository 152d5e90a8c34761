import { IntrnnError } from '@intrnn/format';

// Bound once: global lookups are slow in sandboxed realms (jest's vm) and this sits in hot loops.
const { isInteger } = Number;

/** Smallest value of a signed integer of `bits` bits: -2^(bits-1). */
export function intMin(bits: number): number {
  return -(2 ** (bits - 1));
}

/** Largest value of a signed integer of `bits` bits: 2^(bits-1) - 1. */
export function intMax(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** Clamp an integer to the signed `bits`-bit range (docs/integer-semantics.md §3). Never wraps. */
export function saturate(x: number, bits: number): number {
  if (!(isInteger(bits) && bits >= 2 && bits <= 53)) {
    throw new IntrnnError('ERR_RANGE', 'saturate.bits', `bit width ${bits} is not an integer in [2, 53]`);
  }
  const lo = intMin(bits);
  const hi = intMax(bits);
  return x < lo ? lo : x > hi ? hi : x;
}
