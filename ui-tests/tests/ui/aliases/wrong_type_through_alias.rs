//! An alias hides the type from the macro: the compiler judges it, and the
//! error names the option and the parameter.

use std::ffi::{c_char, c_int, c_void};

use ffi_guard_rt::ffi_guard;

#[allow(non_camel_case_types)]
type uInt = u32;
#[allow(non_camel_case_types)]
type z_double = f64;
#[allow(non_camel_case_types)]
type voidp = *mut c_void;

#[ffi_guard(infer = false)]
unsafe extern "C" {
    #[ffi_guard(nonnull(level))]
    fn set_level(level: uInt) -> c_int;
    #[ffi_guard(slice(buf, scale))]
    fn scaled(buf: voidp, scale: z_double) -> c_int;
    #[ffi_guard(text(s, width))]
    fn shown(s: *const c_char, width: z_double) -> c_int;
    #[ffi_guard(alloc_out(out, free = release))]
    fn open_one(out: voidp) -> c_int;
    #[ffi_guard(alloc(free = release))]
    fn counted() -> uInt;
    #[ffi_guard(free(p))]
    fn release(p: voidp);
}

fn main() {}
