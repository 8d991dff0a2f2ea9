//! A `cstr` argument inside a Rust block without a NUL before the block's
//! end is `unterminated_cstr`.

mod alloc_common;

use std::ffi::CString;

use alloc_common::{alloc_c_strlen, assert_finding, one_finding};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn string_bytes_without_nul_are_unterminated() {
    let s = String::from("no terminator here");
    let bytes = s.into_bytes().into_boxed_slice();
    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { alloc_c_strlen(bytes.as_ptr().cast()) };
    });
    assert_finding(&f, FindingKind::UnterminatedCstr, "alloc_c_strlen", line);
}

#[test]
fn cstring_and_interior_pointers_are_fine() {
    let c = CString::new("hello, world").unwrap();
    let cp = Checkpoint::now();
    assert_eq!(unsafe { alloc_c_strlen(c.as_ptr()) }, 12);
    assert_eq!(unsafe { alloc_c_strlen(c.as_ptr().add(7)) }, 5);
    assert_eq!(cp.findings(), vec![]);
}
