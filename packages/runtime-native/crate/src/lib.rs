//! intrnn-native: int8 kernels for Node.js, bit-exact with @intrnn/runtime-core's reference
//! kernels (docs/integer-semantics.md). No crate dependencies: the Node-API functions are declared
//! in `napi.rs`. Kernels are created once per model node (weights packed, bounds proven) and kept in
//! a handle table, so JavaScript never holds a raw pointer.
//!
//! The kernels also build with Debian's rustc 1.63 (the wasm32 and aarch64 targets), so they use
//! nothing newer: no `div_ceil`, no `let … else`.
#![allow(clippy::manual_div_ceil)]

pub mod arith;
pub mod gates;
pub mod gemv;
pub mod lstm;
mod napi;
pub mod pwl;
pub mod train;
mod train_api;

use gemv::{pad_into, Packed, Path};
use lstm::{Attention, Dense, Lstm};
use napi::{export, guard, napi_callback_info, napi_env, napi_value, R};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

enum Kernel {
    Lstm(Box<Lstm>),
    Dense(Dense),
    Attention(Attention),
}

static KERNELS: Mutex<Vec<Option<Kernel>>> = Mutex::new(Vec::new());
/// 0: detect; else 1 + the forced path's index.
static FORCED: AtomicU8 = AtomicU8::new(0);
const PATHS: [Path; 4] = [Path::Scalar, Path::Avx2, Path::Vnni, Path::Neon];

fn path() -> Path {
    match FORCED.load(Ordering::Relaxed) {
        0 => Path::detect(),
        i => PATHS[i as usize - 1],
    }
}

fn store(k: Kernel) -> i32 {
    let mut t = KERNELS.lock().unwrap();
    if let Some(i) = t.iter().position(|s| s.is_none()) {
        t[i] = Some(k);
        i as i32
    } else {
        t.push(Some(k));
        (t.len() - 1) as i32
    }
}

/// The product of sizes, or an error: a wrapped product would make a short slice look long enough.
fn product(sizes: &[usize], what: &str) -> R<usize> {
    sizes.iter().try_fold(1usize, |a, &b| a.checked_mul(b)).ok_or_else(|| format!("{} overflows", what))
}

fn with_kernel<T>(handle: i32, f: impl FnOnce(&Kernel) -> R<T>) -> R<T> {
    let t = KERNELS.lock().unwrap();
    match t.get(handle as usize).and_then(|k| k.as_ref()) {
        Some(k) if handle >= 0 => f(k),
        _ => Err(format!("kernel handle {} is not live", handle)),
    }
}

unsafe extern "C" fn info(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 0, |c| Ok(c.string(&format!("intrnn-native {} {}", env!("CARGO_PKG_VERSION"), path().name()))))
}

unsafe extern "C" fn force_path(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 1, |c| {
        let i = c.int(0, "path")?;
        if i == -1 {
            FORCED.store(0, Ordering::Relaxed);
        } else {
            let p = *PATHS.get(i as usize).ok_or("path index out of range")?;
            if !p.available() {
                return Err(format!("path {} is not available on this CPU", p.name()));
            }
            FORCED.store(i as u8 + 1, Ordering::Relaxed);
        }
        Ok(c.string(path().name()))
    })
}

unsafe extern "C" fn gemv_int8(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (w, rows, cols, x, bias | undefined, out)
    guard(env, cb, 6, |c| {
        let (rows, cols) = (c.size(1, "rows")?, c.size(2, "cols")?);
        let w = c.slice::<i8>(0, "w", rows.checked_mul(cols).ok_or("rows × cols overflows")?)?;
        let x = c.slice::<i8>(3, "x", cols)?;
        let bias = c.opt_slice::<i32>(4, "bias", rows)?;
        let out = c.slice_mut::<i32>(5, "out", rows)?;
        let p = Packed::new(w, rows, cols);
        if p.bound(bias) > i32::MAX as i64 {
            return Err("worst-case accumulator exceeds int32".into());
        }
        let mut xb = Vec::new();
        pad_into(x, &mut xb, p.stride);
        p.gemv(path(), &xb, bias, out);
        Ok(c.undefined())
    })
}

unsafe extern "C" fn lstm_create(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (wx, wh, bias, mults, shifts, out3, d, h, sigmoid, tanhGate, tanhCell, norm | undefined)
    guard(env, cb, 12, |c| {
        let (d, h) = (c.size(6, "inputSize")?, c.size(7, "hiddenSize")?);
        if h == 0 || d == 0 {
            return Err("sizes must be positive".into());
        }
        let wx = c.slice::<i8>(0, "wx", product(&[4, h, d], "4 × hiddenSize × inputSize")?)?;
        let wh = c.slice::<i8>(1, "wh", product(&[4, h, h], "4 × hiddenSize²")?)?;
        let bias = c.slice::<i32>(2, "bias", product(&[4, h], "4 × hiddenSize")?)?;
        let mults = c.slice::<i32>(3, "multipliers", product(&[8, h], "8 × hiddenSize")?)?;
        let shifts = c.slice::<i32>(4, "shifts", product(&[8, h], "8 × hiddenSize")?)?;
        let out = c.slice::<i32>(5, "outRescale", 3)?;
        let tables = [c.slice_any::<i32>(8, "sigmoid")?, c.slice_any::<i32>(9, "tanhGate")?, c.slice_any::<i32>(10, "tanhCell")?];
        let norm = if c.is_absent(11) { None } else { Some(c.slice_any::<i32>(11, "norm")?) };
        let k = Lstm::new(wx, wh, bias, mults, shifts, out, d, h, tables, norm)?;
        Ok(c.int32(store(Kernel::Lstm(Box::new(k)))))
    })
}

unsafe extern "C" fn lstm_run(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle, x, b, t, reverse, h0, c0, y, hT, cT)
    guard(env, cb, 10, |c| {
        let handle = c.int(0, "handle")?;
        let (b, t, reverse) = (c.size(2, "batch")?, c.size(3, "time")?, c.int(4, "reverse")? != 0);
        with_kernel(handle, |k| {
            let l = match k {
                Kernel::Lstm(l) => l,
                _ => return Err("handle is not an LSTM".into()),
            };
            let x = c.slice::<i8>(1, "x", product(&[b, t, l.d], "batch × time × inputSize")?)?;
            let h0 = c.slice::<i8>(5, "h0", product(&[b, l.h], "batch × hiddenSize")?)?;
            let c0 = c.slice::<i16>(6, "c0", product(&[b, l.h], "batch × hiddenSize")?)?;
            let y = c.slice_mut::<i8>(7, "y", product(&[b, t, l.h], "batch × time × hiddenSize")?)?;
            let h_t = c.slice_mut::<i8>(8, "hT", product(&[b, l.h], "batch × hiddenSize")?)?;
            let c_t = c.slice_mut::<i16>(9, "cT", product(&[b, l.h], "batch × hiddenSize")?)?;
            l.run(path(), x, b, t, reverse, h0, c0, y, h_t, c_t);
            Ok(())
        })?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn dense_create(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (w, n, k, bias)
    guard(env, cb, 4, |c| {
        let (n, k) = (c.size(1, "rows")?, c.size(2, "cols")?);
        let w = c.slice::<i8>(0, "w", product(&[n, k], "rows × cols")?)?;
        let bias = c.slice::<i32>(3, "bias", n)?;
        Ok(c.int32(store(Kernel::Dense(Dense::new(w, n, k, bias)?))))
    })
}

unsafe extern "C" fn dense_run(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle, x, rows, out)
    guard(env, cb, 4, |c| {
        let handle = c.int(0, "handle")?;
        let r = c.size(2, "rows")?;
        with_kernel(handle, |k| {
            let d = match k {
                Kernel::Dense(d) => d,
                _ => return Err("handle is not a dense layer".into()),
            };
            let x = c.slice::<i8>(1, "x", product(&[r, d.cols()], "rows × cols")?)?;
            let out = c.slice_mut::<i32>(3, "out", product(&[r, d.rows()], "rows × outputs")?)?;
            d.run(path(), x, r, out);
            Ok(())
        })?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn attention_create(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (multiplier, shift, exp)
    guard(env, cb, 3, |c| {
        let (m, s) = (c.int(0, "multiplier")?, c.int(1, "shift")?);
        let exp = c.slice_any::<i32>(2, "exp")?;
        Ok(c.int32(store(Kernel::Attention(Attention::new(m, s, exp)?))))
    })
}

unsafe extern "C" fn attention_run(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle, q, k, b, t, s, d, out)
    guard(env, cb, 8, |c| {
        let handle = c.int(0, "handle")?;
        let (b, t, s, d) = (c.size(3, "batch")?, c.size(4, "queries")?, c.size(5, "keys")?, c.size(6, "dim")?);
        if s == 0 {
            return Err("no keys".into());
        }
        with_kernel(handle, |k| {
            let a = match k {
                Kernel::Attention(a) => a,
                _ => return Err("handle is not an attention".into()),
            };
            let q = c.slice::<i8>(1, "q", product(&[b, t, d], "batch × queries × dim")?)?;
            let keys = c.slice::<i8>(2, "k", product(&[b, s, d], "batch × keys × dim")?)?;
            let out = c.slice_mut::<i8>(7, "out", product(&[b, t, d], "batch × queries × dim")?)?;
            a.run(q, keys, b, t, s, d, out)
        })?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn release(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 1, |c| {
        let h = c.int(0, "handle")?;
        let mut t = KERNELS.lock().unwrap();
        match usize::try_from(h).ok().and_then(|i| t.get_mut(i)) {
            Some(slot) if slot.is_some() => *slot = None,
            _ => return Err(format!("kernel handle {} is not live", h)),
        }
        Ok(c.undefined())
    })
}

/// The module entry point Node looks for.
///
/// # Safety
/// Called by Node with a valid env and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    export(env, exports, "info", info);
    export(env, exports, "forcePath", force_path);
    export(env, exports, "gemvInt8", gemv_int8);
    export(env, exports, "lstmCreate", lstm_create);
    export(env, exports, "lstmRun", lstm_run);
    export(env, exports, "denseCreate", dense_create);
    export(env, exports, "denseRun", dense_run);
    export(env, exports, "attentionCreate", attention_create);
    export(env, exports, "attentionRun", attention_run);
    export(env, exports, "release", release);
    export(env, exports, "trainInfo", train_api::train_info);
    export(env, exports, "lstmTrainForward", train_api::lstm_train_forward);
    export(env, exports, "lstmTrainBackward", train_api::lstm_train_backward);
    export(env, exports, "denseXentTrain", train_api::dense_xent_train);
    exports
}

#[cfg(test)]
mod tests {
    use super::gemv::{pad_into, Packed, Path};

    fn lcg(seed: &mut u64) -> i8 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 56) as i8
    }

    /// Every SIMD path equals the scalar one on the edge lengths and on extreme values.
    #[test]
    fn simd_paths_match_scalar() {
        let lengths = [1usize, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000];
        let mut seed = 7u64;
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
                    let x: Vec<i8> = (0..cols)
                        .map(|i| {
                            if extreme {
                                if i % 3 == 0 {
                                    127
                                } else {
                                    -128
                                }
                            } else {
                                lcg(&mut seed)
                            }
                        })
                        .collect();
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
                    }
                }
            }
        }
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
