//! A finding raised while the thread is already unwinding (a guarded
//! release in a `Drop` during a panic) is recorded and handled as in report
//! mode: no second panic, which would abort the test binary, and the bad
//! release is not forwarded.

mod heap_common;

use std::ffi::c_char;

use ffi_guard_rt::{Checkpoint, FindingKind};
use heap_common::*;

/// Owns a C string and releases it when dropped, as wrapper types do.
struct Owned(*mut c_char);

/// The line of the release in `Owned::drop`.
const DROP_LINE: u32 = line!() + 4;

impl Drop for Owned {
    fn drop(&mut self) {
        unsafe { heap_c_free(self.0) };
    }
}

#[test]
fn a_double_free_in_drop_while_unwinding_is_recorded_not_a_second_panic() {
    let c = unsafe { heap_c_strdup(c"twice".as_ptr()) };
    unsafe { heap_c_free(c) };
    let cp = Checkpoint::now();
    let r = std::panic::catch_unwind(|| {
        let _owned = Owned(c);
        panic!("the first panic");
    });
    let payload = r.expect_err("the closure panics");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the first panic"));
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::DoubleFree, "heap_c_free", DROP_LINE);
}

#[test]
fn the_same_release_outside_unwinding_still_panics() {
    let c = unsafe { heap_c_strdup(c"twice".as_ptr()) };
    unsafe { heap_c_free(c) };
    let r = std::panic::catch_unwind(|| drop(Owned(c)));
    assert!(r.is_err(), "panic mode panics at the finding");
}
