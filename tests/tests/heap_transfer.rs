//! Ownership that moves through memory: `hand_to_c` (as `consume`) and
//! `take_from_c` (as `alloc`).

mod heap_common;

use std::ffi::c_char;

use ffi_guard_rt::{Checkpoint, FindingKind, hand_to_c, take_from_c};
use heap_common::*;

#[test]
fn a_pointer_handed_to_c_through_memory_is_c_s() {
    let _report = ModeScope::report();
    let o = unsafe { heap_obj_new(3) };
    let cp = Checkpoint::now();
    hand_to_c(o); // stored in a C struct, say, which C frees later
    let line = line!() + 1;
    unsafe { heap_obj_get(o) };
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::UseAfterFree, "heap_obj_get", line);
    // Releasing it from Rust now is a double free, not forwarded.
    let line = line!() + 1;
    unsafe { heap_obj_free(o) };
    let found = cp.findings();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_at(&found[1], FindingKind::DoubleFree, "heap_obj_free", line);
    // C's own release, unguarded (as the C that owns it now would).
    unsafe { libc::free(o.cast()) };
}

#[test]
fn handing_over_a_released_pointer_is_found_at_the_call() {
    let _report = ModeScope::report();
    let o = unsafe { heap_obj_new(3) };
    unsafe { heap_obj_free(o) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    hand_to_c(o);
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::UseAfterFree, "hand_to_c", line);
}

#[test]
fn a_pointer_taken_from_c_must_be_released_with_its_function() {
    let _report = ModeScope::report();
    // C wrote a pointer into memory that Rust now owns (an unguarded path).
    let p = unsafe { libc::strdup(c"from C".as_ptr()) }.cast::<c_char>();
    let cp = Checkpoint::now();
    take_from_c(p, "heap_c_free");
    // Released by the wrong guarded function: allocator_mismatch.
    let line = line!() + 1;
    unsafe { heap_obj_free(p.cast()) };
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(
        &found[0],
        FindingKind::AllocatorMismatch,
        "heap_obj_free",
        line,
    );
    // By the right one: fine, and no leak.
    unsafe { heap_c_free(p) };
    assert_eq!(cp.findings().len(), 1);
}

#[test]
fn a_pointer_taken_from_c_and_released_is_clean() {
    let p = unsafe { libc::strdup(c"from C".as_ptr()) }.cast::<c_char>();
    let cp = Checkpoint::now();
    take_from_c(p, "heap_c_free");
    unsafe { heap_c_free(p) };
    cp.assert_clean();
}
