//! Inference: `strdup`/`free` pair up, `(buf, count)` is a slice, `name` a C
//! string, with no per-fn options; the block links and runs clean.

use std::ffi::{CStr, c_char, c_int, c_void};

use ffi_guard_rt::{Checkpoint, ffi_guard};

#[ffi_guard]
unsafe extern "C" {
    fn strdup(s: *const c_char) -> *mut c_char;
    fn free(p: *mut c_void);
    fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    fn getenv(name: *const c_char) -> *mut c_char;
}

fn main() {
    let checkpoint = Checkpoint::now();
    unsafe {
        let d = strdup(c"inferred".as_ptr());
        assert_eq!(CStr::from_ptr(d), c"inferred");
        free(d.cast());
        let bytes = b"";
        assert_eq!(write(1, bytes.as_ptr().cast(), bytes.len()), 0);
        assert!(getenv(c"FFI_GUARD_UI_SURELY_UNSET".as_ptr()).is_null());
    }
    checkpoint.assert_clean();
}
