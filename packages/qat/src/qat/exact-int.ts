import { tf } from './tf-backend.js';

/**
 * Exact integer arithmetic on float32 tensors (docs/integer-semantics.md §10a). Every tensor here
 * holds integers; every intermediate stays below 2^24, where float32 is exact.
 */

type T = tf.Tensor;
const TWO11 = 2 ** 11;

/** round(t), half away from zero (tf.round rounds half to even, which is not intrnn's rule). */
export function roundHalfAway(t: T): T {
  return tf.tidy(() => tf.sign(t).mul(tf.floor(tf.abs(t).add(0.5))));
}

/** Clamp to the signed `bits`-bit range. */
export function saturateT(t: T, bits: number): T {
  return tf.clipByValue(t, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1);
}

/** floor(a / b) for 0 ≤ a and 1 ≤ b with a + b < 2^24: the float quotient, corrected by its remainder. */
function floorDiv(a: T, b: T | number): T {
  return tf.tidy(() => {
    const q = tf.floor(tf.div(a, b));
    const r = a.sub(q.mul(b));
    return q.add(tf.cast(tf.greaterEqual(r, b), 'float32')).sub(tf.cast(tf.less(r, 0), 'float32'));
  });
}

/** round(a / b), half away from zero, for |a| + b < 2^24 and b ≥ 1 (the runtime's roundingDivide). */
export function roundingDivideExact(a: T, b: T | number): T {
  return tf.tidy(() => {
    const abs = tf.abs(a);
    const q = floorDiv(abs, b);
    const r = abs.sub(q.mul(b));
    const up = tf.cast(tf.greaterEqual(r.mul(2), b), 'float32');
    return tf.sign(a).mul(q.add(up)).add(0); // + 0 turns -0 into 0
  });
}

/**
 * Host-side constants of a rounding shift by n (per element of the last axis, or one for all):
 * the digit factors 2^(11i - k) with k = max(n - 1, 0), and whether a rounding step applies (n ≥ 1).
 */
export interface ShiftConstants {
  factors: [T, T, T, T];
  rounds: T;
}

export function shiftConstants(shift: number | ArrayLike<number>): ShiftConstants {
  const shifts = typeof shift === 'number' ? [shift] : Array.from(shift);
  for (const n of shifts) if (!(Number.isInteger(n) && n >= 0 && n <= 63)) throw new RangeError(`shift ${n} is not an integer in [0, 63]`);
  const make = (f: (n: number) => number) => tf.tensor1d(shifts.map(f), 'float32');
  return {
    factors: [0, 1, 2, 3].map((i) => make((n) => 2 ** (11 * i - Math.max(n - 1, 0)))) as [T, T, T, T],
    rounds: make((n) => (n >= 1 ? 1 : 0)),
  };
}

/** Release the constants' tensors. */
export function disposeShiftConstants(c: ShiftConstants): void {
  tf.dispose([...c.factors, c.rounds]);
}

/**
 * round(x · m / 2^n), half away from zero, saturated to int24: the runtime's applyMultiplier (and
 * roundingShiftRight of a product) computed exactly in float32, for integers |x| < 2^24 and
 * |m| < 2^21, broadcasting over the last axis. See docs/integer-semantics.md §10a for the proof.
 */
export function mulShiftRoundExact(x: T, m: T, c: ShiftConstants): T {
  return tf.tidy(() => {
    const sign = tf.sign(x).mul(tf.sign(m));
    const X = tf.abs(x);
    const M = tf.abs(m);
    // 11-bit limbs: X = x2·2^22 + x1·2^11 + x0, M = m1·2^11 + m0
    const x2 = tf.floor(X.div(2 ** 22));
    const xr = X.sub(x2.mul(2 ** 22));
    const x1 = tf.floor(xr.div(TWO11));
    const x0 = xr.sub(x1.mul(TWO11));
    const m1 = tf.floor(M.div(TWO11));
    const m0 = M.sub(m1.mul(TWO11));
    // column sums of partial products (each < 2^23), then carries in base 2^11
    const w0 = x0.mul(m0);
    const w1 = x1.mul(m0).add(x0.mul(m1));
    const w2 = x2.mul(m0).add(x1.mul(m1));
    const w3 = x2.mul(m1);
    let carry = tf.floor(w0.div(TWO11));
    const d0 = w0.sub(carry.mul(TWO11));
    let t = w1.add(carry);
    carry = tf.floor(t.div(TWO11));
    const d1 = t.sub(carry.mul(TWO11));
    t = w2.add(carry);
    carry = tf.floor(t.div(TWO11));
    const d2 = t.sub(carry.mul(TWO11));
    const d3 = w3.add(carry);
    // Y = floor(P / 2^k) = Σ floor(d_i · 2^(11i - k)); clamped, as anything ≥ 2^25 saturates below
    const [f0, f1, f2, f3] = c.factors;
    const y = tf.minimum(
      tf
        .floor(d0.mul(f0))
        .add(tf.floor(d1.mul(f1)))
        .add(tf.floor(d2.mul(f2)))
        .add(tf.floor(d3.mul(f3))),
      2 ** 25,
    );
    // n ≥ 1: floor((Y + 1) / 2) completes round-half-away; n = 0: Y is the product itself
    const rounded = tf
      .floor(y.add(1).div(2))
      .mul(c.rounds)
      .add(y.mul(tf.sub(1, c.rounds)));
    return saturateT(sign.mul(rounded), 24).add(0);
  });
}
