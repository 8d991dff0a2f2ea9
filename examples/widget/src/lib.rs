//! A safe Rust API over the C library in `c/widget.c`, guarded by ffi-guard.
//!
//! `ffi` is the raw binding (`#[ffi_guard]` on the extern block); [`Widget`]
//! owns one C widget and releases it on drop. The tests under `tests/`
//! include planted bugs: see the README.

pub mod ffi;

use std::ffi::{CStr, CString, c_int, c_void};
use std::io;
use std::path::Path;
use std::ptr::NonNull;

use ffi_guard_rt::ffi_guard;

/// One C widget, released on drop.
#[derive(Debug)]
pub struct Widget {
    raw: NonNull<ffi::RawWidget>,
}

impl Widget {
    /// A new widget; `name` must not contain a NUL byte.
    pub fn new(name: &str) -> io::Result<Widget> {
        let name = CString::new(name)?;
        let raw = unsafe { ffi::widget_new(name.as_ptr()) };
        NonNull::new(raw)
            .map(|raw| Widget { raw })
            .ok_or_else(ffi_guard_rt::last_os_error)
    }

    /// Appends `bytes`; fails past the widget's size limit.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = unsafe { ffi::widget_write(self.raw.as_ptr(), bytes.as_ptr(), bytes.len()) };
        usize::try_from(n).map_err(|_| ffi_guard_rt::last_os_error())
    }

    /// The widget's name.
    pub fn name(&self) -> String {
        // Borrowed from the widget, which outlives this call.
        let name = unsafe { CStr::from_ptr(ffi::widget_name(self.raw.as_ptr())) };
        name.to_string_lossy().into_owned()
    }

    /// Appends the contents of the file at `path`.
    pub fn load(&mut self, path: &Path) -> io::Result<()> {
        // C's `fopen` takes the path's bytes (on Unix, exactly the OS bytes).
        let path = CString::new(path.as_os_str().as_encoded_bytes())?;
        match unsafe { ffi::widget_load(self.raw.as_ptr(), path.as_ptr()) } {
            0 => Ok(()),
            _ => Err(ffi_guard_rt::last_os_error()),
        }
    }

    /// The sum of all bytes, computed by C walking the data with a callback.
    pub fn sum(&self) -> u64 {
        let mut total: u64 = 0;
        let ctx = (&mut total as *mut u64).cast::<c_void>();
        unsafe { ffi::widget_each(self.raw.as_ptr(), add_byte, ctx) };
        total
    }

    /// The raw pointer, for calls the safe API does not cover.
    pub fn as_ptr(&self) -> *mut ffi::RawWidget {
        self.raw.as_ptr()
    }
}

impl Drop for Widget {
    fn drop(&mut self) {
        unsafe { ffi::widget_free(self.raw.as_ptr()) }
    }
}

/// `widget_each` callback of [`Widget::sum`]: `ctx` is a `*mut u64`.
#[ffi_guard(on_error = -1)]
extern "C" fn add_byte(byte: u8, ctx: *mut c_void) -> c_int {
    // `sum` passes a live `u64` that nothing else touches during the walk.
    let total = unsafe { &mut *ctx.cast::<u64>() };
    *total += u64::from(byte);
    0
}

#[cfg(test)]
mod tests {
    use super::Widget;

    #[test]
    fn name_round_trips() {
        let w = Widget::new("gear").expect("a widget");
        assert_eq!(w.name(), "gear");
    }

    /// Planted bug: the widget is forgotten, so `widget_free` never runs.
    /// The leak's site is the `widget_new` call in `Widget::new`; the
    /// integration tests leak from the same line, and the report merges both.
    #[test]
    fn forgets_a_widget() {
        let w = Widget::new("forgotten").expect("a widget");
        std::mem::forget(w);
    }
}
