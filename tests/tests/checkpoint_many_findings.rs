//! A checkpoint sees every finding made after it, however many the process
//! recorded before (SPEC §3): here, after more findings than the runtime
//! keeps one by one. Alone in its binary: the log is process-wide.

mod common;

use std::mem::MaybeUninit;

use common::{ModeScope, one};
use ffi_guard_rt::{Checkpoint, FindingKind};
use ffi_guard_tests::{Widget, widget_free};

/// Releases a pointer that no guarded function returned: an `unknown_free`
/// that report mode never forwards to C.
fn unknown_free(fake: &mut MaybeUninit<Widget>) {
    unsafe { widget_free(fake.as_mut_ptr()) };
}

#[test]
fn a_checkpoint_after_100_000_findings_still_sees_a_new_one() {
    let _m = ModeScope::report();
    let mut fake = MaybeUninit::<Widget>::uninit();
    let before = Checkpoint::now();
    for _ in 0..100_001 {
        unknown_free(&mut fake);
    }
    let earlier = before.findings();
    let counted: u64 = earlier.iter().map(|f| f.count).sum();
    assert_eq!(counted, 100_001, "every earlier finding is still counted");

    let cp = Checkpoint::now();
    cp.assert_clean();
    let line = line!() + 1;
    unsafe { widget_free(fake.as_mut_ptr()) };
    let f = one(
        &cp.findings(),
        FindingKind::UnknownFree,
        "widget_free",
        line,
    );
    assert_eq!(f.count, 1);
    let again = Checkpoint::now();
    let line = line!() + 2;
    for _ in 0..2 {
        unsafe { widget_free(fake.as_mut_ptr()) };
    }
    assert_eq!(again.findings().len(), 1);
    assert_eq!(again.findings()[0].count, 2);
    assert_eq!(again.findings()[0].site.line, line);
    assert!(std::panic::catch_unwind(|| again.assert_clean()).is_err());
}
