//! The gate requantization of one LSTM step (§10): over the 4H gate rows,
//! z = sat16(sat24(round(ax · Mx / 2^sx)) + sat24(round(ah · Mh / 2^sh))).
//! One branchless body, compiled per instruction path so that it vectorizes (AVX-512: 8 rows per
//! multiply and variable shift); the scalar build of the same body is the reference (cargo test).

use crate::gemv::Path;

/// sat24(round(a · m / 2^s)) with half away from zero, without branches. |a · m| < 2^62 (a is an
/// int32 accumulator, m a 21-bit multiplier) and s ≤ 63 (checked at load).
#[inline(always)]
pub fn requant24(a: i32, m: i64, s: u64) -> i64 {
    let p = a as i64 * m;
    let sign = p >> 63; // 0 or -1
    let abs = ((p ^ sign) - sign) as u64;
    let q = ((abs + ((1u64 << s) >> 1)) >> s) as i64; // s = 0: half is 0
    ((q ^ sign) - sign).clamp(-(1 << 23), (1 << 23) - 1)
}

#[inline(always)]
fn body(ax: &[i32], ah: &[i32], mx: &[i64], sx: &[u64], mh: &[i64], sh: &[u64], z: &mut [i64]) {
    let n = z.len();
    let (ax, ah, mx, sx, mh, sh) = (&ax[..n], &ah[..n], &mx[..n], &sx[..n], &mh[..n], &sh[..n]);
    for r in 0..n {
        z[r] = (requant24(ax[r], mx[r], sx[r]) + requant24(ah[r], mh[r], sh[r])).clamp(-32768, 32767);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn body_avx512(ax: &[i32], ah: &[i32], mx: &[i64], sx: &[u64], mh: &[i64], sh: &[u64], z: &mut [i64]) {
    body(ax, ah, mx, sx, mh, sh, z)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn body_avx2(ax: &[i32], ah: &[i32], mx: &[i64], sx: &[u64], mh: &[i64], sh: &[u64], z: &mut [i64]) {
    body(ax, ah, mx, sx, mh, sh, z)
}

/// z[r] for every gate row, on the given path (slices at least z.len() long).
#[allow(clippy::too_many_arguments)]
pub fn gates(path: Path, ax: &[i32], ah: &[i32], mx: &[i64], sx: &[u64], mh: &[i64], sh: &[u64], z: &mut [i64]) {
    match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the path is only chosen when the CPU has AVX-512 F/BW (Path::detect/available) and
        // VNNI parts all have DQ and VL; the body only indexes within the slices (checked above).
        Path::Vnni if is_x86_feature_detected!("avx512dq") && is_x86_feature_detected!("avx512vl") => unsafe { body_avx512(ax, ah, mx, sx, mh, sh, z) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, for AVX2.
        Path::Avx2 | Path::Vnni => unsafe { body_avx2(ax, ah, mx, sx, mh, sh, z) },
        _ => body(ax, ah, mx, sx, mh, sh, z),
    }
}
