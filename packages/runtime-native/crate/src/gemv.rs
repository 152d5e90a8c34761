//! int8 matrix × vector with int32 accumulation (§6): scalar, AVX2, AVX-512 VNNI, NEON and
//! WebAssembly simd128 paths, chosen once at run time. Weights are packed once: rows padded with zeros to a multiple of 64
//! columns, and each row's sum kept for the VNNI path's unsigned-input correction.

/// Which instruction path the kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Scalar,
    Avx2,
    Vnni,
    Neon,
    Simd128,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::Scalar => "scalar",
            Path::Avx2 => "avx2",
            Path::Vnni => "avx512-vnni",
            Path::Neon => "neon",
            Path::Simd128 => "wasm-simd128",
        }
    }

    /// The best path this CPU supports.
    pub fn detect() -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512f") {
                return Path::Vnni;
            }
            if is_x86_feature_detected!("avx2") {
                return Path::Avx2;
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            return Path::Neon; // NEON is part of the aarch64 base ISA
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            return Path::Simd128; // the module is built with simd128: it does not load without it
        }
        #[allow(unreachable_code)]
        Path::Scalar
    }

    /// Whether this CPU can run the path (tests force each available one).
    pub fn available(self) -> bool {
        match self {
            Path::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Path::Vnni => is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "aarch64")]
            Path::Neon => true,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Path::Simd128 => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

pub const PAD: usize = 64;

/// A weight matrix [rows, cols] packed for the GEMV paths.
pub struct Packed {
    pub rows: usize,
    pub cols: usize,
    /// cols rounded up to a multiple of 64: the row layouts' columns.
    pub stride: usize,
    /// cols rounded up to a multiple of 8: the VNNI layouts' columns (quads of 4, paired at int4).
    /// Not 64: a GRU of H = 266 would read 320 columns, a fifth of its work and bytes on padding.
    pub vstride: usize,
    pub w: Vec<i8>,
    pub row_sums: Vec<i32>,
    /// The VNNI layout: blocks of 16 rows, each block as [vstride / 4][16 rows][4 bytes], so that one
    /// dpbusd multiplies 4 inputs into 16 row accumulators with no horizontal sums.
    pub blocked: Vec<i8>,
    /// 8, or 4 after [`Packed::narrow_to_int4`]: then `w` and `blocked` are empty and the int4
    /// forms below hold the weights, half the bytes read per product (§6a).
    pub bits: u8,
    /// int4 rows: stride / 2 bytes each, column 2i in the low nibble of byte i, 2i+1 in the high
    /// one, two's complement nibbles.
    pub w4: Vec<u8>,
    /// The VNNI layout at int4: per block of 16 rows, each pair of the int8 layout's 64-byte quads
    /// as 64 bytes, the first quad's byte in the low nibbles and the second's in the high ones,
    /// stored as w + 8 (0…15) so that a mask makes each dpbusd's unsigned operand.
    pub blocked4: Vec<u8>,
}

impl Packed {
    pub fn new(w: &[i8], rows: usize, cols: usize) -> Packed {
        let stride = ((cols + PAD - 1) / PAD).max(1) * PAD;
        let vstride = ((cols + 7) / 8).max(1) * 8;
        let mut p = vec![0i8; rows * stride];
        let mut row_sums = vec![0i32; rows];
        for r in 0..rows {
            p[r * stride..r * stride + cols].copy_from_slice(&w[r * cols..(r + 1) * cols]);
            row_sums[r] = w[r * cols..(r + 1) * cols].iter().map(|&v| v as i32).sum();
        }
        // only the VNNI path reads the blocked copy: elsewhere (ARM, wasm) it would double the memory
        let blocks = if cfg!(target_arch = "x86_64") { (rows + 15) / 16 } else { 0 };
        let mut blocked = vec![0i8; blocks * 16 * vstride];
        for r in 0..if blocks > 0 { rows } else { 0 } {
            let (b, lane) = (r / 16, r % 16);
            for k in 0..cols {
                blocked[b * 16 * vstride + (k / 4) * 64 + lane * 4 + k % 4] = w[r * cols + k];
            }
        }
        Packed { rows, cols, stride, vstride, w: p, row_sums, blocked, bits: 8, w4: Vec::new(), blocked4: Vec::new() }
    }

    /// Keep the weights as int4 (two per byte) from here on: every value must lie in -8…7. Frees the
    /// int8 forms; the products stay the same integers.
    pub fn narrow_to_int4(&mut self) -> Result<(), String> {
        if self.bits == 4 {
            return Ok(());
        }
        if let Some(v) = self.w.iter().find(|&&v| !(-8..=7).contains(&v)) {
            return Err(format!("weight {} is outside int4 (-8…7)", v));
        }
        let half = self.stride / 2;
        let mut w4 = vec![0u8; self.rows * half];
        for r in 0..self.rows {
            for j in 0..half {
                let (a, b) = (self.w[r * self.stride + 2 * j], self.w[r * self.stride + 2 * j + 1]);
                w4[r * half + j] = (a as u8 & 15) | ((b as u8 & 15) << 4);
            }
        }
        // vstride is a multiple of 8, so a block's vstride / 4 quads pair up exactly
        let mut blocked4 = vec![0u8; self.blocked.len() / 2];
        for (pair, out) in self.blocked.chunks_exact(128).zip(blocked4.chunks_exact_mut(64)) {
            for i in 0..64 {
                out[i] = (pair[i] + 8) as u8 | (((pair[64 + i] + 8) as u8) << 4);
            }
        }
        self.w4 = w4;
        self.blocked4 = blocked4;
        self.w = Vec::new();
        self.blocked = Vec::new();
        self.bits = 4;
        Ok(())
    }

    /// Worst-case |accumulator| over every int8 input: max_r |b_r| + 128 Σ_j |w_rj| (the overflow proof).
    pub fn bound(&self, bias: Option<&[i32]>) -> i64 {
        debug_assert!(self.bits == 8, "the bound is proven before narrowing");
        (0..self.rows)
            .map(|r| {
                let b = bias.map_or(0, |b| (b[r] as i64).abs());
                b + 128 * self.w[r * self.stride..r * self.stride + self.cols].iter().map(|&v| (v as i64).abs()).sum::<i64>()
            })
            .max()
            .unwrap_or(0)
    }

    /// out[r] = bias[r] + Σ_j w[r, j] · x[j]; `x` holds `stride` values (zero padded).
    pub fn gemv(&self, path: Path, x: &[i8], bias: Option<&[i32]>, out: &mut [i32]) {
        debug_assert!(x.len() >= self.stride && out.len() >= self.rows);
        if self.bits == 4 {
            self.gemv4(path, x, out);
        } else {
            self.gemv8(path, x, out);
        }
        if let Some(b) = bias {
            for r in 0..self.rows {
                out[r] = out[r].wrapping_add(b[r]);
            }
        }
    }

    fn gemv8(&self, path: Path, x: &[i8], out: &mut [i32]) {
        match path {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the path is only chosen when the CPU supports it (Path::detect / available),
            // and every load reads within `x` (stride ≥ vstride long) and its block (16 · vstride bytes).
            Path::Vnni => unsafe { self.gemv_vnni(x, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, for AVX2.
            Path::Avx2 => unsafe { self.gemv_avx2(x, out) },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: NEON is always present on aarch64; loads stay within the padded rows.
            Path::Neon => unsafe { self.gemv_neon(x, out) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: loads stay within the padded rows and x (both stride long, stride % 16 == 0).
            Path::Simd128 => unsafe { self.gemv_simd128(x, out) },
            _ => self.gemv_scalar(x, out),
        }
    }

    /// The int4 paths: AVX-512 VNNI, AVX2, NEON and simd128 unpack the nibbles in registers.
    fn gemv4(&self, path: Path, x: &[i8], out: &mut [i32]) {
        match path {
            #[cfg(target_arch = "aarch64")]
            // SAFETY: NEON is always present on aarch64; loads stay within each row (stride / 2 bytes) and x (stride).
            Path::Neon => unsafe { self.gemv4_neon(x, out) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: loads stay within each row (stride / 2 bytes) and x (stride, a multiple of 64).
            Path::Simd128 => unsafe { self.gemv4_simd128(x, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: chosen only where the CPU has VNNI; loads stay within blocked4 (16 · vstride / 2 bytes a block) and x.
            Path::Vnni => unsafe { self.gemv4_vnni(x, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: chosen only where the CPU has AVX2; loads stay within each row (stride / 2 bytes) and x (stride).
            Path::Avx2 => unsafe { self.gemv4_avx2(x, out) },
            _ => self.gemv4_scalar(x, out),
        }
    }

    fn gemv4_scalar(&self, x: &[i8], out: &mut [i32]) {
        let half = self.stride / 2;
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            let row = &self.w4[r * half..(r + 1) * half];
            let mut acc = 0i32;
            for (j, &b) in row.iter().enumerate().take((self.cols + 1) / 2) {
                // the nibbles sign-extended: shift each to the top of an i8, then back
                let (lo, hi) = (((b << 4) as i8) >> 4, (b as i8) >> 4);
                acc = acc.wrapping_add(lo as i32 * x[2 * j] as i32).wrapping_add(hi as i32 * x[2 * j + 1] as i32);
            }
            *o = acc;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn gemv4_avx2(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::x86_64::*;
        let half = self.stride / 2;
        let (mask, eight) = (_mm_set1_epi8(15), _mm_set1_epi8(8));
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            let row = self.w4.as_ptr().add(r * half);
            let mut acc = _mm256_setzero_si256();
            let mut j = 0;
            while j < self.stride {
                // 16 bytes: 32 nibbles, interleaved back into column order, sign-extended by (n ^ 8) - 8
                let v = _mm_loadu_si128(row.add(j / 2) as *const __m128i);
                let lo = _mm_and_si128(v, mask);
                let hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
                let sx = |n: __m128i| _mm_sub_epi8(_mm_xor_si128(n, eight), eight);
                let (w0, w1) = (sx(_mm_unpacklo_epi8(lo, hi)), sx(_mm_unpackhi_epi8(lo, hi)));
                let x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.as_ptr().add(j) as *const __m128i));
                let x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.as_ptr().add(j + 16) as *const __m128i));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(w0), x0));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(w1), x1));
                j += 32;
            }
            *o = hsum_avx2(acc);
        }
    }

    /// 16 bytes = 32 nibbles a step, sign-extended by shifts (the low one up and back), zipped back
    /// into column order, then the int8 loop's widening products.
    #[cfg(target_arch = "aarch64")]
    #[target_feature(enable = "neon")]
    unsafe fn gemv4_neon(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::aarch64::*;
        let half = self.stride / 2;
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            let row = self.w4.as_ptr().add(r * half);
            let mut acc = vdupq_n_s32(0);
            let mut j = 0;
            while j < self.stride {
                let v = vreinterpretq_s8_u8(vld1q_u8(row.add(j / 2)));
                let (lo, hi) = (vshrq_n_s8::<4>(vshlq_n_s8::<4>(v)), vshrq_n_s8::<4>(v));
                let (w0, w1) = (vzip1q_s8(lo, hi), vzip2q_s8(lo, hi));
                let (x0, x1) = (vld1q_s8(x.as_ptr().add(j)), vld1q_s8(x.as_ptr().add(j + 16)));
                acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w0), vget_low_s8(x0)));
                acc = vpadalq_s16(acc, vmull_s8(vget_high_s8(w0), vget_high_s8(x0)));
                acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w1), vget_low_s8(x1)));
                acc = vpadalq_s16(acc, vmull_s8(vget_high_s8(w1), vget_high_s8(x1)));
                j += 32;
            }
            *o = vaddvq_s32(acc);
        }
    }

    /// Eight bytes (16 weights) a step, widened to int16 by one load; the high nibbles are that
    /// >> 4 and the low ones (<< 12) >> 12, all int16 shifts (wasm has no native 8-bit shifts on
    /// x86). They come out as the even and the odd columns, so x is split once per call into its
    /// even and odd columns per 16 instead of reordering the weights. Four rows at a time, as int8.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    unsafe fn gemv4_simd128(&self, x: &[i8], out: &mut [i32]) {
        use core::arch::wasm32::*;
        let (stride, half) = (self.stride, self.stride / 2);
        let mut xs = vec![0i16; stride];
        for g in 0..stride / 16 {
            for k in 0..8 {
                xs[16 * g + k] = x[16 * g + 2 * k] as i16;
                xs[16 * g + 8 + k] = x[16 * g + 2 * k + 1] as i16;
            }
        }
        let (xp, base) = (xs.as_ptr(), self.w4.as_ptr());
        #[inline(always)]
        unsafe fn step(acc: v128, row: *const u8, x: *const i16) -> v128 {
            let e = i16x8_load_extend_i8x8(row as *const i8);
            let (lo, hi) = (i16x8_shr(i16x8_shl(e, 12), 12), i16x8_shr(e, 4));
            i32x4_add(acc, i32x4_add(i32x4_dot_i16x8(lo, v128_load(x as *const v128)), i32x4_dot_i16x8(hi, v128_load(x.add(8) as *const v128))))
        }
        let mut r = 0;
        while r + 4 <= self.rows {
            let (r0, r1, r2, r3) = (base.add(r * half), base.add((r + 1) * half), base.add((r + 2) * half), base.add((r + 3) * half));
            let (mut a0, mut a1, mut a2, mut a3) = (i32x4_splat(0), i32x4_splat(0), i32x4_splat(0), i32x4_splat(0));
            let mut j = 0;
            while j < stride {
                a0 = step(a0, r0.add(j / 2), xp.add(j));
                a1 = step(a1, r1.add(j / 2), xp.add(j));
                a2 = step(a2, r2.add(j / 2), xp.add(j));
                a3 = step(a3, r3.add(j / 2), xp.add(j));
                j += 16;
            }
            v128_store(out.as_mut_ptr().add(r) as *mut v128, hsum4(a0, a1, a2, a3));
            r += 4;
        }
        while r < self.rows {
            let row = base.add(r * half);
            let mut a = i32x4_splat(0);
            let mut j = 0;
            while j < stride {
                a = step(a, row.add(j / 2), xp.add(j));
                j += 16;
            }
            out[r] = hsum_simd128(a);
            r += 1;
        }
    }

    /// The VNNI loop on int4: one 64-byte load feeds two dpbusd, the low nibbles masked in place
    /// and the high ones masked where they sit (16 times their value), so no shift is needed per
    /// load. The nibbles hold v = w + 8 (0…15), dpbusd's unsigned operand, and x is its signed one:
    /// Σ v·x = Σ w·x + 8 Σ x (padded columns hold x = 0), the high sums divided by 16 exactly at the end.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512vnni,avx512bw,avx512f")]
    unsafe fn gemv4_vnni(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::x86_64::*;
        let quads: Vec<i32> = x[..self.vstride].chunks_exact(4).map(|c| i32::from_le_bytes([c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8])).collect();
        let x_sum: i32 = x[..self.vstride].iter().map(|&v| v as i32).sum();
        let (low, high) = (_mm512_set1_epi8(0x0f), _mm512_set1_epi8(0xf0u8 as i8));
        let blocks = (self.rows + 15) / 16;
        let mut lanes = [0i32; 16];
        for b in 0..blocks {
            let base = self.blocked4.as_ptr().add(b * 8 * self.vstride);
            let (mut lo0, mut hi0, mut lo1, mut hi1) = (_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512());
            let pairs = quads.len() / 2;
            let mut p = 0;
            while p + 1 < pairs {
                let v0 = _mm512_loadu_si512(base.add(p * 64) as *const _);
                let v1 = _mm512_loadu_si512(base.add((p + 1) * 64) as *const _);
                lo0 = _mm512_dpbusd_epi32(lo0, _mm512_and_si512(v0, low), _mm512_set1_epi32(quads[2 * p]));
                hi0 = _mm512_dpbusd_epi32(hi0, _mm512_and_si512(v0, high), _mm512_set1_epi32(quads[2 * p + 1]));
                lo1 = _mm512_dpbusd_epi32(lo1, _mm512_and_si512(v1, low), _mm512_set1_epi32(quads[2 * p + 2]));
                hi1 = _mm512_dpbusd_epi32(hi1, _mm512_and_si512(v1, high), _mm512_set1_epi32(quads[2 * p + 3]));
                p += 2;
            }
            if p < pairs {
                let v = _mm512_loadu_si512(base.add(p * 64) as *const _);
                lo0 = _mm512_dpbusd_epi32(lo0, _mm512_and_si512(v, low), _mm512_set1_epi32(quads[2 * p]));
                hi0 = _mm512_dpbusd_epi32(hi0, _mm512_and_si512(v, high), _mm512_set1_epi32(quads[2 * p + 1]));
            }
            let sum = _mm512_add_epi32(_mm512_add_epi32(lo0, lo1), _mm512_srai_epi32(_mm512_add_epi32(hi0, hi1), 4));
            _mm512_storeu_si512(lanes.as_mut_ptr() as *mut _, sum);
            for (lane, v) in lanes.iter().enumerate() {
                let r = b * 16 + lane;
                if r < self.rows {
                    out[r] = v.wrapping_sub(8 * x_sum);
                }
            }
        }
    }

    fn gemv_scalar(&self, x: &[i8], out: &mut [i32]) {
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            let row = &self.w[r * self.stride..r * self.stride + self.cols];
            let mut acc = 0i32;
            for (w, v) in row.iter().zip(x) {
                acc = acc.wrapping_add(*w as i32 * *v as i32);
            }
            *o = acc;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn gemv_avx2(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::x86_64::*;
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            let row = self.w.as_ptr().add(r * self.stride);
            let mut acc = _mm256_setzero_si256();
            let mut j = 0;
            while j < self.stride {
                // 16 int8 → int16, then pairwise int16 products summed into int32: exact (|2·128·128| < 2^31)
                let w16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(row.add(j) as *const __m128i));
                let x16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.as_ptr().add(j) as *const __m128i));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(w16, x16));
                j += 16;
            }
            *o = hsum_avx2(acc);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512vnni,avx512bw,avx512f")]
    unsafe fn gemv_vnni(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::x86_64::*;
        // dpbusd multiplies unsigned by signed bytes: feed x + 128 (x xor 0x80) and subtract
        // 128 · Σ w per row afterwards; padded columns hold w = 0 and add nothing
        let quads: Vec<i32> =
            x[..self.vstride].chunks_exact(4).map(|c| i32::from_le_bytes([c[0] ^ 0x80u8 as i8, c[1] ^ 0x80u8 as i8, c[2] ^ 0x80u8 as i8, c[3] ^ 0x80u8 as i8].map(|v| v as u8))).collect();
        let blocks = (self.rows + 15) / 16;
        let mut lanes = [0i32; 16];
        for b in 0..blocks {
            let base = self.blocked.as_ptr().add(b * 16 * self.vstride);
            let mut acc0 = _mm512_setzero_si512();
            let mut acc1 = _mm512_setzero_si512();
            let mut q = 0;
            while q + 1 < quads.len() {
                acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(quads[q]), _mm512_loadu_si512(base.add(q * 64) as *const _));
                acc1 = _mm512_dpbusd_epi32(acc1, _mm512_set1_epi32(quads[q + 1]), _mm512_loadu_si512(base.add((q + 1) * 64) as *const _));
                q += 2;
            }
            if q < quads.len() {
                acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(quads[q]), _mm512_loadu_si512(base.add(q * 64) as *const _));
            }
            _mm512_storeu_si512(lanes.as_mut_ptr() as *mut _, _mm512_add_epi32(acc0, acc1));
            for (lane, v) in lanes.iter().enumerate() {
                let r = b * 16 + lane;
                if r < self.rows {
                    out[r] = v.wrapping_sub(128 * self.row_sums[r]);
                }
            }
        }
    }

    #[cfg(target_arch = "aarch64")]
    #[target_feature(enable = "neon")]
    unsafe fn gemv_neon(&self, x: &[i8], out: &mut [i32]) {
        use std::arch::aarch64::*;
        for r in 0..self.rows {
            let row = self.w.as_ptr().add(r * self.stride);
            let mut acc = vdupq_n_s32(0);
            let mut j = 0;
            while j < self.stride {
                let w = vld1q_s8(row.add(j));
                let v = vld1q_s8(x.as_ptr().add(j));
                let lo = vmull_s8(vget_low_s8(w), vget_low_s8(v));
                let hi = vmull_s8(vget_high_s8(w), vget_high_s8(v));
                acc = vpadalq_s16(acc, lo);
                acc = vpadalq_s16(acc, hi);
                j += 16;
            }
            out[r] = vaddvq_s32(acc);
        }
    }
    /// x widened to int16 once, then four rows at a time: each row's 16 bytes as two
    /// v128.load8x8_s (load and widen in one x86 µop) into i32x4.dot_i16x8 (pairs of products
    /// summed exactly into int32); x is re-read from L1 per row rather than held, because V8 keeps
    /// few vector registers live across the loop and spills the rest.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    unsafe fn gemv_simd128(&self, x: &[i8], out: &mut [i32]) {
        use core::arch::wasm32::*;
        let stride = self.stride;
        let xs: Vec<i16> = x[..stride].iter().map(|&v| v as i16).collect();
        let (xp, base) = (xs.as_ptr(), self.w.as_ptr());
        #[inline(always)]
        unsafe fn step(acc: v128, row: *const i8, x: *const i16) -> v128 {
            let d0 = i32x4_dot_i16x8(i16x8_load_extend_i8x8(row), v128_load(x as *const v128));
            let d1 = i32x4_dot_i16x8(i16x8_load_extend_i8x8(row.add(8)), v128_load(x.add(8) as *const v128));
            i32x4_add(acc, i32x4_add(d0, d1))
        }
        let mut r = 0;
        while r + 4 <= self.rows {
            let (r0, r1, r2, r3) = (base.add(r * stride), base.add((r + 1) * stride), base.add((r + 2) * stride), base.add((r + 3) * stride));
            let (mut a0, mut a1, mut a2, mut a3) = (i32x4_splat(0), i32x4_splat(0), i32x4_splat(0), i32x4_splat(0));
            let mut j = 0;
            while j < stride {
                a0 = step(a0, r0.add(j), xp.add(j));
                a1 = step(a1, r1.add(j), xp.add(j));
                a2 = step(a2, r2.add(j), xp.add(j));
                a3 = step(a3, r3.add(j), xp.add(j));
                j += 16;
            }
            v128_store(out.as_mut_ptr().add(r) as *mut v128, hsum4(a0, a1, a2, a3));
            r += 4;
        }
        while r < self.rows {
            let row = base.add(r * stride);
            let mut a = i32x4_splat(0);
            let mut j = 0;
            while j < stride {
                a = step(a, row.add(j), xp.add(j));
                j += 16;
            }
            out[r] = hsum_simd128(a);
            r += 1;
        }
    }
}

/// The sum of an AVX2 register's eight int32 lanes.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hsum_avx2(acc: std::arch::x86_64::__m256i) -> i32 {
    use std::arch::x86_64::*;
    let s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
    _mm_cvtsi128_si32(s)
}

/// Four rows' int32x4 partial sums as one vector of their four totals.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn hsum4(a0: core::arch::wasm32::v128, a1: core::arch::wasm32::v128, a2: core::arch::wasm32::v128, a3: core::arch::wasm32::v128) -> core::arch::wasm32::v128 {
    use core::arch::wasm32::*;
    let s01 = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(a0, a1), i32x4_shuffle::<2, 6, 3, 7>(a0, a1));
    let s23 = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(a2, a3), i32x4_shuffle::<2, 6, 3, 7>(a2, a3));
    i32x4_add(i32x4_shuffle::<0, 1, 4, 5>(s01, s23), i32x4_shuffle::<2, 3, 6, 7>(s01, s23))
}

/// The sum of a simd128 vector's four int32 lanes (wrapping, as the accumulators).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn hsum_simd128(a: core::arch::wasm32::v128) -> i32 {
    use core::arch::wasm32::*;
    i32x4_extract_lane::<0>(a).wrapping_add(i32x4_extract_lane::<1>(a)).wrapping_add(i32x4_extract_lane::<2>(a)).wrapping_add(i32x4_extract_lane::<3>(a))
}

/// Copy x into a zero-padded buffer of the packed stride.
pub fn pad_into(x: &[i8], buf: &mut Vec<i8>, stride: usize) {
    buf.clear();
    buf.extend_from_slice(x);
    buf.resize(stride, 0);
}
