//! `crate = "path"` names the runtime when it is not reachable as
//! `::ffi_guard_rt` (here: re-exported under another name).

mod guard {
    pub use ffi_guard_rt::*;
}

use std::ffi::c_char;

#[guard::ffi_guard(crate = "crate::guard")]
unsafe extern "C" {
    fn strlen(s: *const c_char) -> usize;
}

#[guard::ffi_guard(crate = "crate::guard", on_error = 0)]
extern "C" fn twice(x: i32) -> i32 {
    x * 2
}

fn main() {
    assert_eq!(unsafe { strlen(c"four".as_ptr()) }, 4);
    assert_eq!(twice(2), 4);
}
