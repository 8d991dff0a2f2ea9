//! Blocks allocated on one thread and freed on another (through a channel),
//! grown with `realloc` on the way: the allocator keeps an exact account of
//! them, and nothing is refused or reported.

use std::sync::mpsc;

use ffi_guard_rt::{Checkpoint, TrackingAllocator};

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn blocks_cross_threads_and_stay_exactly_known() {
    let refused = TrackingAllocator::__refused();
    let cp = Checkpoint::now_all_threads();
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(64);
    let producer = std::thread::spawn(move || {
        for i in 0..20_000usize {
            let mut v = Vec::with_capacity(8 + i % 2000);
            v.extend(std::iter::repeat_n((i % 256) as u8, 8 + i % 2000));
            if i % 3 == 0 {
                v.reserve_exact(v.capacity() + 100); // realloc, often moving
            }
            let (state, start, size) = TrackingAllocator::__block_of(v.as_ptr() as usize + 5);
            assert_eq!(state, "live");
            assert_eq!(start, v.as_ptr() as usize);
            assert_eq!(size, v.capacity());
            tx.send(v).expect("the consumer is alive");
        }
    });
    let mut total = 0u64;
    for v in rx {
        assert_eq!(TrackingAllocator::__block_of(v.as_ptr() as usize).0, "live");
        total += u64::from(v[v.len() - 1]);
        let p = v.as_ptr() as usize;
        drop(v); // freed on another thread than it was allocated on
        let state = TrackingAllocator::__block_of(p).0;
        assert!(state == "freed" || state == "live", "{state}");
    }
    producer.join().expect("producer");
    assert!(total > 0);
    assert_eq!(cp.findings(), vec![]);
    assert_eq!(TrackingAllocator::__refused(), refused);
}
