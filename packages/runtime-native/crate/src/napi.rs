//! The Node-API functions this addon uses, declared by hand (the napi crates are not reachable
//! here), and safe wrappers: every argument's type and length is checked before memory is touched.
#![allow(non_camel_case_types)]

use std::ffi::{c_void, CString};
use std::os::raw::c_char;
use std::ptr;

#[repr(C)]
pub struct napi_env__ {
    _private: [u8; 0],
}
#[repr(C)]
pub struct napi_value__ {
    _private: [u8; 0],
}
#[repr(C)]
pub struct napi_callback_info__ {
    _private: [u8; 0],
}
pub type napi_env = *mut napi_env__;
pub type napi_value = *mut napi_value__;
pub type napi_callback_info = *mut napi_callback_info__;
pub type napi_status = i32;
pub type napi_callback = Option<unsafe extern "C" fn(env: napi_env, info: napi_callback_info) -> napi_value>;

const NAPI_OK: napi_status = 0;
// napi_valuetype
const T_UNDEFINED: i32 = 0;
const T_NULL: i32 = 1;
const T_NUMBER: i32 = 3;
// napi_typedarray_type
pub const INT8: i32 = 0;
pub const INT16: i32 = 3;
pub const INT32: i32 = 5;
pub const FLOAT32: i32 = 7;

extern "C" {
    fn napi_get_cb_info(env: napi_env, info: napi_callback_info, argc: *mut usize, argv: *mut napi_value, this_arg: *mut napi_value, data: *mut *mut c_void) -> napi_status;
    fn napi_create_function(env: napi_env, name: *const c_char, length: usize, cb: napi_callback, data: *mut c_void, result: *mut napi_value) -> napi_status;
    fn napi_set_named_property(env: napi_env, object: napi_value, name: *const c_char, value: napi_value) -> napi_status;
    fn napi_is_typedarray(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_get_typedarray_info(env: napi_env, value: napi_value, kind: *mut i32, length: *mut usize, data: *mut *mut c_void, buffer: *mut napi_value, offset: *mut usize) -> napi_status;
    fn napi_typeof(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    fn napi_throw_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
    fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_create_int32(env: napi_env, value: i32, result: *mut napi_value) -> napi_status;
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    fn napi_create_double(env: napi_env, value: f64, result: *mut napi_value) -> napi_status;
    fn napi_create_string_utf8(env: napi_env, s: *const c_char, length: usize, result: *mut napi_value) -> napi_status;
}

/// One call's environment and arguments.
pub struct Call {
    env: napi_env,
    args: Vec<napi_value>,
    /// Byte ranges of the typed arrays handed out so far, to refuse aliasing (a &mut slice must not
    /// overlap any other slice).
    ranges: Vec<(usize, usize, bool)>,
}

pub use crate::handles::R;

impl Call {
    /// # Safety
    /// `env` and `info` must be the ones Node passed to the callback.
    pub unsafe fn new(env: napi_env, info: napi_callback_info, expected: usize) -> R<Call> {
        let mut argc = expected;
        let mut args = vec![ptr::null_mut(); expected];
        // SAFETY: argv has room for `expected` values; Node writes at most argc of them.
        if napi_get_cb_info(env, info, &mut argc, args.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) != NAPI_OK {
            return Err("cannot read the arguments".into());
        }
        if argc < expected {
            // missing trailing arguments read as undefined
            let mut undef = ptr::null_mut();
            napi_get_undefined(env, &mut undef);
            for a in args.iter_mut().skip(argc) {
                *a = undef;
            }
        }
        Ok(Call { env, args, ranges: Vec::new() })
    }

    fn kind(&self, i: usize) -> i32 {
        let mut t = -1;
        // SAFETY: a valid env and value from this call.
        unsafe { napi_typeof(self.env, self.args[i], &mut t) };
        t
    }

    pub fn is_absent(&self, i: usize) -> bool {
        matches!(self.kind(i), T_UNDEFINED | T_NULL)
    }

    /// An integer argument within int32. Read as a double: Node-API's int32 reading keeps the low
    /// 32 bits of larger numbers, so 2^32 + 5 would pass as 5.
    pub fn int(&self, i: usize, name: &str) -> R<i32> {
        if self.kind(i) != T_NUMBER {
            return Err(format!("{} must be a number", name));
        }
        let mut v = 0.0;
        // SAFETY: the value is a number (checked above).
        if unsafe { napi_get_value_double(self.env, self.args[i], &mut v) } != NAPI_OK || v.fract() != 0.0 || !(-2147483648.0..=2147483647.0).contains(&v) {
            return Err(format!("{} is not an integer within int32", name));
        }
        Ok(v as i32)
    }

    /// A finite number argument.
    pub fn number(&self, i: usize, name: &str) -> R<f64> {
        let mut v = 0.0;
        // SAFETY: a valid env and value; the status says whether it was a number.
        if self.kind(i) != T_NUMBER || unsafe { napi_get_value_double(self.env, self.args[i], &mut v) } != NAPI_OK || !v.is_finite() {
            return Err(format!("{} must be a finite number", name));
        }
        Ok(v)
    }

    /// A non-negative size argument.
    pub fn size(&self, i: usize, name: &str) -> R<usize> {
        let v = self.int(i, name)?;
        if v < 0 {
            return Err(format!("{} is negative", name));
        }
        Ok(v as usize)
    }

    fn typed_raw(&mut self, i: usize, name: &str, want: i32, elem: usize, len: usize, writable: bool) -> R<*mut c_void> {
        let mut is = false;
        // SAFETY: a valid env and value.
        unsafe { napi_is_typedarray(self.env, self.args[i], &mut is) };
        if !is {
            return Err(format!("{} must be a typed array", name));
        }
        let (mut kind, mut n, mut data, mut offset) = (-1, 0usize, ptr::null_mut(), 0usize);
        let mut buffer = ptr::null_mut();
        // SAFETY: the value is a typed array (checked above).
        if unsafe { napi_get_typedarray_info(self.env, self.args[i], &mut kind, &mut n, &mut data, &mut buffer, &mut offset) } != NAPI_OK {
            return Err(format!("cannot read {}", name));
        }
        if kind != want {
            return Err(format!("{} has the wrong element type", name));
        }
        if n != len {
            return Err(format!("{} has {} elements, expected {}", name, n, len));
        }
        if len == 0 {
            return Ok(ptr::NonNull::<u64>::dangling().as_ptr() as *mut c_void);
        }
        let (start, end) = (data as usize, data as usize + len * elem);
        for &(s, e, w) in &self.ranges {
            if start < e && s < end && (w || writable) {
                return Err(format!("{} overlaps another array argument", name));
            }
        }
        self.ranges.push((start, end, writable));
        Ok(data)
    }

    /// A typed array of `len` elements to read.
    pub fn slice<T: Elem>(&mut self, i: usize, name: &str, len: usize) -> R<&'static [T]> {
        let p = self.typed_raw(i, name, T::KIND, std::mem::size_of::<T>(), len, false)?;
        // SAFETY: Node guarantees `len` elements of this type at `p` (type and length checked), the
        // backing store stays alive and in place for the call, and no &mut slice overlaps it. The
        // 'static lifetime never escapes the call (the slices are dropped before returning).
        Ok(unsafe { std::slice::from_raw_parts(p as *const T, len) })
    }

    /// A typed array of `len` elements to write.
    pub fn slice_mut<T: Elem>(&mut self, i: usize, name: &str, len: usize) -> R<&'static mut [T]> {
        let p = self.typed_raw(i, name, T::KIND, std::mem::size_of::<T>(), len, true)?;
        // SAFETY: as for `slice`, and this range overlaps no other slice of the call.
        Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut T, len) })
    }

    /// The same, when the argument may be undefined or null.
    pub fn opt_slice<T: Elem>(&mut self, i: usize, name: &str, len: usize) -> R<Option<&'static [T]>> {
        if self.is_absent(i) {
            Ok(None)
        } else {
            self.slice(i, name, len).map(Some)
        }
    }

    /// A typed array of any length to read.
    pub fn slice_any<T: Elem>(&mut self, i: usize, name: &str) -> R<&'static [T]> {
        let mut is = false;
        let (mut kind, mut n, mut data, mut offset, mut buffer) = (-1, 0usize, ptr::null_mut(), 0usize, ptr::null_mut());
        // SAFETY: valid env and value; the info call is made only on typed arrays.
        unsafe {
            napi_is_typedarray(self.env, self.args[i], &mut is);
            if is {
                napi_get_typedarray_info(self.env, self.args[i], &mut kind, &mut n, &mut data, &mut buffer, &mut offset);
            }
        }
        if !is {
            return Err(format!("{} must be a typed array", name));
        }
        self.slice(i, name, n)
    }

    pub fn int32(&self, v: i32) -> napi_value {
        let mut out = ptr::null_mut();
        // SAFETY: valid env.
        unsafe { napi_create_int32(self.env, v, &mut out) };
        out
    }

    pub fn double(&self, v: f64) -> napi_value {
        let mut out = ptr::null_mut();
        // SAFETY: valid env.
        unsafe { napi_create_double(self.env, v, &mut out) };
        out
    }

    pub fn string(&self, s: &str) -> napi_value {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; the pointer and length describe `s`.
        unsafe { napi_create_string_utf8(self.env, s.as_ptr() as *const c_char, s.len(), &mut out) };
        out
    }

    pub fn undefined(&self) -> napi_value {
        let mut out = ptr::null_mut();
        // SAFETY: valid env.
        unsafe { napi_get_undefined(self.env, &mut out) };
        out
    }
}

/// Element types of the typed arrays the addon takes.
pub trait Elem: Copy {
    const KIND: i32;
}
impl Elem for i8 {
    const KIND: i32 = INT8;
}
impl Elem for i16 {
    const KIND: i32 = INT16;
}
impl Elem for i32 {
    const KIND: i32 = INT32;
}
impl Elem for f32 {
    const KIND: i32 = FLOAT32;
}

/// Run a callback body; an Err becomes a thrown JS Error with code ERR_NATIVE.
///
/// # Safety
/// `env` and `info` must be the ones Node passed to the callback.
pub unsafe fn guard(env: napi_env, info: napi_callback_info, argc: usize, body: impl FnOnce(&mut Call) -> R<napi_value>) -> napi_value {
    // a panic is a bug, but it must reach JS as an error: unwinding across the C boundary would abort
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Call::new(env, info, argc).and_then(|mut c| body(&mut c)))).unwrap_or_else(|p| {
        let what = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        Err(format!("internal error (please report): {}", what))
    });
    match result {
        Ok(v) => v,
        Err(msg) => {
            let code = CString::new("ERR_NATIVE").unwrap();
            let msg = CString::new(msg.replace('\0', " ")).unwrap();
            napi_throw_error(env, code.as_ptr(), msg.as_ptr());
            let mut undef = ptr::null_mut();
            napi_get_undefined(env, &mut undef);
            undef
        }
    }
}

/// Export a function on `exports`.
///
/// # Safety
/// `env` and `exports` must be the ones Node passed to napi_register_module_v1.
pub unsafe fn export(env: napi_env, exports: napi_value, name: &str, cb: unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value) {
    let cname = CString::new(name).unwrap();
    let mut f = ptr::null_mut();
    napi_create_function(env, cname.as_ptr(), name.len(), Some(cb), ptr::null_mut(), &mut f);
    napi_set_named_property(env, exports, cname.as_ptr(), f);
}
