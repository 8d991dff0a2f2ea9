//! C's heap changing on other threads while guarded calls look blocks up:
//! two threads' C code allocates and frees without pause (their blocks share
//! bitmap words and leaves with the ones in use), another thread's Rust
//! code allocates and frees too, and the test thread passes the blocks C
//! holds, as slices and as plain pointers, to guarded functions. A race
//! may hide a block from a lookup (silence) but must never make a live
//! block look freed: zero findings.

mod heap_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn live_c_blocks_stay_live_while_the_heap_churns() {
    assert!(TrackingAllocator::observes_c_heap());
    let _held = held_lock();
    let _mode = ModeScope::report();
    let cp = Checkpoint::now_all_threads();
    let sizes = sizes(256, 3);
    unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
    let stop = AtomicBool::new(false);
    let mut checks = 0u64;
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    // SAFETY: self-contained C that mallocs and frees.
                    unsafe { heap_c_churn(500) };
                }
            });
        }
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let blocks: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![1; n]).collect();
                drop(std::hint::black_box(blocks));
            }
        });
        let end = Instant::now() + Duration::from_millis(800);
        while Instant::now() < end {
            for i in 0..unsafe { heap_c_held_count() } {
                let p = unsafe { heap_c_held(i) }.cast::<u8>();
                let len = unsafe { heap_c_held_len(i) };
                // SAFETY: C holds the block, `len` bytes, until the test ends.
                let first = unsafe { *p };
                assert_eq!(unsafe { heap_c_sum(p, len) }, u64::from(first) * len as u64);
                unsafe { heap_obj_get(p.cast::<HeapObj>()) };
                checks += 2;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    unsafe { heap_c_release_all() };
    assert!(checks > 1000, "{checks} checks");
    cp.assert_clean();
}
