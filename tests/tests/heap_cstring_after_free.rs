//! Issue 9's small program: a C string from a guarded `alloc` is released
//! with the guarded `free`, then a Rust `CString` lands on the same address
//! and is passed as a `cstr`: no finding, 100 times. A real use after free
//! of the released string is still found.

mod heap_common;

use std::ffi::CString;

use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn a_rust_cstring_on_a_released_c_string_is_no_finding() {
    let cp = Checkpoint::now();
    let mut same_address = 0;
    for i in 0..100 {
        let text = CString::new(format!("widget name {i:03}")).unwrap();
        let c = unsafe { heap_c_strdup(text.as_ptr()) };
        let len = text.as_bytes().len();
        unsafe { heap_c_free(c) };
        let again = CString::new(vec![b'x'; len]).unwrap();
        if again.as_ptr() == c.cast_const() {
            same_address += 1;
        }
        assert_eq!(unsafe { heap_c_strlen(again.as_ptr()) }, len);
    }
    assert!(same_address > 0, "the CString never landed on the C string");
    cp.assert_clean();
}

#[test]
fn a_real_use_after_free_is_still_found() {
    let _report = ModeScope::report();
    let c = unsafe { heap_c_strdup(c"released".as_ptr()) };
    // Keeps malloc from handing the address straight back.
    let fence = unsafe { heap_c_strdup(c"fence".as_ptr()) };
    let cp = Checkpoint::now();
    unsafe { heap_c_free(c) };
    let line = line!() + 1;
    unsafe { heap_c_strlen(c) };
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::UseAfterFree, "heap_c_strlen", line);
    unsafe { heap_c_free(fence) };
}
