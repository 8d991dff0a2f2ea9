//! Platform errno access and the per-thread last errno of guarded calls.

use std::cell::Cell;

thread_local! {
    static LAST: Cell<i32> = const { Cell::new(0) };
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "emscripten"))]
#[inline(always)]
fn location() -> *mut i32 {
    // SAFETY: always returns this thread's errno slot.
    unsafe { libc::__errno_location() }
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
#[inline(always)]
fn location() -> *mut i32 {
    // SAFETY: always returns this thread's errno slot.
    unsafe { libc::__error() }
}

thread_local! {
    // This thread's errno slot, found once: its address never changes for
    // the thread's life, and asking libc for it is a call through the PLT
    // on every guarded call otherwise.
    static SLOT: Cell<*mut i32> = const { Cell::new(std::ptr::null_mut()) };
}

/// Stores the current errno as this thread's last errno.
#[inline(always)]
pub(crate) fn capture() {
    let slot = SLOT.try_with(|s| s.get()).unwrap_or(std::ptr::null_mut());
    let slot = if slot.is_null() { find_slot() } else { slot };
    // SAFETY: the errno slot is valid for this thread's lifetime.
    let e = unsafe { *slot };
    let _ = LAST.try_with(|l| l.set(e));
}

/// Asks libc for this thread's errno slot, and remembers it. Does not touch
/// errno itself.
#[cold]
#[inline(never)]
fn find_slot() -> *mut i32 {
    let p = location();
    let _ = SLOT.try_with(|s| s.set(p));
    p
}

/// The errno that the last guarded foreign call on this thread left, read
/// immediately after that call returned, whatever Rust code ran since.
pub fn last_errno() -> i32 {
    LAST.try_with(|l| l.get()).unwrap_or(0)
}

/// [`last_errno`] as an `io::Error`.
pub fn last_os_error() -> std::io::Error {
    std::io::Error::from_raw_os_error(last_errno())
}
