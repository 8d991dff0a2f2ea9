//! One test per finding kind reachable from guarded imports, each asserting
//! kind, function and the Rust line of the call; and the clean controls that
//! must produce no finding at all.

mod common;

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use common::{ModeScope, assert_at, one};
use ffi_guard_rt::{Checkpoint, FindingKind, Mode, ffi_guard};
use ffi_guard_tests::*;

#[ffi_guard]
unsafe extern "C" {
    /// `sum_bytes` with `nonnull` on top of the `slice`.
    #[ffi_guard(slice(buf, len), nonnull(buf))]
    #[link_name = "sum_bytes"]
    fn sum_nonnull(buf: *const u8, len: usize) -> u64;
}

#[test]
fn leak_of_an_allocation_never_released() {
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let w = unsafe { widget_new(c"leaky".as_ptr()) };
    assert!(!w.is_null());
    let f = one(&cp.findings(), FindingKind::Leak, "widget_new", line);
    assert_eq!(f.count, 1);
    assert_eq!(f.free_with.as_deref(), Some("widget_free"));
    assert_eq!(f.alloc_site.as_ref().map(|s| s.line), Some(line));
    assert_eq!(
        f.message,
        "1 pointer from widget_new never released with widget_free"
    );
    unsafe { widget_free(w) };
    assert_eq!(cp.findings(), vec![]);
}

#[test]
fn leaks_group_by_allocation_site() {
    let cp = Checkpoint::now();
    let mut ws = Vec::new();
    let line = line!() + 2;
    for _ in 0..3 {
        ws.push(unsafe { widget_new(ptr::null()) });
    }
    let f = one(&cp.findings(), FindingKind::Leak, "widget_new", line);
    assert_eq!(f.count, 3);
    assert_eq!(
        f.message,
        "3 pointers from widget_new never released with widget_free"
    );
    for w in ws {
        unsafe { widget_free(w) };
    }
    cp.assert_clean();
}

#[test]
fn double_free() {
    let _m = ModeScope::report();
    let cp = Checkpoint::now();
    let new_line = line!() + 1;
    let w = unsafe { widget_new(ptr::null()) };
    let free_line = line!() + 1;
    unsafe { widget_free(w) };
    let line = line!() + 1;
    unsafe { widget_free(w) };
    let f = one(&cp.findings(), FindingKind::DoubleFree, "widget_free", line);
    assert_eq!(f.alloc_site.map(|s| s.line), Some(new_line));
    assert_eq!(f.free_site.map(|s| s.line), Some(free_line));
}

#[test]
fn unknown_free_of_a_pointer_never_allocated() {
    let _m = ModeScope::report();
    let cp = Checkpoint::now();
    // A stack object: released by C's free it would corrupt the heap; the
    // guard refuses to forward it.
    let mut fake = MaybeUninit::<Widget>::uninit();
    let line = line!() + 1;
    unsafe { widget_free(fake.as_mut_ptr()) };
    one(
        &cp.findings(),
        FindingKind::UnknownFree,
        "widget_free",
        line,
    );
}

#[test]
fn allocator_mismatch_and_no_leak_for_it() {
    let _m = ModeScope::report();
    let cp = Checkpoint::now();
    let p = unsafe { buf_alloc(32) };
    let line = line!() + 1;
    unsafe { widget_free(p.cast::<Widget>()) };
    // One bug, one finding: the mismatched pointer is not also a leak.
    let f = one(
        &cp.findings(),
        FindingKind::AllocatorMismatch,
        "widget_free",
        line,
    );
    assert_eq!(f.free_with.as_deref(), Some("buf_release"));
    // Not forwarded, so the right release still works and is clean.
    unsafe { buf_release(p) };
    assert_eq!(cp.findings().len(), 1);
}

#[test]
fn use_after_free() {
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_free(w) };
    let cp = Checkpoint::now();
    // Panic mode: the call panics before C reads the freed widget.
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_id(w) });
    assert!(r.is_err());
    let f = one(&cp.findings(), FindingKind::UseAfterFree, "widget_id", line);
    assert!(f.free_site.is_some());
}

#[test]
fn use_after_consume_and_release_after_consume() {
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_give_to_pool(w) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_id(w) });
    assert!(r.is_err());
    one(&cp.findings(), FindingKind::UseAfterFree, "widget_id", line);

    let _m = ModeScope::report();

    let cp = Checkpoint::now();
    let line = line!() + 1;
    unsafe { widget_free(w) };
    one(&cp.findings(), FindingKind::DoubleFree, "widget_free", line);
}

#[test]
fn null_pointer_nonnull_and_slice() {
    // Panic mode: report mode would pass the null on, as unguarded code does.
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_id(ptr::null()) });
    assert!(r.is_err(), "the call must not reach C");
    one(&cp.findings(), FindingKind::NullPointer, "widget_id", line);

    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { sum_u32(ptr::null(), 3) });
    assert!(r.is_err());
    one(&cp.findings(), FindingKind::NullPointer, "sum_u32", line);
}

#[test]
fn null_under_nonnull_and_slice_is_one_finding() {
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { sum_nonnull(ptr::null(), 5) });
    assert!(r.is_err());
    let f = one(
        &cp.findings(),
        FindingKind::NullPointer,
        "sum_nonnull",
        line,
    );
    assert_eq!(f.count, 1);
}

#[test]
fn misaligned_pointer() {
    let _m = ModeScope::report();
    let buf = [1u32, 2, 3, 4];
    let odd = unsafe { buf.as_ptr().cast::<u8>().add(1).cast::<u32>() };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let _ = unsafe { sum_u32(odd, 2) };
    one(
        &cp.findings(),
        FindingKind::MisalignedPointer,
        "sum_u32",
        line,
    );
}

#[test]
fn length_overflow() {
    let buf = [1u32, 2, 3, 4];
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { sum_u32(buf.as_ptr(), usize::MAX / 2) });
    assert!(r.is_err(), "panic mode: the call panics before C reads");
    one(&cp.findings(), FindingKind::LengthOverflow, "sum_u32", line);
}

#[test]
fn panic_mode_panics_with_the_finding_text() {
    let _m = ModeScope::new(Mode::Panic);
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_id(ptr::null()) });
    let payload = r.expect_err("panic mode panics");
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("null_pointer") && text.contains("widget_id"),
        "{text}"
    );
    assert_at(
        &cp.findings()[0],
        FindingKind::NullPointer,
        "widget_id",
        line,
    );
}

#[test]
fn a_release_refused_for_another_argument_is_not_committed() {
    let w = unsafe { widget_new_noted(ptr::null()) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { widget_free_noting(w, ptr::null_mut()) });
    assert!(r.is_err(), "panic mode: the bad `note` stops the call");
    one(
        &cp.findings(),
        FindingKind::NullPointer,
        "widget_free_noting",
        line,
    );
    // C never released `w`, so the ledger must still hold it live.
    let cp = Checkpoint::now();
    let mut note = 0;
    unsafe { widget_free_noting(w, &mut note) };
    assert_eq!(note, 1);
    cp.assert_clean();
}

#[test]
fn clean_reused_address_is_live_again() {
    let cp = Checkpoint::now();
    let mut reused = false;
    for _ in 0..100 {
        let a = unsafe { widget_new(ptr::null()) };
        unsafe { widget_free(a) };
        let b = unsafe { widget_new(ptr::null()) };
        reused |= a == b;
        assert!(unsafe { widget_id(b) } > 0);
        unsafe { widget_free(b) };
        if reused {
            break;
        }
    }
    assert!(reused, "malloc never handed an address out again");
    cp.assert_clean();
}

#[test]
fn clean_empty_slices() {
    let cp = Checkpoint::now();
    assert_eq!(unsafe { sum_u32(ptr::null(), 0) }, 0);
    assert_eq!(
        unsafe { sum_u32(NonNull::<u32>::dangling().as_ptr(), 0) },
        0
    );
    assert_eq!(
        unsafe { sum_bytes(NonNull::<u8>::dangling().as_ptr(), 0) },
        0
    );
    // On the heap on purpose: the block checks see it.
    #[allow(clippy::useless_vec)]
    let v = vec![5u32; 10];
    assert_eq!(unsafe { sum_u32(v.as_ptr(), v.len()) }, 50);
    cp.assert_clean();
}

#[test]
fn clean_consumed_pointer_not_touched_again() {
    let cp = Checkpoint::now();
    let w = unsafe { widget_new(c"pooled".as_ptr()) };
    unsafe { widget_give_to_pool(w) };
    // Consumed: C owns it now, so it is no leak either.
    cp.assert_clean();
}

#[test]
fn free_null_is_no_finding() {
    let cp = Checkpoint::now();
    unsafe { widget_free(ptr::null_mut()) };
    unsafe { buf_release(ptr::null_mut::<c_void>()) };
    cp.assert_clean();
}

#[test]
fn errno_survives_allocation_and_printing() {
    let r = unsafe { fail_with_errno(libc::ENOENT) };
    assert_eq!(r, -1);
    // Rust code that allocates, prints and may itself touch errno.
    let v: Vec<String> = (0..100).map(|i| format!("item {i}")).collect();
    println!("allocated {} strings", v.len());
    let _ = std::fs::metadata("/definitely/not/here");
    assert_eq!(ffi_guard_rt::last_errno(), libc::ENOENT);
    assert_eq!(
        ffi_guard_rt::last_os_error().kind(),
        std::io::ErrorKind::NotFound
    );
}
