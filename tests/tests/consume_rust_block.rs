//! A Rust heap block given to C by a `consume` function belongs to C from
//! then on: using it through a guarded function is `use_after_free`, and
//! releasing it through one is `double_free`, never forwarded. The runtime
//! knows the block only with `TrackingAllocator` installed.

mod common;

use common::{ModeScope, one};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};
use ffi_guard_tests::{Widget, widget_free, widget_give_to_pool, widget_id};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

/// As large and as aligned as C's `struct widget`.
#[repr(C, align(4))]
struct FakeWidget([u8; 32]);

fn rust_widget() -> *mut Widget {
    Box::into_raw(Box::new(FakeWidget([1; 32]))).cast()
}

#[test]
fn consumed_rust_block_used_again_is_use_after_free() {
    let w = rust_widget();
    let cp = Checkpoint::now();
    unsafe { widget_give_to_pool(w) };
    cp.assert_clean();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_id(w) });
    assert!(r.is_err(), "panic mode: the call must not reach C");
    let f = one(&cp.findings(), FindingKind::UseAfterFree, "widget_id", line);
    assert!(f.message.contains("widget_give_to_pool"), "{}", f.message);
    // The report says where C took it, as a consume, not a release.
    assert!(f.consumed, "{f:?}");
    assert!(f.free_site.is_some(), "{f:?}");
}

#[test]
fn consumed_rust_block_released_through_c_is_double_free() {
    let _m = ModeScope::report();
    let w = rust_widget();
    unsafe { widget_give_to_pool(w) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    unsafe { widget_free(w) };
    // Not forwarded: C's free never sees the Rust block.
    let f = one(&cp.findings(), FindingKind::DoubleFree, "widget_free", line);
    assert!(f.consumed, "{f:?}");
}
