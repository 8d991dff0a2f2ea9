//! The re-entrancy guard that keeps the runtime's own allocations out of its
//! own bookkeeping.
//!
//! The ledger, the report and the backtrace code allocate. With
//! `TrackingAllocator` installed those allocations would re-enter the
//! allocator, which would try to record them while the runtime already holds
//! its locks: a deadlock, or an infinite recursion. Every piece of runtime code
//! that may allocate runs inside an [`Ignore`] scope; the allocator checks
//! [`is_ignoring`] and passes such allocations straight to the inner allocator
//! (they are still tracked as live blocks, but never reported).
//!
//! The flag is a `const`-initialised `Cell` without a destructor, so reading it
//! never allocates and works on threads that C created and during thread exit.

use std::cell::Cell;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// While alive, this thread's allocations are the runtime's own.
#[derive(Debug)]
#[must_use = "the guard ends when dropped"]
pub struct Ignore(());

impl Ignore {
    #[inline]
    pub fn new() -> Ignore {
        // `try_with`: during thread-local destruction the flag may be gone;
        // then there is nothing to guard against any more.
        let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
        Ignore(())
    }
}

impl Default for Ignore {
    fn default() -> Self {
        Ignore::new()
    }
}

impl Drop for Ignore {
    #[inline]
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// True while this thread runs runtime bookkeeping.
#[inline]
pub fn is_ignoring() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(true)
}
