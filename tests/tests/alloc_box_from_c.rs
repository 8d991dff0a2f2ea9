//! `Box::from_raw` on a C `malloc` pointer: the allocator refuses the dealloc
//! (`allocator_mismatch`), the system heap is never corrupted, and the
//! program goes on.

mod alloc_common;

use alloc_common::{alloc_c_free, alloc_c_malloc, assert_finding, churn};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn box_from_raw_on_c_memory_is_refused_and_the_heap_survives() {
    let p = unsafe { alloc_c_malloc(48, 0xAB) }.cast::<[u8; 48]>();
    assert!(!p.is_null());
    // Where the runtime sees C's heap, it knows the block as C's.
    let side = if TrackingAllocator::observes_c_heap() {
        "c-live"
    } else {
        "unknown"
    };
    assert_eq!(TrackingAllocator::__block_of(p as usize).0, side);
    let refused = TrackingAllocator::__refused();

    let cp = Checkpoint::now();
    let b = unsafe { Box::from_raw(p) };
    assert_eq!(b[47], 0xAB);
    let line = line!() + 1;
    drop(b);

    // Process-wide: the other tests of this file refuse theirs meanwhile.
    assert!(TrackingAllocator::__refused() > refused);
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    // The ledger knows the pointer came from the guarded `alloc_c_malloc`.
    assert_finding(
        &found[0],
        FindingKind::AllocatorMismatch,
        "alloc_c_malloc",
        line,
    );
    assert_eq!(found[0].free_with.as_deref(), Some("alloc_c_free"));
    assert_eq!(found[0].bytes, Some(48));

    // The refused block was never given to free(): it is still C's, intact,
    // and C can release it.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), 48) };
    assert!(bytes.iter().all(|&b| b == 0xAB));
    unsafe { alloc_c_free(p.cast()) };

    // The heap is sound: a lot of allocation afterwards, and no finding.
    let cp = Checkpoint::now();
    assert!(churn(200_000) > 0);
    assert_eq!(cp.findings(), vec![]);
}

#[test]
fn cstring_from_raw_on_c_memory_is_refused() {
    let p = unsafe { alloc_c_malloc(8, b'x') }.cast::<u8>();
    unsafe { p.add(7).write(0) };
    let cp = Checkpoint::now();
    let s = unsafe { std::ffi::CString::from_raw(p.cast()) };
    assert_eq!(s.as_bytes(), b"xxxxxxx");
    let line = line!() + 1;
    drop(s);
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::AllocatorMismatch);
    assert_eq!(found[0].site.line, line);
    unsafe { alloc_c_free(p.cast()) };
}

#[test]
fn vec_growth_of_c_memory_copies_instead_of_freeing() {
    let p = unsafe { alloc_c_malloc(16, 7) }.cast::<u8>();
    let cp = Checkpoint::now();
    let mut v = unsafe { Vec::from_raw_parts(p, 16, 16) };
    v.extend_from_slice(&[9; 100]); // realloc of C memory: refused, copied
    assert_eq!(&v[..16], &[7; 16]);
    assert_eq!(v.len(), 116);
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::AllocatorMismatch);
    drop(v); // the copy is a Rust block: a clean free
    assert_eq!(cp.findings().len(), 1);
    unsafe { alloc_c_free(p.cast()) };
}

#[test]
fn box_from_raw_on_unguarded_c_memory_names_dealloc() {
    // `libc::malloc` directly: the ledger never saw this pointer. A size no
    // Rust block of these tests has, so the address is no freed Rust block
    // of the same size (that would read as a Rust double free).
    let p = unsafe { libc::malloc(5000) }.cast::<[u8; 5000]>();
    assert!(!p.is_null());
    let cp = Checkpoint::now();
    let line = line!() + 1;
    drop(unsafe { Box::from_raw(p) });
    let found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(&found[0], FindingKind::AllocatorMismatch, "dealloc", line);
    // Not a leak either: one bug is one finding, and C can still free it.
    unsafe { libc::free(p.cast()) };
    assert_eq!(cp.findings().len(), 1);
}
