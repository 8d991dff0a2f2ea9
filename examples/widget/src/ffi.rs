//! The raw binding: the C declarations, guarded. Calls keep their C shape
//! (`unsafe`, raw pointers); `crate::Widget` is the safe wrapper over them.

use std::ffi::{c_char, c_int, c_void};

use ffi_guard_rt::ffi_guard;

/// Opaque: only C knows the fields of `struct widget`.
#[repr(C)]
pub struct RawWidget {
    _private: [u8; 0],
}

/// `struct widget_options` of `c/widget.c`.
///
/// Planted bug (`missing_repr_c`): without `#[repr(C)]` Rust may order the
/// fields differently from C (it puts `limit` first today), so C reads
/// `verbose` from a byte of `limit`. The runtime cannot see a layout; the
/// static lint denies it (and rustc's `improper_ctypes` warns about this
/// use in an extern block).
pub struct Options {
    pub verbose: bool,
    pub limit: u32,
}

/// What `widget_each` calls for every byte; non-zero stops the walk.
pub type EachCallback = extern "C" fn(byte: u8, ctx: *mut c_void) -> c_int;

#[ffi_guard]
unsafe extern "C" {
    /// A new widget named `name`; release it with `widget_free`.
    #[ffi_guard(alloc(free = widget_free))]
    pub fn widget_new(name: *const c_char) -> *mut RawWidget;
    /// Releases a widget from `widget_new`; null is ignored.
    #[ffi_guard(free(w))]
    pub fn widget_free(w: *mut RawWidget);
    /// Appends `len` bytes of `buf` (inferred: `slice(buf, len)`).
    pub fn widget_write(w: *mut RawWidget, buf: *const u8, len: usize) -> isize;
    /// The name, borrowed from the widget.
    pub fn widget_name(w: *const RawWidget) -> *const c_char;
    /// Appends a file's contents (inferred: `cstr(path)`); -1 and errno on failure.
    pub fn widget_load(w: *mut RawWidget, path: *const c_char) -> c_int;
    /// Calls `cb(byte, ctx)` for each byte until it returns non-zero.
    pub fn widget_each(w: *mut RawWidget, cb: EachCallback, ctx: *mut c_void) -> c_int;
    /// Applies options; returns the limit now in force.
    pub fn widget_set_options(w: *mut RawWidget, opts: *const Options) -> c_int;
}
