//! C calling Rust: guarded exports and callbacks handed to C as function
//! pointers, called with null, misaligned and released pointers, freed twice
//! or freed wild, and panicking, on the calling thread and on threads that
//! C creates with pthread. Each finding is asserted by kind, function and
//! site (the export's own definition); the process survives every one.

mod common;

use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::assert_at;
use ffi_guard_rt::__private::set_process_mode_for_tests;
use ffi_guard_rt::{Checkpoint, Finding, FindingKind, Mode, ffi_guard};
use ffi_guard_tests::{raw, widget_id};

/// The findings of C's threads are read process-wide: the tests of this
/// file run one at a time so that they do not see each other's.
static SERIAL: Mutex<()> = Mutex::new(());

static SUM_BODIES: AtomicUsize = AtomicUsize::new(0);
static HANDLE_DROPS: AtomicUsize = AtomicUsize::new(0);

struct Handle {
    value: u64,
}

impl Drop for Handle {
    fn drop(&mut self) {
        HANDLE_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

const RS_SUM_LINE: u32 = line!() + 2;
#[ffi_guard(on_error = -1, slice(buf, len))]
extern "C" fn rs_sum(buf: *const u32, len: usize) -> i64 {
    SUM_BODIES.fetch_add(1, Ordering::SeqCst);
    if len == 0 {
        // C's empty slice may be null, which `from_raw_parts` does not take.
        return 0;
    }
    let s = unsafe { std::slice::from_raw_parts(buf, len) };
    s.iter().map(|&x| i64::from(x)).sum()
}

const RS_HANDLE_NEW_LINE: u32 = line!() + 2;
#[ffi_guard(alloc(free = rs_handle_free))]
extern "C" fn rs_handle_new() -> *mut c_void {
    Box::into_raw(Box::new(Handle { value: 7 })).cast()
}

const RS_HANDLE_FREE_LINE: u32 = line!() + 2;
#[ffi_guard(free(p))]
extern "C" fn rs_handle_free(p: *mut c_void) {
    let h = unsafe { Box::from_raw(p.cast::<Handle>()) };
    assert_eq!(h.value, 7);
}

const RS_PANICS_LINE: u32 = line!() + 2;
#[ffi_guard(on_error = -1)]
extern "C" fn rs_panics(x: c_int) -> c_int {
    if x > 0 {
        panic!("callback refused {x}");
    }
    x
}

/// The line of the guarded import call in `rs_calls_bad_import`'s body.
const RS_CALLS_BAD_IMPORT_CALL_LINE: u32 = line!() + 4;
#[ffi_guard(on_error = -5)]
extern "C" fn rs_calls_bad_import(x: c_int) -> c_int {
    // `widget_id` is `nonnull(w)`: in panic mode it records and panics.
    let id = unsafe { widget_id(ptr::null()) };
    id + x
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn only(cp: &Checkpoint, function: &str) -> Vec<Finding> {
    cp.findings()
        .into_iter()
        .filter(|f| f.function == function)
        .collect()
}

#[track_caller]
fn one(found: Vec<Finding>, kind: FindingKind, function: &str, line: u32) -> Finding {
    assert_eq!(found.len(), 1, "expected one finding, got {found:#?}");
    assert_at(&found[0], kind, function, line);
    found.into_iter().next().unwrap_or_else(|| unreachable!())
}

#[test]
fn clean_callbacks_and_handles() {
    let _s = serial();
    let cp = Checkpoint::now_all_threads();
    let v = [1u32, 2, 3];
    assert_eq!(unsafe { raw::call_sum(rs_sum, v.as_ptr(), 3) }, 6);
    assert_eq!(unsafe { raw::call_sum_in_thread(rs_sum, v.as_ptr(), 3) }, 6);
    assert_eq!(unsafe { raw::call_sum(rs_sum, ptr::null(), 0) }, 0);
    let h = unsafe { raw::call_new(rs_handle_new) };
    unsafe { raw::call_free(rs_handle_free, h) };
    let h = unsafe { raw::call_new(rs_handle_new) };
    unsafe { raw::call_free_in_thread(rs_handle_free, h) };
    assert_eq!(unsafe { raw::call_plain(rs_panics, -4) }, -4);
    cp.assert_clean();
}

#[test]
fn null_slice_from_c_skips_the_body() {
    let _s = serial();
    for in_thread in [false, true] {
        let cp = Checkpoint::now_all_threads();
        let before = SUM_BODIES.load(Ordering::SeqCst);
        let r = if in_thread {
            unsafe { raw::call_sum_in_thread(rs_sum, ptr::null(), 3) }
        } else {
            unsafe { raw::call_sum(rs_sum, ptr::null(), 3) }
        };
        assert_eq!(r, -1);
        assert_eq!(SUM_BODIES.load(Ordering::SeqCst), before, "the body ran");
        one(
            only(&cp, "rs_sum"),
            FindingKind::NullPointer,
            "rs_sum",
            RS_SUM_LINE,
        );
    }
}

#[test]
fn misaligned_slice_from_c_skips_the_body() {
    let _s = serial();
    let v = [1u32, 2, 3, 4];
    let odd = unsafe { v.as_ptr().cast::<u8>().add(2).cast::<u32>() };
    for in_thread in [false, true] {
        let cp = Checkpoint::now_all_threads();
        let r = if in_thread {
            unsafe { raw::call_sum_in_thread(rs_sum, odd, 2) }
        } else {
            unsafe { raw::call_sum(rs_sum, odd, 2) }
        };
        assert_eq!(r, -1);
        one(
            only(&cp, "rs_sum"),
            FindingKind::MisalignedPointer,
            "rs_sum",
            RS_SUM_LINE,
        );
    }
}

#[test]
fn released_handle_back_as_a_buffer_is_no_finding_without_the_whole_heap() {
    // Without `TrackingAllocator` the runtime does not see the heap: the
    // released `*mut c_void` handle may be any new block C (or Rust) got at
    // that address since, and a `u32` buffer is never "the same object".
    let _s = serial();
    for in_thread in [false, true] {
        let h = unsafe { raw::call_new(rs_handle_new) };
        unsafe { raw::call_free(rs_handle_free, h) };
        // The freed chunk comes straight back: a buffer now, really.
        let buf = Box::new(9u32);
        assert_eq!(
            &raw const *buf as usize, h as usize,
            "glibc reuses the chunk"
        );
        let cp = Checkpoint::now_all_threads();
        let before = SUM_BODIES.load(Ordering::SeqCst);
        let r = if in_thread {
            unsafe { raw::call_sum_in_thread(rs_sum, h.cast(), 1) }
        } else {
            unsafe { raw::call_sum(rs_sum, h.cast(), 1) }
        };
        assert_eq!(r, 9);
        assert_eq!(SUM_BODIES.load(Ordering::SeqCst), before + 1);
        assert!(only(&cp, "rs_sum").is_empty(), "{:#?}", cp.findings());
    }
}

#[test]
fn double_free_of_a_rust_handle_never_reaches_box_from_raw() {
    let _s = serial();
    for in_thread in [false, true] {
        let h = unsafe { raw::call_new(rs_handle_new) };
        let drops = HANDLE_DROPS.load(Ordering::SeqCst);
        unsafe { raw::call_free(rs_handle_free, h) };
        assert_eq!(HANDLE_DROPS.load(Ordering::SeqCst), drops + 1);
        let cp = Checkpoint::now_all_threads();
        if in_thread {
            unsafe { raw::call_free_in_thread(rs_handle_free, h) };
        } else {
            unsafe { raw::call_free(rs_handle_free, h) };
        }
        assert_eq!(
            HANDLE_DROPS.load(Ordering::SeqCst),
            drops + 1,
            "freed twice"
        );
        let f = one(
            only(&cp, "rs_handle_free"),
            FindingKind::DoubleFree,
            "rs_handle_free",
            RS_HANDLE_FREE_LINE,
        );
        assert_eq!(f.alloc_site.map(|s| s.line), Some(RS_HANDLE_NEW_LINE));
    }
}

#[test]
fn wild_free_of_a_rust_handle_is_refused() {
    let _s = serial();
    let mut not_a_handle = [0u64; 4];
    for in_thread in [false, true] {
        let cp = Checkpoint::now_all_threads();
        let drops = HANDLE_DROPS.load(Ordering::SeqCst);
        let wild = not_a_handle.as_mut_ptr().cast::<c_void>();
        if in_thread {
            unsafe { raw::call_free_in_thread(rs_handle_free, wild) };
        } else {
            unsafe { raw::call_free(rs_handle_free, wild) };
        }
        assert_eq!(HANDLE_DROPS.load(Ordering::SeqCst), drops);
        one(
            only(&cp, "rs_handle_free"),
            FindingKind::UnknownFree,
            "rs_handle_free",
            RS_HANDLE_FREE_LINE,
        );
    }
}

#[test]
fn free_null_skips_the_body_silently() {
    let _s = serial();
    let cp = Checkpoint::now_all_threads();
    unsafe { raw::call_free(rs_handle_free, ptr::null_mut()) };
    unsafe { raw::call_free_in_thread(rs_handle_free, ptr::null_mut()) };
    assert_eq!(only(&cp, "rs_handle_free"), vec![]);
}

#[test]
fn panicking_callback_returns_on_error_and_is_recorded() {
    let _s = serial();
    for in_thread in [false, true] {
        let cp = Checkpoint::now_all_threads();
        let r = if in_thread {
            unsafe { raw::call_plain_in_thread(rs_panics, 7) }
        } else {
            unsafe { raw::call_plain(rs_panics, 5) }
        };
        assert_eq!(r, -1);
        let f = one(
            only(&cp, "rs_panics"),
            FindingKind::Panic,
            "rs_panics",
            RS_PANICS_LINE,
        );
        assert!(f.message.contains("callback refused"), "{}", f.message);
        assert!(
            f.message.contains("exports.rs"),
            "the panic's location: {}",
            f.message
        );
        let frames = f.backtrace.expect("a panic finding has a backtrace");
        let caller = if in_thread { "run_job" } else { "call_plain" };
        assert!(
            frames.iter().any(|fr| fr.function.contains(caller)),
            "the C caller {caller} is not in {frames:#?}"
        );
    }
}

/// Panic mode, process-wide (for C's threads too) while alive.
struct PanicMode;

impl PanicMode {
    fn new() -> PanicMode {
        set_process_mode_for_tests(Some(Mode::Panic));
        PanicMode
    }
}

impl Drop for PanicMode {
    fn drop(&mut self) {
        set_process_mode_for_tests(None);
    }
}

#[test]
fn bad_import_call_inside_an_export_is_one_finding() {
    let _s = serial();
    let _m = PanicMode::new();
    for in_thread in [false, true] {
        let cp = Checkpoint::now_all_threads();
        let r = if in_thread {
            unsafe { raw::call_plain_in_thread(rs_calls_bad_import, 1) }
        } else {
            unsafe { raw::call_plain(rs_calls_bad_import, 1) }
        };
        assert_eq!(r, -5, "the import's panic is caught at the export");
        // The import's null_pointer only: its panic is the finding's, not
        // a second bug of the export (SPEC §2, one bug is one finding).
        let mut found = only(&cp, "rs_calls_bad_import");
        found.extend(only(&cp, "widget_id"));
        let f = one(
            found,
            FindingKind::NullPointer,
            "widget_id",
            RS_CALLS_BAD_IMPORT_CALL_LINE,
        );
        assert!(f.message.contains("`w` is null"), "{}", f.message);
    }
}

#[test]
fn a_caught_finding_panic_does_not_hide_a_later_export_panic() {
    let _s = serial();
    let _m = PanicMode::new();
    // The user catches the finding's panic outside any export.
    let r = std::panic::catch_unwind(|| unsafe { widget_id(ptr::null()) });
    assert!(r.is_err());
    let cp = Checkpoint::now_all_threads();
    assert_eq!(unsafe { raw::call_plain(rs_panics, 3) }, -1);
    one(
        only(&cp, "rs_panics"),
        FindingKind::Panic,
        "rs_panics",
        RS_PANICS_LINE,
    );
}
