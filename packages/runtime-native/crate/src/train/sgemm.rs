//! Float32 matrix products for training: C = A·B or C += A·B, A and B read through any strides
//! (so transposes cost nothing), B packed once per call (or once per sequence, see `PackedB`).
//!
//! Written by hand because crates.io (matrixmultiply, gemm) is out of reach here and TensorFlow.js's
//! wasm backend runs about 10 GFLOP/s on one thread. The layout is the usual BLIS one: B in strips
//! of NR columns, A in strips of MR rows, an MR×NR register tile per micro-kernel call. The
//! micro-kernel is one generic body compiled per instruction set (LLVM keeps the tile in
//! registers and vectorizes it). Every element of C is summed over k in the same order whatever
//! the thread count, so results do not depend on how many threads run.

use super::scratch::{scratch, Scratch};
use std::cell::RefCell;

/// A matrix view: element (i, j) is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// Row-major rows × cols.
    pub fn rows(data: &'a [f32], cols: usize) -> Mat<'a> {
        Mat { data, rs: cols, cs: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> Mat<'a> {
        Mat { data, rs: 1, cs: cols }
    }
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
    /// Index of the last element of an r × c view (for bounds checks).
    fn last(&self, r: usize, c: usize) -> usize {
        if r == 0 || c == 0 {
            0
        } else {
            (r - 1) * self.rs + (c - 1) * self.cs
        }
    }
}

const KC: usize = 256;
const MC: usize = 96;

/// Which micro-kernel runs: the tile shape and whether it fuses multiply-add.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Isa {
    Scalar,
    Avx2,
    Avx512,
}

impl Isa {
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
                return Isa::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }
    pub fn available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
    /// (MR, NR) of the register tile.
    fn tile(self) -> (usize, usize) {
        match self {
            Isa::Avx512 => (8, 32),
            Isa::Avx2 => (6, 16),
            Isa::Scalar => (4, 8),
        }
    }
}

/// B [k, n] packed for one tile shape: per KC block of rows, strips of NR columns (zero padded),
/// each strip kc × NR contiguous.
pub struct PackedB {
    isa: Isa,
    k: usize,
    n: usize,
    strips: usize,
    data: Scratch,
}

impl PackedB {
    pub fn new(isa: Isa, b: Mat, k: usize, n: usize) -> PackedB {
        let (_, nr) = isa.tile();
        let strips = (n + nr - 1) / nr;
        assert!(k == 0 || n == 0 || b.last(k, n) < b.data.len(), "B view out of bounds");
        let mut data = scratch(k * strips * nr);
        let mut o = 0;
        let mut pc = 0;
        while pc < k {
            let kc = KC.min(k - pc);
            for s in 0..strips {
                for p in pc..pc + kc {
                    for jj in 0..nr {
                        let j = s * nr + jj;
                        data[o] = if j < n { b.at(p, j) } else { 0.0 };
                        o += 1;
                    }
                }
            }
            pc += kc;
        }
        PackedB { isa, k, n, strips, data }
    }

    pub fn cols(&self) -> usize {
        self.n
    }
}

thread_local! {
    static A_PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A raw pointer that threads may share: each thread writes a disjoint set of C's elements.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);

impl SharedMut {
    /// By value, so that a closure calling it captures the Send wrapper, not the raw pointer field.
    fn get(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: the threads of one call write disjoint elements of C (disjoint row or column ranges),
// and the scope joins them before the call returns.
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

/// C[m, n] (row stride ldc) = A[m, k] · B (or += with `accumulate`), on up to `threads` threads.
pub fn gemm(threads: usize, m: usize, a: Mat, b: &PackedB, c: &mut [f32], ldc: usize, accumulate: bool) {
    let (k, n) = (b.k, b.n);
    if m == 0 || n == 0 {
        return;
    }
    assert!(k == 0 || a.last(m, k) < a.data.len(), "A view out of bounds");
    assert!((m - 1) * ldc + n <= c.len(), "C out of bounds");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].iter_mut().for_each(|v| *v = 0.0);
            }
        }
        return;
    }
    let (mr, nr) = b.isa.tile();
    let row_tiles = (m + mr - 1) / mr;
    let flops = 2 * m * n * k;
    // below ~0.5 MFLOP a second thread costs more than it saves
    let t = threads.max(1).min(if flops < 1 << 19 { 1 } else { threads.max(1) });
    let cp = SharedMut(c.as_mut_ptr());
    if t == 1 {
        // SAFETY: one thread; bounds checked above.
        unsafe { run_block(b.isa, a, b, cp.0, ldc, 0, m, 0, b.strips, accumulate) };
        return;
    }
    std::thread::scope(|s| {
        // split the larger tile dimension into contiguous ranges, one per thread
        let by_rows = row_tiles >= b.strips;
        let units = if by_rows { row_tiles } else { b.strips };
        let t = t.min(units);
        for w in 0..t {
            let (u0, u1) = (units * w / t, units * (w + 1) / t);
            s.spawn(move || {
                let c = cp.get();
                // SAFETY: rows [u0·mr, u1·mr) or strips [u0, u1) of C belong to this thread alone.
                unsafe {
                    if by_rows {
                        run_block(b.isa, a, b, c, ldc, u0 * mr, (u1 * mr).min(m), 0, b.strips, accumulate)
                    } else {
                        run_block(b.isa, a, b, c, ldc, 0, m, u0, u1, accumulate)
                    }
                }
            });
        }
    });
    let _ = nr;
}

/// Rows [i0, i1) × strips [s0, s1) of C.
///
/// # Safety
/// `c` must be valid for every element of those rows and strips' columns (< n).
#[allow(clippy::too_many_arguments)]
unsafe fn run_block(isa: Isa, a: Mat, b: &PackedB, c: *mut f32, ldc: usize, i0: usize, i1: usize, s0: usize, s1: usize, accumulate: bool) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => block_avx512(a, b, c, ldc, i0, i1, s0, s1, accumulate),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => block_avx2(a, b, c, ldc, i0, i1, s0, s1, accumulate),
        _ => block::<4, 8, false>(a, b, c, ldc, i0, i1, s0, s1, accumulate),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_avx512(a: Mat, b: &PackedB, c: *mut f32, ldc: usize, i0: usize, i1: usize, s0: usize, s1: usize, accumulate: bool) {
    block::<8, 32, true>(a, b, c, ldc, i0, i1, s0, s1, accumulate)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_avx2(a: Mat, b: &PackedB, c: *mut f32, ldc: usize, i0: usize, i1: usize, s0: usize, s1: usize, accumulate: bool) {
    block::<6, 16, true>(a, b, c, ldc, i0, i1, s0, s1, accumulate)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn block<const MR: usize, const NR: usize, const FMA: bool>(a: Mat, b: &PackedB, c: *mut f32, ldc: usize, i0: usize, i1: usize, s0: usize, s1: usize, accumulate: bool) {
    let (k, n) = (b.k, b.n);
    A_PACK.with(|buf| {
        let mut ap = buf.borrow_mut();
        let need = MC.div_euclid(MR).max(1) * MR * KC + MR * KC;
        if ap.len() < need {
            ap.resize(need, 0.0);
        }
        let mut pc = 0;
        let mut boff = 0; // start of this KC block in the packed B
        while pc < k {
            let kc = KC.min(k - pc);
            let overwrite = !accumulate && pc == 0;
            let mut ic = i0;
            while ic < i1 {
                let mc = MC.min(i1 - ic);
                let strips_a = (mc + MR - 1) / MR;
                // pack A[ic..ic+mc, pc..pc+kc]: per MR strip, kc × MR (rows past m are 0)
                let mut o = 0;
                for sa in 0..strips_a {
                    for p in pc..pc + kc {
                        for ii in 0..MR {
                            let i = ic + sa * MR + ii;
                            ap[o] = if i < ic + mc { a.at(i, p) } else { 0.0 };
                            o += 1;
                        }
                    }
                }
                for sb in s0..s1 {
                    let bp = b.data.as_ptr().add(boff + sb * kc * NR);
                    let j0 = sb * NR;
                    let nr = NR.min(n - j0);
                    for sa in 0..strips_a {
                        let i = ic + sa * MR;
                        let mr = MR.min(ic + mc - i);
                        micro::<MR, NR, FMA>(kc, ap.as_ptr().add(sa * kc * MR), bp, c.add(i * ldc + j0), ldc, mr, nr, overwrite);
                    }
                }
                ic += mc;
            }
            boff += kc * b.strips * NR;
            pc += kc;
        }
    });
}

/// One MR×NR tile: acc = Σ_p a[p][i] · b[p][j], then C = acc (overwrite) or C += acc, for the
/// valid mr × nr corner. The x86 tiles are written with intrinsics (LLVM did not keep the generic
/// tile in registers: 6.5 GFLOP/s against 60+).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro<const MR: usize, const NR: usize, const FMA: bool>(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, mr: usize, nr: usize, overwrite: bool) {
    #[cfg(target_arch = "x86_64")]
    {
        if MR == 8 && NR == 32 {
            return micro_avx512(kc, a, b, c, ldc, mr, nr, overwrite);
        }
        if MR == 6 && NR == 16 {
            return micro_avx2(kc, a, b, c, ldc, mr, nr, overwrite);
        }
    }
    let mut acc = [[0f32; NR]; MR];
    for p in 0..kc {
        let bp = b.add(p * NR);
        let ap = a.add(p * MR);
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = *ap.add(i);
            for (j, v) in row.iter_mut().enumerate() {
                *v = if FMA { ai.mul_add(*bp.add(j), *v) } else { *v + ai * *bp.add(j) };
            }
        }
    }
    store_tile(&acc, c, ldc, mr, nr, overwrite);
}

#[inline(always)]
unsafe fn store_tile<const MR: usize, const NR: usize>(acc: &[[f32; NR]; MR], c: *mut f32, ldc: usize, mr: usize, nr: usize, overwrite: bool) {
    for (i, row) in acc.iter().enumerate().take(mr) {
        let cr = c.add(i * ldc);
        for (j, v) in row.iter().enumerate().take(nr) {
            if overwrite {
                *cr.add(j) = *v;
            } else {
                *cr.add(j) += *v;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_avx512(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, mr: usize, nr: usize, overwrite: bool) {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_setzero_ps(); 16];
    for p in 0..kc {
        let b0 = _mm512_loadu_ps(b.add(p * 32));
        let b1 = _mm512_loadu_ps(b.add(p * 32 + 16));
        let ap = a.add(p * 8);
        for i in 0..8 {
            let ai = _mm512_set1_ps(*ap.add(i));
            acc[2 * i] = _mm512_fmadd_ps(ai, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm512_fmadd_ps(ai, b1, acc[2 * i + 1]);
        }
    }
    if mr == 8 && nr == 32 {
        for i in 0..8 {
            let cr = c.add(i * ldc);
            for h in 0..2 {
                let v = if overwrite { acc[2 * i + h] } else { _mm512_add_ps(acc[2 * i + h], _mm512_loadu_ps(cr.add(16 * h))) };
                _mm512_storeu_ps(cr.add(16 * h), v);
            }
        }
        return;
    }
    let mut t = [[0f32; 32]; 8];
    for (i, row) in t.iter_mut().enumerate() {
        _mm512_storeu_ps(row.as_mut_ptr(), acc[2 * i]);
        _mm512_storeu_ps(row.as_mut_ptr().add(16), acc[2 * i + 1]);
    }
    store_tile(&t, c, ldc, mr, nr, overwrite);
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_avx2(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, mr: usize, nr: usize, overwrite: bool) {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_ps(); 12];
    for p in 0..kc {
        let b0 = _mm256_loadu_ps(b.add(p * 16));
        let b1 = _mm256_loadu_ps(b.add(p * 16 + 8));
        let ap = a.add(p * 6);
        for i in 0..6 {
            let ai = _mm256_set1_ps(*ap.add(i));
            acc[2 * i] = _mm256_fmadd_ps(ai, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm256_fmadd_ps(ai, b1, acc[2 * i + 1]);
        }
    }
    let mut t = [[0f32; 16]; 6];
    for (i, row) in t.iter_mut().enumerate() {
        _mm256_storeu_ps(row.as_mut_ptr(), acc[2 * i]);
        _mm256_storeu_ps(row.as_mut_ptr().add(8), acc[2 * i + 1]);
    }
    store_tile(&t, c, ldc, mr, nr, overwrite);
}

/// C = A·B (or +=) with B packed for this call.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(isa: Isa, threads: usize, m: usize, n: usize, k: usize, a: Mat, b: Mat, c: &mut [f32], ldc: usize, accumulate: bool) {
    let pb = PackedB::new(isa, b, k, n);
    gemm(threads, m, a, &pb, c, ldc, accumulate);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(s: &mut u64) -> f32 {
        *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    /// Every ISA and thread count against a plain f64 triple loop, on edge shapes and all four
    /// transpose combinations; integer-valued inputs give exact results on every path.
    #[test]
    fn sgemm_matches_naive() {
        let mut s = 3u64;
        for &(m, n, k) in &[(1usize, 1usize, 1usize), (2, 3, 5), (7, 33, 17), (8, 32, 256), (9, 31, 257), (33, 65, 300), (70, 129, 513), (3, 1000, 40)] {
            for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
                for integer in [false, true] {
                    let av: Vec<f32> = (0..m * k).map(|_| if integer { (lcg(&mut s) * 200.0).round() } else { lcg(&mut s) }).collect();
                    let bv: Vec<f32> = (0..k * n).map(|_| if integer { (lcg(&mut s) * 200.0).round() } else { lcg(&mut s) }).collect();
                    let a = if ta { Mat::transposed(&av, m) } else { Mat::rows(&av, k) };
                    let b = if tb { Mat::transposed(&bv, k) } else { Mat::rows(&bv, n) };
                    let mut want = vec![0f64; m * n];
                    for i in 0..m {
                        for j in 0..n {
                            want[i * n + j] = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum::<f64>() + 1.0;
                        }
                    }
                    for isa in [Isa::Scalar, Isa::Avx2, Isa::Avx512] {
                        if !isa.available() {
                            continue;
                        }
                        for threads in [1, 2, 3] {
                            let mut c = vec![1f32; m * n];
                            sgemm(isa, threads, m, n, k, a, b, &mut c, n, true);
                            for idx in 0..m * n {
                                let tol = if integer { 0.0 } else { 1e-4 * (k as f64).sqrt() + 1e-5 };
                                assert!((c[idx] as f64 - want[idx]).abs() <= tol, "{:?} t{} m{} n{} k{} ta{} tb{} at {}: {} vs {}", isa, threads, m, n, k, ta, tb, idx, c[idx], want[idx]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The thread count never changes a bit of the result.
    #[test]
    fn threads_do_not_change_results() {
        let mut s = 9u64;
        let (m, n, k) = (97, 301, 700);
        let av: Vec<f32> = (0..m * k).map(|_| lcg(&mut s)).collect();
        let bv: Vec<f32> = (0..k * n).map(|_| lcg(&mut s)).collect();
        let isa = Isa::detect();
        let mut one = vec![0f32; m * n];
        sgemm(isa, 1, m, n, k, Mat::rows(&av, k), Mat::rows(&bv, n), &mut one, n, false);
        for t in [2, 4] {
            let mut c = vec![0f32; m * n];
            sgemm(isa, t, m, n, k, Mat::rows(&av, k), Mat::rows(&bv, n), &mut c, n, false);
            assert!(c.iter().zip(&one).all(|(x, y)| x.to_bits() == y.to_bits()), "threads {}", t);
        }
    }
}

#[cfg(test)]
mod bench {
    use super::*;
    use std::time::Instant;

    /// cargo test --release -- --ignored --nocapture sgemm_speed
    #[test]
    #[ignore]
    fn sgemm_speed() {
        let mut s = 1u64;
        for &(m, n, k, ta, tb) in &[
            (1120usize, 10000usize, 256usize, false, true),
            (1120, 256, 10000, false, false),
            (10000, 256, 1120, true, false),
            (32, 1024, 256, false, false),
            (1120, 1024, 256, false, false),
            (512, 512, 512, false, false),
        ] {
            let av: Vec<f32> = (0..m * k).map(|_| super::tests_rng(&mut s)).collect();
            let bv: Vec<f32> = (0..k * n).map(|_| super::tests_rng(&mut s)).collect();
            let a = if ta { Mat::transposed(&av, m) } else { Mat::rows(&av, k) };
            let b = if tb { Mat::transposed(&bv, k) } else { Mat::rows(&bv, n) };
            let mut c = vec![0f32; m * n];
            for isa in [Isa::Avx2, Isa::Avx512] {
                for t in [1, 2] {
                    sgemm(isa, t, m, n, k, a, b, &mut c, n, false);
                    let t0 = Instant::now();
                    let reps = 5;
                    for _ in 0..reps {
                        sgemm(isa, t, m, n, k, a, b, &mut c, n, false);
                    }
                    let sec = t0.elapsed().as_secs_f64() / reps as f64;
                    println!("{:?} t{} {}x{}x{} ta{} tb{}: {:.2} ms, {:.1} GFLOP/s", isa, t, m, n, k, ta, tb, sec * 1e3, 2.0 * (m * n * k) as f64 / sec / 1e9);
                }
            }
        }
    }
}

#[cfg(test)]
fn tests_rng(s: &mut u64) -> f32 {
    *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
}
