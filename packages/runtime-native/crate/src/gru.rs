//! The integer GRU layer (docs/integer-semantics.md §10b) over packed weights: the step numbers of
//! §10b in the comments, bit-exact with runtime-core's gruStepReference.

use crate::arith::{apply_multiplier, rshr, sat};
use crate::gates::{gates, requant24};
use crate::gemv::{pad_into, Packed, Path};
use crate::lstm::{multiplier, shift};
use crate::pwl::Pwl;

const INT32_MAX: i64 = i32::MAX as i64;

/// One GRU layer (gates z, r, n) with its weights packed once.
pub struct Gru {
    pub d: usize,
    pub h: usize,
    wx: Packed,
    wh: Packed,
    bias_x: Vec<i32>,
    bias_h: Vec<i32>,
    mult_x: Vec<i64>,
    shift_x: Vec<u64>,
    mult_h: Vec<i64>,
    shift_h: Vec<u64>,
    mult_prev: i64,
    shift_prev: u32,
    mult_out: i64,
    shift_out: u32,
    sigmoid: Pwl,
    tanh_gate: Pwl,
}

impl Gru {
    /// Build from the JS side's flat arrays: biases [input 3H; recurrent 3H], multipliers and shifts
    /// [input 3H; recurrent 3H], out [multPrev, shiftPrev, multOut, shiftOut] (lengths checked by the
    /// binding); proves the accumulator bounds.
    #[allow(clippy::too_many_arguments)]
    pub fn new(wx: &[i8], wh: &[i8], biases: &[i32], mults: &[i32], shifts: &[i32], out: &[i32], d: usize, h: usize, tables: [&[i32]; 2]) -> Result<Gru, String> {
        let h3 = 3 * h;
        let wxp = Packed::new(wx, h3, d);
        let whp = Packed::new(wh, h3, h);
        let (bias_x, bias_h) = (&biases[..h3], &biases[h3..]);
        if wxp.bound(Some(bias_x)) > INT32_MAX || whp.bound(Some(bias_h)) > INT32_MAX {
            return Err("worst-case accumulator exceeds int32".into());
        }
        Ok(Gru {
            d,
            h,
            wx: wxp,
            wh: whp,
            bias_x: bias_x.to_vec(),
            bias_h: bias_h.to_vec(),
            mult_x: mults[..h3].iter().map(|&v| multiplier(v, "input")).collect::<Result<_, _>>()?,
            mult_h: mults[h3..].iter().map(|&v| multiplier(v, "recurrent")).collect::<Result<_, _>>()?,
            shift_x: shifts[..h3].iter().map(|&v| shift(v, "input").map(u64::from)).collect::<Result<_, _>>()?,
            shift_h: shifts[h3..].iter().map(|&v| shift(v, "recurrent").map(u64::from)).collect::<Result<_, _>>()?,
            mult_prev: multiplier(out[0], "previous state")?,
            shift_prev: shift(out[1], "previous state")?,
            mult_out: multiplier(out[2], "output")?,
            shift_out: shift(out[3], "output")?,
            sigmoid: Pwl::unpack(tables[0])?,
            tanh_gate: Pwl::unpack(tables[1])?,
        })
    }

    /// Keep both weight matrices as int4 (every value within -8…7).
    pub fn narrow_to_int4(&mut self) -> Result<(), String> {
        self.wx.narrow_to_int4()?;
        self.wh.narrow_to_int4()
    }

    /// Run over x [B, T, D] from h0, writing y [B, T, H] and the final state.
    #[allow(clippy::too_many_arguments)]
    pub fn run(&self, path: Path, x: &[i8], b: usize, t: usize, reverse: bool, h0: &[i8], y: &mut [i8], h_t: &mut [i8]) {
        let (d, h) = (self.d, self.h);
        let h2 = 2 * h;
        let mut xb = Vec::with_capacity(self.wx.stride);
        let mut hb = Vec::with_capacity(self.wh.stride);
        let mut ax = vec![0i32; 3 * h];
        let mut ah = vec![0i32; 3 * h];
        let mut zr = vec![0i64; h2];
        let mut hs = vec![0i8; h];
        for bi in 0..b {
            hs.copy_from_slice(&h0[bi * h..(bi + 1) * h]);
            for s in 0..t {
                let ti = if reverse { t - 1 - s } else { s };
                let at = (bi * t + ti) * d;
                pad_into(&x[at..at + d], &mut xb, self.wx.stride);
                pad_into(&hs, &mut hb, self.wh.stride);
                self.wx.gemv(path, &xb, Some(&self.bias_x), &mut ax); // step 1
                self.wh.gemv(path, &hb, Some(&self.bias_h), &mut ah); // step 2
                gates(path, &ax, &ah, &self.mult_x, &self.shift_x, &self.mult_h, &self.shift_h, &mut zr); // step 3, z and r rows
                for u in 0..h {
                    let z = self.sigmoid.eval16(zr[u]); // step 4
                    let r = self.sigmoid.eval16(zr[h + u]);
                    let k = h2 + u;
                    let cx = requant24(ax[k], self.mult_x[k], self.shift_x[k]); // step 5
                    let ch = requant24(ah[k], self.mult_h[k], self.shift_h[k]);
                    let n = self.tanh_gate.eval16(sat(cx + rshr(ch * r, 15), 16)); // steps 6-7
                    let p = sat(apply_multiplier(hs[u] as i64, self.mult_prev, self.shift_prev), 16); // step 8
                    let v = n + rshr(z * (p - n), 15); // step 9
                    hs[u] = sat(apply_multiplier(v, self.mult_out, self.shift_out), 8) as i8;
                    // step 10
                }
                y[(bi * t + ti) * h..(bi * t + ti + 1) * h].copy_from_slice(&hs);
            }
            h_t[bi * h..(bi + 1) * h].copy_from_slice(&hs);
        }
    }
}
