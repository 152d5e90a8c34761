//! PWL evaluation (§7), bit-exact with runtime-core's pwlEval, by binary search over the knots.

use crate::arith::{rshr, sat};

/// A validated PWL table (validated on the JS side by runtime-core before it is packed).
pub struct Pwl {
    /// pwlEval of every int16 input, when the outputs fit int16: one load instead of a search.
    lut: Option<Vec<i16>>,
    knots: Vec<i64>,
    values: Vec<i64>,
    slopes: Vec<i64>,
    frac_bits: u32,
    out_bits: u32,
    symmetric: bool,
    center: i64,
}

impl Pwl {
    /// Unpack [K, fracBits, outBits, symmetry, center, knots…, values…, slopes… (K-1)].
    pub fn unpack(p: &[i32]) -> Result<Pwl, String> {
        if p.len() < 5 {
            return Err("PWL table header is short".into());
        }
        let k = p[0] as usize;
        if k < 1 || p.len() != 5 + 3 * k - 1 {
            return Err(format!("PWL table of {} knots has {} entries", k, p.len()));
        }
        let (frac_bits, out_bits) = (p[1], p[2]);
        // every table the ops read is int16 (docs/onnx-format.md, value ranges)
        if !(0..=30).contains(&frac_bits) || !(2..=16).contains(&out_bits) {
            return Err("PWL table fracBits or outBits out of range".into());
        }
        if !(0..=2).contains(&p[3]) {
            return Err(format!("PWL symmetry code {} is not 0, 1 or 2", p[3]));
        }
        let knots: Vec<i64> = p[5..5 + k].iter().map(|&v| v as i64).collect();
        if knots.windows(2).any(|w| w[1] <= w[0]) {
            return Err("PWL knots are not strictly increasing".into());
        }
        let (values, slopes) = (&p[5 + k..5 + 2 * k], &p[5 + 2 * k..]);
        let half = 1i64 << (out_bits - 1);
        if values.iter().any(|&v| (v as i64) < -half || (v as i64) >= half) {
            return Err("PWL value outside its width".into());
        }
        // the interpolation product stays exact in float64 for the JS engines: refuse what they refuse
        if knots.windows(2).zip(slopes).any(|(w, &m)| !matches!((w[1] - w[0]).checked_mul((m as i64).abs()), Some(x) if x <= 1i64 << 53)) {
            return Err("PWL interpolation product can exceed 2^53".into());
        }
        let mut t = Pwl {
            lut: None,
            knots,
            values: p[5 + k..5 + 2 * k].iter().map(|&v| v as i64).collect(),
            slopes: p[5 + 2 * k..].iter().map(|&v| v as i64).collect(),
            frac_bits: frac_bits as u32,
            out_bits: out_bits as u32,
            symmetric: p[3] != 0,
            center: p[4] as i64,
        };
        if t.out_bits <= 16 {
            t.lut = Some((-32768i64..=32767).map(|q| t.eval_search(q) as i16).collect());
        }
        Ok(t)
    }

    /// pwlEval of an input the caller knows to be within int16 (gate pre-activations, the cell).
    #[inline(always)]
    pub fn eval16(&self, q: i64) -> i64 {
        match &self.lut {
            Some(l) => l[(q + 32768) as usize] as i64,
            None => self.eval_search(q),
        }
    }

    /// pwlEval of any input.
    #[inline]
    pub fn eval(&self, q: i64) -> i64 {
        if (-32768..=32767).contains(&q) {
            self.eval16(q)
        } else {
            self.eval_search(q)
        }
    }

    /// The knot search alone (tests compare it with the lookup table).
    pub fn eval_search_for_test(&self, q: i64) -> i64 {
        self.eval_search(q)
    }

    fn eval_search(&self, q: i64) -> i64 {
        if self.symmetric && q < 0 {
            return sat(self.center - self.eval_search(-q), self.out_bits);
        }
        let last = self.knots.len() - 1;
        if q <= self.knots[0] {
            return self.values[0];
        }
        if q >= self.knots[last] {
            return self.values[last];
        }
        // largest j with knots[j] <= q (knots[0] < q < knots[last])
        let (mut lo, mut hi) = (0usize, last);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.knots[mid] <= q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        sat(self.values[lo] + rshr((q - self.knots[lo]) * self.slopes[lo], self.frac_bits), self.out_bits)
    }
}
