//! A block using every option over real libc functions; it links and runs.

use std::ffi::{CStr, c_char, c_int, c_void};

use ffi_guard_rt::ffi_guard;

#[ffi_guard(infer = false)]
#[link(name = "c")]
unsafe extern "C" {
    /// Allocates; the caller releases with `free`.
    #[ffi_guard(alloc(free = free), on_error = std::ptr::null_mut())]
    fn malloc(size: usize) -> *mut c_void;
    #[ffi_guard(free(p))]
    fn free(p: *mut c_void);
    #[ffi_guard(cstr(s), nonnull(s))]
    fn strlen(s: *const c_char) -> usize;
    #[ffi_guard(alloc(free = free), cstr(s), nonnull(s))]
    fn strdup(s: *const c_char) -> *mut c_char;
    #[ffi_guard(slice(dst, n), slice(src, n), nonnull(dst, src))]
    fn memcpy(dst: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    #[ffi_guard(slice(buf, count), on_error = -1)]
    fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    #[ffi_guard(skip)]
    fn getenv(name: *const c_char) -> *mut c_char;
    // `putenv` keeps the string: ownership passes to C.
    #[ffi_guard(consume(s))]
    fn putenv(s: *mut c_char) -> c_int;
    // The user's own link name, and an unnamed parameter.
    #[link_name = "strlen"]
    fn c_strlen(_: *const c_char) -> usize;
    // A 2024 `safe fn` stays safe to call.
    safe fn abs(x: c_int) -> c_int;
    // Variadics pass through unwrapped.
    fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ...) -> c_int;
    static environ: *const *const c_char;
}

fn main() {
    let hello = c"hello";
    unsafe {
        let p = malloc(16);
        assert!(!p.is_null());
        memcpy(p, hello.as_ptr().cast(), 6);
        assert_eq!(strlen(p.cast()), 5);
        assert_eq!(c_strlen(p.cast()), 5);
        free(p);

        let d = strdup(hello.as_ptr());
        assert_eq!(CStr::from_ptr(d), hello);
        free(d.cast());

        assert_eq!(write(1, c"".as_ptr().cast(), 0), 0);
        // errno is read right after the call, before anything else runs.
        assert_eq!(write(-1, std::ptr::null(), 0), -1);
        let _ = format!("{}", String::from("allocates"));
        assert_eq!(ffi_guard_rt::last_errno(), libc::EBADF);

        let kv = strdup(c"FFI_GUARD_UI_PASS=1".as_ptr());
        assert_eq!(putenv(kv), 0);
        assert_eq!(CStr::from_ptr(getenv(c"FFI_GUARD_UI_PASS".as_ptr())), c"1");

        let mut buf = [0 as c_char; 8];
        snprintf(buf.as_mut_ptr(), buf.len(), c"%d".as_ptr(), 42 as c_int);
        assert_eq!(CStr::from_ptr(buf.as_ptr()), c"42");
        assert!(!environ.is_null());
    }
    assert_eq!(abs(-3), 3);

    // In panic mode a finding panics at the caller's line, before the call.
    let line = std::sync::Arc::new(std::sync::Mutex::new(0));
    let seen = line.clone();
    std::panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map_or(0, |l| l.line());
    }));
    let refused = std::panic::catch_unwind(|| unsafe { strlen(std::ptr::null()) });
    let _ = std::panic::take_hook();
    assert!(refused.is_err());
    assert_eq!(*line.lock().unwrap(), NULL_CALL_LINE);
}

const NULL_CALL_LINE: u32 = 75;
