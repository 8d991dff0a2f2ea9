//! The callback user-data pattern without a tracking allocator (see
//! `userdata_common`), and its limit: a pointer *released* by a guarded
//! free function, then passed by C to a guarded callback as `void *` user
//! data, is no finding there (without `TrackingAllocator` a `c_void` buffer
//! may be anything C allocated again), but it is `use_after_free` where the
//! callback passes it on as the same object (`*const Widget`), before C
//! reads it.

mod common;
mod userdata_common;

use std::sync::atomic::Ordering;

use ffi_guard_rt::{Checkpoint, FindingKind};
use ffi_guard_tests::{raw, widget_free, widget_new};
use userdata_common::{WIDGET_FIRES, WIDGET_SERIAL, on_fire_widget};

#[test]
fn rust_box_user_data_is_c_to_pass_back() {
    userdata_common::rust_box_round_trip();
}

#[test]
fn c_pointer_user_data_is_c_to_pass_back() {
    userdata_common::c_pointer_round_trip();
}

#[test]
fn released_pointer_passed_back_is_use_after_free() {
    // One at a time with the other widget test: C's malloc could hand the
    // freed address to its `widget_new` before the callback.
    let _serial = WIDGET_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let fires = WIDGET_FIRES.load(Ordering::SeqCst);
    let w = unsafe { widget_new(c"gone".as_ptr()) };
    assert!(!w.is_null());
    unsafe { widget_free(w) };
    let cp = Checkpoint::now();
    unsafe { raw::call_free(on_fire_widget, w.cast()) };
    let found = cp.findings();
    assert_eq!(found.len(), 1, "expected one finding, got {found:#?}");
    let f = &found[0];
    assert_eq!(f.kind, FindingKind::UseAfterFree, "{f:#?}");
    assert_eq!(f.function, "widget_id");
    // The body's guarded call, as the widget it was.
    assert_eq!(f.site.line, userdata_common::ON_FIRE_WIDGET_LINE + 2);
    assert!(
        f.site.file.ends_with("userdata_common/mod.rs"),
        "{}",
        f.site
    );
    assert!(
        f.message.contains("released by widget_free"),
        "{}",
        f.message
    );
    assert_eq!(
        WIDGET_FIRES.load(Ordering::SeqCst),
        fires,
        "the body went on after the finding"
    );
}
