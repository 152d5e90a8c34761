//! One LSTM layer over a whole sequence for training: the forward pass keeps, per step, what the
//! backward pass needs, and the backward pass returns the gradients of the inputs and weights.
//!
//! Two cells share one backward pass:
//! - `Float`: c = f·c' + i·g, h = o·tanh(c) with σ and tanh (QLstm.forwardFloat).
//! - `Qat`: the integer cell of docs/integer-semantics.md §10, computed exactly (the same integers as
//!   runtime-core's lstmStepReference and QLstm.forwardQat), and the straight-through gradient that
//!   QLstm.forwardQat's tfjs ops define: a rescaling passes its ratio M·2^-n, a product shifted by n
//!   passes the product rule times 2^-n, a PWL passes its table's local slope, a saturation passes
//!   only inside its range.
//!
//! Layouts are TensorFlow.js's: x [B, T, D], Wx [D, 4H], Wh [H, 4H], gate columns i, f, g, o.
//! Rows of the per-step buffers are indexed r = b·T + t.

use super::scratch::scratch;
use super::sgemm::{gemm, sgemm, Isa, Mat, PackedB};
use crate::arith::{apply_multiplier, rshr, sat};
use crate::lstm::MadNorm;

/// A PWL activation as the QAT forward uses it: its value and straight-through slope on every
/// int16 input (index q + 32768), as packages/qat's makePwlLookup builds them.
pub struct Lut<'a> {
    pub values: &'a [f32],
    pub slopes: &'a [f32],
}

impl<'a> Lut<'a> {
    #[inline(always)]
    fn at(&self, q: i64) -> (i64, f32) {
        let i = (q.clamp(-32768, 32767) + 32768) as usize;
        (self.values[i] as i64, self.slopes[i])
    }
}

/// The integer cell's constants (one layer).
pub struct Qat<'a> {
    pub mult_x: &'a [i32],
    pub shift_x: &'a [i32],
    pub mult_h: &'a [i32],
    pub shift_h: &'a [i32],
    pub mult_out: i32,
    pub shift_out: i32,
    pub cell_frac_bits: i32,
    pub sigmoid: Lut<'a>,
    pub tanh_gate: Lut<'a>,
    pub tanh_cell: Lut<'a>,
}

impl<'a> Qat<'a> {
    fn ratio(m: i32, s: i32) -> f32 {
        (m as f64 * (-(s as f64)).exp2()) as f32
    }
}

pub enum Cell<'a> {
    Float,
    Qat(Qat<'a>),
}

/**
 * MadNorm of each gate's H pre-activations (docs/integer-semantics.md §8), trained with the
 * gradient of the float MadNorm y = γ·r·(x − mean)/(mean|x − mean| + ε) + β taken at x = z·inScale
 * (the surrogate of qat/mad-norm.ts; in float mode inScale = r = 1 and it is the exact gradient).
 */
pub struct Norm<'a> {
    /// γ and β [4, H]: float, or in QAT the integers (γ int16, β within int24).
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
    pub in_scale: f32,
    /// s_γ / s_out in QAT, 1 in float mode.
    pub ratio: f32,
    pub eps: f32,
    /// QAT: normFracBits, multiplier, shift (the output width is 16).
    pub int: Option<(u32, i64, u32)>,
}
/// Sizes of one call.
#[derive(Clone, Copy)]
pub struct Dims {
    pub b: usize,
    pub t: usize,
    pub d: usize,
    pub h: usize,
}

/// f32 values kept per row r for the backward pass, in planes of the cache: activations 4H, their
/// derivatives 4H, the z saturation mask 4H, c' H, τ H, τ' H, the c mask H, the h factor H, and
/// with MadNorm the real pre-normalization values 4H.
const PLANES: usize = 17;
const NORM_PLANES: usize = 4;

impl Dims {
    pub fn rows(&self) -> usize {
        self.b * self.t
    }
    /// Length of the cache buffer a forward call fills.
    pub fn cache_len(&self, norm: bool) -> usize {
        self.rows() * (PLANES + if norm { NORM_PLANES } else { 0 }) * self.h
    }
    /// Plane offsets: act, dact, mz, c', τ, τ', mc, kh, xpre.
    fn planes(&self) -> [usize; 9] {
        let (n, h) = (self.rows(), self.h);
        [0, 4 * n * h, 8 * n * h, 12 * n * h, 13 * n * h, 14 * n * h, 15 * n * h, 16 * n * h, 17 * n * h]
    }
}

/// Check the integer cell's constants (the binding layer checks every array's length as it reads it).
pub fn check_cell(d: &Dims, cell: &Cell) -> Result<(), String> {
    if let Cell::Qat(q) = cell {
        let h4 = 4 * d.h;
        for (name, v) in [("multX", q.mult_x), ("shiftX", q.shift_x), ("multH", q.mult_h), ("shiftH", q.shift_h)] {
            if v.len() != h4 {
                return Err(format!("{} has {} elements, expected {}", name, v.len(), h4));
            }
        }
        for v in q.shift_x.iter().chain(q.shift_h) {
            if !(0..=63).contains(v) {
                return Err(format!("shift {} is outside [0, 63]", v));
            }
        }
        if !(0..=63).contains(&q.shift_out) || !(0..=15).contains(&q.cell_frac_bits) {
            return Err("output shift or cellFracBits out of range".into());
        }
        for l in [&q.sigmoid, &q.tanh_gate, &q.tanh_cell] {
            if l.values.len() != 65536 || l.slopes.len() != 65536 {
                return Err("a PWL lookup must have 65536 values and slopes".into());
            }
        }
    }
    Ok(())
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Forward over the sequence: ys [B, T, H], final states, and the cache for `backward`.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    isa: Isa,
    threads: usize,
    dm: Dims,
    cell: &Cell,
    norm: Option<&Norm>,
    x: &[f32],
    wx: &[f32],
    wh: &[f32],
    bias: &[f32],
    h0: &[f32],
    c0: &[f32],
    ys: &mut [f32],
    h_t: &mut [f32],
    c_t: &mut [f32],
    cache: &mut [f32],
) {
    let Dims { b, t, d, h } = dm;
    let h4 = 4 * h;
    let n = dm.rows();
    let [p_act, p_dact, p_mz, p_cprev, p_tau, p_dtau, p_mc, p_kh, p_xpre] = dm.planes();
    // every input row's x·Wx at once
    let mut ax = scratch(n * h4);
    sgemm(isa, threads, n, h4, d, Mat::rows(x, d), Mat::rows(wx, h4), &mut ax, h4, false);
    let pwh = PackedB::new(isa, Mat::rows(wh, h4), h, h4);
    let mut hw = scratch(b * h4);
    let mut c = c0.to_vec();
    let kh_scale = match cell {
        Cell::Qat(q) => Qat::ratio(q.mult_out, q.shift_out) * 2f32.powi(-15),
        Cell::Float => 1.0,
    };
    // the integer MadNorm of each gate, from the (integer-valued) γ and β of this call
    let int_norms: Option<Vec<MadNorm>> = norm.and_then(|nm| {
        nm.int.map(|(k, m, sh)| {
            (0..4).map(|g| MadNorm::new(nm.gamma[g * h..(g + 1) * h].iter().map(|&v| v as i64).collect(), nm.beta[g * h..(g + 1) * h].iter().map(|&v| v as i64).collect(), k, m, sh, 16)).collect()
        })
    });
    let mut zf = vec![0f32; h4];
    let mut zi = vec![0i64; h4];
    for s in 0..t {
        // h_{t-1}·Wh for the B rows of this step
        if s == 0 {
            gemm(threads, b, Mat::rows(h0, h), &pwh, &mut hw, h4, false);
        } else {
            gemm(threads, b, Mat { data: &ys[(s - 1) * h..], rs: t * h, cs: 1 }, &pwh, &mut hw, h4, false);
        }
        for bi in 0..b {
            let r = bi * t + s;
            let axr = &ax[r * h4..(r + 1) * h4];
            let hwr = &hw[bi * h4..(bi + 1) * h4];
            // 1. the gate pre-activations z (and the saturation mask in QAT)
            for col in 0..h4 {
                let mz = match cell {
                    Cell::Float => {
                        zf[col] = axr[col] + bias[col] + hwr[col];
                        1.0
                    }
                    Cell::Qat(q) => {
                        let a = axr[col] as i64 + bias[col] as i64;
                        let zx = sat(apply_multiplier(a, q.mult_x[col] as i64, q.shift_x[col] as u32), 24);
                        let zh = sat(apply_multiplier(hwr[col] as i64, q.mult_h[col] as i64, q.shift_h[col] as u32), 24);
                        let zs = zx + zh;
                        zi[col] = sat(zs, 16);
                        if zs == zi[col] {
                            1.0
                        } else {
                            0.0
                        }
                    }
                };
                cache[p_mz + r * h4 + col] = mz;
            }
            // 2. MadNorm of each gate's H values
            if let Some(nm) = norm {
                for col in 0..h4 {
                    cache[p_xpre + r * h4 + col] = match cell {
                        Cell::Float => zf[col],
                        Cell::Qat(_) => zi[col] as f32 * nm.in_scale,
                    };
                }
                match &int_norms {
                    Some(norms) => {
                        for (g, mn) in norms.iter().enumerate() {
                            mn.apply(&mut zi[g * h..(g + 1) * h]);
                        }
                    }
                    None => {
                        for g in 0..4 {
                            let row = &mut zf[g * h..(g + 1) * h];
                            let mean = row.iter().sum::<f32>() / h as f32;
                            let m = row.iter().map(|v| (v - mean).abs()).sum::<f32>() / h as f32 + nm.eps;
                            for (u, v) in row.iter_mut().enumerate() {
                                *v = (*v - mean) / m * nm.gamma[g * h + u] + nm.beta[g * h + u];
                            }
                        }
                    }
                }
            }
            // 3. activations, cell and hidden state per unit
            let mut a = [0f32; 4];
            let mut da = [0f32; 4];
            for u in 0..h {
                let cp = c[bi * h + u];
                let (cn, tau, dtau, mc, hv, kh);
                match cell {
                    Cell::Float => {
                        for g in 0..4 {
                            let pre = zf[g * h + u];
                            let v = if g == 2 { pre.tanh() } else { sigmoid(pre) };
                            a[g] = v;
                            da[g] = if g == 2 { 1.0 - v * v } else { v * (1.0 - v) };
                        }
                        cn = a[1] * cp + a[0] * a[2];
                        tau = cn.tanh();
                        dtau = 1.0 - tau * tau;
                        mc = 1.0;
                        hv = a[3] * tau;
                        kh = 1.0;
                    }
                    Cell::Qat(q) => {
                        for g in 0..4 {
                            let lut = if g == 2 { &q.tanh_gate } else { &q.sigmoid };
                            let (v, slope) = lut.at(zi[g * h + u]);
                            a[g] = v as f32;
                            da[g] = slope;
                        }
                        let (i, f, g, o) = (a[0] as i64, a[1] as i64, a[2] as i64, a[3] as i64);
                        let cs = rshr(f * cp as i64, 15) + rshr(i * g, (30 - q.cell_frac_bits) as u32);
                        let cq = sat(cs, 16);
                        let (tv, ts) = q.tanh_cell.at(cq);
                        let hr = sat(apply_multiplier(rshr(o * tv, 15), q.mult_out as i64, q.shift_out as u32), 24);
                        let hq = sat(hr, 8);
                        cn = cq as f32;
                        tau = tv as f32;
                        dtau = ts;
                        mc = if cq == cs { 1.0 } else { 0.0 };
                        hv = hq as f32;
                        kh = if hq == hr { kh_scale } else { 0.0 };
                    }
                }
                for g in 0..4 {
                    cache[p_act + r * h4 + g * h + u] = a[g];
                    cache[p_dact + r * h4 + g * h + u] = da[g];
                }
                cache[p_cprev + r * h + u] = cp;
                cache[p_tau + r * h + u] = tau;
                cache[p_dtau + r * h + u] = dtau;
                cache[p_mc + r * h + u] = mc;
                cache[p_kh + r * h + u] = kh;
                c[bi * h + u] = cn;
                ys[r * h + u] = hv;
            }
        }
    }
    for bi in 0..b {
        h_t[bi * h..(bi + 1) * h].copy_from_slice(&ys[(bi * t + t - 1) * h..(bi * t + t) * h]);
    }
    c_t.copy_from_slice(&c);
}

/// The surrogate MadNorm gradient of one gate row (qat/mad-norm.ts madNormSurrogateGrads): with
/// d = x − mean x, m = mean|d| + ε, g = dy·γ·r and s = sign d: dx = ((g − mean g)/m − mean(g·d)/m²·(s − mean s))·inScale;
/// dγ += dy·r·d/m, dβ += dy.
fn mad_norm_backward(dy: &mut [f32], xpre: &[f32], gamma: &[f32], nm: &Norm, dgamma: &mut [f32], dbeta: &mut [f32]) {
    let h = dy.len() as f32;
    let mean = xpre.iter().sum::<f32>() / h;
    let m = xpre.iter().map(|v| (v - mean).abs()).sum::<f32>() / h + nm.eps;
    let sign = |v: f32| {
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    let (mut mg, mut mgd, mut ms) = (0f32, 0f32, 0f32);
    for u in 0..dy.len() {
        let d = xpre[u] - mean;
        let g = dy[u] * gamma[u] * nm.ratio;
        mg += g;
        mgd += g * d;
        ms += sign(d);
        dgamma[u] += dy[u] * nm.ratio * d / m;
        dbeta[u] += dy[u];
    }
    let (mg, mgd, ms) = (mg / h, mgd / h, ms / h);
    for u in 0..dy.len() {
        let d = xpre[u] - mean;
        let g = dy[u] * gamma[u] * nm.ratio;
        dy[u] = ((g - mg) / m - mgd / (m * m) * (sign(d) - ms)) * nm.in_scale;
    }
}

/// Gradients of one layer given dL/dys [B, T, H] and the cache of its forward pass: dx [B, T, D],
/// dWx [D, 4H], dWh [H, 4H], dbias [4H], dh0 and dc0 [B, H], and with MadNorm dγ, dβ [4, H].
#[allow(clippy::too_many_arguments)]
pub fn backward(
    isa: Isa,
    threads: usize,
    dm: Dims,
    cell: &Cell,
    norm: Option<(&Norm, &mut [f32], &mut [f32])>,
    x: &[f32],
    wx: &[f32],
    wh: &[f32],
    h0: &[f32],
    ys: &[f32],
    cache: &[f32],
    dys: &[f32],
    dx: &mut [f32],
    dwx: &mut [f32],
    dwh: &mut [f32],
    dbias: &mut [f32],
    dh0: &mut [f32],
    dc0: &mut [f32],
) {
    let Dims { b, t, d, h } = dm;
    let h4 = 4 * h;
    let n = dm.rows();
    let [p_act, p_dact, p_mz, p_cprev, p_tau, p_dtau, p_mc, p_kh, p_xpre] = dm.planes();
    let (alpha, beta, rx, rh): (f32, f32, Vec<f32>, Vec<f32>) = match cell {
        Cell::Float => (1.0, 1.0, vec![1.0; h4], vec![1.0; h4]),
        Cell::Qat(q) => {
            (2f32.powi(-15), 2f32.powi(-(30 - q.cell_frac_bits)), (0..h4).map(|r| Qat::ratio(q.mult_x[r], q.shift_x[r])).collect(), (0..h4).map(|r| Qat::ratio(q.mult_h[r], q.shift_h[r])).collect())
        }
    };
    let mut norm = norm;
    if let Some((_, dg, db)) = norm.as_mut() {
        dg.iter_mut().for_each(|v| *v = 0.0);
        db.iter_mut().for_each(|v| *v = 0.0);
    }
    let mut dzx = scratch(n * h4);
    let mut dzh = scratch(n * h4);
    let mut dh_rec = vec![0f32; b * h];
    let mut dc = vec![0f32; b * h];
    let mut dz = vec![0f32; h4];
    let pwh_t = PackedB::new(isa, Mat::transposed(wh, h4), h4, h);
    for s in (0..t).rev() {
        for bi in 0..b {
            let r = bi * t + s;
            let act = &cache[p_act + r * h4..p_act + (r + 1) * h4];
            let dact = &cache[p_dact + r * h4..p_dact + (r + 1) * h4];
            for u in 0..h {
                let dh = dys[r * h + u] + dh_rec[bi * h + u];
                let (i, f, g, o) = (act[u], act[h + u], act[2 * h + u], act[3 * h + u]);
                let kh = cache[p_kh + r * h + u];
                let tau = cache[p_tau + r * h + u];
                let d_o = dh * kh * tau;
                let d_tau = dh * kh * o;
                let dct = (dc[bi * h + u] + d_tau * cache[p_dtau + r * h + u]) * cache[p_mc + r * h + u];
                dc[bi * h + u] = dct * f * alpha;
                let df = dct * cache[p_cprev + r * h + u] * alpha;
                let di = dct * g * beta;
                let dg = dct * i * beta;
                for (gate, dv) in [di, df, dg, d_o].iter().enumerate() {
                    let col = gate * h + u;
                    dz[col] = dv * dact[col];
                }
            }
            if let Some((nm, dgamma, dbeta)) = norm.as_mut() {
                for g in 0..4 {
                    let span = g * h..(g + 1) * h;
                    mad_norm_backward(&mut dz[span.clone()], &cache[p_xpre + r * h4 + g * h..p_xpre + r * h4 + (g + 1) * h], &nm.gamma[span.clone()], nm, &mut dgamma[span.clone()], &mut dbeta[span]);
                }
            }
            for col in 0..h4 {
                let dzv = dz[col] * cache[p_mz + r * h4 + col];
                dzx[r * h4 + col] = dzv * rx[col];
                dzh[r * h4 + col] = dzv * rh[col];
            }
        }
        // the recurrent gradient into h_{t-1}
        gemm(threads, b, Mat { data: &dzh[s * h4..], rs: t * h4, cs: 1 }, &pwh_t, &mut dh_rec, h, false);
    }
    dh0.copy_from_slice(&dh_rec);
    dc0.copy_from_slice(&dc);
    // h_{t-1} of every row
    let mut hprev = scratch(n * h);
    for bi in 0..b {
        for s in 0..t {
            let r = bi * t + s;
            let src = if s == 0 { &h0[bi * h..(bi + 1) * h] } else { &ys[(r - 1) * h..r * h] };
            hprev[r * h..(r + 1) * h].copy_from_slice(src);
        }
    }
    sgemm(isa, threads, h, h4, n, Mat::transposed(&hprev, h), Mat::rows(&dzh, h4), dwh, h4, false);
    sgemm(isa, threads, d, h4, n, Mat::transposed(x, d), Mat::rows(&dzx, h4), dwx, h4, false);
    sgemm(isa, threads, n, d, h4, Mat::rows(&dzx, h4), Mat::transposed(wx, h4), dx, d, false);
    dbias.iter_mut().for_each(|v| *v = 0.0);
    for r in 0..n {
        for (acc, v) in dbias.iter_mut().zip(&dzx[r * h4..(r + 1) * h4]) {
            *acc += v;
        }
    }
}
