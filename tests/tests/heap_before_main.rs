//! A C constructor allocates before `main`: the runtime already observes
//! C's heap then (its own constructor runs first), so the block is a live C
//! block, and passing it to guarded functions is no finding.

mod heap_common;

use std::ffi::c_char;

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

unsafe extern "C" {
    /// The block `c/heap_ctor.c`'s constructor allocated.
    fn heap_ctor_block() -> *mut c_char;
}

#[test]
fn a_block_from_a_c_constructor_is_observed() {
    let p = unsafe { heap_ctor_block() };
    assert!(!p.is_null());
    assert_eq!(TrackingAllocator::__block_of(p as usize).0, "c-live");
    let cp = Checkpoint::now();
    assert_eq!(unsafe { heap_c_strlen(p) }, "allocated before main".len());
    cp.assert_clean();
}
