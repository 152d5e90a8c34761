//! The output layer fused with its loss: logits = s·(X·Wᵀ + b), mean softmax cross-entropy against
//! integer targets, and every gradient in the same call (the loss's only consumer is the optimizer,
//! so nothing is gained by keeping the [N, V] logits for a later backward pass).

use super::scratch::scratch;
use super::sgemm::{sgemm, Isa, Mat};

/// exp(x) for x ≤ 0 (logits minus their row maximum), with about 2 ulp of error: Cody-Waite range
/// reduction and a degree-6 polynomial, written so that LLVM vectorizes the loop (libm's expf
/// does not vectorize, and 11 M of them per step cost more than the matrix products).
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    let x = x.max(-87.0);
    const MAGIC: f32 = 12582912.0; // 1.5 · 2^23: adding it rounds to an integer
    let n = (x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_52 + r * (0.008_333_6 + r * 0.001_394_3)))));
    let scale = f32::from_bits(((n as i32 + 127) << 23) as u32);
    p * scale
}

/// Sixteen lanes: strict float sums and maxima vectorize only when the code names its lanes.
const LANES: usize = 16;

#[inline(always)]
fn softmax_body(rows: &mut [f32], v: usize, targets: &[i32], scale: f32, inv_n: f32) -> f64 {
    let mut loss = 0f64;
    for (row, &tgt) in rows.chunks_exact_mut(v).zip(targets) {
        let mut mx = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for c in &mut chunks {
            for (m, x) in mx.iter_mut().zip(c.iter_mut()) {
                *x *= scale;
                *m = if *x > *m { *x } else { *m };
            }
        }
        let mut max = mx.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        for x in chunks.into_remainder() {
            *x *= scale;
            max = max.max(*x);
        }
        let t = tgt as usize;
        let target_logit = row[t];
        let mut acc = [0f32; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for c in &mut chunks {
            for (a, x) in acc.iter_mut().zip(c.iter_mut()) {
                *x = exp_nonpositive(*x - max);
                *a += *x;
            }
        }
        let mut sum: f32 = acc.iter().sum();
        for x in chunks.into_remainder() {
            *x = exp_nonpositive(*x - max);
            sum += *x;
        }
        loss += (sum as f64).ln() + (max - target_logit) as f64;
        let k = inv_n * scale / sum;
        for x in row.iter_mut() {
            *x *= k;
        }
        row[t] -= inv_n * scale;
    }
    loss
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn softmax_avx512(rows: &mut [f32], v: usize, targets: &[i32], scale: f32, inv_n: f32) -> f64 {
    softmax_body(rows, v, targets, scale, inv_n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_avx2(rows: &mut [f32], v: usize, targets: &[i32], scale: f32, inv_n: f32) -> f64 {
    softmax_body(rows, v, targets, scale, inv_n)
}

/// Softmax rows in place, turned into the gradient of the mean loss; returns the loss sum.
fn softmax_rows(isa: Isa, rows: &mut [f32], v: usize, targets: &[i32], scale: f32, inv_n: f32) -> f64 {
    match isa {
        // SAFETY: the ISA is only chosen when the CPU has it (Isa::detect).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { softmax_avx512(rows, v, targets, scale, inv_n) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { softmax_avx2(rows, v, targets, scale, inv_n) },
        _ => softmax_body(rows, v, targets, scale, inv_n),
    }
}

/// Mean loss over the n rows; writes dx [n, k], dw [v, k], db [v] when given (evaluation needs the
/// loss only). Targets are checked by the caller.
#[allow(clippy::too_many_arguments)]
pub fn dense_xent(isa: Isa, threads: usize, n: usize, k: usize, v: usize, x: &[f32], w: &[f32], bias: &[f32], targets: &[i32], scale: f32, grads: Option<(&mut [f32], &mut [f32], &mut [f32])>) -> f64 {
    let mut g = scratch(n * v);
    for row in g.chunks_exact_mut(v) {
        row.copy_from_slice(bias);
    }
    sgemm(isa, threads, n, v, k, Mat::rows(x, k), Mat::transposed(w, k), &mut g, v, true);
    let inv_n = 1.0 / n as f32;
    let t = threads.max(1).min(n);
    let chunk = (n + t - 1) / t;
    let loss: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = g.chunks_mut(chunk * v).zip(targets.chunks(chunk)).map(|(rows, tg)| s.spawn(move || softmax_rows(isa, rows, v, tg, scale, inv_n))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let (dx, dw, db) = match grads {
        Some(g) => g,
        None => return loss / n as f64,
    };
    sgemm(isa, threads, n, k, v, Mat::rows(&g, v), Mat::rows(w, k), dx, k, false);
    sgemm(isa, threads, v, k, n, Mat::transposed(&g, v), Mat::rows(x, k), dw, k, false);
    column_sums(&g, v, db);
    loss / n as f64
}

/// db[j] = Σ_rows g[row][j], rows in order (deterministic).
fn column_sums(g: &[f32], v: usize, db: &mut [f32]) {
    db.iter_mut().for_each(|d| *d = 0.0);
    for row in g.chunks_exact(v) {
        for (d, gv) in db.iter_mut().zip(row) {
            *d += gv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x <= 0.0 {
            let want = (x as f64).exp();
            let got = exp_nonpositive(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.000_37;
        }
        assert!(worst < 4e-7, "relative error {}", worst);
    }

    /// The fused loss and gradients against a direct f64 computation.
    #[test]
    fn dense_xent_matches_definition() {
        let (n, k, v) = (7usize, 5usize, 13usize);
        let mut s = 5u64;
        let mut r = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        let x: Vec<f32> = (0..n * k).map(|_| r()).collect();
        let w: Vec<f32> = (0..v * k).map(|_| r()).collect();
        let bias: Vec<f32> = (0..v).map(|_| r()).collect();
        let targets: Vec<i32> = (0..n as i32).map(|i| (i * 5) % v as i32).collect();
        let scale = 1.7f32;
        let (mut dx, mut dw, mut db) = (vec![0f32; n * k], vec![0f32; v * k], vec![0f32; v]);
        let loss = dense_xent(Isa::detect(), 2, n, k, v, &x, &w, &bias, &targets, scale, Some((&mut dx, &mut dw, &mut db)));
        assert_eq!(loss, dense_xent(Isa::detect(), 1, n, k, v, &x, &w, &bias, &targets, scale, None));
        let mut want_loss = 0f64;
        let mut gw = vec![0f64; v * k];
        let mut gx = vec![0f64; n * k];
        let mut gb = vec![0f64; v];
        for i in 0..n {
            let logits: Vec<f64> = (0..v).map(|j| scale as f64 * ((0..k).map(|p| x[i * k + p] as f64 * w[j * k + p] as f64).sum::<f64>() + bias[j] as f64)).collect();
            let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = logits.iter().map(|l| (l - m).exp()).sum();
            want_loss += z.ln() + m - logits[targets[i] as usize];
            for j in 0..v {
                let gj = (((logits[j] - m).exp() / z) - if j == targets[i] as usize { 1.0 } else { 0.0 }) * scale as f64 / n as f64;
                gb[j] += gj;
                for p in 0..k {
                    gw[j * k + p] += gj * x[i * k + p] as f64;
                    gx[i * k + p] += gj * w[j * k + p] as f64;
                }
            }
        }
        want_loss /= n as f64;
        assert!((loss - want_loss).abs() < 1e-5, "{} vs {}", loss, want_loss);
        for (a, b) in dx.iter().zip(&gx).chain(dw.iter().zip(&gw)).chain(db.iter().zip(&gb)) {
            assert!((*a as f64 - b).abs() < 1e-5, "{} vs {}", a, b);
        }
    }
}

#[cfg(test)]
mod bench {
    use super::*;
    use std::time::Instant;

    /// cargo test --release -- --ignored --nocapture dense_xent_speed
    #[test]
    #[ignore]
    fn dense_xent_speed() {
        let (n, k, v) = (1120usize, 256usize, 10000usize);
        let x: Vec<f32> = (0..n * k).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
        let w: Vec<f32> = (0..v * k).map(|i| ((i * 104729) % 1000) as f32 / 5000.0 - 0.1).collect();
        let b = vec![0f32; v];
        let t: Vec<i32> = (0..n as i32).map(|i| (i * 31) % v as i32).collect();
        let (mut dx, mut dw, mut db) = (vec![0f32; n * k], vec![0f32; v * k], vec![0f32; v]);
        for threads in [1, 2] {
            for _ in 0..3 {
                let t0 = Instant::now();
                dense_xent(Isa::detect(), threads, n, k, v, &x, &w, &b, &t, 1.0, Some((&mut dx, &mut dw, &mut db)));
                println!("threads {}: {:.1} ms", threads, t0.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
}
