//! A slice passed to C that runs past the end of its Rust heap block is
//! `out_of_bounds`; slices inside the block, interior ones included, are fine.

mod alloc_common;

use alloc_common::{alloc_c_fill, alloc_c_sum, assert_finding, one_finding};
use ffi_guard_rt::{Checkpoint, FindingKind, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn slice_past_the_block_end_is_out_of_bounds() {
    let v: Vec<u8> = (0..64).collect();
    assert_eq!(v.capacity(), 64);
    let inner = unsafe { v.as_ptr().add(48) };
    let (state, start, size) = TrackingAllocator::__block_of(inner as usize);
    assert_eq!((state, start, size), ("live", v.as_ptr() as usize, 64));

    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { alloc_c_sum(inner, 32) };
    });
    assert_finding(&f, FindingKind::OutOfBounds, "alloc_c_sum", line);
}

#[test]
fn interior_slices_inside_the_block_are_fine() {
    let v: Vec<u8> = (0..200).collect();
    let cp = Checkpoint::now();
    let sum = unsafe { alloc_c_sum(v.as_ptr().add(100), 100) };
    assert_eq!(sum, (100..200).sum::<u64>());
    // A destination with room to spare: capacity counts, not length.
    let mut dst: Vec<u8> = Vec::with_capacity(300);
    unsafe {
        alloc_c_fill(dst.as_mut_ptr(), v.as_ptr(), 200);
        dst.set_len(200);
    }
    assert_eq!(dst, v);
    assert_eq!(cp.findings(), vec![]);
}

#[test]
fn write_past_a_vec_capacity_is_out_of_bounds() {
    let src = [1u8; 100];
    let mut dst: Vec<u8> = Vec::with_capacity(50);
    let mut line = 0;
    let f = one_finding(|| {
        line = line!() + 1;
        unsafe { alloc_c_fill(dst.as_mut_ptr(), src.as_ptr(), 100) };
    });
    assert_finding(&f, FindingKind::OutOfBounds, "alloc_c_fill", line);
}
