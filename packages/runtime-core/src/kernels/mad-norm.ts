import { IntrnnError } from '@intrnn/format';
import { applyMultiplier } from '../arithmetic/requantize.js';
import { roundingDivide } from '../arithmetic/rounding-divide.js';
import { saturate } from '../arithmetic/saturate.js';
import { checkLength } from './check.js';

/** Integer parameters of one MadNorm row (docs/integer-semantics.md §8). */
export interface MadNormParams {
  /** Per-element scale γ, int16 at scale s_γ. */
  gamma: Int16Array;
  /** Per-element shift β, int32 at the output scale. */
  beta: Int32Array;
  /** Fractional bits K of the normalized value (x - μ) / MAD. */
  normFracBits: number;
  /** Fixed-point multiplier and shift of s_γ · 2^-K / s_out. */
  multiplier: number;
  shift: number;
  /** Output bit width (16 inside the LSTM cell). */
  outBits: number;
}

/** Reference MadNorm of one integer row: y = γ ⊙ (x − μ) / MAD(x) + β, all in integers. */
export function madNormReference(x: ArrayLike<number>, p: MadNormParams): Int32Array {
  const n = x.length;
  if (n < 1) throw new IntrnnError('ERR_SHAPE', 'madNorm.x', 'row is empty');
  checkLength('madNorm.gamma', p.gamma, n);
  checkLength('madNorm.beta', p.beta, n);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += x[j];
  const mu = roundingDivide(sum, n);
  let absSum = 0;
  for (let j = 0; j < n; j++) absSum += Math.abs(x[j] - mu);
  const mad = Math.max(1, roundingDivide(absSum, n));
  const scale = 2 ** p.normFracBits;
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const normalized = saturate(roundingDivide((x[j] - mu) * scale, mad), 16);
    out[j] = saturate(applyMultiplier(p.gamma[j] * normalized, p.multiplier, p.shift) + p.beta[j], p.outBits);
  }
  return out;
}
