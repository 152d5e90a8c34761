//! The Node-API binding of the inference kernels (the training ones are in `train_api.rs`).

use crate::gemv::{pad_into, Packed};
use crate::gru::Gru;
use crate::handles::{self, force_path as force_path_to, path, product, store, with_attention, with_dense, with_gru, with_lstm, Kernel};
use crate::lstm::{Attention, Dense, Lstm};
use crate::napi::{export, guard, napi_callback_info, napi_env, napi_value};
use crate::train_api;

unsafe extern "C" fn info(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 0, |c| Ok(c.string(&format!("intrnn-native {} {}", env!("CARGO_PKG_VERSION"), path().name()))))
}

unsafe extern "C" fn force_path(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 1, |c| {
        let i = c.int(0, "path")?;
        Ok(c.string(force_path_to(i)?.name()))
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
        with_lstm(handle, |l| {
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

unsafe extern "C" fn gru_create(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (wx, wh, biases, mults, shifts, out4, d, h, sigmoid, tanhGate)
    guard(env, cb, 10, |c| {
        let (d, h) = (c.size(6, "inputSize")?, c.size(7, "hiddenSize")?);
        if h == 0 || d == 0 {
            return Err("sizes must be positive".into());
        }
        let wx = c.slice::<i8>(0, "wx", product(&[3, h, d], "3 × hiddenSize × inputSize")?)?;
        let wh = c.slice::<i8>(1, "wh", product(&[3, h, h], "3 × hiddenSize²")?)?;
        let biases = c.slice::<i32>(2, "biases", product(&[6, h], "6 × hiddenSize")?)?;
        let mults = c.slice::<i32>(3, "multipliers", product(&[6, h], "6 × hiddenSize")?)?;
        let shifts = c.slice::<i32>(4, "shifts", product(&[6, h], "6 × hiddenSize")?)?;
        let out = c.slice::<i32>(5, "outRescale", 4)?;
        let tables = [c.slice_any::<i32>(8, "sigmoid")?, c.slice_any::<i32>(9, "tanhGate")?];
        let k = Gru::new(wx, wh, biases, mults, shifts, out, d, h, tables)?;
        Ok(c.int32(store(Kernel::Gru(Box::new(k)))))
    })
}

unsafe extern "C" fn gru_run(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle, x, b, t, reverse, h0, y, hT)
    guard(env, cb, 8, |c| {
        let handle = c.int(0, "handle")?;
        let (b, t, reverse) = (c.size(2, "batch")?, c.size(3, "time")?, c.int(4, "reverse")? != 0);
        with_gru(handle, |g| {
            let x = c.slice::<i8>(1, "x", product(&[b, t, g.d], "batch × time × inputSize")?)?;
            let h0 = c.slice::<i8>(5, "h0", product(&[b, g.h], "batch × hiddenSize")?)?;
            let y = c.slice_mut::<i8>(6, "y", product(&[b, t, g.h], "batch × time × hiddenSize")?)?;
            let h_t = c.slice_mut::<i8>(7, "hT", product(&[b, g.h], "batch × hiddenSize")?)?;
            g.run(path(), x, b, t, reverse, h0, y, h_t);
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
        with_dense(handle, |d| {
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
        with_attention(handle, |a| {
            let q = c.slice::<i8>(1, "q", product(&[b, t, d], "batch × queries × dim")?)?;
            let keys = c.slice::<i8>(2, "k", product(&[b, s, d], "batch × keys × dim")?)?;
            let out = c.slice_mut::<i8>(7, "out", product(&[b, t, d], "batch × queries × dim")?)?;
            a.run(q, keys, b, t, s, d, out)
        })?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn dense_rescale(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle, mults, shifts)
    guard(env, cb, 3, |c| {
        let (mults, shifts) = (c.slice_any::<i32>(1, "mults")?, c.slice_any::<i32>(2, "shifts")?);
        handles::dense_rescale(c.int(0, "handle")?, mults, shifts)?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn narrow_weights(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (handle)
    guard(env, cb, 1, |c| {
        handles::narrow_to_int4(c.int(0, "handle")?)?;
        Ok(c.undefined())
    })
}

unsafe extern "C" fn release(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 1, |c| {
        handles::release(c.int(0, "handle")?)?;
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
    export(env, exports, "gruCreate", gru_create);
    export(env, exports, "gruRun", gru_run);
    export(env, exports, "denseCreate", dense_create);
    export(env, exports, "denseRun", dense_run);
    export(env, exports, "attentionCreate", attention_create);
    export(env, exports, "attentionRun", attention_run);
    export(env, exports, "narrowWeights", narrow_weights);
    export(env, exports, "denseRescale", dense_rescale);
    export(env, exports, "release", release);
    export(env, exports, "trainInfo", train_api::train_info);
    export(env, exports, "lstmTrainForward", train_api::lstm_train_forward);
    export(env, exports, "lstmTrainBackward", train_api::lstm_train_backward);
    export(env, exports, "denseXentTrain", train_api::dense_xent_train);
    exports
}
