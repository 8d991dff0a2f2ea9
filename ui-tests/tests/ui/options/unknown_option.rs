use std::ffi::c_void;

use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloca(free = free))]
    fn malloc(size: usize) -> *mut c_void;
    fn free(p: *mut c_void);
}

fn main() {}
