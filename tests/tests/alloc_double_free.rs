//! A Rust block deallocated twice (two `Box::from_raw` of one pointer): the
//! second dealloc is a `double_free`, refused, and the heap stays sound.

mod alloc_common;

use alloc_common::{assert_finding, churn};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn second_dealloc_of_a_rust_block_is_refused() {
    let p = Box::into_raw(Box::new([1u8; 777]));
    let cp = Checkpoint::now();
    drop(unsafe { Box::from_raw(p) });
    assert_eq!(cp.findings(), vec![]);
    assert_eq!(TrackingAllocator::__block_of(p as usize).0, "freed");
    let line = line!() + 1;
    drop(unsafe { Box::from_raw(p) });
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(&found[0], FindingKind::DoubleFree, "dealloc", line);
    // Had the second free reached glibc it would abort ("double free
    // detected in tcache"); the program goes on instead.
    assert!(churn(100_000) > 0);
}
