//! The C of `c/heap_whole.c`, guarded, and what the whole-heap scenarios
//! share.

#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_void};

use ffi_guard_rt::ffi_guard;
// The C library is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

/// C's opaque object of `c/heap_whole.c`.
#[repr(C)]
pub struct HeapObj {
    _private: [u8; 0],
}

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(skip)]
    pub fn heap_c_grab(sizes: *const usize, n: usize);
    #[ffi_guard(skip)]
    pub fn heap_c_held_count() -> usize;
    #[ffi_guard(skip)]
    pub fn heap_c_held(i: usize) -> *mut c_void;
    #[ffi_guard(skip)]
    pub fn heap_c_held_len(i: usize) -> usize;
    #[ffi_guard(skip)]
    pub fn heap_c_release_all();
    #[ffi_guard(skip)]
    pub fn heap_c_churn(rounds: usize);
    #[ffi_guard(skip)]
    pub fn heap_c_threads(threads: c_int, count: usize) -> c_int;
    #[ffi_guard(slice(buf, len))]
    pub fn heap_c_sum(buf: *const u8, len: usize) -> u64;
    #[ffi_guard(cstr(s))]
    pub fn heap_c_strlen(s: *const c_char) -> usize;
    #[ffi_guard(alloc(free = heap_c_free), cstr(s))]
    pub fn heap_c_strdup(s: *const c_char) -> *mut c_char;
    #[ffi_guard(free(p))]
    pub fn heap_c_free(p: *mut c_char);
    #[ffi_guard(alloc(free = heap_obj_free))]
    pub fn heap_obj_new(value: c_int) -> *mut HeapObj;
    pub fn heap_obj_get(o: *const HeapObj) -> c_int;
    #[ffi_guard(free(o))]
    pub fn heap_obj_free(o: *mut HeapObj);
}

#[allow(unused_imports)] // not every scenario asserts a finding
pub use common::{ModeScope, assert_at, one};

#[path = "../common/mod.rs"]
mod common;

/// The blocks C holds are one list per process: tests of one binary that
/// use it take this lock, or one would free what another reads.
pub fn held_lock() -> std::sync::MutexGuard<'static, ()> {
    static HELD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Rust blocks of every size of `sizes`, freed again: their addresses are
/// what C's `malloc` hands out next. Returns the addresses.
pub fn rust_frees(sizes: &[usize]) -> Vec<usize> {
    let blocks: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![0x5a; n]).collect();
    let addrs = blocks.iter().map(|b| b.as_ptr() as usize).collect();
    drop(blocks);
    addrs
}

/// Mixed sizes, 8..4096 bytes.
pub fn sizes(n: usize, seed: usize) -> Vec<usize> {
    (0..n).map(|i| 8 + ((i + seed) * 977) % 4089).collect()
}

/// Passes every block C holds to a guarded function and checks the sums:
/// returns how many of them start at an address Rust freed.
pub fn use_every_held_block(rust_freed: &[usize]) -> usize {
    let mut reused = 0;
    for i in 0..unsafe { heap_c_held_count() } {
        let p = unsafe { heap_c_held(i) }.cast::<u8>();
        let len = unsafe { heap_c_held_len(i) };
        let first = unsafe { *p };
        assert_eq!(unsafe { heap_c_sum(p, len) }, u64::from(first) * len as u64);
        if rust_freed.contains(&(p as usize)) {
            reused += 1;
        }
    }
    reused
}
