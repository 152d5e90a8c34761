//! docs/integer-semantics.md §2-5 in i64: the same roundings and saturations as runtime-core.

/// round(x / 2^s), half away from zero (§2). |x| < 2^62, s ≤ 63.
#[inline(always)]
pub fn rshr(x: i64, s: u32) -> i64 {
    let a = x.unsigned_abs();
    // half is 2^(s-1), 0 for s = 0; a < 2^62 and half ≤ 2^62: no overflow in u64
    let q = ((a + ((1u64 << s) >> 1)) >> s) as i64;
    // the sign restored without a branch (signs of logits are random: a branch mispredicts half the time)
    let sign = x >> 63;
    (q ^ sign) - sign
}

/// Clamp to a signed `bits`-bit range (§3).
#[inline(always)]
pub fn sat(x: i64, bits: u32) -> i64 {
    let hi = (1i64 << (bits - 1)) - 1;
    let lo = -(1i64 << (bits - 1));
    x.clamp(lo, hi)
}

/// round(a / n), half away from zero, for n > 0 (§2).
#[inline(always)]
pub fn rdiv(a: i64, n: i64) -> i64 {
    let q = (2 * a.unsigned_abs() as i64 + n) / (2 * n);
    if a < 0 {
        -q
    } else {
        q
    }
}

/// applyMultiplier (§5): round(x · m / 2^s).
#[inline(always)]
pub fn apply_multiplier(x: i64, m: i64, s: u32) -> i64 {
    rshr(x * m, s)
}
