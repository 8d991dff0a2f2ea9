//! The API that `#[ffi_guard]` expansions call. Hidden from the docs and not
//! covered by semver: it changes together with `ffi-guard-macros`.
//!
//! # Import wrapper (Rust calling C), in this order
//!
//! ```ignore
//! #[track_caller]
//! pub unsafe fn widget_write(w: *mut Widget, buf: *const u8, len: usize) -> isize {
//!     static __FFI_GUARD_FN: ::ffi_guard_rt::__private::FnInfo =
//!         ::ffi_guard_rt::__private::FnInfo::new("widget_write", None);
//!     let mut __g = ::ffi_guard_rt::__private::Call::new(
//!         &__FFI_GUARD_FN, ::core::panic::Location::caller());
//!     __g.pointer(w, "w");                      // every raw-pointer argument
//!     __g.nonnull(buf, "buf");                  // nonnull(...)
//!     __g.slice(buf, len as usize, "buf", "len"); // slice(p, n)
//!     // __g.cstr(path, "path");                // cstr(p)
//!     // __g.release(w, "w");                   // free(p)
//!     // __g.consume(w, "w");                   // consume(p)
//!     if !__g.proceed() {                        // panics (panic mode) / aborts here
//!         return <skip value>;                   // report mode, release of non-live memory
//!     }
//!     let __r = unsafe { __ffi_guard_raw::widget_write(w, buf, len) };
//!     ::ffi_guard_rt::__private::capture_errno(); // first thing after the call
//!     __g.returned(__r);                          // only with alloc(free = F): records ownership
//!     __g.done();                                 // commits releases/consumes to the ledger
//!     __r
//! }
//! ```
//!
//! # Export wrapper (C calling Rust)
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub extern "C" fn widget_sum(buf: *const u8, len: usize) -> i32 {
//!     static __FFI_GUARD_FN: ::ffi_guard_rt::__private::FnInfo =
//!         ::ffi_guard_rt::__private::FnInfo::new("widget_sum", None);
//!     // the export's own definition: a `Location` built from the fn's span
//!     let mut __g = ::ffi_guard_rt::__private::Export::new(
//!         &__FFI_GUARD_FN, ::core::panic::Location::caller());
//!     __g.slice(buf, len as usize, "buf", "len");
//!     if !__g.proceed() { return -1; }            // never panics, never unwinds
//!     match __g.run(move || -> i32 { /* body */ }) {
//!         ::core::option::Option::Some(__r) => { __g.returned(__r); __r }
//!         ::core::option::Option::None => -1,     // the body panicked: recorded
//!     }
//! }
//! ```
//!
//! Without the `checks` feature every method here is an empty `#[inline(always)]`
//! function (and `proceed` returns `true`), except `capture_errno` and
//! `Export::run`, which keep the panic catch.

pub use core::panic::Location;

/// A raw pointer argument, `*const T` or `*mut T`, of a sized pointee.
pub trait RawPtr: Copy {
    type Pointee;
    fn addr(self) -> usize;
}

impl<T> RawPtr for *const T {
    type Pointee = T;
    #[inline(always)]
    fn addr(self) -> usize {
        self as *const () as usize
    }
}

impl<T> RawPtr for *mut T {
    type Pointee = T;
    #[inline(always)]
    fn addr(self) -> usize {
        self as *const () as usize
    }
}

/// What a guarded function is, fixed at compile time. One `static` per wrapper.
#[derive(Debug)]
pub struct FnInfo {
    pub name: &'static str,
    /// `alloc(free = F)`: the release function named by `F`.
    pub free_with: Option<&'static str>,
}

impl FnInfo {
    pub const fn new(name: &'static str, free_with: Option<&'static str>) -> FnInfo {
        FnInfo { name, free_with }
    }
}

/// The per-call state of an import wrapper.
#[derive(Debug)]
pub struct Call {
    pub(crate) info: &'static FnInfo,
    pub(crate) site: &'static Location<'static>,
}

impl Call {
    #[inline(always)]
    pub fn new(info: &'static FnInfo, site: &'static Location<'static>) -> Call {
        Call { info, site }
    }
    /// Any raw-pointer argument: alignment and use-after-free/consume.
    #[inline(always)]
    pub fn pointer<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `nonnull(p)`: null is a `null_pointer` finding.
    #[inline(always)]
    pub fn nonnull<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `slice(p, n)`: overflow of `n * size_of::<T>()`, null with `n > 0`,
    /// alignment, bounds against a known Rust block.
    #[inline(always)]
    pub fn slice<P: RawPtr>(&mut self, _p: P, _n: usize, _param: &'static str, _len: &'static str) {
    }
    /// `cstr(p)`: a NUL before the end of a known Rust block.
    #[inline(always)]
    pub fn cstr<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `free(p)`: `p` must be live and owned by an `alloc` whose `free` is this function.
    #[inline(always)]
    pub fn release<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `consume(p)`: ownership of `p` passes to C.
    #[inline(always)]
    pub fn consume<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// After validation: `false` means do not call (report mode, a release of
    /// memory that is not live). In panic mode a finding panics here, at the
    /// caller's line; in abort mode it aborts.
    #[inline(always)]
    #[track_caller]
    pub fn proceed(&mut self) -> bool {
        true
    }
    /// `alloc(free = F)`: the returned pointer is live and owned by the caller.
    #[inline(always)]
    pub fn returned<P: RawPtr>(&mut self, _r: P) {}
    /// Commits the releases and consumes validated before the call.
    #[inline(always)]
    pub fn done(self) {}
}

/// The per-call state of an export wrapper. Never panics.
#[derive(Debug)]
pub struct Export {
    pub(crate) info: &'static FnInfo,
    pub(crate) site: &'static Location<'static>,
}

impl Export {
    #[inline(always)]
    pub fn new(info: &'static FnInfo, site: &'static Location<'static>) -> Export {
        Export { info, site }
    }
    #[inline(always)]
    pub fn pointer<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    #[inline(always)]
    pub fn nonnull<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    #[inline(always)]
    pub fn slice<P: RawPtr>(&mut self, _p: P, _n: usize, _param: &'static str, _len: &'static str) {
    }
    #[inline(always)]
    pub fn cstr<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `free(p)` on an export: refuses a pointer its `alloc` never returned or
    /// already took back; `free(NULL)` skips the body without a finding.
    #[inline(always)]
    pub fn release<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    #[inline(always)]
    pub fn consume<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
    /// `false`: skip the body and return the error value.
    #[inline(always)]
    pub fn proceed(&mut self) -> bool {
        true
    }
    /// Runs the body, catching a panic (recorded as a `panic` finding with
    /// message, location and backtrace). `None` when it panicked.
    #[inline(always)]
    pub fn run<R, F: FnOnce() -> R>(&mut self, body: F) -> Option<R> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).ok()
    }
    #[inline(always)]
    pub fn returned<P: RawPtr>(&mut self, _r: P) {}
}

/// Reads `errno` into this thread's last-errno slot. Allocates nothing, takes
/// no lock, formats nothing.
#[inline(always)]
pub fn capture_errno() {
    crate::errno::capture();
}
