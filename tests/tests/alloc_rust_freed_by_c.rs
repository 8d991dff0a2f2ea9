//! A Rust `Box` released by a guarded C release function is
//! `allocator_mismatch`, and the release never reaches C's `free`.

mod alloc_common;

use alloc_common::{alloc_c_free, assert_finding, churn, one_finding};
use ffi_guard_rt::{FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn rust_box_released_by_c_free_is_a_mismatch() {
    let p = Box::into_raw(Box::new([5u8; 40]));
    let (state, start, size) = TrackingAllocator::__block_of(p as usize);
    assert_eq!((state, start, size), ("live", p as usize, 40));

    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { alloc_c_free(p.cast()) };
    });
    assert_finding(&f, FindingKind::AllocatorMismatch, "alloc_c_free", line);

    // Not forwarded: the box is still Rust's, whole, and Rust frees it.
    assert_eq!(TrackingAllocator::__block_of(p as usize).0, "live");
    let b = unsafe { Box::from_raw(p) };
    assert_eq!(*b, [5u8; 40]);
    drop(b);
    assert!(churn(50_000) > 0);
}
