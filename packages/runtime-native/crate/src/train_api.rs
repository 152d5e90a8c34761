//! The training kernels' Node-API functions (see `train`). Every array's type and length is checked
//! against the dims before any kernel runs.

use crate::napi::{guard, napi_callback_info, napi_env, napi_value, Call, R};
use crate::train::lstm_seq::{backward, check_cell, forward, Cell, Dims, Lut, Norm, Qat};
use crate::train::sgemm::Isa;
use crate::train::softmax_xent::dense_xent;

const LUT: usize = 65536;

fn isa() -> Isa {
    Isa::detect()
}

/// dims = [batch, time, inputSize, hiddenSize, threads]
fn dims(c: &mut Call, i: usize) -> R<(Dims, usize)> {
    let v = c.slice::<i32>(i, "dims", 5)?;
    if v.iter().any(|&x| x < 0) || v[0] == 0 || v[1] == 0 || v[2] == 0 || v[3] == 0 {
        return Err("dims must be positive".into());
    }
    let dm = Dims { b: v[0] as usize, t: v[1] as usize, d: v[2] as usize, h: v[3] as usize };
    // every buffer below must stay addressable: the largest is the cache, rows · 13H floats
    dm.rows().checked_mul(13 * dm.h).and_then(|n| n.checked_mul(4)).filter(|&n| n < isize::MAX as usize).ok_or("dims overflow")?;
    Ok((dm, (v[4].max(1)) as usize))
}

/// The integer cell from [multX, shiftX, multH, shiftH (4H each), multOut, shiftOut, cellFracBits]
/// and the six lookups [sigmoid values, slopes, tanhGate values, slopes, tanhCell values, slopes].
fn qat_cell<'a>(ints: &'a [i32], luts: &'a [f32], h: usize) -> R<Cell<'a>> {
    let h4 = 4 * h;
    if ints.len() != 16 * h + 3 || luts.len() != 6 * LUT {
        return Err("QAT constants have the wrong length".into());
    }
    let lut = |i: usize| Lut { values: &luts[2 * i * LUT..(2 * i + 1) * LUT], slopes: &luts[(2 * i + 1) * LUT..(2 * i + 2) * LUT] };
    Ok(Cell::Qat(Qat {
        mult_x: &ints[0..h4],
        shift_x: &ints[h4..2 * h4],
        mult_h: &ints[2 * h4..3 * h4],
        shift_h: &ints[3 * h4..4 * h4],
        mult_out: ints[16 * h],
        shift_out: ints[16 * h + 1],
        cell_frac_bits: ints[16 * h + 2],
        sigmoid: lut(0),
        tanh_gate: lut(1),
        tanh_cell: lut(2),
    }))
}

fn cell_of<'a>(c: &mut Call, ints_at: usize, luts_at: usize, h: usize) -> R<Cell<'a>> {
    if c.is_absent(ints_at) {
        return Ok(Cell::Float);
    }
    let ints = c.slice_any::<i32>(ints_at, "qatInts")?;
    let luts = c.slice_any::<f32>(luts_at, "qatLuts")?;
    qat_cell(ints, luts, h)
}

/// MadNorm from γ and β [4H], [inScale, ratio, eps] and, in QAT, [normFracBits, multiplier, shift].
fn norm_of<'a>(c: &mut Call, at: usize, h: usize, qat: bool) -> R<Option<Norm<'a>>> {
    if c.is_absent(at) {
        return Ok(None);
    }
    let gamma = c.slice::<f32>(at, "normGamma", 4 * h)?;
    let beta = c.slice::<f32>(at + 1, "normBeta", 4 * h)?;
    let f = c.slice::<f32>(at + 2, "normFloats", 3)?;
    let int = if qat {
        let v = c.slice::<i32>(at + 3, "normInts", 3)?;
        if !(0..=23).contains(&v[0]) || !(0..=63).contains(&v[2]) || !(0..(1 << 21)).contains(&v[1]) {
            return Err("MadNorm fractional bits, multiplier or shift out of range".into());
        }
        Some((v[0] as u32, v[1] as i64, v[2] as u32))
    } else {
        None
    };
    if !(f[0] > 0.0 && f[1] > 0.0 && f[2] > 0.0) {
        return Err("MadNorm scales must be positive".into());
    }
    Ok(Some(Norm { gamma, beta, in_scale: f[0], ratio: f[1], eps: f[2], int }))
}

pub unsafe extern "C" fn train_info(env: napi_env, cb: napi_callback_info) -> napi_value {
    guard(env, cb, 0, |c| Ok(c.string(&format!("{:?}", isa()).to_lowercase())))
}

pub unsafe extern "C" fn lstm_train_forward(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (dims, x, wx, wh, bias, h0, c0, ys, hT, cT, cache, qatInts | undefined, qatLuts | undefined,
    //  normGamma | undefined, normBeta, normFloats, normInts)
    guard(env, cb, 17, |c| {
        let (dm, threads) = dims(c, 0)?;
        let (n, h4) = (dm.rows(), 4 * dm.h);
        let x = c.slice::<f32>(1, "x", n * dm.d)?;
        let wx = c.slice::<f32>(2, "wx", dm.d * h4)?;
        let wh = c.slice::<f32>(3, "wh", dm.h * h4)?;
        let bias = c.slice::<f32>(4, "bias", h4)?;
        let h0 = c.slice::<f32>(5, "h0", dm.b * dm.h)?;
        let c0 = c.slice::<f32>(6, "c0", dm.b * dm.h)?;
        let ys = c.slice_mut::<f32>(7, "ys", n * dm.h)?;
        let h_t = c.slice_mut::<f32>(8, "hT", dm.b * dm.h)?;
        let c_t = c.slice_mut::<f32>(9, "cT", dm.b * dm.h)?;
        let cell = cell_of(c, 11, 12, dm.h)?;
        let norm = norm_of(c, 13, dm.h, matches!(cell, Cell::Qat(_)))?;
        let cache = c.slice_mut::<f32>(10, "cache", dm.cache_len(norm.is_some()))?;
        check_cell(&dm, &cell)?;
        forward(isa(), threads, dm, &cell, norm.as_ref(), x, wx, wh, bias, h0, c0, ys, h_t, c_t, cache);
        Ok(c.undefined())
    })
}

pub unsafe extern "C" fn lstm_train_backward(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (dims, x, wx, wh, h0, ys, cache, dys, dx, dwx, dwh, dbias, dh0, dc0, qatInts | undefined, qatLuts | undefined,
    //  normGamma | undefined, normBeta, normFloats, normInts, dGamma, dBeta)
    guard(env, cb, 22, |c| {
        let (dm, threads) = dims(c, 0)?;
        let (n, h4) = (dm.rows(), 4 * dm.h);
        let x = c.slice::<f32>(1, "x", n * dm.d)?;
        let wx = c.slice::<f32>(2, "wx", dm.d * h4)?;
        let wh = c.slice::<f32>(3, "wh", dm.h * h4)?;
        let h0 = c.slice::<f32>(4, "h0", dm.b * dm.h)?;
        let ys = c.slice::<f32>(5, "ys", n * dm.h)?;
        let cell = cell_of(c, 14, 15, dm.h)?;
        let norm = norm_of(c, 16, dm.h, matches!(cell, Cell::Qat(_)))?;
        let cache = c.slice::<f32>(6, "cache", dm.cache_len(norm.is_some()))?;
        let dys = c.slice::<f32>(7, "dys", n * dm.h)?;
        let dx = c.slice_mut::<f32>(8, "dx", n * dm.d)?;
        let dwx = c.slice_mut::<f32>(9, "dwx", dm.d * h4)?;
        let dwh = c.slice_mut::<f32>(10, "dwh", dm.h * h4)?;
        let dbias = c.slice_mut::<f32>(11, "dbias", h4)?;
        let dh0 = c.slice_mut::<f32>(12, "dh0", dm.b * dm.h)?;
        let dc0 = c.slice_mut::<f32>(13, "dc0", dm.b * dm.h)?;
        let norm_grads = match &norm {
            Some(nm) => Some((nm, c.slice_mut::<f32>(20, "dGamma", 4 * dm.h)?, c.slice_mut::<f32>(21, "dBeta", 4 * dm.h)?)),
            None => None,
        };
        check_cell(&dm, &cell)?;
        backward(isa(), threads, dm, &cell, norm_grads, x, wx, wh, h0, ys, cache, dys, dx, dwx, dwh, dbias, dh0, dc0);
        Ok(c.undefined())
    })
}

pub unsafe extern "C" fn dense_xent_train(env: napi_env, cb: napi_callback_info) -> napi_value {
    // (dims [n, k, v, threads], x, w, bias, targets, scale, dx, dw, db: all three or none) → mean loss
    guard(env, cb, 9, |c| {
        let d = c.slice::<i32>(0, "dims", 4)?;
        if d[..3].iter().any(|&v| v <= 0) {
            return Err("dims must be positive".into());
        }
        let (n, k, v, threads) = (d[0] as usize, d[1] as usize, d[2] as usize, d[3].max(1) as usize);
        n.checked_mul(v).and_then(|x| x.checked_mul(4)).filter(|&x| x < isize::MAX as usize).ok_or("dims overflow")?;
        let x = c.slice::<f32>(1, "x", n * k)?;
        let w = c.slice::<f32>(2, "w", v * k)?;
        let bias = c.slice::<f32>(3, "bias", v)?;
        let targets = c.slice::<i32>(4, "targets", n)?;
        if let Some(bad) = targets.iter().position(|&t| t < 0 || t as usize >= v) {
            return Err(format!("target {} is {}, outside [0, {})", bad, targets[bad], v));
        }
        let scale = c.number(5, "scale")? as f32;
        let grads = if c.is_absent(6) { None } else { Some((c.slice_mut::<f32>(6, "dx", n * k)?, c.slice_mut::<f32>(7, "dw", v * k)?, c.slice_mut::<f32>(8, "db", v)?)) };
        Ok(c.double(dense_xent(isa(), threads, n, k, v, x, w, bias, targets, scale, grads)))
    })
}
