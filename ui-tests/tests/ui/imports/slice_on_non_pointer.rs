use std::ffi::c_void;

use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(slice(fd, count))]
    fn write(fd: i32, buf: *const c_void, count: usize) -> isize;
}

fn main() {}
