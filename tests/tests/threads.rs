//! Many threads through the ledger at once: 8 threads × 100,000 guarded
//! allocate/release pairs, no finding lost, no deadlock, every count exact;
//! and the same with one deliberate leak per thread.

use std::sync::Mutex;

use ffi_guard_rt::{Checkpoint, FindingKind};
use ffi_guard_tests::{thr_free, thr_free_count, thr_new};

const THREADS: usize = 8;
const ROUNDS: usize = 100_000;

/// Both tests count C's releases: they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `ROUNDS` pairs on each of `THREADS` threads; each thread leaks
/// `leak` pointers at the end. Returns each thread's findings.
fn hammer(leak: usize) -> Vec<Vec<ffi_guard_rt::Finding>> {
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(move || {
                let cp = Checkpoint::now();
                for _ in 0..ROUNDS {
                    let p = unsafe { thr_new() };
                    assert!(!p.is_null());
                    unsafe { thr_free(p) };
                }
                for _ in 0..leak {
                    let _ = unsafe { thr_new() };
                }
                cp.findings()
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().expect("a worker panicked"))
        .collect()
}

#[test]
fn eight_threads_no_finding_every_release_forwarded() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = unsafe { thr_free_count() };
    let all = Checkpoint::now_all_threads();
    for found in hammer(0) {
        assert_eq!(found, vec![]);
    }
    assert_eq!(
        unsafe { thr_free_count() } - before,
        (THREADS * ROUNDS) as i64
    );
    assert_eq!(
        all.findings()
            .into_iter()
            .filter(|f| f.function.starts_with("thr_"))
            .count(),
        0
    );
}

#[test]
fn eight_threads_one_leak_each_exact_count() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = unsafe { thr_free_count() };
    let all = Checkpoint::now_all_threads();
    for found in hammer(1) {
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].kind, FindingKind::Leak);
        assert_eq!(found[0].function, "thr_new");
        assert_eq!(found[0].count, 1);
    }
    assert_eq!(
        unsafe { thr_free_count() } - before,
        (THREADS * ROUNDS) as i64
    );
    // Across threads the leaks share one allocation site: one group of 8.
    let leaks: Vec<_> = all
        .findings()
        .into_iter()
        .filter(|f| f.function == "thr_new")
        .collect();
    assert_eq!(leaks.len(), 1, "{leaks:#?}");
    assert_eq!(leaks[0].count, THREADS as u64);
    assert_eq!(leaks[0].kind, FindingKind::Leak);
}
