//! C's `malloc` hands out addresses that Rust just freed, and the C blocks
//! there go to guarded functions: with the whole heap observed they are
//! live C blocks, not freed Rust blocks. Zero findings.

mod heap_common;

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn c_blocks_on_rust_freed_addresses_are_no_findings() {
    assert!(
        TrackingAllocator::observes_c_heap(),
        "Linux with glibc: C's heap is observed"
    );
    let _held = held_lock();
    let cp = Checkpoint::now();
    let sizes = sizes(512, 1);
    let freed = rust_frees(&sizes);
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let reused = use_every_held_block(&freed);
    // The scenario is only worth something if C landed on Rust's addresses.
    assert!(reused > 0, "no C block landed on a freed Rust address");
    let held = unsafe { heap_c_held(0) } as usize;
    assert_eq!(TrackingAllocator::__block_of(held).0, "c-live");
    unsafe { heap_c_release_all() };
    // C freed it: a freed C block now.
    assert_eq!(TrackingAllocator::__block_of(held).0, "freed");
    cp.assert_clean();
}

#[test]
fn c_that_churns_internally_leaves_no_stale_blocks() {
    let _held = held_lock();
    let cp = Checkpoint::now();
    for round in 0..20 {
        let sizes = sizes(64, round);
        let freed = rust_frees(&sizes);
        unsafe { heap_c_churn(200) };
        unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
        use_every_held_block(&freed);
        unsafe { heap_c_release_all() };
    }
    cp.assert_clean();
}
