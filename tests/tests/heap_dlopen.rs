//! A shared library loaded with `dlopen` allocates through the process's
//! `malloc`: its blocks are observed too.

mod heap_common;

use std::ffi::{CString, c_void};

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn blocks_of_a_dlopened_library_are_observed() {
    let path = CString::new(concat!(env!("OUT_DIR"), "/libheapdl.so")).unwrap();
    // SAFETY: a library built for this test, with no constructors.
    let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
    assert!(!lib.is_null(), "dlopen {path:?}");
    let alloc = unsafe { libc::dlsym(lib, c"heap_dl_alloc".as_ptr()) };
    let free = unsafe { libc::dlsym(lib, c"heap_dl_free".as_ptr()) };
    assert!(!alloc.is_null() && !free.is_null());
    // SAFETY: the signatures of c-dl/heap_dl.c.
    let alloc: extern "C" fn(usize) -> *mut c_void = unsafe { std::mem::transmute(alloc) };
    let free: extern "C" fn(*mut c_void) = unsafe { std::mem::transmute(free) };

    let cp = Checkpoint::now();
    let freed = rust_frees(&sizes(64, 9));
    let blocks: Vec<_> = sizes(64, 9).into_iter().map(|n| (alloc(n), n)).collect();
    let mut reused = 0;
    for &(p, n) in &blocks {
        assert_eq!(TrackingAllocator::__block_of(p as usize).0, "c-live");
        assert_eq!(unsafe { heap_c_sum(p.cast(), n) }, 7 * n as u64);
        reused += usize::from(freed.contains(&(p as usize)));
    }
    assert!(
        reused > 0,
        "no block of the library landed on a Rust address"
    );
    for (p, _) in blocks {
        free(p);
        assert_eq!(TrackingAllocator::__block_of(p as usize).0, "freed");
    }
    cp.assert_clean();
}
