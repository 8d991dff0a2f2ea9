//! Exports with every default error value and with `on_error`: each keeps
//! its signature (it still coerces to a C function pointer) and a panic in
//! its body returns the error value instead of unwinding.

use std::ffi::c_void;

use ffi_guard_rt::{Checkpoint, FindingKind, ffi_guard};

#[derive(Default)]
pub struct Widget {
    pub n: i32,
}

#[ffi_guard]
#[unsafe(no_mangle)]
pub extern "C" fn ui_unit(fail: bool) {
    assert!(!fail, "planted panic");
}

#[ffi_guard(alloc(free = ui_widget_free))]
#[unsafe(no_mangle)]
pub extern "C" fn ui_widget_new(fail: bool) -> *mut Widget {
    assert!(!fail, "planted panic");
    Box::into_raw(Box::new(Widget::default()))
}

#[ffi_guard(free(w))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ui_widget_free(w: *mut Widget) {
    drop(Box::from_raw(w));
}

#[ffi_guard]
pub extern "C-unwind" fn ui_const(fail: bool) -> *const u8 {
    assert!(!fail, "planted panic");
    c"x".as_ptr().cast()
}

#[ffi_guard]
#[unsafe(export_name = "ui_find")]
pub extern "system" fn find(fail: bool) -> Option<&'static Widget> {
    static W: Widget = Widget { n: 7 };
    assert!(!fail, "planted panic");
    Some(&W)
}

#[ffi_guard]
extern "C" fn ui_flag(fail: bool) -> bool {
    !fail || panic!("planted panic")
}

#[ffi_guard(on_error = -1, slice(buf, len), nonnull(buf))]
#[unsafe(no_mangle)]
pub extern "C" fn ui_sum(buf: *const u8, len: usize) -> i32 {
    let bytes = unsafe { std::slice::from_raw_parts(buf, len) };
    if bytes.is_empty() {
        panic!("planted panic");
    }
    bytes.iter().map(|&b| i32::from(b)).sum()
}

#[ffi_guard(on_panic = 0.5)]
pub extern "C" fn ui_ratio(fail: bool) -> f64 {
    if fail {
        panic!("planted panic");
    }
    1.0
}

fn main() {
    let as_c: [extern "C" fn(bool); 1] = [ui_unit];
    let _: unsafe extern "C" fn(*mut Widget) = ui_widget_free;
    let _: extern "C" fn(*const u8, usize) -> i32 = ui_sum;
    let _: *const c_void = ui_sum as *const c_void;
    as_c[0](false);

    let w = ui_widget_new(false);
    assert_eq!(unsafe { (*w).n }, 0);
    unsafe { ui_widget_free(w) };
    assert!(!ui_const(false).is_null());
    assert_eq!(find(false).map(|w| w.n), Some(7));
    assert!(ui_flag(false));
    assert_eq!(ui_sum([1u8, 2, 3].as_ptr(), 3), 6);
    assert_eq!(ui_ratio(false), 1.0);

    // A panic in the body returns the error value; it never unwinds.
    let checkpoint = Checkpoint::now();
    ui_unit(true);
    assert!(ui_widget_new(true).is_null());
    assert!(ui_const(true).is_null());
    assert!(find(true).is_none());
    assert!(!ui_flag(true));
    assert_eq!(ui_sum([].as_ptr(), 0), -1);
    // A refused argument returns the error value without running the body.
    assert_eq!(ui_sum(std::ptr::null(), 0), -1);
    assert_eq!(ui_ratio(true), 0.5);

    let found: Vec<(FindingKind, String)> =
        checkpoint.findings().into_iter().map(|f| (f.kind, f.function)).collect();
    let expected = [
        (FindingKind::Panic, "ui_unit"),
        (FindingKind::Panic, "ui_widget_new"),
        (FindingKind::Panic, "ui_const"),
        (FindingKind::Panic, "find"),
        (FindingKind::Panic, "ui_flag"),
        (FindingKind::Panic, "ui_sum"),
        (FindingKind::NullPointer, "ui_sum"),
        (FindingKind::Panic, "ui_ratio"),
    ];
    assert_eq!(found, expected.map(|(k, f)| (k, f.to_string())));
    // An export's site is its own definition: the line of its name.
    let refused = &checkpoint.findings()[6];
    assert_eq!((refused.site.line, refused.site.column), (SUM_LINE, 19));
}

const SUM_LINE: u32 = 54;
