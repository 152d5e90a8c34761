//! The integer LSTM layer (§10), MadNorm (§8) and the dense output layer, over packed weights.

use crate::arith::{apply_multiplier, rdiv, rshr, sat};
use crate::gates::gates;
use crate::gemv::{pad_into, Packed, Path};
use crate::pwl::Pwl;

const INT32_MAX: i64 = i32::MAX as i64;

/// MadNorm of one gate (§8).
pub struct MadNorm {
    gamma: Vec<i64>,
    beta: Vec<i64>,
    norm_frac_bits: u32,
    multiplier: i64,
    shift: u32,
    out_bits: u32,
}

impl MadNorm {
    /// One gate's MadNorm from its integer parameters (γ int16, β within int24).
    pub fn new(gamma: Vec<i64>, beta: Vec<i64>, norm_frac_bits: u32, multiplier: i64, shift: u32, out_bits: u32) -> MadNorm {
        MadNorm { gamma, beta, norm_frac_bits, multiplier, shift, out_bits }
    }

    /// Normalize one row of n values in place.
    pub fn apply(&self, x: &mut [i64]) {
        let n = x.len() as i64;
        let mu = rdiv(x.iter().sum(), n);
        let abs_sum: i64 = x.iter().map(|v| (v - mu).abs()).sum();
        let mad = rdiv(abs_sum, n).max(1);
        let inv = rdiv(1 << 23, mad);
        for (j, v) in x.iter_mut().enumerate() {
            let normalized = sat(rshr((*v - mu) * inv, 23 - self.norm_frac_bits), 16);
            let scaled = sat(apply_multiplier(rshr(self.gamma[j] * normalized, self.norm_frac_bits), self.multiplier, self.shift), 24);
            *v = sat(scaled + self.beta[j], self.out_bits);
        }
    }
}

/// One LSTM layer with its weights packed once.
pub struct Lstm {
    pub d: usize,
    pub h: usize,
    wx: Packed,
    wh: Packed,
    bias: Vec<i32>,
    mult_x: Vec<i64>,
    shift_x: Vec<u64>,
    mult_h: Vec<i64>,
    shift_h: Vec<u64>,
    mult_out: i64,
    shift_out: u32,
    cell_shift: u32,
    sigmoid: Pwl,
    tanh_gate: Pwl,
    tanh_cell: Pwl,
    norm: Option<[MadNorm; 4]>,
}

/// A fixed-point multiplier of §4: in [0, 2^21).
pub(crate) fn multiplier(v: i32, what: &str) -> Result<i64, String> {
    if (0..1 << 21).contains(&v) {
        Ok(v as i64)
    } else {
        Err(format!("{} multiplier {} is outside [0, 2^21)", what, v))
    }
}

pub(crate) fn shift(v: i32, what: &str) -> Result<u32, String> {
    if (0..=63).contains(&v) {
        Ok(v as u32)
    } else {
        Err(format!("{} shift {} is outside [0, 63]", what, v))
    }
}

impl Lstm {
    /// Build from the JS side's flat arrays (lengths checked by the caller); proves the accumulator bounds.
    #[allow(clippy::too_many_arguments)]
    pub fn new(wx: &[i8], wh: &[i8], bias: &[i32], mults: &[i32], shifts: &[i32], out: &[i32], d: usize, h: usize, tables: [&[i32]; 3], norm: Option<&[i32]>) -> Result<Lstm, String> {
        let h4 = 4 * h;
        let wxp = Packed::new(wx, h4, d);
        let whp = Packed::new(wh, h4, h);
        if wxp.bound(Some(bias)) > INT32_MAX || whp.bound(None) > INT32_MAX {
            return Err("worst-case accumulator exceeds int32".into());
        }
        if out[2] < 0 || out[2] > 15 {
            return Err("cellFracBits outside [0, 15]".into());
        }
        let norm = match norm {
            None => None,
            Some(p) => {
                // [normFracBits, multiplier, shift, outBits] × 4, then gamma (4H), then beta (4H)
                if p.len() != 16 + 8 * h {
                    return Err("MadNorm parameters have the wrong length".into());
                }
                let gate = |g: usize| -> Result<MadNorm, String> {
                    let (k, m, s, b) = (p[4 * g], p[4 * g + 1], p[4 * g + 2], p[4 * g + 3]);
                    if !(0..=23).contains(&k) || !(2..=16).contains(&b) {
                        return Err("MadNorm fractional bits or width out of range".into());
                    }
                    let gamma = &p[16 + g * h..16 + (g + 1) * h];
                    let beta = &p[16 + h4 + g * h..16 + h4 + (g + 1) * h];
                    if gamma.iter().any(|&v| i16::try_from(v).is_err()) || beta.iter().any(|&v| !(-(1 << 23)..1 << 23).contains(&v)) {
                        return Err("MadNorm gamma outside int16 or beta outside int24".into());
                    }
                    Ok(MadNorm {
                        gamma: gamma.iter().map(|&v| v as i64).collect(),
                        beta: beta.iter().map(|&v| v as i64).collect(),
                        norm_frac_bits: k as u32,
                        multiplier: multiplier(m, "MadNorm")?,
                        shift: shift(s, "MadNorm")?,
                        out_bits: b as u32,
                    })
                };
                Some([gate(0)?, gate(1)?, gate(2)?, gate(3)?])
            }
        };
        Ok(Lstm {
            d,
            h,
            wx: wxp,
            wh: whp,
            bias: bias.to_vec(),
            mult_x: mults[..h4].iter().map(|&v| multiplier(v, "input")).collect::<Result<_, _>>()?,
            mult_h: mults[h4..].iter().map(|&v| multiplier(v, "recurrent")).collect::<Result<_, _>>()?,
            shift_x: shifts[..h4].iter().map(|&v| shift(v, "input").map(u64::from)).collect::<Result<_, _>>()?,
            shift_h: shifts[h4..].iter().map(|&v| shift(v, "recurrent").map(u64::from)).collect::<Result<_, _>>()?,
            mult_out: multiplier(out[0], "output")?,
            shift_out: shift(out[1], "output")?,
            cell_shift: (30 - out[2]) as u32,
            sigmoid: Pwl::unpack(tables[0])?,
            tanh_gate: Pwl::unpack(tables[1])?,
            tanh_cell: Pwl::unpack(tables[2])?,
            norm,
        })
    }

    /// Keep both weight matrices as int4 (every value within -8…7).
    pub fn narrow_to_int4(&mut self) -> Result<(), String> {
        self.wx.narrow_to_int4()?;
        self.wh.narrow_to_int4()
    }

    /// Run over x [B, T, D] from (h0, c0), writing y [B, T, H] and the final states.
    #[allow(clippy::too_many_arguments)]
    pub fn run(&self, path: Path, x: &[i8], b: usize, t: usize, reverse: bool, h0: &[i8], c0: &[i16], y: &mut [i8], h_t: &mut [i8], c_t: &mut [i16]) {
        let (d, h) = (self.d, self.h);
        let h4 = 4 * h;
        let mut xb = Vec::with_capacity(self.wx.stride);
        let mut hb = Vec::with_capacity(self.wh.stride);
        let mut ax = vec![0i32; h4];
        let mut ah = vec![0i32; h4];
        let mut z = vec![0i64; h4];
        let mut hs = vec![0i8; h];
        let mut cs = vec![0i64; h];
        for bi in 0..b {
            hs.copy_from_slice(&h0[bi * h..(bi + 1) * h]);
            for (c, &v) in cs.iter_mut().zip(&c0[bi * h..(bi + 1) * h]) {
                *c = v as i64;
            }
            for s in 0..t {
                let ti = if reverse { t - 1 - s } else { s };
                let at = (bi * t + ti) * d;
                pad_into(&x[at..at + d], &mut xb, self.wx.stride);
                pad_into(&hs, &mut hb, self.wh.stride);
                self.wx.gemv(path, &xb, Some(&self.bias), &mut ax);
                self.wh.gemv(path, &hb, None, &mut ah);
                gates(path, &ax, &ah, &self.mult_x, &self.shift_x, &self.mult_h, &self.shift_h, &mut z);
                if let Some(norm) = &self.norm {
                    for (g, n) in norm.iter().enumerate() {
                        n.apply(&mut z[g * h..(g + 1) * h]);
                    }
                }
                for u in 0..h {
                    // z is saturated to int16 (MadNorm outputs to its width ≤ int24: the general path)
                    let i = self.sigmoid.eval(z[u]);
                    let f = self.sigmoid.eval(z[h + u]);
                    let g = self.tanh_gate.eval(z[2 * h + u]);
                    let o = self.sigmoid.eval(z[3 * h + u]);
                    let c = sat(rshr(f * cs[u], 15) + rshr(i * g, self.cell_shift), 16);
                    cs[u] = c;
                    hs[u] = sat(apply_multiplier(rshr(o * self.tanh_cell.eval16(c), 15), self.mult_out, self.shift_out), 8) as i8;
                    // c is int16
                }
                y[(bi * t + ti) * h..(bi * t + ti + 1) * h].copy_from_slice(&hs);
            }
            h_t[bi * h..(bi + 1) * h].copy_from_slice(&hs);
            for (o, &c) in c_t[bi * h..(bi + 1) * h].iter_mut().zip(&cs) {
                *o = c as i16;
            }
        }
    }
}

/// The dense layer Y = X · Wᵀ + B (int32 out).
pub struct Dense {
    w: Packed,
    bias: Vec<i32>,
    /// Per-row requantization to one output scale (§6b): multiplier and shift per output.
    rescale: Option<(Vec<i64>, Vec<u32>)>,
}

impl Dense {
    pub fn new(w: &[i8], n: usize, k: usize, bias: &[i32]) -> Result<Dense, String> {
        let w = Packed::new(w, n, k);
        if w.bound(Some(bias)) > INT32_MAX {
            return Err("worst-case accumulator exceeds int32".into());
        }
        Ok(Dense { w, bias: bias.to_vec(), rescale: None })
    }

    pub fn cols(&self) -> usize {
        self.w.cols
    }

    /// Keep the weights as int4 (every value within -8…7).
    pub fn narrow_to_int4(&mut self) -> Result<(), String> {
        self.w.narrow_to_int4()
    }

    /// Requantize each output row: requantize(acc, M[n], s[n], 24) (§6b); ranges checked here too.
    pub fn set_rescale(&mut self, mults: &[i32], shifts: &[i32]) -> Result<(), String> {
        if mults.len() != self.w.rows || shifts.len() != self.w.rows {
            return Err("one multiplier and one shift per output row".into());
        }
        let m = mults.iter().map(|&v| multiplier(v, "output")).collect::<Result<Vec<_>, _>>()?;
        let s = shifts.iter().map(|&v| shift(v, "output")).collect::<Result<Vec<_>, _>>()?;
        self.rescale = Some((m, s));
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.w.rows
    }

    /// x [R, K] → out [R, N].
    pub fn run(&self, path: Path, x: &[i8], r: usize, out: &mut [i32]) {
        let (n, k) = (self.w.rows, self.w.cols);
        let mut xb = Vec::with_capacity(self.w.stride);
        for i in 0..r {
            pad_into(&x[i * k..(i + 1) * k], &mut xb, self.w.stride);
            let row = &mut out[i * n..(i + 1) * n];
            self.w.gemv(path, &xb, Some(&self.bias), row);
            if let Some((m, s)) = &self.rescale {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = sat(apply_multiplier(*v as i64, m[j], s[j]), 24) as i32;
                }
            }
        }
    }
}

/// Integer dot-product attention (§9a).
pub struct Attention {
    multiplier: i64,
    shift: u32,
    exp: Pwl,
}

impl Attention {
    pub fn new(multiplier: i32, shift_v: i32, exp: &[i32]) -> Result<Attention, String> {
        Ok(Attention { multiplier: self::multiplier(multiplier, "score")?, shift: shift(shift_v, "score")?, exp: Pwl::unpack(exp)? })
    }

    /// q [B, T, D] over keys [B, S, D] → out [B, T, D].
    #[allow(clippy::too_many_arguments)]
    pub fn run(&self, q: &[i8], k: &[i8], b: usize, t: usize, s: usize, d: usize, out: &mut [i8]) -> Result<(), String> {
        let mut x = vec![0i64; s];
        let mut e = vec![0i64; s];
        for bi in 0..b {
            let keys = &k[bi * s * d..(bi + 1) * s * d];
            for ti in 0..t {
                let qv = &q[(bi * t + ti) * d..(bi * t + ti + 1) * d];
                for j in 0..s {
                    let dot: i64 = keys[j * d..(j + 1) * d].iter().zip(qv).map(|(a, b)| *a as i64 * *b as i64).sum();
                    x[j] = sat(apply_multiplier(dot, self.multiplier, self.shift), 16);
                }
                let max = *x.iter().max().unwrap();
                let mut sum = 0i64;
                for j in 0..s {
                    e[j] = self.exp.eval(x[j] - max);
                    if e[j] < 0 {
                        return Err("exp table gives a negative value".into());
                    }
                    sum += e[j];
                }
                if sum == 0 {
                    return Err("exp table gives 0 at input 0".into());
                }
                for ej in e.iter_mut() {
                    *ej = rdiv(*ej * 256, sum); // the weights at 2^-8
                }
                let o = &mut out[(bi * t + ti) * d..(bi * t + ti + 1) * d];
                for (di, ov) in o.iter_mut().enumerate() {
                    let mut acc = 0i64;
                    for j in 0..s {
                        acc += e[j] * keys[j * d + di] as i64;
                    }
                    *ov = sat(rshr(acc, 8), 8) as i8;
                }
            }
        }
        Ok(())
    }
}
