//! A freed Rust block passed to C is `use_after_free`.

mod alloc_common;

use alloc_common::{alloc_c_sum, assert_finding};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn freed_vec_passed_to_c_is_use_after_free() {
    // Nothing may allocate between the free and the call, or malloc could
    // carve the new block out of the freed one: the checkpoint comes first,
    // and a fence keeps the freed block from merging into the top chunk.
    let v = vec![3u8; 1237];
    let fence = vec![0u8; 64];
    let p = v.as_ptr();
    let cp = Checkpoint::now();
    drop(v);
    let (state, start, size) = TrackingAllocator::__block_of(p as usize + 100);
    assert_eq!((state, start, size), ("freed", p as usize, 1237));

    // Panic mode (the default) stops the call; report mode lets it through.
    let line = line!() + 1;
    let _ = std::panic::catch_unwind(|| unsafe { alloc_c_sum(p, 1237) });
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(&found[0], FindingKind::UseAfterFree, "alloc_c_sum", line);
    drop(fence);
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
