// A broken option is one error: the block is still declared, so the call
// sites below resolve and report nothing.
use std::ffi::{c_char, c_void};

use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(cstr(str))]
    fn strlen(s: *const c_char) -> usize;
    fn strdup(s: *const c_char) -> *mut c_char;
    fn free(p: *mut c_void);
}

fn main() {
    unsafe {
        let d = strdup(c"x".as_ptr());
        assert_eq!(strlen(d), 1);
        free(d.cast());
    }
}
