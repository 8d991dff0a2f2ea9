//! The lock of the allocator's own structures (the block table's shards and
//! the C heap map's leaves): a spin lock on an `AtomicBool` that never
//! allocates and never parks through code that may allocate (dhat-rs
//! switched to such a lock after deadlocks, its issues #18 and #25), and that
//! stays usable across `fork`.
//!
//! A `fork` while another thread holds one of these locks would leave the
//! child's copy held forever, and the child's first allocation would spin.
//! So the forking thread takes every lock before `fork` and releases them on
//! both sides after, as malloc does with its own locks (see `table.rs`'s
//! `hook_fork`). Prepare handlers registered before ours run after it, with
//! every lock held; if one allocates, the forking thread must get through:
//! [`FORKING`] names that thread, and its lock attempts then go ahead without
//! taking (nor, after, releasing) the lock, while every other thread is
//! kept out.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering, fence};

/// The thread that holds every allocator lock across `fork`, or 0.
static FORKING: AtomicUsize = AtomicUsize::new(0);

/// A non-zero id of the calling thread that reading never allocates: the
/// address of a thread-local without a destructor.
#[inline]
fn this_thread() -> usize {
    thread_local! {
        static ID: u8 = const { 0 };
    }
    ID.with(|id| id as *const u8 as usize)
}

/// The lock's word counts acquisitions and releases: odd while held. So it is
/// a sequence lock too (see `table.rs`'s lock-free readers): a reader that
/// sees the same even count before and after its reads saw no writer.
pub(crate) struct SpinLock {
    count: AtomicU32,
}

impl SpinLock {
    pub(crate) const fn new() -> SpinLock {
        SpinLock {
            count: AtomicU32::new(0),
        }
    }

    /// Takes the lock. `false` when it was already held for this thread by
    /// `fork`'s prepare handler: then the caller must not release it.
    #[inline(always)]
    pub(crate) fn lock(&self) -> bool {
        let taken = self.try_take() || self.lock_contended();
        // The odd count is seen before anything the holder then writes.
        fence(Ordering::Release);
        taken
    }

    /// Runs `f` with the lock held (or passed through by `fork`'s handler).
    #[inline(always)]
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let acquired = self.lock();
        let r = f();
        if acquired {
            self.unlock();
        }
        r
    }

    /// One attempt: an even count becomes odd.
    #[inline(always)]
    fn try_take(&self) -> bool {
        let now = self.count.load(Ordering::Relaxed);
        now & 1 == 0
            && self
                .count
                .compare_exchange_weak(
                    now,
                    now.wrapping_add(1),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Releases a lock that [`SpinLock::lock`] took (returned `true` for).
    #[inline(always)]
    pub(crate) fn unlock(&self) {
        let now = self.count.load(Ordering::Relaxed);
        self.count.store(now.wrapping_add(1), Ordering::Release);
    }

    /// The count, for a lock-free reader: odd while a writer holds the lock.
    #[inline(always)]
    pub(crate) fn sequence(&self) -> u32 {
        self.count.load(Ordering::Acquire)
    }

    /// Whether the count is still `seen` after a lock-free read.
    #[inline(always)]
    pub(crate) fn unchanged_since(&self, seen: u32) -> bool {
        // The reader's loads happen before this second look.
        fence(Ordering::Acquire);
        self.count.load(Ordering::Relaxed) == seen
    }

    #[cold]
    fn lock_contended(&self) -> bool {
        let mut spins = 0u32;
        loop {
            if FORKING.load(Ordering::Acquire) == this_thread() {
                return false;
            }
            if self.count.load(Ordering::Relaxed) & 1 == 0 {
                if self.try_take() {
                    return true;
                }
                continue;
            }
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                // `sched_yield`: allocates nothing, and lets a holder that
                // was descheduled on our core run.
                std::thread::yield_now();
            }
        }
    }
}

/// `fork`'s prepare handler took every lock: from now until [`fork_done`]
/// this thread passes through them.
pub(crate) fn forking() {
    FORKING.store(this_thread(), Ordering::Release);
}

/// After `fork`, on both sides, before the locks are released.
pub(crate) fn fork_done() {
    FORKING.store(0, Ordering::Release);
}
