//! Without `TrackingAllocator` the runtime does not see the heap: a pointer
//! released through a guarded release is `use_after_free` only when it comes
//! back as the same object (the pointee type its alloc returned), never as
//! a byte or `c_char` buffer, which C may have allocated again meanwhile.

mod heap_common;

use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};
use heap_common::*;

#[test]
fn a_released_object_passed_again_as_itself_is_use_after_free() {
    assert!(!TrackingAllocator::observes_c_heap());
    let _report = ModeScope::report();
    let o = unsafe { heap_obj_new(7) };
    assert_eq!(unsafe { heap_obj_get(o) }, 7);
    unsafe { heap_obj_free(o) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    unsafe { heap_obj_get(o) };
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_at(&found[0], FindingKind::UseAfterFree, "heap_obj_get", line);
}

#[test]
fn a_released_address_passed_as_a_buffer_is_no_finding() {
    let cp = Checkpoint::now();
    let o = unsafe { heap_obj_new(7) };
    unsafe { heap_obj_free(o) };
    // malloc hands the 64-byte chunk straight back: now a Rust buffer.
    let buf = Box::new([1u8; 64]);
    assert_eq!(buf.as_ptr() as usize, o as usize, "glibc reuses the chunk");
    assert_eq!(unsafe { heap_c_sum(buf.as_ptr(), 64) }, 64);

    // Issue 9's small program, unobserved: a released C string's address
    // comes back as a Rust `CString`, passed as a `cstr`.
    let mut same_address = 0;
    for _ in 0..100 {
        let c = unsafe { heap_c_strdup(c"a released C string".as_ptr()) };
        unsafe { heap_c_free(c) };
        let again = std::ffi::CString::new(vec![b'x'; 19]).unwrap();
        same_address += usize::from(again.as_ptr() == c.cast_const());
        assert_eq!(unsafe { heap_c_strlen(again.as_ptr()) }, 19);
    }
    assert!(same_address > 0, "the CString never landed on the C string");
    cp.assert_clean();
}
