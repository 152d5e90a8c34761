//! The kernel table both bindings share (Node-API in `node_api.rs`, WebAssembly in `wasm_api.rs`):
//! kernels are created once per model node (weights packed, bounds proven) and named by a handle,
//! so the JavaScript side never holds a raw pointer, and the instruction path in use.

use crate::gemv::Path;
use crate::gru::Gru;
use crate::lstm::{Attention, Dense, Lstm};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

/// A binding's error: the message the JavaScript side raises.
pub type R<T> = Result<T, String>;

pub enum Kernel {
    Lstm(Box<Lstm>),
    Gru(Box<Gru>),
    Dense(Dense),
    Attention(Attention),
}

static KERNELS: Mutex<Vec<Option<Kernel>>> = Mutex::new(Vec::new());
/// 0: detect; else 1 + the forced path's index.
static FORCED: AtomicU8 = AtomicU8::new(0);
/// The paths by the index `forcePath` takes.
const PATHS: [Path; 5] = [Path::Scalar, Path::Avx2, Path::Vnni, Path::Neon, Path::Simd128];

/// The instruction path the kernels use now.
pub fn path() -> Path {
    match FORCED.load(Ordering::Relaxed) {
        0 => Path::detect(),
        i => PATHS[i as usize - 1],
    }
}

/// Force a path by index (-1: detect again); refuses one this CPU lacks.
pub fn force_path(i: i32) -> R<Path> {
    if i == -1 {
        FORCED.store(0, Ordering::Relaxed);
    } else {
        let p = *usize::try_from(i).ok().and_then(|i| PATHS.get(i)).ok_or("path index out of range")?;
        if !p.available() {
            return Err(format!("path {} is not available on this CPU", p.name()));
        }
        FORCED.store(i as u8 + 1, Ordering::Relaxed);
    }
    Ok(path())
}

pub fn store(k: Kernel) -> i32 {
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
pub fn product(sizes: &[usize], what: &str) -> R<usize> {
    sizes.iter().try_fold(1usize, |a, &b| a.checked_mul(b)).ok_or_else(|| format!("{} overflows", what))
}

pub fn with_kernel<T>(handle: i32, f: impl FnOnce(&Kernel) -> R<T>) -> R<T> {
    let t = KERNELS.lock().unwrap();
    match usize::try_from(handle).ok().and_then(|i| t.get(i)).and_then(|k| k.as_ref()) {
        Some(k) => f(k),
        None => Err(format!("kernel handle {} is not live", handle)),
    }
}

pub fn with_lstm<T>(handle: i32, f: impl FnOnce(&Lstm) -> R<T>) -> R<T> {
    with_kernel(handle, |k| match k {
        Kernel::Lstm(l) => f(l),
        _ => Err("handle is not an LSTM".into()),
    })
}

pub fn with_gru<T>(handle: i32, f: impl FnOnce(&Gru) -> R<T>) -> R<T> {
    with_kernel(handle, |k| match k {
        Kernel::Gru(g) => f(g),
        _ => Err("handle is not a GRU".into()),
    })
}

pub fn with_dense<T>(handle: i32, f: impl FnOnce(&Dense) -> R<T>) -> R<T> {
    with_kernel(handle, |k| match k {
        Kernel::Dense(d) => f(d),
        _ => Err("handle is not a dense layer".into()),
    })
}

pub fn with_attention<T>(handle: i32, f: impl FnOnce(&Attention) -> R<T>) -> R<T> {
    with_kernel(handle, |k| match k {
        Kernel::Attention(a) => f(a),
        _ => Err("handle is not an attention".into()),
    })
}

/// Narrow a live recurrent or dense kernel's weights to int4 (§6a): after its create, for a file's
/// int4 weights, so that the kernel reads half the bytes per product.
pub fn narrow_to_int4(handle: i32) -> R<()> {
    let mut t = KERNELS.lock().unwrap();
    match usize::try_from(handle).ok().and_then(|i| t.get_mut(i)).and_then(|k| k.as_mut()) {
        Some(Kernel::Lstm(l)) => l.narrow_to_int4(),
        Some(Kernel::Gru(g)) => g.narrow_to_int4(),
        Some(Kernel::Dense(d)) => d.narrow_to_int4(),
        Some(Kernel::Attention(_)) => Err("an attention kernel has no weights".into()),
        None => Err(format!("kernel handle {} is not live", handle)),
    }
}

/// Give a live dense kernel its per-row requantization (§6b).
pub fn dense_rescale(handle: i32, mults: &[i32], shifts: &[i32]) -> R<()> {
    let mut t = KERNELS.lock().unwrap();
    match usize::try_from(handle).ok().and_then(|i| t.get_mut(i)).and_then(|k| k.as_mut()) {
        Some(Kernel::Dense(d)) => d.set_rescale(mults, shifts),
        Some(_) => Err("handle is not a dense layer".into()),
        None => Err(format!("kernel handle {} is not live", handle)),
    }
}

/// Free a live handle; a dead or negative one is an error (never another model's slot).
pub fn release(h: i32) -> R<()> {
    let mut t = KERNELS.lock().unwrap();
    match usize::try_from(h).ok().and_then(|i| t.get_mut(i)) {
        Some(slot) if slot.is_some() => {
            *slot = None;
            Ok(())
        }
        _ => Err(format!("kernel handle {} is not live", h)),
    }
}
