//! A freed Rust block passed to C is `use_after_free`.

mod alloc_common;

use alloc_common::{alloc_c_sum, assert_finding, one_finding};
use ffi_guard_rt::{FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn freed_vec_passed_to_c_is_use_after_free() {
    // An unusual size, so that nothing else on this thread gets the address
    // before the call.
    let v = vec![3u8; 1237];
    let p = v.as_ptr();
    drop(v);
    let (state, start, size) = TrackingAllocator::__block_of(p as usize + 100);
    assert_eq!((state, start, size), ("freed", p as usize, 1237));

    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { alloc_c_sum(p, 1237) };
    });
    assert_finding(&f, FindingKind::UseAfterFree, "alloc_c_sum", line);
}

#[test]
fn a_reused_address_is_live_again() {
    let layout = std::alloc::Layout::from_size_align(2011, 1).unwrap();
    let p = unsafe { std::alloc::alloc(layout) };
    unsafe { std::alloc::dealloc(p, layout) };
    assert_eq!(TrackingAllocator::__block_of(p as usize).0, "freed");
    // The same size class right away: glibc hands the same chunk back.
    let q = unsafe { std::alloc::alloc(layout) };
    if q == p {
        assert_eq!(
            TrackingAllocator::__block_of(p as usize + 2010),
            ("live", p as usize, 2011)
        );
    }
    unsafe { std::alloc::dealloc(q, layout) };
}
