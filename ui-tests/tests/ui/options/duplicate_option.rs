use std::ffi::c_char;

use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(nonnull(s), cstr(s), nonnull(s))]
    fn strlen(s: *const c_char) -> usize;
}

fn main() {}
