//! intrnn-native: int8 kernels, bit-exact with @intrnn/runtime-core's reference kernels
//! (docs/integer-semantics.md), with two bindings over one kernel source: Node-API for Node.js
//! (`node_api.rs`; the functions declared by hand in `napi.rs`, no crate dependencies) and a
//! WebAssembly module for browsers and any JavaScript engine (`wasm_api.rs`, the simd128 path).
//!
//! The kernels also build with Debian's rustc 1.63 (the wasm32 and aarch64 targets), so they use
//! nothing newer: no `div_ceil`, no `let … else`.
#![allow(clippy::manual_div_ceil)]

pub mod arith;
pub mod gates;
pub mod gemv;
pub mod gru;
pub mod handles;
pub mod lstm;
#[cfg(not(target_arch = "wasm32"))]
mod napi;
#[cfg(not(target_arch = "wasm32"))]
mod node_api;
pub mod pwl;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;
#[cfg(not(target_arch = "wasm32"))]
mod train_api;
#[cfg(target_arch = "wasm32")]
mod wasm_api;

#[cfg(test)]
mod tests {
    use super::gemv::{pad_into, Packed, Path};

    fn lcg(seed: &mut u64) -> i8 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 56) as i8
    }

    /// A GEMV input of `cols` values: random, or the extremes 127 and -128 in a fixed pattern.
    fn inputs(cols: usize, extreme: bool, seed: &mut u64) -> Vec<i8> {
        (0..cols)
            .map(|i| {
                if extreme {
                    if i % 3 == 0 {
                        127
                    } else {
                        -128
                    }
                } else {
                    lcg(seed)
                }
            })
            .collect()
    }

    /// Every SIMD path equals the scalar one on the edge lengths and on extreme values.
    #[test]
    fn simd_paths_match_scalar() {
        let lengths = [1usize, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000];
        let mut seed = 7u64;
        let mut checked = 0;
        for &cols in &lengths {
            // 1-2 blocks of 16 rows, and odd and even block counts past the pair loop
            for &rows in &[1usize, 3, 17, 33, 64, 65] {
                for extreme in [false, true] {
                    let w: Vec<i8> = (0..rows * cols)
                        .map(|i| {
                            if extreme {
                                if i % 2 == 0 {
                                    -128
                                } else {
                                    127
                                }
                            } else {
                                lcg(&mut seed)
                            }
                        })
                        .collect();
                    let x = inputs(cols, extreme, &mut seed);
                    let bias: Vec<i32> = (0..rows).map(|r| r as i32 * 1000 - 7).collect();
                    let p = Packed::new(&w, rows, cols);
                    let mut xb = Vec::new();
                    pad_into(&x, &mut xb, p.stride);
                    let mut want = vec![0i32; rows];
                    p.gemv(Path::Scalar, &xb, Some(&bias), &mut want);
                    // the scalar path against a plain i64 sum
                    for r in 0..rows {
                        let s: i64 = (0..cols).map(|j| w[r * cols + j] as i64 * x[j] as i64).sum::<i64>() + bias[r] as i64;
                        assert_eq!(want[r] as i64, s, "scalar rows {} cols {}", rows, cols);
                    }
                    for path in [Path::Avx2, Path::Vnni, Path::Neon] {
                        if !path.available() {
                            continue;
                        }
                        let mut got = vec![0i32; rows];
                        p.gemv(path, &xb, Some(&bias), &mut got);
                        assert_eq!(got, want, "{} rows {} cols {} extreme {}", path.name(), rows, cols, extreme);
                        checked += 1;
                    }
                }
            }
        }
        // x86-64 and aarch64 always have a SIMD path here (AVX2 or better; NEON): it must have run
        if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            println!("simd paths checked against scalar: {}", checked);
            assert!(checked > 0, "no SIMD path ran");
        }
    }

    /// int4 weights (narrowed after packing) give the int8 products of the same values on every
    /// path, scalar included, on the edge lengths and the extremes -8 and 7.
    #[test]
    fn int4_paths_match_int8() {
        let mut seed = 13u64;
        let mut checked = 0;
        for &cols in &[1usize, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000] {
            for &rows in &[1usize, 3, 16, 17, 33, 64, 65] {
                for extreme in [false, true] {
                    let w: Vec<i8> = (0..rows * cols)
                        .map(|i| {
                            if extreme {
                                if i % 2 == 0 {
                                    -8
                                } else {
                                    7
                                }
                            } else {
                                lcg(&mut seed) >> 4
                            }
                        })
                        .collect();
                    let x = inputs(cols, extreme, &mut seed);
                    let bias: Vec<i32> = (0..rows).map(|r| 7 - r as i32 * 999).collect();
                    let eight = Packed::new(&w, rows, cols);
                    let mut four = Packed::new(&w, rows, cols);
                    four.narrow_to_int4().unwrap();
                    assert!(four.w.is_empty() && four.blocked.is_empty(), "the int8 forms are freed");
                    let mut xb = Vec::new();
                    pad_into(&x, &mut xb, eight.stride);
                    let mut want = vec![0i32; rows];
                    eight.gemv(Path::Scalar, &xb, Some(&bias), &mut want);
                    for path in [Path::Scalar, Path::Avx2, Path::Vnni, Path::Neon, Path::Simd128] {
                        if !path.available() {
                            continue;
                        }
                        let mut got = vec![0i32; rows];
                        four.gemv(path, &xb, Some(&bias), &mut got);
                        assert_eq!(got, want, "int4 {} rows {} cols {} extreme {}", path.name(), rows, cols, extreme);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 0);
        // a value outside int4 is refused, not wrapped
        let mut p = Packed::new(&[0, 8], 1, 2);
        assert!(p.narrow_to_int4().is_err());
    }

    /// The int16 lookup table equals the knot search on every int16 input, for each symmetry.
    /// The gate requantization on every path equals sat16(sat24(applyMultiplier) + sat24(applyMultiplier))
    /// written with the reference helpers, on random and extreme accumulators, multipliers and shifts.
    #[test]
    fn gate_requantization_paths_match_the_definition() {
        use super::arith::{apply_multiplier, sat};
        use super::gates::gates;
        let mut seed = 11u64;
        let mut big = |seed: &mut u64| -> i64 {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (*seed >> 11) as i64
        };
        for &n in &[1usize, 7, 8, 9, 16, 17, 63, 64, 65, 1024, 1029] {
            let acc = |i: usize, seed: &mut u64, big: &mut dyn FnMut(&mut u64) -> i64| -> i32 {
                match i % 5 {
                    0 => i32::MAX,
                    1 => i32::MIN,
                    _ => (big(seed) % (1i64 << 32) - (1i64 << 31)) as i32,
                }
            };
            let ax: Vec<i32> = (0..n).map(|i| acc(i, &mut seed, &mut big)).collect();
            let ah: Vec<i32> = (0..n).map(|i| acc(i + 2, &mut seed, &mut big)).collect();
            let mult = |i: usize, seed: &mut u64, big: &mut dyn FnMut(&mut u64) -> i64| -> i64 {
                match i % 4 {
                    0 => (1 << 21) - 1,
                    1 => -((1 << 21) - 1),
                    _ => big(seed) % (1 << 21),
                }
            };
            let mx: Vec<i64> = (0..n).map(|i| mult(i, &mut seed, &mut big)).collect();
            let mh: Vec<i64> = (0..n).map(|i| mult(i + 1, &mut seed, &mut big)).collect();
            let shift = |i: usize, seed: &mut u64, big: &mut dyn FnMut(&mut u64) -> i64| -> u64 {
                match i % 6 {
                    0 => 0,
                    1 => 1,
                    2 => 63,
                    _ => (big(seed) % 60) as u64,
                }
            };
            let sx: Vec<u64> = (0..n).map(|i| shift(i, &mut seed, &mut big)).collect();
            let sh: Vec<u64> = (0..n).map(|i| shift(i + 3, &mut seed, &mut big)).collect();
            let want: Vec<i64> = (0..n).map(|r| sat(sat(apply_multiplier(ax[r] as i64, mx[r], sx[r] as u32), 24) + sat(apply_multiplier(ah[r] as i64, mh[r], sh[r] as u32), 24), 16)).collect();
            for path in [Path::Scalar, Path::Avx2, Path::Vnni, Path::Neon] {
                if !path.available() {
                    continue;
                }
                let mut z = vec![0i64; n];
                gates(path, &ax, &ah, &mx, &sx, &mh, &sh, &mut z);
                assert_eq!(z, want, "{} n {}", path.name(), n);
            }
        }
    }

    #[test]
    fn pwl_lookup_matches_search() {
        use super::pwl::Pwl;
        for (sym, center, knots) in [(0, 0, vec![-32768, -900, -5, 0, 17, 4000, 32767]), (1, 0, vec![0, 3, 250, 9000, 32767]), (2, 32767, vec![0, 100, 2000, 20000])] {
            let k = knots.len();
            let values: Vec<i32> = (0..k as i32).map(|j| j * 4000 - 9000).collect();
            let slopes: Vec<i32> = (0..k as i32 - 1).map(|j| 3000 - j * 1700).collect();
            let mut p = vec![k as i32, 12, 16, sym, center];
            p.extend(&knots);
            p.extend(&values);
            p.extend(&slopes);
            let t = Pwl::unpack(&p).unwrap();
            for q in -32768i64..=32767 {
                assert_eq!(t.eval16(q), t.eval_search_for_test(q), "symmetry {} q {}", sym, q);
            }
        }
    }

    #[test]
    fn rounding_matches_the_definition() {
        use super::arith::{rdiv, rshr};
        for x in -1000i64..=1000 {
            for s in 0..12u32 {
                let exact = x as f64 / (1u64 << s) as f64;
                let want = exact.abs().floor() + if exact.abs() - exact.abs().floor() >= 0.5 { 1.0 } else { 0.0 };
                assert_eq!(rshr(x, s), if x < 0 { -(want as i64) } else { want as i64 }, "rshr({}, {})", x, s);
            }
            for n in 1..20i64 {
                let q = x as f64 / n as f64;
                let want = q.abs().floor() + if q.abs() - q.abs().floor() >= 0.5 { 1.0 } else { 0.0 };
                assert_eq!(rdiv(x, n), if x < 0 { -(want as i64) } else { want as i64 }, "rdiv({}, {})", x, n);
            }
        }
        assert_eq!(rshr(-(1i64 << 52) - 1, 63), 0);
        assert_eq!(rshr((1i64 << 53) - 1, 1), 1i64 << 52);
    }
}
