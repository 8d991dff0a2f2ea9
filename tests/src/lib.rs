//! Bindings to the C test library under `c/` (`c/widget.c`), guarded as
//! `#[ffi_guard]` guards them.
//!
//! The guarded functions keep C's names at the crate root; [`raw`] declares
//! the same functions unguarded, for the benchmarks' raw calls and for the C
//! callers of Rust exports, which must pass bad pointers through untouched.

use std::ffi::{c_char, c_int, c_long, c_void};

use ffi_guard_rt::ffi_guard;

/// The C `struct widget` (its fields are C's business; the layout gives the
/// pointer its real alignment of 4).
#[repr(C)]
#[derive(Debug)]
pub struct Widget {
    id: c_int,
    name: [c_char; 28],
}

/// The C declarations, unguarded: the benchmarks' raw calls, and the callers
/// of Rust exports, which pass deliberately bad pointers through to Rust.
pub mod raw {
    use std::ffi::{c_char, c_int, c_long, c_void};

    use super::Widget;

    /// `int64_t (*)(const uint32_t *, size_t)`
    pub type SumCb = extern "C" fn(*const u32, usize) -> i64;
    /// `void (*)(void *)`
    pub type FreeCb = extern "C" fn(*mut c_void);
    /// `void *(*)(void)`
    pub type NewCb = extern "C" fn() -> *mut c_void;
    /// `int (*)(int)`
    pub type PlainCb = extern "C" fn(c_int) -> c_int;

    unsafe extern "C" {
        pub fn widget_new(name: *const c_char) -> *mut Widget;
        pub fn widget_free(w: *mut Widget);
        pub fn widget_free_count() -> c_long;
        pub fn widget_id(w: *const Widget) -> c_int;
        pub fn widget_give_to_pool(w: *mut Widget);
        pub fn buf_alloc(n: usize) -> *mut c_void;
        pub fn buf_release(p: *mut c_void);
        pub fn thr_new() -> *mut c_void;
        pub fn thr_free(p: *mut c_void);
        pub fn thr_free_count() -> c_long;
        pub fn add(a: c_int, b: c_int) -> c_int;
        pub fn sum_u32(buf: *const u32, len: usize) -> i64;
        pub fn sum_bytes(buf: *const u8, len: usize) -> u64;
        pub fn fail_with_errno(e: c_int) -> c_int;

        pub fn call_sum(cb: SumCb, buf: *const u32, len: usize) -> i64;
        pub fn call_free(cb: FreeCb, p: *mut c_void);
        pub fn call_new(cb: NewCb) -> *mut c_void;
        pub fn call_plain(cb: PlainCb, x: c_int) -> c_int;
        pub fn call_sum_in_thread(cb: SumCb, buf: *const u32, len: usize) -> i64;
        pub fn call_free_in_thread(cb: FreeCb, p: *mut c_void);
        pub fn call_plain_in_thread(cb: PlainCb, x: c_int) -> c_int;
        pub fn loop_plain(cb: PlainCb, n: c_int) -> i64;
    }
}

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloc(free = widget_free), cstr(name))]
    pub fn widget_new(name: *const c_char) -> *mut Widget;
    #[ffi_guard(free(w))]
    pub fn widget_free(w: *mut Widget);
    pub fn widget_free_count() -> c_long;
    #[ffi_guard(nonnull(w))]
    pub fn widget_id(w: *const Widget) -> c_int;
    #[ffi_guard(consume(w))]
    pub fn widget_give_to_pool(w: *mut Widget);
    #[ffi_guard(alloc(free = buf_release))]
    pub fn buf_alloc(n: usize) -> *mut c_void;
    #[ffi_guard(free(p))]
    pub fn buf_release(p: *mut c_void);
    #[ffi_guard(alloc(free = thr_free))]
    pub fn thr_new() -> *mut c_void;
    #[ffi_guard(free(p))]
    pub fn thr_free(p: *mut c_void);
    pub fn thr_free_count() -> c_long;
    pub fn add(a: c_int, b: c_int) -> c_int;
    #[ffi_guard(slice(buf, len))]
    pub fn sum_u32(buf: *const u32, len: usize) -> i64;
    #[ffi_guard(slice(buf, len))]
    pub fn sum_bytes(buf: *const u8, len: usize) -> u64;
    pub fn fail_with_errno(e: c_int) -> c_int;
    /// `widget_new` again, for widgets released with `widget_free_noting`.
    #[ffi_guard(alloc(free = widget_free_noting))]
    #[link_name = "widget_new"]
    pub fn widget_new_noted(name: *const c_char) -> *mut Widget;
    #[ffi_guard(free(w), nonnull(note))]
    pub fn widget_free_noting(w: *mut Widget, note: *mut c_int);
}

/// glibc's allocator called directly, past the runtime's `malloc`: the
/// baseline of the allocation benchmarks (`benches/alloc.rs`,
/// `examples/alloc_count.rs`), with the C loop of `c/heap_whole.c` run both
/// ways.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod glibc {
    use std::alloc::{GlobalAlloc, Layout};

    unsafe extern "C" {
        fn __libc_malloc(size: usize) -> *mut u8;
        fn __libc_memalign(align: usize, size: usize) -> *mut u8;
        fn __libc_free(p: *mut u8);
        /// `c/heap_whole.c`: `n` malloc/free pairs over a window of 64 blocks.
        pub fn heap_c_malloc_loop(n: usize) -> u64;
        /// The same loop on `__libc_malloc`/`__libc_free`: no interposer.
        pub fn heap_c_libc_loop(n: usize) -> u64;
    }

    /// `__libc_malloc`/`__libc_memalign`/`__libc_free`, no interposer.
    #[derive(Debug)]
    pub struct Glibc;

    // SAFETY: forwards to glibc's allocator, which meets `GlobalAlloc`'s contract.
    unsafe impl GlobalAlloc for Glibc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if layout.align() <= 16 {
                // SAFETY: plain glibc malloc.
                unsafe { __libc_malloc(layout.size()) }
            } else {
                // SAFETY: a power-of-two alignment, as `Layout` guarantees.
                unsafe { __libc_memalign(layout.align(), layout.size()) }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            // SAFETY: `ptr` came from `alloc` above.
            unsafe { __libc_free(ptr) }
        }
    }
}
