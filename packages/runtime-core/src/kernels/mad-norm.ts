import { IntrnnError } from '@intrnn/format';
import { applyMultiplier } from '../arithmetic/requantize.js';
import { roundingDivide } from '../arithmetic/rounding-divide.js';
import { roundingShiftRight } from '../arithmetic/rounding-shift-right.js';
import { saturate } from '../arithmetic/saturate.js';
import { checkLength } from './check.js';

/** Bits of MadNorm's integer reciprocal: inv = round(2^23 / MAD) (docs/integer-semantics.md §8). */
export const RECIPROCAL_BITS = 23;
const RECIPROCAL_ONE = 2 ** RECIPROCAL_BITS;

/** Integer parameters of one MadNorm row (docs/integer-semantics.md §8). */
export interface MadNormParams {
  /** Per-element scale γ, int16 at scale s_γ. */
  gamma: Int16Array;
  /** Per-element shift β, at the output scale, within int24. */
  beta: Int32Array;
  /** Fractional bits K of the normalized value (x - μ) / MAD. */
  normFracBits: number;
  /** Fixed-point multiplier and shift of s_γ / s_out. */
  multiplier: number;
  shift: number;
  /** Output bit width (16 inside the LSTM cell). */
  outBits: number;
}

/** Reference MadNorm of one integer row: y = γ ⊙ (x − μ) / MAD(x) + β, all in integers. */
export function madNormReference(x: ArrayLike<number>, p: MadNormParams): Int32Array {
  const n = x.length;
  if (n < 1) throw new IntrnnError('ERR_SHAPE', 'madNorm.x', 'row is empty');
  if (!(p.normFracBits >= 0 && p.normFracBits <= RECIPROCAL_BITS)) {
    throw new IntrnnError('ERR_RANGE', 'madNorm.normFracBits', `${p.normFracBits} is outside [0, ${RECIPROCAL_BITS}]`);
  }
  checkLength('madNorm.gamma', p.gamma, n);
  checkLength('madNorm.beta', p.beta, n);
  for (let j = 0; j < n; j++) {
    if (p.beta[j] < -(2 ** 23) || p.beta[j] >= 2 ** 23) throw new IntrnnError('ERR_RANGE', `madNorm.beta.${j}`, `${p.beta[j]} is outside int24`);
  }
  let sum = 0;
  for (let j = 0; j < n; j++) sum += x[j];
  const mu = roundingDivide(sum, n);
  let absSum = 0;
  for (let j = 0; j < n; j++) absSum += Math.abs(x[j] - mu);
  const mad = Math.max(1, roundingDivide(absSum, n));
  const inv = roundingDivide(RECIPROCAL_ONE, mad); // one integer reciprocal per row, ≤ 2^23
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const normalized = saturate(roundingShiftRight((x[j] - mu) * inv, RECIPROCAL_BITS - p.normFracBits), 16);
    const scaled = saturate(applyMultiplier(roundingShiftRight(p.gamma[j] * normalized, p.normFracBits), p.multiplier, p.shift), 24);
    out[j] = saturate(scaled + p.beta[j], p.outBits);
  }
  return out;
}
