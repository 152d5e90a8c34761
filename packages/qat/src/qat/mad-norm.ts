import { quantizeMultiplier } from '@intrnn/runtime-core';
import { mulShiftRoundExact, roundingDivideExact, saturateT, shiftConstants, disposeShiftConstants, type ShiftConstants } from './exact-int.js';
import { fakeQuantValue } from './ste-ops.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/** MadNorm's reciprocal precision: inv = round(2^23 / MAD) (docs/integer-semantics.md §8). */
const RECIPROCAL_BITS = 23;

/** Float MadNorm over the last axis: γ ⊙ (x − mean) / mean|x − mean| + β (pretraining; the QAT surrogate). */
export function madNormFloat(x: T, gamma: T, beta: T, eps = 1e-6): T {
  return tf.tidy(() => {
    const d = x.sub(tf.mean(x, -1, true));
    return d
      .div(tf.mean(tf.abs(d), -1, true).add(eps))
      .mul(gamma)
      .add(beta);
  });
}

/** Scales of one MadNorm in QAT (fixed at calibration). */
export interface MadNormQuant {
  /** Scale of the integer input (only the surrogate gradient needs it: MadNorm is scale-free). */
  inScale: number;
  /** Fractional bits K of the normalized value. */
  normFracBits: number;
  /** Scale of γ (int16) and of the output (int16; β shares it, within int24). */
  gammaScale: number;
  outScale: number;
}

/** Host-side constants of a MadNorm QAT forward. */
export interface MadNormConstants {
  quant: MadNormQuant;
  multiplier: number;
  shift: number;
  m: T;
  outShift: ShiftConstants;
  normShift: ShiftConstants;
  gammaShift: ShiftConstants;
}

export function madNormConstants(q: MadNormQuant): MadNormConstants {
  const { multiplier, shift } = quantizeMultiplier(q.gammaScale / q.outScale);
  return {
    quant: q,
    multiplier,
    shift,
    m: tf.scalar(multiplier),
    outShift: shiftConstants(shift),
    normShift: shiftConstants(RECIPROCAL_BITS - q.normFracBits),
    gammaShift: shiftConstants(q.normFracBits),
  };
}

export function disposeMadNormConstants(c: MadNormConstants): void {
  c.m.dispose();
  for (const s of [c.outShift, c.normShift, c.gammaShift]) disposeShiftConstants(s);
}

/**
 * madNormReference on every row of an integer tensor [..., N], exactly, in float32 (rows of at most
 * 256 values keep every sum below 2^24). γ int16 and β (within int24) are integer tensors [N].
 */
export function madNormExact(x: T, gammaInt: T, betaInt: T, c: MadNormConstants): T {
  return tf.tidy(() => {
    const n = x.shape[x.shape.length - 1]!;
    const mu = roundingDivideExact(tf.sum(x, -1, true), n);
    const d = x.sub(mu);
    const mad = tf.maximum(roundingDivideExact(tf.sum(tf.abs(d), -1, true), n), 1);
    const inv = roundingDivideExact(tf.fill(mad.shape, 2 ** RECIPROCAL_BITS), mad);
    const normalized = saturateT(mulShiftRoundExact(inv.broadcastTo(d.shape), d, c.normShift), 16);
    const scaled = mulShiftRoundExact(mulShiftRoundExact(normalized, gammaInt.broadcastTo(normalized.shape), c.gammaShift), c.m, c.outShift);
    return saturateT(scaled.add(betaInt), 16);
  });
}

/**
 * MadNorm in QAT mode: integer input [..., N] to integer output, exactly as the runtime computes it,
 * with float γ and β quantized on the way (γ int16 at gammaScale, β at outScale). The gradient is
 * the float MadNorm's, taken on the dequantized values (straight-through).
 */
export function madNormQat(xInt: T, gamma: T, beta: T, c: MadNormConstants): T {
  const q = c.quant;
  const gammaInt = fakeQuantValue(gamma, q.gammaScale, 16);
  const betaInt = fakeQuantValue(beta, q.outScale, 24);
  const op = tf.customGrad(((x: T, g: T, b: T, save: tf.GradSaveFunc) => {
    save([x, g]);
    return {
      value: madNormExact(x, g, b, c),
      gradFunc: (dy: T, saved: T[]) => madNormSurrogateGrads(dy, saved[0], saved[1], q),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T, g: T, b: T) => T;
  return op(xInt, gammaInt, betaInt);
}

/**
 * Gradients of the float MadNorm in integer units, y = γ_int·(s_γ/s_y)·n + β_int with n = d/m,
 * d = x − mean(x), m = mean|d| + ε (x real): written out because tfjs cannot nest tf.grads inside a
 * custom gradient. With g = dy·γ, s = sign(d): dx = (g − mean g)/m − mean(g·d)/m² · (s − mean s).
 */
function madNormSurrogateGrads(dy: T, xInt: T, gammaInt: T, q: MadNormQuant, eps = 1e-6): T[] {
  return tf.tidy(() => {
    const ratio = q.gammaScale / q.outScale;
    const x = xInt.mul(q.inScale);
    const d = x.sub(tf.mean(x, -1, true));
    const m = tf.mean(tf.abs(d), -1, true).add(eps);
    const n = d.div(m);
    const g = dy.mul(gammaInt).mul(ratio);
    const s = tf.sign(d);
    const dxReal = g
      .sub(tf.mean(g, -1, true))
      .div(m)
      .sub(
        tf
          .mean(g.mul(d), -1, true)
          .div(m.square())
          .mul(s.sub(tf.mean(s, -1, true))),
      );
    const rows = dy.shape.length - 1;
    const sumRows = (t: T) =>
      rows > 0
        ? tf.sum(
            t,
            Array.from({ length: rows }, (_, i) => i),
          )
        : t;
    return [dxReal.mul(q.inScale), sumRows(dy.mul(n).mul(ratio)), sumRows(dy)];
  });
}
