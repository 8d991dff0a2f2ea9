//! A Rust block given to C by a guarded `consume` function and then freed
//! from Rust anyway: `double_free` ("released from Rust after consume"),
//! refused, so C goes on reading valid memory.

mod alloc_common;

use alloc_common::{alloc_c_keep, alloc_c_kept_sum, assert_finding, churn};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn freeing_a_consumed_block_from_rust_is_refused() {
    let b = Box::into_raw(Box::new([7u8; 100]));
    let cp = Checkpoint::now();
    unsafe { alloc_c_keep(b.cast(), 100) };
    assert_eq!(cp.findings(), vec![]);

    let line = line!() + 1;
    drop(unsafe { Box::from_raw(b) });
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(&found[0], FindingKind::DoubleFree, "alloc_c_keep", line);
    assert!(found[0].free_site.is_some(), "{found:#?}");

    // Not forwarded: C's buffer is whole and still a live block.
    assert!(churn(50_000) > 0);
    assert_eq!(unsafe { alloc_c_kept_sum() }, 700);
    assert_eq!(TrackingAllocator::__block_of(b as usize).0, "live");
}
