//! The WebAssembly binding of the inference kernels (packages/runtime-wasm loads it). JavaScript
//! copies arrays into buffers it got from `intrnn_alloc` and passes pointer and length; every call
//! returns 0 (or a handle) on success and -1 on an error whose message `intrnn_error_*` expose.
//! The module is built with panic=abort (wasm32 cannot unwind), so every size is checked here
//! before a slice is formed: a panic would trap and leave the instance unusable.

use crate::gemv::{pad_into, Packed};
use crate::gru::Gru;
use crate::handles::{self, product, store, with_attention, with_dense, with_gru, with_lstm, Kernel, R};
use crate::lstm::{Attention, Dense, Lstm};
use std::alloc::{alloc, dealloc, Layout};
use std::slice;
use std::sync::Mutex;

static ERROR: Mutex<String> = Mutex::new(String::new());
const ALIGN: usize = 16;

fn status(r: R<i32>) -> i32 {
    match r {
        Ok(v) => v,
        Err(e) => {
            *ERROR.lock().unwrap() = e;
            -1
        }
    }
}

/// # Safety
/// `p` must point to `n` values allocated by `intrnn_alloc` (the JavaScript side's contract).
unsafe fn view<'a, T>(p: *const T, n: usize) -> &'a [T] {
    if n == 0 {
        &[]
    } else {
        slice::from_raw_parts(p, n)
    }
}

/// # Safety
/// As `view`, and no other live slice overlaps it.
unsafe fn view_mut<'a, T>(p: *mut T, n: usize) -> &'a mut [T] {
    if n == 0 {
        &mut []
    } else {
        slice::from_raw_parts_mut(p, n)
    }
}

#[no_mangle]
pub extern "C" fn intrnn_alloc(n: usize) -> *mut u8 {
    match Layout::from_size_align(n.max(1), ALIGN) {
        // SAFETY: the layout has a non-zero size
        Ok(l) => unsafe { alloc(l) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// # Safety
/// `p` came from `intrnn_alloc(n)` and is freed once.
#[no_mangle]
pub unsafe extern "C" fn intrnn_free(p: *mut u8, n: usize) {
    if let Ok(l) = Layout::from_size_align(n.max(1), ALIGN) {
        dealloc(p, l)
    }
}

#[no_mangle]
pub extern "C" fn intrnn_error_ptr() -> *const u8 {
    ERROR.lock().unwrap().as_ptr()
}

#[no_mangle]
pub extern "C" fn intrnn_error_len() -> usize {
    ERROR.lock().unwrap().len()
}

/// The path in use as its index (0 scalar … 4 wasm-simd128); `i` ≥ 0 forces one, -1 detects again.
#[no_mangle]
pub extern "C" fn intrnn_force_path(i: i32) -> i32 {
    status(handles::force_path(i).map(|p| p as i32))
}

#[no_mangle]
pub extern "C" fn intrnn_path() -> i32 {
    handles::path() as i32
}

#[no_mangle]
pub extern "C" fn intrnn_release(h: i32) -> i32 {
    status(handles::release(h).map(|_| 0))
}

/// A dense kernel's per-row requantization (`handles::dense_rescale`).
/// # Safety
/// Pointers as `view`: mults [n] and shifts [n].
#[no_mangle]
pub unsafe extern "C" fn intrnn_dense_rescale(h: i32, mults: *const i32, shifts: *const i32, n: usize) -> i32 {
    status(handles::dense_rescale(h, view(mults, n), view(shifts, n)).map(|_| 0))
}

/// Narrow a kernel's weights to int4 (`handles::narrow_to_int4`).
#[no_mangle]
pub extern "C" fn intrnn_narrow_weights(h: i32) -> i32 {
    status(handles::narrow_to_int4(h).map(|_| 0))
}

/// int8 GEMV with an int32 bias, for the kernel tests and the peak measurement.
/// # Safety
/// Pointers as `view`: w [rows · cols], x [cols], bias [rows] (or null), out [rows].
#[no_mangle]
pub unsafe extern "C" fn intrnn_gemv(w: *const i8, rows: usize, cols: usize, x: *const i8, bias: *const i32, out: *mut i32) -> i32 {
    status((|| {
        let p = Packed::new(view(w, product(&[rows, cols], "rows × cols")?), rows, cols);
        let bias = if bias.is_null() { None } else { Some(view(bias, rows)) };
        if p.bound(bias) > i32::MAX as i64 {
            return Err("worst-case accumulator exceeds int32".into());
        }
        let mut xb = Vec::new();
        pad_into(view(x, cols), &mut xb, p.stride);
        p.gemv(handles::path(), &xb, bias, view_mut(out, rows));
        Ok(0)
    })())
}

/// # Safety
/// Pointers as `view`, with the lengths of `node_api::lstm_create` (tables and norm with theirs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn intrnn_lstm_create(
    wx: *const i8,
    wh: *const i8,
    bias: *const i32,
    mults: *const i32,
    shifts: *const i32,
    out: *const i32,
    d: usize,
    h: usize,
    sigmoid: *const i32,
    sigmoid_len: usize,
    tanh_gate: *const i32,
    tanh_gate_len: usize,
    tanh_cell: *const i32,
    tanh_cell_len: usize,
    norm: *const i32,
    norm_len: usize,
) -> i32 {
    status((|| {
        if h == 0 || d == 0 {
            return Err("sizes must be positive".into());
        }
        let k = Lstm::new(
            view(wx, product(&[4, h, d], "4 × hiddenSize × inputSize")?),
            view(wh, product(&[4, h, h], "4 × hiddenSize²")?),
            view(bias, product(&[4, h], "4 × hiddenSize")?),
            view(mults, product(&[8, h], "8 × hiddenSize")?),
            view(shifts, product(&[8, h], "8 × hiddenSize")?),
            view(out, 3),
            d,
            h,
            [view(sigmoid, sigmoid_len), view(tanh_gate, tanh_gate_len), view(tanh_cell, tanh_cell_len)],
            if norm.is_null() { None } else { Some(view(norm, norm_len)) },
        )?;
        Ok(store(Kernel::Lstm(Box::new(k))))
    })())
}

/// # Safety
/// Pointers as `view`: x [b · t · d], h0 [b · h], c0 [b · h], y [b · t · h], hT [b · h], cT [b · h].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn intrnn_lstm_run(handle: i32, x: *const i8, b: usize, t: usize, reverse: i32, h0: *const i8, c0: *const i16, y: *mut i8, h_t: *mut i8, c_t: *mut i16) -> i32 {
    status(with_lstm(handle, |l| {
        let bh = product(&[b, l.h], "batch × hiddenSize")?;
        let x = view(x, product(&[b, t, l.d], "batch × time × inputSize")?);
        let y = view_mut(y, product(&[b, t, l.h], "batch × time × hiddenSize")?);
        l.run(handles::path(), x, b, t, reverse != 0, view(h0, bh), view(c0, bh), y, view_mut(h_t, bh), view_mut(c_t, bh));
        Ok(0)
    }))
}

/// # Safety
/// Pointers as `view`, with the lengths of `node_api::gru_create` (tables with theirs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn intrnn_gru_create(
    wx: *const i8,
    wh: *const i8,
    biases: *const i32,
    mults: *const i32,
    shifts: *const i32,
    out: *const i32,
    d: usize,
    h: usize,
    sigmoid: *const i32,
    sigmoid_len: usize,
    tanh_gate: *const i32,
    tanh_gate_len: usize,
) -> i32 {
    status((|| {
        if h == 0 || d == 0 {
            return Err("sizes must be positive".into());
        }
        let h6 = product(&[6, h], "6 × hiddenSize")?;
        let k = Gru::new(
            view(wx, product(&[3, h, d], "3 × hiddenSize × inputSize")?),
            view(wh, product(&[3, h, h], "3 × hiddenSize²")?),
            view(biases, h6),
            view(mults, h6),
            view(shifts, h6),
            view(out, 4),
            d,
            h,
            [view(sigmoid, sigmoid_len), view(tanh_gate, tanh_gate_len)],
        )?;
        Ok(store(Kernel::Gru(Box::new(k))))
    })())
}

/// # Safety
/// Pointers as `view`: x [b · t · d], h0 [b · h], y [b · t · h], hT [b · h].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn intrnn_gru_run(handle: i32, x: *const i8, b: usize, t: usize, reverse: i32, h0: *const i8, y: *mut i8, h_t: *mut i8) -> i32 {
    status(with_gru(handle, |g| {
        let bh = product(&[b, g.h], "batch × hiddenSize")?;
        let x = view(x, product(&[b, t, g.d], "batch × time × inputSize")?);
        let y = view_mut(y, product(&[b, t, g.h], "batch × time × hiddenSize")?);
        g.run(handles::path(), x, b, t, reverse != 0, view(h0, bh), y, view_mut(h_t, bh));
        Ok(0)
    }))
}

/// # Safety
/// Pointers as `view`: w [n · k], bias [n].
#[no_mangle]
pub unsafe extern "C" fn intrnn_dense_create(w: *const i8, n: usize, k: usize, bias: *const i32) -> i32 {
    status((|| Ok(store(Kernel::Dense(Dense::new(view(w, product(&[n, k], "rows × cols")?), n, k, view(bias, n))?))))())
}

/// # Safety
/// Pointers as `view`: x [rows · cols], out [rows · outputs].
#[no_mangle]
pub unsafe extern "C" fn intrnn_dense_run(handle: i32, x: *const i8, rows: usize, out: *mut i32) -> i32 {
    status(with_dense(handle, |d| {
        let x = view(x, product(&[rows, d.cols()], "rows × cols")?);
        d.run(handles::path(), x, rows, view_mut(out, product(&[rows, d.rows()], "rows × outputs")?));
        Ok(0)
    }))
}

/// # Safety
/// `exp` points to `exp_len` values.
#[no_mangle]
pub unsafe extern "C" fn intrnn_attention_create(multiplier: i32, shift: i32, exp: *const i32, exp_len: usize) -> i32 {
    status((|| Ok(store(Kernel::Attention(Attention::new(multiplier, shift, view(exp, exp_len))?))))())
}

/// # Safety
/// Pointers as `view`: q [b · t · d], k [b · s · d], out [b · t · d].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn intrnn_attention_run(handle: i32, q: *const i8, k: *const i8, b: usize, t: usize, s: usize, d: usize, out: *mut i8) -> i32 {
    status(with_attention(handle, |a| {
        if s == 0 {
            return Err("no keys".into());
        }
        let btd = product(&[b, t, d], "batch × queries × dim")?;
        a.run(view(q, btd), view(k, product(&[b, s, d], "batch × keys × dim")?), b, t, s, d, view_mut(out, btd))?;
        Ok(0)
    }))
}

/// The machine's peak for the instruction the GEMV is built on: `rounds` × 12 independent
/// i32x4.dot_i16x8 (8 multiply-adds each) on registers, no loads (docs/BENCHMARKS.md divides the
/// GEMV's rate by it). Returns a checksum so that the work cannot be optimized away.
#[no_mangle]
#[cfg(target_feature = "simd128")]
pub extern "C" fn intrnn_dot_peak(rounds: u32) -> i32 {
    use core::arch::wasm32::*;
    let y = i16x8_splat(3);
    let mut a = [i32x4_splat(1); 12];
    for _ in 0..rounds {
        // twelve chains: more than the dot's latency × its throughput, so the loop is throughput-bound
        a[0] = i32x4_dot_i16x8(a[0], y);
        a[1] = i32x4_dot_i16x8(a[1], y);
        a[2] = i32x4_dot_i16x8(a[2], y);
        a[3] = i32x4_dot_i16x8(a[3], y);
        a[4] = i32x4_dot_i16x8(a[4], y);
        a[5] = i32x4_dot_i16x8(a[5], y);
        a[6] = i32x4_dot_i16x8(a[6], y);
        a[7] = i32x4_dot_i16x8(a[7], y);
        a[8] = i32x4_dot_i16x8(a[8], y);
        a[9] = i32x4_dot_i16x8(a[9], y);
        a[10] = i32x4_dot_i16x8(a[10], y);
        a[11] = i32x4_dot_i16x8(a[11], y);
    }
    a.iter().fold(0, |s, v| s ^ i32x4_extract_lane::<0>(*v))
}
