//! A block that C allocated and C freed, passed to a guarded function: with
//! the whole heap observed it is `use_after_free`, "a freed C heap block",
//! for small blocks (kept in the C map), as a slice or as a plain pointer;
//! while the block is live, the same call is no finding. A large block
//! (kept in the table) is forgotten at once when freed.

mod heap_common;

use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

/// C grabs one block of `size` bytes; Rust reads it through a guarded call
/// while it lives (clean), then after C freed it (one finding).
fn freed_c_block_is_use_after_free(size: usize) {
    assert!(TrackingAllocator::observes_c_heap());
    let _held = held_lock();
    let _mode = ModeScope::report();
    // A fence after the block keeps it from merging into the top chunk.
    let sizes = [size, 64];
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let p = unsafe { heap_c_held(0) }.cast::<u8>();
    let cp = Checkpoint::now();
    assert_eq!(TrackingAllocator::__block_of(p as usize + 10).0, "c-live");
    assert_eq!(unsafe { heap_c_sum(p, 32) }, 32);
    cp.assert_clean();

    // Nothing may allocate between C's free and the call (malloc could hand
    // the block out again): the checkpoint is taken before.
    let cp = Checkpoint::now();
    unsafe { heap_c_release_all() };
    let (state, start, block) = TrackingAllocator::__block_of(p as usize + 10);
    assert_eq!((state, start), ("freed", p as usize));
    assert!(block >= size, "{block} < {size}");
    let line = line!() + 1;
    unsafe { heap_c_sum(p, 32) };
    let found = cp.findings();
    let f = one(&found, FindingKind::UseAfterFree, "heap_c_sum", line);
    assert!(
        f.message.contains("freed") && f.message.contains("C heap block"),
        "{}",
        f.message
    );
}

/// As [`freed_c_block_is_use_after_free`], the freed block passed as a plain
/// pointer (as a library's handle is), not as a slice.
fn freed_c_block_as_a_plain_pointer(size: usize) {
    assert!(TrackingAllocator::observes_c_heap());
    let _held = held_lock();
    let _mode = ModeScope::report();
    let sizes = [size, 64];
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let p = unsafe { heap_c_held(0) }.cast::<HeapObj>();
    let cp = Checkpoint::now();
    unsafe { heap_obj_get(p) };
    cp.assert_clean();

    let cp = Checkpoint::now();
    unsafe { heap_c_release_all() };
    let line = line!() + 1;
    unsafe { heap_obj_get(p) };
    let found = cp.findings();
    let f = one(&found, FindingKind::UseAfterFree, "heap_obj_get", line);
    assert!(f.message.contains("C heap block"), "{}", f.message);
}

#[test]
fn a_freed_c_block_as_a_plain_pointer() {
    freed_c_block_as_a_plain_pointer(200);
}

#[test]
fn a_small_freed_c_block() {
    freed_c_block_is_use_after_free(1000);
}

#[test]
fn a_large_freed_c_block() {
    // Above the C map's limit (128 KiB), below glibc's `mmap` threshold
    // would still be served from the heap; this one is `mmap`ed and kept
    // in the block table, which forgets it at once (its pages go back to
    // the system): no finding is the rule there, and none is made.
    assert!(TrackingAllocator::observes_c_heap());
    let _held = held_lock();
    let _mode = ModeScope::report();
    let sizes = [200 << 10];
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let p = unsafe { heap_c_held(0) }.cast::<u8>();
    assert_eq!(TrackingAllocator::__block_of(p as usize + 10).0, "c-live");
    let cp = Checkpoint::now();
    unsafe { heap_c_release_all() };
    assert_eq!(TrackingAllocator::__block_of(p as usize + 10).0, "unknown");
    cp.assert_clean();
}

#[test]
fn a_freed_c_block_next_to_a_live_one() {
    freed_c_block_is_use_after_free(40);
}

/// One address, freed twice: first as a Rust block, then, after C's `malloc`
/// handed it out again, as a C block (and then the other way round). A call
/// with it names the block freed last, with its size.
#[test]
fn a_reused_address_names_the_block_freed_last() {
    assert!(TrackingAllocator::observes_c_heap());
    let _held = held_lock();
    let _mode = ModeScope::report();
    // A Rust block of another size than C's next one: glibc keeps its chunk
    // for the next request of that chunk size, which C's `malloc(1000)` is.
    let rust = Vec::<u8>::with_capacity(1000 - 10);
    let r = rust.as_ptr() as usize;
    drop(rust);
    let sizes = [1000, 64];
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let p = unsafe { heap_c_held(0) }.cast::<u8>();
    assert_eq!(p as usize, r, "glibc hands the freed chunk out again");

    let cp = Checkpoint::now();
    unsafe { heap_c_release_all() };
    let (state, start, block) = TrackingAllocator::__block_of(p as usize + 10);
    assert_eq!((state, start), ("freed", r));
    assert!(block >= 1000, "the C block, freed last: {block} bytes");
    let line = line!() + 1;
    unsafe { heap_c_sum(p, 32) };
    let found = cp.findings();
    let f = one(&found, FindingKind::UseAfterFree, "heap_c_sum", line);
    assert!(f.message.contains("C heap block"), "{}", f.message);

    // Rust takes the address back and frees it: now the Rust block.
    let again = Vec::<u8>::with_capacity(1000 - 5);
    assert_eq!(
        again.as_ptr() as usize,
        r,
        "glibc hands the chunk out again"
    );
    drop(again);
    let (state, _, block) = TrackingAllocator::__block_of(r + 10);
    assert_eq!((state, block), ("freed", 1000 - 5));
    let cp = Checkpoint::now();
    let line = line!() + 1;
    unsafe { heap_c_sum(r as *const u8, 32) };
    let found = cp.findings();
    let f = one(&found, FindingKind::UseAfterFree, "heap_c_sum", line);
    assert!(f.message.contains("Rust heap block"), "{}", f.message);
}
