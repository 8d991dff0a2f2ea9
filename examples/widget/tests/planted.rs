//! Planted bugs of the Rust/C boundary. Under `FFI_GUARD_MODE=report` (set
//! in `.cargo/config.toml`) every test passes: the runtime records each bug
//! and the program goes on safely. `cargo ffi-guard test` then reports them
//! and fails; `cargo ffi-guard check` finds them without running anything.

use std::ffi::{c_int, c_void};
use std::ptr;

use ffi_guard_rt::ffi_guard;
use widget::Widget;
use widget::ffi::{self, Options};

/// Runtime `leak` (and the lint's `unpaired_foreign_alloc`): the widget
/// from `widget_new` is never given to `widget_free`.
#[test]
fn leaks_a_widget() {
    let w = unsafe { ffi::widget_new(c"leaky".as_ptr()) };
    assert!(!w.is_null());
}

/// Another leak through the safe API; its site is inside `Widget::new`,
/// the same as the unit test's, so the report shows one group of two.
#[test]
fn forgets_a_widget_too() {
    std::mem::forget(Widget::new("forgotten too").expect("a widget"));
}

/// Runtime `double_free` (and the lint's `double_free`): the second release
/// is recorded and, in report mode, never reaches C's `free`.
#[test]
fn frees_a_widget_twice() {
    unsafe {
        let w = ffi::widget_new(c"twice".as_ptr());
        ffi::widget_free(w);
        ffi::widget_free(w);
    }
}

/// Runtime `panic`: the callback panics (an index out of bounds) while C is
/// walking the data. `#[ffi_guard]` catches it at the boundary, records it
/// with its backtrace and returns `on_error`, so C sees -1 and no unwinding.
#[test]
fn callback_panics_inside_c() {
    let mut w = Widget::new("panicky").expect("a widget");
    w.write(&[1, 2, 7]).expect("write");
    let rc = unsafe { ffi::widget_each(w.as_ptr(), lookup, ptr::null_mut()) };
    assert_eq!(rc, -1);
}

#[ffi_guard(on_error = -1)]
extern "C" fn lookup(byte: u8, _ctx: *mut c_void) -> c_int {
    const TABLE: [c_int; 4] = [0, 0, 0, 0];
    TABLE[usize::from(byte)]
}

/// Lint `leaked_into_raw`: the counter is boxed and handed to C, and no
/// `Box::from_raw` ever takes it back. The runtime does not see this one:
/// Rust memory that never passes a guarded release is not in its ledger.
#[test]
fn counter_given_to_c_is_never_released() {
    let mut w = Widget::new("counted").expect("a widget");
    w.write(b"abc").expect("write");
    let counter = Box::into_raw(Box::new(0u64));
    let rc = unsafe { ffi::widget_each(w.as_ptr(), count, counter.cast()) };
    assert_eq!(rc, 0);
}

#[ffi_guard(on_error = -1)]
extern "C" fn count(_byte: u8, ctx: *mut c_void) -> c_int {
    // `ctx` is the live boxed counter of the test above.
    unsafe { *ctx.cast::<u64>() += 1 };
    0
}

/// Lint `missing_repr_c`: `Options` has no `#[repr(C)]`, so C reads its
/// fields at the wrong offsets. Nothing checks the values here: the call
/// compiles (with rustc's `improper_ctypes` warning) and runs, and the
/// runtime cannot see a layout; `cargo ffi-guard check` denies it.
#[test]
fn options_without_repr_c() {
    let w = Widget::new("configured").expect("a widget");
    let opts = Options {
        verbose: true,
        limit: 4096,
    };
    let _limit = unsafe { ffi::widget_set_options(w.as_ptr(), &opts) };
}
