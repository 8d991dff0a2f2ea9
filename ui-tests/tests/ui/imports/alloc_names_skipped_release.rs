use std::ffi::c_void;

use ffi_guard_rt::ffi_guard;

// A `skip` release is invisible to the runtime: every pointer of the alloc
// would be reported as leaked although the program releases it.
#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloc(free = free))]
    fn malloc(n: usize) -> *mut c_void;
    #[ffi_guard(skip)]
    fn free(p: *mut c_void);
}

fn main() {}
