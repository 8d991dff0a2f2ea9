//! Threads that C creates allocate: their blocks are observed (the
//! interposer works on threads Rust never saw), and none is a finding when
//! passed to guarded functions, on addresses Rust freed or not.

mod heap_common;

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn blocks_of_c_threads_are_live_c_blocks() {
    let cp = Checkpoint::now();
    let freed = rust_frees(&sizes(1024, 3));
    assert_eq!(unsafe { heap_c_threads(4, 512) }, 0);
    let n = unsafe { heap_c_held_count() };
    assert!(n >= 2048, "{n} blocks");
    for i in (0..n).step_by(97) {
        let p = unsafe { heap_c_held(i) } as usize;
        assert_eq!(TrackingAllocator::__block_of(p).0, "c-live", "block {i}");
    }
    use_every_held_block(&freed);
    unsafe { heap_c_release_all() };
    cp.assert_clean();
}
