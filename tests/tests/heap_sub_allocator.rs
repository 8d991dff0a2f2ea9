//! A C library with its own allocator inside a `malloc` block (SQLite's
//! lookaside slots, and the 8-byte header before each of its allocations):
//! a released object's slot stays inside a live C block, so the whole-heap
//! observation cannot say whether the library handed the address out again.
//! There the same-object rule decides: the released handle used again, or
//! released again, is found; the slot handed out again as another object
//! or as bytes is no finding.

mod common;

use std::ffi::c_int;

use common::{ModeScope, one};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator, ffi_guard};
// The C library (`c/heap_pool.c`) is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

/// An object of `c/heap_pool.c`.
#[repr(C)]
#[derive(Debug)]
pub struct PoolObj {
    _private: [u8; 0],
}

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloc(free = pool_obj_free))]
    fn pool_obj_new(value: c_int) -> *mut PoolObj;
    fn pool_obj_get(o: *const PoolObj) -> c_int;
    #[ffi_guard(free(o))]
    fn pool_obj_free(o: *mut PoolObj);
    #[ffi_guard(skip)]
    fn pool_bytes_take(fill: u8) -> *mut u8;
    #[ffi_guard(skip)]
    fn pool_bytes_give(b: *mut u8);
    #[ffi_guard(slice(buf, len))]
    fn pool_bytes_sum(buf: *const u8, len: usize) -> u64;
}

/// The pool is one per process: its tests take turns.
fn pool_lock() -> std::sync::MutexGuard<'static, ()> {
    static POOL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    POOL.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A pool object, released: with the pool held and report mode on while
/// the first two are alive, and a checkpoint taken after the release.
fn released() -> (impl Sized, *mut PoolObj, Checkpoint) {
    assert!(TrackingAllocator::observes_c_heap());
    let held = (pool_lock(), ModeScope::report());
    let o = unsafe { pool_obj_new(7) };
    unsafe { pool_obj_free(o) };
    (held, o, Checkpoint::now())
}

#[test]
fn a_released_handle_inside_a_live_block_used_again_is_use_after_free() {
    let (_held, o, cp) = released();
    let line = line!() + 1;
    unsafe { pool_obj_get(o) };
    one(
        &cp.findings(),
        FindingKind::UseAfterFree,
        "pool_obj_get",
        line,
    );
}

#[test]
fn a_released_handle_inside_a_live_block_released_again_is_double_free() {
    let (_held, o, cp) = released();
    let line = line!() + 1;
    unsafe { pool_obj_free(o) };
    one(
        &cp.findings(),
        FindingKind::DoubleFree,
        "pool_obj_free",
        line,
    );
}

#[test]
fn a_slot_handed_out_again_is_no_finding() {
    let _pool = pool_lock();
    let cp = Checkpoint::now();
    let o = unsafe { pool_obj_new(1) };
    unsafe { pool_obj_free(o) };
    // The same slot, as a new object through the guarded allocation.
    let again = unsafe { pool_obj_new(2) };
    assert_eq!(again, o, "the pool hands the last released slot out first");
    assert_eq!(unsafe { pool_obj_get(again) }, 2);
    unsafe { pool_obj_free(again) };
    // The same slot, as bytes the library hands out itself.
    let bytes = unsafe { pool_bytes_take(3) };
    assert_eq!(bytes as usize, o as usize);
    assert_eq!(unsafe { pool_bytes_sum(bytes, 56) }, 3 * 56);
    unsafe { pool_bytes_give(bytes) };
    cp.assert_clean();
}
