//! PWL evaluation (§7), bit-exact with runtime-core's pwlEval, by binary search over the knots.

use crate::arith::{rshr, sat};

/// A validated PWL table (validated on the JS side by runtime-core before it is packed).
pub struct Pwl {
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
        if !(0..=30).contains(&frac_bits) || !(2..=32).contains(&out_bits) {
            return Err("PWL table fracBits or outBits out of range".into());
        }
        let knots: Vec<i64> = p[5..5 + k].iter().map(|&v| v as i64).collect();
        if knots.windows(2).any(|w| w[1] <= w[0]) {
            return Err("PWL knots are not strictly increasing".into());
        }
        Ok(Pwl {
            knots,
            values: p[5 + k..5 + 2 * k].iter().map(|&v| v as i64).collect(),
            slopes: p[5 + 2 * k..].iter().map(|&v| v as i64).collect(),
            frac_bits: frac_bits as u32,
            out_bits: out_bits as u32,
            symmetric: p[3] != 0,
            center: p[4] as i64,
        })
    }

    #[inline]
    pub fn eval(&self, q: i64) -> i64 {
        if self.symmetric && q < 0 {
            return sat(self.center - self.eval(-q), self.out_bits);
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
