//! A (pointer, length) range that wraps around the end of the address space
//! is `length_overflow`, for imports and exports alike (SPEC §2): the C
//! function is not called, the export's body does not run.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{assert_at, one};
use ffi_guard_rt::{Checkpoint, FindingKind, ffi_guard};
use ffi_guard_tests::{raw, sum_bytes, sum_u32};

/// 8 bytes below the end of the address space: 4 `u32`s run past it.
const TOP: usize = usize::MAX - 7;

static BODIES: AtomicUsize = AtomicUsize::new(0);

const EXPORT_LINE: u32 = line!() + 2;
#[ffi_guard(on_error = -1, slice(buf, len))]
extern "C" fn top_sum(buf: *const u32, len: usize) -> i64 {
    BODIES.fetch_add(1, Ordering::SeqCst);
    let s = unsafe { std::slice::from_raw_parts(buf, len) };
    s.iter().map(|&x| i64::from(x)).sum()
}

#[test]
fn an_export_never_runs_its_body_on_a_wrapping_range() {
    let cp = Checkpoint::now();
    let r = unsafe { raw::call_sum(top_sum, TOP as *const u32, 4) };
    assert_eq!(r, -1, "the export's error value");
    assert_eq!(BODIES.load(Ordering::SeqCst), 0, "the body ran");
    let found = cp.findings();
    let f = one(&found, FindingKind::LengthOverflow, "top_sum", EXPORT_LINE);
    assert!(f.message.contains("wraps around"), "{}", f.message);
    // A slice that ends below the top is no finding.
    let v = [1u32, 2, 3];
    assert_eq!(unsafe { raw::call_sum(top_sum, v.as_ptr(), 3) }, 6);
    assert_eq!(BODIES.load(Ordering::SeqCst), 1);
}

/// In panic mode (the default) the caller panics before the foreign call:
/// C never sees the range.
#[test]
fn an_import_never_calls_c_on_a_wrapping_range() {
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { sum_u32(TOP as *const u32, 4) });
    let text = *r
        .expect_err("a panic before C")
        .downcast::<String>()
        .expect("text");
    assert!(text.contains("length_overflow"), "{text}");
    one(&cp.findings(), FindingKind::LengthOverflow, "sum_u32", line);
    // Up to the last byte is no wrap; one byte more is.
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| unsafe { sum_bytes(TOP as *const u8, 8) });
    assert!(r.is_err());
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::LengthOverflow, "sum_bytes", line);
}
