//! The C helpers of `c/alloc_helpers.c`, guarded, and what the allocator
//! scenarios share.

#![allow(dead_code)]

use std::ffi::{c_char, c_void};

use ffi_guard_rt::{Checkpoint, Finding, ffi_guard};
// The C library is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

#[ffi_guard]
unsafe extern "C" {
    /// A C allocation of `size` bytes, each set to `fill`.
    #[ffi_guard(alloc(free = alloc_c_free))]
    pub fn alloc_c_malloc(size: usize, fill: u8) -> *mut c_void;
    #[ffi_guard(free(p))]
    pub fn alloc_c_free(p: *mut c_void);
    #[ffi_guard(slice(buf, len))]
    pub fn alloc_c_sum(buf: *const u8, len: usize) -> u64;
    #[ffi_guard(cstr(s))]
    pub fn alloc_c_strlen(s: *const c_char) -> usize;
    #[ffi_guard(slice(dst, len), slice(src, len))]
    pub fn alloc_c_fill(dst: *mut u8, src: *const u8, len: usize);
    /// C takes the buffer and keeps it.
    #[ffi_guard(consume(buf), slice(buf, len))]
    pub fn alloc_c_keep(buf: *const u8, len: usize);
    /// Sums the buffer C kept.
    #[ffi_guard(skip)]
    pub fn alloc_c_kept_sum() -> u64;
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

/// Asserts kind, function and line of a finding, and that it is in the
/// calling test file: the one assertion every integration test uses.
#[allow(unused_imports)] // not every scenario asserts a finding
pub use common::assert_at as assert_finding;

#[path = "../common/mod.rs"]
mod common;

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
