//! Bindings to the C test library under `c/` (`c/widget.c`), guarded as
//! `#[ffi_guard]` guards them.
//!
//! FIXME: the wrappers are written out by hand, exactly in the shape the
//! contract of `ffi_guard_rt::__private` lays out, because the attribute does
//! not expand yet; each carries the `#[ffi_guard(...)]` options it stands
//! for, and becomes one guarded `extern "C"` block when it does.

use std::ffi::{c_char, c_int, c_long, c_void};

use ffi_guard_rt::__private::{Call, FnInfo, Location, capture_errno};

/// The C `struct widget` (its fields are C's business; the layout gives the
/// pointer its real alignment of 4).
#[repr(C)]
#[derive(Debug)]
pub struct Widget {
    id: c_int,
    name: [c_char; 28],
}

/// The C declarations, unguarded: the benchmarks' raw calls, and the callers
/// of Rust exports, which pass deliberately bad pointers through to Rust.
pub mod raw {
    use std::ffi::{c_char, c_int, c_long, c_void};

    use super::Widget;

    /// `int64_t (*)(const uint32_t *, size_t)`
    pub type SumCb = extern "C" fn(*const u32, usize) -> i64;
    /// `void (*)(void *)`
    pub type FreeCb = extern "C" fn(*mut c_void);
    /// `void *(*)(void)`
    pub type NewCb = extern "C" fn() -> *mut c_void;
    /// `int (*)(int)`
    pub type PlainCb = extern "C" fn(c_int) -> c_int;

    unsafe extern "C" {
        pub fn widget_new(name: *const c_char) -> *mut Widget;
        pub fn widget_free(w: *mut Widget);
        pub fn widget_free_count() -> c_long;
        pub fn widget_id(w: *const Widget) -> c_int;
        pub fn widget_give_to_pool(w: *mut Widget);
        pub fn buf_alloc(n: usize) -> *mut c_void;
        pub fn buf_release(p: *mut c_void);
        pub fn thr_new() -> *mut c_void;
        pub fn thr_free(p: *mut c_void);
        pub fn thr_free_count() -> c_long;
        pub fn add(a: c_int, b: c_int) -> c_int;
        pub fn sum_u32(buf: *const u32, len: usize) -> i64;
        pub fn sum_bytes(buf: *const u8, len: usize) -> u64;
        pub fn fail_with_errno(e: c_int) -> c_int;

        pub fn call_sum(cb: SumCb, buf: *const u32, len: usize) -> i64;
        pub fn call_free(cb: FreeCb, p: *mut c_void);
        pub fn call_new(cb: NewCb) -> *mut c_void;
        pub fn call_plain(cb: PlainCb, x: c_int) -> c_int;
        pub fn call_sum_in_thread(cb: SumCb, buf: *const u32, len: usize) -> i64;
        pub fn call_free_in_thread(cb: FreeCb, p: *mut c_void);
        pub fn call_plain_in_thread(cb: PlainCb, x: c_int) -> c_int;
        pub fn loop_plain(cb: PlainCb, n: c_int) -> i64;
    }
}

/// `#[ffi_guard(alloc(free = widget_free), cstr(name))]`
#[track_caller]
pub unsafe fn widget_new(name: *const c_char) -> *mut Widget {
    static INFO: FnInfo = FnInfo::new("widget_new", Some("widget_free"));
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(name, "name");
    g.cstr(name, "name");
    if !g.proceed() {
        return std::ptr::null_mut();
    }
    let r = unsafe { raw::widget_new(name) };
    capture_errno();
    g.returned(r);
    g.done();
    r
}

/// `#[ffi_guard(free(w))]`
#[track_caller]
pub unsafe fn widget_free(w: *mut Widget) {
    static INFO: FnInfo = FnInfo::new("widget_free", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(w, "w");
    g.release(w, "w");
    if !g.proceed() {
        return;
    }
    unsafe { raw::widget_free(w) };
    capture_errno();
    g.done();
}

/// No pointer: `#[ffi_guard]` adds only the errno capture.
#[track_caller]
pub unsafe fn widget_free_count() -> c_long {
    static INFO: FnInfo = FnInfo::new("widget_free_count", None);
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::widget_free_count() };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(nonnull(w))]`
#[track_caller]
pub unsafe fn widget_id(w: *const Widget) -> c_int {
    static INFO: FnInfo = FnInfo::new("widget_id", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(w, "w");
    g.nonnull(w, "w");
    if !g.proceed() {
        return -1;
    }
    let r = unsafe { raw::widget_id(w) };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(consume(w))]`
#[track_caller]
pub unsafe fn widget_give_to_pool(w: *mut Widget) {
    static INFO: FnInfo = FnInfo::new("widget_give_to_pool", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(w, "w");
    g.consume(w, "w");
    if !g.proceed() {
        return;
    }
    unsafe { raw::widget_give_to_pool(w) };
    capture_errno();
    g.done();
}

/// `#[ffi_guard(alloc(free = buf_release))]`
#[track_caller]
pub unsafe fn buf_alloc(n: usize) -> *mut c_void {
    static INFO: FnInfo = FnInfo::new("buf_alloc", Some("buf_release"));
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return std::ptr::null_mut();
    }
    let r = unsafe { raw::buf_alloc(n) };
    capture_errno();
    g.returned(r);
    g.done();
    r
}

/// `#[ffi_guard(free(p))]`
#[track_caller]
pub unsafe fn buf_release(p: *mut c_void) {
    static INFO: FnInfo = FnInfo::new("buf_release", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(p, "p");
    g.release(p, "p");
    if !g.proceed() {
        return;
    }
    unsafe { raw::buf_release(p) };
    capture_errno();
    g.done();
}

/// `#[ffi_guard(alloc(free = thr_free))]`
#[track_caller]
pub unsafe fn thr_new() -> *mut c_void {
    static INFO: FnInfo = FnInfo::new("thr_new", Some("thr_free"));
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return std::ptr::null_mut();
    }
    let r = unsafe { raw::thr_new() };
    capture_errno();
    g.returned(r);
    g.done();
    r
}

/// `#[ffi_guard(free(p))]`
#[track_caller]
pub unsafe fn thr_free(p: *mut c_void) {
    static INFO: FnInfo = FnInfo::new("thr_free", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(p, "p");
    g.release(p, "p");
    if !g.proceed() {
        return;
    }
    unsafe { raw::thr_free(p) };
    capture_errno();
    g.done();
}

/// No pointer.
#[track_caller]
pub unsafe fn thr_free_count() -> c_long {
    static INFO: FnInfo = FnInfo::new("thr_free_count", None);
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::thr_free_count() };
    capture_errno();
    g.done();
    r
}

/// No pointer: the scalar call of the benchmarks.
#[track_caller]
#[inline]
pub unsafe fn add(a: c_int, b: c_int) -> c_int {
    static INFO: FnInfo = FnInfo::new("add", None);
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::add(a, b) };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(slice(buf, len))]`
#[track_caller]
#[inline]
pub unsafe fn sum_u32(buf: *const u32, len: usize) -> i64 {
    static INFO: FnInfo = FnInfo::new("sum_u32", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(buf, "buf");
    g.slice(buf, len, "buf", "len");
    if !g.proceed() {
        return -1;
    }
    let r = unsafe { raw::sum_u32(buf, len) };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(slice(buf, len))]`
#[track_caller]
#[inline]
pub unsafe fn sum_bytes(buf: *const u8, len: usize) -> u64 {
    static INFO: FnInfo = FnInfo::new("sum_bytes", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(buf, "buf");
    g.slice(buf, len, "buf", "len");
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::sum_bytes(buf, len) };
    capture_errno();
    g.done();
    r
}

/// No pointer; sets errno.
#[track_caller]
pub unsafe fn fail_with_errno(e: c_int) -> c_int {
    static INFO: FnInfo = FnInfo::new("fail_with_errno", None);
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::fail_with_errno(e) };
    capture_errno();
    g.done();
    r
}
