//! The control: a busy program that uses the tracked heap with C correctly,
//! on two threads, has no finding at all.

mod alloc_common;

use std::ffi::CString;

use alloc_common::{
    alloc_c_fill, alloc_c_free, alloc_c_malloc, alloc_c_strlen, alloc_c_sum, churn,
};
use ffi_guard_rt::{Checkpoint, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

fn work(seed: u64) -> u64 {
    let mut total = churn(20_000);
    for i in 0..2_000u64 {
        let n = 1 + ((i * 7919 + seed) % 3000) as usize;
        let v: Vec<u8> = (0..n).map(|k| (k % 256) as u8).collect();
        let half = n / 2;
        total += unsafe { alloc_c_sum(v.as_ptr().add(half), n - half) };
        let mut dst = vec![0u8; n];
        unsafe { alloc_c_fill(dst.as_mut_ptr(), v.as_ptr(), n) };
        assert_eq!(dst, v);
        let s = CString::new(format!("item {i} of {seed}")).unwrap();
        total += unsafe { alloc_c_strlen(s.as_ptr()) } as u64;
        let c = unsafe { alloc_c_malloc(n, 1) };
        total += unsafe { alloc_c_sum(c.cast(), n) };
        unsafe { alloc_c_free(c) };
        let b = Box::into_raw(Box::new(i));
        total += unsafe { *Box::from_raw(b) };
    }
    total
}

#[test]
fn a_busy_correct_program_has_no_findings() {
    let refused = TrackingAllocator::__refused();
    let cp = Checkpoint::now();
    let other = std::thread::spawn(|| {
        let cp = Checkpoint::now();
        let t = work(2);
        (t, cp.findings())
    });
    let mine = work(1);
    let (theirs, their_findings) = other.join().unwrap();
    assert!(mine > 0 && theirs > 0);
    assert_eq!(cp.findings(), vec![]);
    assert_eq!(their_findings, vec![]);
    assert_eq!(TrackingAllocator::__refused(), refused);
}
