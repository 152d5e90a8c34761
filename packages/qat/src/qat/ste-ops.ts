import type { PwlTable } from '@intrnn/format';
import { compilePwl } from '@intrnn/runtime-core';
import { mulShiftRoundExact, roundHalfAway, saturateT, shiftConstants, type ShiftConstants } from './exact-int.js';
import { tf } from './tf-backend.js';

/**
 * The ops of the QAT forward pass: each computes runtime-core's integers exactly (forward) and
 * passes a straight-through estimate of the real operation's derivative (backward).
 */

type T = tf.Tensor;

/** tf.customGrad with the argument types this module uses (tfjs types every argument as Tensor | save). */
function custom<A extends unknown[]>(fn: (...args: A) => { value: T; gradFunc: (dy: T, saved: T[]) => T | T[] }): (...inputs: T[]) => T {
  return tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: T[]) => T;
}

/** A rescaling by per-column multipliers: constants built once per set of multipliers. */
export interface Rescale {
  multiplier: T;
  shift: ShiftConstants;
  /** The real ratio each multiplier stands for, M · 2^-n: the STE gradient. */
  ratio: T;
}

export function makeRescale(multipliers: ArrayLike<number>, shifts: ArrayLike<number>): Rescale {
  return {
    multiplier: tf.tensor1d(Array.from(multipliers), 'float32'),
    shift: shiftConstants(shifts),
    ratio: tf.tensor1d(
      Array.from(multipliers, (m, i) => m * 2 ** -shifts[i]),
      'float32',
    ),
  };
}

export function disposeRescale(r: Rescale): void {
  tf.dispose([r.multiplier, r.ratio, ...r.shift.factors, r.shift.rounds]);
}

/** saturate24(applyMultiplier(x, M, n)) per column; gradient dy · M·2^-n. */
export function rescale(x: T, r: Rescale): T {
  const op = custom((input: T) => ({
    value: mulShiftRoundExact(input, r.multiplier, r.shift),
    gradFunc: (dy: T) => dy.mul(r.ratio),
  }));
  return op(x);
}

/** round(a · b / 2^n) exactly (|a| < 2^24, |b| < 2^21); gradient by the product rule. */
export function productShift(a: T, b: T, shift: ShiftConstants, n: number): T {
  const scale = 2 ** -n;
  const op = custom((x: T, y: T, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: mulShiftRoundExact(x, y, shift),
      gradFunc: (dy: T, saved: T[]) => [dy.mul(saved[1]).mul(scale), dy.mul(saved[0]).mul(scale)],
    };
  });
  return op(a, b);
}

/** A PWL activation as a lookup table over the int16 domain, with its piece slopes for the backward pass. */
export interface PwlLookup {
  values: T;
  slopes: T;
  /** The same on the host, for the native training kernels. */
  hostValues: Float32Array;
  hostSlopes: Float32Array;
  table: PwlTable;
}

const INT16_OFFSET = 32768;

export function makePwlLookup(table: PwlTable): PwlLookup {
  const evaluate = compilePwl(table);
  const values = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) values[i] = evaluate(i - INT16_OFFSET);
  const slopes = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) slopes[i] = (values[Math.min(i + 1, 65535)] - values[Math.max(i - 1, 0)]) / (i === 0 || i === 65535 ? 1 : 2);
  return { values: tf.tensor1d(values), slopes: tf.tensor1d(slopes), hostValues: values, hostSlopes: slopes, table };
}

export function disposePwlLookup(p: PwlLookup): void {
  tf.dispose([p.values, p.slopes]);
}

/** pwlEval over int16 inputs by table lookup (exact); gradient dy · local slope. */
export function pwlApply(z: T, lut: PwlLookup): T {
  const op = custom((input: T, save: tf.GradSaveFunc) => {
    const index = tf.tidy(() => tf.cast(saturateT(input, 16).add(INT16_OFFSET), 'int32'));
    save([index]);
    return {
      value: tf.gather(lut.values, index),
      gradFunc: (dy: T, saved: T[]) => dy.mul(tf.gather(lut.slopes, saved[0])),
    };
  });
  return op(z);
}

/**
 * The largest |value| of symmetric `bits`-bit weights: 127 for int8, 7 for int4 (the types' most
 * negative value, -128 or -8, is left unused so that the grid is symmetric).
 */
export function weightLimit(bits: 4 | 8 = 8): number {
  return 2 ** (bits - 1) - 1;
}

/** Symmetric weights of `bits` bits: round(w / s) clipped to ±{@link weightLimit}, s from {@link weightScale}; gradient dy / s. */
export function fakeQuantWeights(w: T, scale: T, bits: 4 | 8 = 8): T {
  const q = weightLimit(bits);
  return quantizeBy(w, scale, (x, s) => tf.clipByValue(roundHalfAway(x.div(s)), -q, q));
}

/**
 * round-and-clip by a scale tensor, with gradient dy / s for the input and none for the scale. The
 * scale is an input and saved, since it may be created inside the gradient tape and freed before
 * the backward pass.
 */
function quantizeBy(v: T, scale: T, forward: (x: T, s: T) => T): T {
  const op = custom((input: T, s: T, save: tf.GradSaveFunc) => {
    save([s]);
    return {
      value: tf.tidy(() => forward(input, s)),
      gradFunc: (dy: T, saved: T[]) => [dy.div(saved[0]), tf.zerosLike(saved[0])],
    };
  });
  return op(v, scale);
}

/** round(v / s) as an integer in `bits` bits (biases, activations); gradient dy / s. */
export function fakeQuantValue(v: T, scale: number | T, bits: number): T {
  // a number becomes a scalar owned by the caller's scope (the backward pass still needs it)
  const s = typeof scale === 'number' ? tf.scalar(scale) : scale;
  return quantizeBy(v, s, (x, sc) => saturateT(roundHalfAway(x.div(sc)), bits));
}

/** Symmetric scale of `bits`-bit weights, max|w| / {@link weightLimit} (per column with axis 0, else for the whole tensor), never 0. */
export function weightScale(w: T, axis?: number, bits: 4 | 8 = 8): T {
  return tf.tidy(() => tf.maximum(tf.max(tf.abs(w), axis), 1e-8).div(weightLimit(bits)));
}
