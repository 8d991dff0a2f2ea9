//! `fork` while other threads allocate: the child can allocate and look up
//! blocks at once (no allocator lock is left held in it).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ffi_guard_rt::TrackingAllocator;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

/// Ends the process if the test has not finished in `limit`: a `fork` that
/// leaves an allocator lock held hangs the parent too, and a hang must fail
/// the run, not stall it. Allocates nothing once started.
fn watchdog(limit: Duration, done: &'static AtomicBool) {
    std::thread::spawn(move || {
        let start = Instant::now();
        while !done.load(Ordering::Relaxed) {
            if start.elapsed() > limit {
                let msg = b"alloc_fork: the parent hung in the allocator after a fork\n";
                // SAFETY: writes a static buffer to stderr, then ends the
                // process without running anything that could allocate.
                unsafe {
                    libc::write(2, msg.as_ptr().cast(), msg.len());
                    libc::_exit(101);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
}

#[test]
fn children_forked_during_allocation_can_allocate() {
    static STOP: AtomicBool = AtomicBool::new(false);
    watchdog(Duration::from_secs(120), &STOP);
    // The workers' latest blocks: their heap regions, hence their shards.
    static LATEST: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let workers: Vec<_> = (0..2)
        .map(|t| {
            std::thread::spawn(move || {
                let mut keep = Vec::new();
                let mut i = 0usize;
                while !STOP.load(Ordering::Relaxed) {
                    let v = vec![t as u8; 8 + i % 3000];
                    LATEST[t].store(v.as_ptr() as usize, Ordering::Relaxed);
                    keep.push(v);
                    if keep.len() > 64 {
                        keep.swap_remove(i % 64);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for _ in 0..150 {
        // SAFETY: the child only allocates, frees and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // Takes the lock of the shard each worker was just using.
            for l in &LATEST {
                let _ = TrackingAllocator::__block_of(l.load(Ordering::Relaxed));
            }
            let v: Vec<Vec<u8>> = (0..100).map(|k| vec![1; 16 + k * 40]).collect();
            let ok = v.iter().map(Vec::len).sum::<usize>() > 0;
            // SAFETY: ends the child without running the parent's atexit work.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let start = Instant::now();
        let mut status = 0;
        loop {
            // SAFETY: `pid` is our child.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                STOP.store(true, Ordering::Relaxed);
                panic!("a forked child hung in the allocator");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    }
    STOP.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
}
