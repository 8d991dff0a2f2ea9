//! Declarations as bindgen and real `-sys` crates write them: `argN` names,
//! `::core::ffi` paths, `Option<unsafe extern "C" fn>` parameters, a
//! variadic, `#[link_name]`, `#[cfg]` and docs on fns, a 2024 `safe fn`, and a
//! `skip` release that inference must not pair with `strdup` (else every
//! string would be reported as leaked). The block links and runs clean.

use std::ffi::{CStr, c_char, c_int, c_void};

use ffi_guard_rt::{Checkpoint, ffi_guard};

#[ffi_guard]
unsafe extern "C" {
    pub fn strdup(arg1: *const ::core::ffi::c_char) -> *mut ::core::ffi::c_char;
    #[ffi_guard(skip)]
    pub fn free(arg1: *mut ::core::ffi::c_void);
    #[doc = " Sorts `nmemb` elements of `size` bytes with `compar`."]
    pub fn qsort(
        base: *mut ::core::ffi::c_void,
        nmemb: usize,
        size: usize,
        compar: ::core::option::Option<
            unsafe extern "C" fn(
                arg1: *const ::core::ffi::c_void,
                arg2: *const ::core::ffi::c_void,
            ) -> ::core::ffi::c_int,
        >,
    );
    pub fn snprintf(
        arg1: *mut ::core::ffi::c_char,
        arg2: usize,
        arg3: *const ::core::ffi::c_char,
        ...
    ) -> ::core::ffi::c_int;
    #[link_name = "strlen"]
    pub fn c_strlen(arg1: *const ::core::ffi::c_char) -> usize;
    #[cfg(unix)]
    pub fn getpid() -> ::core::ffi::c_int;
    pub safe fn abs(arg1: ::core::ffi::c_int) -> ::core::ffi::c_int;
}

unsafe extern "C" fn by_value(a: *const c_void, b: *const c_void) -> c_int {
    let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
    a.cmp(&b) as c_int
}

fn main() {
    let checkpoint = Checkpoint::now();
    unsafe {
        let d = strdup(c"bindgen".as_ptr());
        assert_eq!(CStr::from_ptr(d), c"bindgen");
        assert_eq!(c_strlen(d), 7);
        free(d.cast());

        let mut v = [3i32, 1, 2];
        qsort(
            v.as_mut_ptr().cast(),
            v.len(),
            size_of::<i32>(),
            Some(by_value),
        );
        assert_eq!(v, [1, 2, 3]);

        let mut buf = [0 as c_char; 16];
        let n = snprintf(
            buf.as_mut_ptr(),
            buf.len(),
            c"%d-%s".as_ptr(),
            7 as c_int,
            c"x".as_ptr(),
        );
        assert_eq!(n, 3);
        assert_eq!(CStr::from_ptr(buf.as_ptr()), c"7-x");

        #[cfg(unix)]
        assert!(getpid() > 0);
    }
    assert_eq!(abs(-4), 4);
    checkpoint.assert_clean();
}
