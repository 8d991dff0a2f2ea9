//! Options accept any parameter type that is a raw pointer (or an integer,
//! for a length) once aliases are resolved, as bindgen and zlib write them;
//! `alloc_out` and `text` over real libc functions. It links and runs.

use std::ffi::{CStr, c_char, c_void};

use ffi_guard_rt::ffi_guard;

#[allow(non_camel_case_types)]
mod sys {
    pub type uInt = ::std::os::raw::c_uint;
    pub type sqlite3_uint64 = u64;
    pub type voidpc = *const ::std::os::raw::c_void;
    pub type charp = *const ::std::os::raw::c_char;
}
use sys::*;

#[ffi_guard(infer = false)]
#[link(name = "c")]
unsafe extern "C" {
    #[ffi_guard(slice(s, n), nonnull(s))]
    fn memchr(s: voidpc, c: ::std::os::raw::c_int, n: sqlite3_uint64) -> *mut c_void;
    #[ffi_guard(text(s, maxlen), nonnull(s))]
    fn strnlen(s: charp, maxlen: uInt) -> usize;
    #[ffi_guard(alloc_out(memptr, free = free))]
    fn posix_memalign(memptr: *mut *mut c_void, alignment: usize, size: usize) -> ::std::os::raw::c_int;
    #[ffi_guard(free(p))]
    fn free(p: *mut c_void);
}

fn main() {
    let s = c"12345 and more";
    let start = ffi_guard_rt::Checkpoint::now();
    unsafe {
        assert!(!memchr(s.as_ptr().cast(), b'5' as _, 14).is_null());
        assert_eq!(strnlen(s.as_ptr(), 5), 5);
        let mut p: *mut c_void = std::ptr::null_mut();
        assert_eq!(posix_memalign(&mut p, 64, 16), 0);
        std::ptr::copy_nonoverlapping(s.as_ptr(), p.cast::<c_char>(), 6);
        *p.cast::<u8>().add(5) = 0;
        assert_eq!(CStr::from_ptr(p.cast()).to_bytes(), b"12345");
        free(p);
        // The allocation was released by its own `free`: nothing is left.
        start.assert_clean();
    }
}

/// Parameters behind aliases get the plain pointer check when they are
/// pointers, and none otherwise (a struct by value is not moved by it).
mod probes {
    use ffi_guard_rt::ffi_guard;

    #[repr(C)]
    #[derive(Debug)]
    pub struct ByValue {
        pub x: i32,
    }
    pub type Handle = *mut ByValue;

    #[ffi_guard]
    unsafe extern "C" {
        pub fn uses_both(h: Handle, v: ByValue, n: super::uInt) -> i32;
    }

    #[allow(dead_code)]
    pub fn call(h: Handle) -> i32 {
        unsafe { uses_both(h, ByValue { x: 1 }, 2) }
    }
}
