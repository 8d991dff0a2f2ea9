//! `text(p, n)` with `TrackingAllocator`: `n` bytes inside the Rust block
//! that holds `p`, or, when `n` is negative, a NUL before the block's end.

mod alloc_common;

use std::ffi::{c_char, c_int, c_long};

use alloc_common::{assert_finding, one_finding};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator, ffi_guard};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(text(text, n))]
    fn text_count(text: *const c_char, n: c_int) -> c_long;
}

#[test]
fn a_length_past_the_block_is_out_of_bounds() {
    let bytes = b"four".to_vec().into_boxed_slice();
    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { text_count(bytes.as_ptr().cast(), 9) };
    });
    assert_finding(&f, FindingKind::OutOfBounds, "text_count", line);
}

#[test]
fn negative_length_without_nul_is_unterminated() {
    let bytes = b"no nul".to_vec().into_boxed_slice();
    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { text_count(bytes.as_ptr().cast(), -1) };
    });
    assert_finding(&f, FindingKind::UnterminatedCstr, "text_count", line);
}

#[test]
fn a_str_with_its_length_and_a_c_string_are_fine() {
    // rusqlite's shape: a `&str` without NUL and its length.
    let s = String::from("select 1");
    let c = std::ffi::CString::new("select 2").unwrap();
    let cp = Checkpoint::now();
    assert_eq!(
        unsafe { text_count(s.as_ptr().cast(), s.len() as c_int) },
        8
    );
    assert_eq!(unsafe { text_count(c.as_ptr(), -1) }, 8);
    assert_eq!(unsafe { text_count(s.as_ptr().cast(), 0) }, 0);
    cp.assert_clean();
}

#[ffi_guard]
unsafe extern "C" {
    // Inferred soft release: `xdb_close`'s allocation is declared elsewhere.
    fn xdb_close(d: *mut std::ffi::c_void) -> c_int;
}

#[test]
fn a_rust_block_released_by_a_soft_release_is_a_mismatch() {
    let b = vec![0u8; 32].into_boxed_slice();
    let p = Box::into_raw(b).cast::<std::ffi::c_void>();
    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { xdb_close(p) };
    });
    assert_finding(&f, FindingKind::AllocatorMismatch, "xdb_close", line);
    // SAFETY: the release was refused; the block is still Rust's.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p.cast::<u8>(), 32)) });
}
