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

/// Stores the current errno as this thread's last errno.
#[inline(always)]
pub(crate) fn capture() {
    // SAFETY: the errno slot is valid for this thread's lifetime.
    let e = unsafe { *location() };
    let _ = LAST.try_with(|l| l.set(e));
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
