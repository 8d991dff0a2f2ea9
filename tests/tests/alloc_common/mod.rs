//! The C helpers of `c/alloc_helpers.c`, guarded as `#[ffi_guard]` guards
//! them, and what the allocator scenarios share.
//!
//! FIXME: the wrappers are written out by hand, exactly as the contract of
//! `ffi_guard_rt::__private` lays out an import wrapper, until the attribute
//! expands; then they become one `#[ffi_guard]` block with the same options.

#![allow(dead_code)]

use std::ffi::{c_char, c_void};

use ffi_guard_rt::__private::{Call, FnInfo, Location, capture_errno};
use ffi_guard_rt::{Checkpoint, Finding, FindingKind};
// The C library is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

mod raw {
    use std::ffi::{c_char, c_void};

    unsafe extern "C" {
        pub fn alloc_c_malloc(size: usize, fill: u8) -> *mut c_void;
        pub fn alloc_c_free(p: *mut c_void);
        pub fn alloc_c_sum(buf: *const u8, len: usize) -> u64;
        pub fn alloc_c_strlen(s: *const c_char) -> usize;
        pub fn alloc_c_fill(dst: *mut u8, src: *const u8, len: usize);
    }
}

/// `#[ffi_guard(alloc(free = alloc_c_free))]`
#[track_caller]
pub unsafe fn alloc_c_malloc(size: usize, fill: u8) -> *mut c_void {
    static INFO: FnInfo = FnInfo::new("alloc_c_malloc", Some("alloc_c_free"));
    let mut g = Call::new(&INFO, Location::caller());
    if !g.proceed() {
        return std::ptr::null_mut();
    }
    let r = unsafe { raw::alloc_c_malloc(size, fill) };
    capture_errno();
    g.returned(r);
    g.done();
    r
}

/// `#[ffi_guard(free(p))]`
#[track_caller]
pub unsafe fn alloc_c_free(p: *mut c_void) {
    static INFO: FnInfo = FnInfo::new("alloc_c_free", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(p, "p");
    g.release(p, "p");
    if !g.proceed() {
        return;
    }
    unsafe { raw::alloc_c_free(p) };
    capture_errno();
    g.done();
}

/// `#[ffi_guard(slice(buf, len))]`
#[track_caller]
pub unsafe fn alloc_c_sum(buf: *const u8, len: usize) -> u64 {
    static INFO: FnInfo = FnInfo::new("alloc_c_sum", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(buf, "buf");
    g.slice(buf, len, "buf", "len");
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::alloc_c_sum(buf, len) };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(cstr(s))]`
#[track_caller]
pub unsafe fn alloc_c_strlen(s: *const c_char) -> usize {
    static INFO: FnInfo = FnInfo::new("alloc_c_strlen", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(s, "s");
    g.cstr(s, "s");
    if !g.proceed() {
        return 0;
    }
    let r = unsafe { raw::alloc_c_strlen(s) };
    capture_errno();
    g.done();
    r
}

/// `#[ffi_guard(slice(dst, len), slice(src, len))]`
#[track_caller]
pub unsafe fn alloc_c_fill(dst: *mut u8, src: *const u8, len: usize) {
    static INFO: FnInfo = FnInfo::new("alloc_c_fill", None);
    let mut g = Call::new(&INFO, Location::caller());
    g.pointer(dst, "dst");
    g.pointer(src, "src");
    g.slice(dst, len, "dst", "len");
    g.slice(src, len, "src", "len");
    if !g.proceed() {
        return;
    }
    unsafe { raw::alloc_c_fill(dst, src, len) };
    capture_errno();
    g.done();
}

/// Runs `f`, which makes one guarded call with a bad argument: in the
/// default panic mode that call panics at its line before C runs; in report
/// mode it returns. Either way the finding is recorded; it is returned.
pub fn one_finding(f: impl FnOnce()) -> Finding {
    let cp = Checkpoint::now();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let mut found = cp.findings();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one finding, got {found:#?}"
    );
    found.remove(0)
}

/// Asserts kind, function and line of a finding, and that it is in `file`.
#[track_caller]
pub fn assert_finding(f: &Finding, kind: FindingKind, function: &str, line: u32) {
    assert_eq!(f.kind, kind, "{f:#?}");
    assert_eq!(f.function, function, "{f:#?}");
    assert_eq!(f.site.line, line, "{f:#?}");
    let here = std::panic::Location::caller().file();
    assert!(
        f.site.file.ends_with(here) || here.ends_with(&f.site.file),
        "site {} is not in {here}",
        f.site
    );
}

/// Allocates, uses and frees a lot, with mixed sizes and a window of live
/// blocks: the heap must still be sound.
pub fn churn(rounds: usize) -> u64 {
    let mut window: Vec<Vec<u8>> = Vec::with_capacity(256);
    let mut sum = 0u64;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for i in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let size = 8 + (x % 4089) as usize;
        let v = vec![(i % 251) as u8; size];
        sum += u64::from(v[size - 1]);
        if window.len() < 256 {
            window.push(v);
        } else {
            window[(x as usize >> 20) % 256] = v;
        }
    }
    sum + window.iter().map(|v| v.len() as u64).sum::<u64>()
}
