//! The API that `#[ffi_guard]` expansions call. Hidden from the docs and not
//! covered by semver: it changes together with `ffi-guard-macros`.
//!
//! # Import wrapper (Rust calling C), in this order
//!
//! ```text
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
//! ```text
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
//!
//! # What the runtime does with these calls
//!
//! The argument methods only note each pointer (and run the stateless
//! checks: null, alignment, length); `proceed` judges every noted pointer
//! once, by its strongest role (`release` over `consume` over a plain use),
//! against the ledger and the allocator's blocks, and commits releases and
//! consumes to the ledger *before* the foreign call, against the generation
//! it saw, so two threads releasing one pointer cannot both be forwarded.
//! `done` therefore has nothing left to do; it stays for the wrapper shape.
//! A call with no pointer argument touches no shared state.
//!
//! # Test hooks
//!
//! [`set_mode_for_tests`] (this thread) and [`set_process_mode_for_tests`]
//! override `FFI_GUARD_MODE`, so a test can provoke findings in report mode
//! next to tests that rely on panic mode.

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
    /// For an export: how the panic hook tells that a panic happened inside
    /// it (see `panic.rs`), settled on the first call.
    #[cfg_attr(not(feature = "checks"), allow(dead_code))]
    pub(crate) catch: core::sync::atomic::AtomicU8,
    /// What `pairing.rs` registered about this fn already.
    #[cfg_attr(not(feature = "checks"), allow(dead_code))]
    pub(crate) noted: core::sync::atomic::AtomicU8,
}

impl FnInfo {
    pub const fn new(name: &'static str, free_with: Option<&'static str>) -> FnInfo {
        FnInfo {
            name,
            free_with,
            catch: core::sync::atomic::AtomicU8::new(0),
            noted: core::sync::atomic::AtomicU8::new(0),
        }
    }
}

/// The compile-time checks of the options' parameters: an option accepts any
/// parameter type that is a raw pointer (or, for a length, an integer) once
/// aliases are resolved (`z_streamp`, `uInt`, `sqlite3_uint64`), and names
/// the option and the parameter when it is not. The expansion calls these
/// with a marker type named after the parameter, so that `{Param}` in the
/// message reads as the parameter's name.
pub mod param {
    use super::RawPtr;

    macro_rules! pointer_param {
        ($(#[$doc:meta])* $trait:ident, $f:ident, $msg:literal) => {
            $(#[$doc])*
            #[diagnostic::on_unimplemented(message = $msg, label = "not a raw pointer")]
            pub trait $trait<Param> {
                type Ptr: RawPtr;
                fn get(&self) -> Self::Ptr;
            }
            impl<T, Param> $trait<Param> for *const T {
                type Ptr = *const T;
                #[inline(always)]
                fn get(&self) -> *const T {
                    *self
                }
            }
            impl<T, Param> $trait<Param> for *mut T {
                type Ptr = *mut T;
                #[inline(always)]
                fn get(&self) -> *mut T {
                    *self
                }
            }
            #[inline(always)]
            pub fn $f<Param, V: $trait<Param>>(v: &V) -> V::Ptr {
                v.get()
            }
        };
    }

    pointer_param!(
        /// `free(p)`.
        Free, free, "`free({Param})` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// `consume(p)`.
        Consume, consume, "`consume({Param})` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// `cstr(p)`.
        Cstr, cstr, "`cstr({Param})` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// `nonnull(p)`.
        Nonnull, nonnull, "`nonnull({Param})` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// The pointer of `slice(p, n)`.
        Slice, slice, "`slice({Param}, ..)` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// The pointer of `text(p, n)`.
        Text, text, "`text({Param}, ..)` needs a raw pointer parameter, but `{Param}` has type `{Self}`"
    );
    pointer_param!(
        /// The result of an `alloc(free = F)` fn (`Param` is the fn).
        AllocResult, alloc_result, "`alloc(free = ..)` needs a fn that returns a raw pointer, but `{Param}` returns `{Self}`"
    );

    /// The length of `slice(p, n)`, in elements.
    #[diagnostic::on_unimplemented(
        message = "`slice(.., {Param})` needs an integer length, but `{Param}` has type `{Self}`",
        label = "not an integer"
    )]
    pub trait SliceLen<Param> {
        fn get(&self) -> usize;
    }

    /// The length of `text(p, n)` in bytes; `None` (a negative `n`): NUL-terminated.
    #[diagnostic::on_unimplemented(
        message = "`text(.., {Param})` needs an integer length, but `{Param}` has type `{Self}`",
        label = "not an integer"
    )]
    pub trait TextLen<Param> {
        fn get(&self) -> Option<usize>;
    }

    macro_rules! lengths {
        (unsigned: $($u:ty),*; signed: $($i:ty),*) => {
            $(
                impl<Param> SliceLen<Param> for $u {
                    #[inline(always)]
                    fn get(&self) -> usize { *self as usize }
                }
                impl<Param> TextLen<Param> for $u {
                    #[inline(always)]
                    fn get(&self) -> Option<usize> { Some(*self as usize) }
                }
            )*
            $(
                impl<Param> SliceLen<Param> for $i {
                    // A negative length reads as a huge one: `length_overflow`.
                    #[inline(always)]
                    fn get(&self) -> usize { *self as usize }
                }
                impl<Param> TextLen<Param> for $i {
                    #[inline(always)]
                    fn get(&self) -> Option<usize> { (*self >= 0).then_some(*self as usize) }
                }
            )*
        };
    }
    lengths!(unsigned: u8, u16, u32, u64, u128, usize; signed: i8, i16, i32, i64, i128, isize);

    #[inline(always)]
    pub fn slice_len<Param, V: SliceLen<Param>>(v: &V) -> usize {
        v.get()
    }

    #[inline(always)]
    pub fn text_len<Param, V: TextLen<Param>>(v: &V) -> Option<usize> {
        v.get()
    }

    /// The out-parameter of `alloc_out(pp, free = F)`.
    #[diagnostic::on_unimplemented(
        message = "`alloc_out({Param}, free = ..)` needs an out-parameter `*mut *mut T`, but `{Param}` has type `{Self}`",
        label = "not a `*mut *mut T`"
    )]
    pub trait AllocOut<Param> {
        /// The pointer the call left in `*pp` (0 when `pp` is null).
        ///
        /// # Safety
        /// `pp` is null or points to a pointer that the foreign call wrote.
        unsafe fn written(&self) -> Written;
    }
    /// What an `alloc_out` call left in `*pp`: its address and its pointee
    /// type's name (for the same-object rule). A concrete type, so that a
    /// parameter of the wrong type is one error, not a cascade.
    #[derive(Debug, Clone, Copy)]
    pub struct Written {
        pub addr: usize,
        pub pointee: &'static str,
    }
    impl Written {
        /// `*pp` at `pp`, of pointee `T`.
        ///
        /// # Safety
        /// As [`AllocOut::written`].
        #[inline(always)]
        unsafe fn read<T>(pp: *mut *const T) -> Written {
            let addr = if pp.is_null() {
                0
            } else {
                // SAFETY: the caller's contract.
                unsafe { pp.read() as usize }
            };
            // The name `guard::pointee_of` gives the same type.
            let pointee = core::any::type_name::<T>();
            Written { addr, pointee }
        }
    }
    impl<T, Param> AllocOut<Param> for *mut *mut T {
        #[inline(always)]
        unsafe fn written(&self) -> Written {
            // SAFETY: the caller's contract.
            unsafe { Written::read::<T>(self.cast()) }
        }
    }
    impl<T, Param> AllocOut<Param> for *mut *const T {
        #[inline(always)]
        unsafe fn written(&self) -> Written {
            // SAFETY: the caller's contract.
            unsafe { Written::read::<T>(*self) }
        }
    }

    /// A parameter whose type the macro cannot see (an alias such as
    /// `z_streamp`): checked as a raw pointer if it is one once the alias is
    /// resolved, and not at all otherwise. `(&Probe(&p)).announce(..)` picks
    /// [`ViaPointer`] for a raw pointer and falls back to [`ViaOther`]
    /// (method resolution tries the receiver before its reference).
    #[derive(Debug)]
    pub struct Probe<'a, T>(pub &'a T);

    /// A guard that can take a plain pointer argument (imports and exports).
    pub trait Announce {
        fn pointer_arg<P: RawPtr>(&mut self, p: P, param: &'static str);
    }

    /// [`Probe`] of a raw pointer: the plain pointer check.
    pub trait ViaPointer {
        fn announce<G: Announce>(&self, g: &mut G, param: &'static str);
    }
    impl<T> ViaPointer for Probe<'_, *const T> {
        #[inline(always)]
        fn announce<G: Announce>(&self, g: &mut G, param: &'static str) {
            g.pointer_arg(*self.0, param);
        }
    }
    impl<T> ViaPointer for Probe<'_, *mut T> {
        #[inline(always)]
        fn announce<G: Announce>(&self, g: &mut G, param: &'static str) {
            g.pointer_arg(*self.0, param);
        }
    }

    /// [`Probe`] of anything else: nothing to check.
    pub trait ViaOther {
        #[inline(always)]
        fn announce<G: Announce>(&self, _g: &mut G, _param: &'static str) {}
    }
    impl<T> ViaOther for &Probe<'_, T> {}

    impl Announce for super::Call {
        #[inline(always)]
        fn pointer_arg<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.pointer(p, param);
        }
    }

    impl Announce for super::Export {
        #[inline(always)]
        fn pointer_arg<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.pointer(p, param);
        }
    }

    /// What an `alloc_out` out-parameter holds after the call (0: nothing).
    ///
    /// # Safety
    /// `pp` is null or points to a pointer that the foreign call wrote.
    #[inline(always)]
    pub unsafe fn alloc_out<Param, V: AllocOut<Param>>(pp: &V) -> Written {
        // SAFETY: the caller's contract.
        unsafe { pp.written() }
    }
}

pub use crate::mode::Mode;

/// Test hook: overrides `FFI_GUARD_MODE` on the calling thread (`None`
/// removes the override). The runtime's own tests use it to provoke
/// findings in report mode next to tests that run in panic mode; it is not
/// part of the public API.
pub fn set_mode_for_tests(mode: Option<Mode>) {
    crate::mode::set_for_thread(mode);
}

/// Test hook: overrides `FFI_GUARD_MODE` for the whole process, for threads
/// that C creates (`None` removes the override).
pub fn set_process_mode_for_tests(mode: Option<Mode>) {
    crate::mode::set_for_process(mode);
}

/// Test hook: how many guarded exports the panic hook recognises by their
/// stack frame (the rest count their depth in a thread-local; see `panic.rs`).
pub fn framed_exports_for_tests() -> usize {
    #[cfg(feature = "checks")]
    {
        crate::panic::framed_exports()
    }
    #[cfg(not(feature = "checks"))]
    {
        0
    }
}

/// Reads `errno` into this thread's last-errno slot. Allocates nothing, takes
/// no lock, formats nothing.
#[inline(always)]
pub fn capture_errno() {
    crate::errno::capture();
}

#[cfg(feature = "checks")]
pub use checked::{Call, Export};
#[cfg(not(feature = "checks"))]
pub use unchecked::{Call, Export};

#[cfg(feature = "checks")]
mod checked {
    use core::panic::Location;

    use super::param::Written;
    use super::{FnInfo, RawPtr};
    use crate::guard::{Guard, Verdict};
    use crate::mode::{self, Mode};

    /// The per-call state of an import wrapper.
    #[derive(Debug)]
    pub struct Call {
        g: Guard,
    }

    impl Call {
        #[inline(always)]
        pub fn new(info: &'static FnInfo, site: &'static Location<'static>) -> Call {
            Call {
                g: Guard::new(info, site, false),
            }
        }
        /// Any raw-pointer argument: alignment and use-after-free/consume.
        #[inline(always)]
        pub fn pointer<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.pointer::<P::Pointee>(p.addr(), param);
        }
        /// `nonnull(p)`: null is a `null_pointer` finding.
        #[inline(always)]
        pub fn nonnull<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.nonnull::<P::Pointee>(p.addr(), param);
        }
        /// `slice(p, n)`: overflow of `n * size_of::<T>()`, null with `n > 0`,
        /// alignment, bounds against a known Rust block.
        #[inline(always)]
        pub fn slice<P: RawPtr>(&mut self, p: P, n: usize, param: &'static str, len: &'static str) {
            self.g.slice::<P::Pointee>(p.addr(), n, param, len);
        }
        /// `cstr(p)`: a NUL before the end of a known Rust block.
        #[inline(always)]
        pub fn cstr<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.cstr::<P::Pointee>(p.addr(), param);
        }
        /// `free(p)`: `p` must be live and owned by an `alloc` whose `free` is this function.
        #[inline(always)]
        pub fn release<P: RawPtr>(&mut self, p: P, param: &'static str) {
            crate::pairing::note_release(self.g.info);
            self.g.release::<P::Pointee>(p.addr(), param, false);
        }
        /// An inferred release whose allocation is declared in another
        /// block: releases `p` only when its allocation names this function
        /// (see `pairing.rs`) or it is a live Rust heap block; for any other
        /// pointer, a plain call.
        #[inline(always)]
        pub fn soft_release<P: RawPtr>(&mut self, p: P, param: &'static str) {
            crate::pairing::note_release(self.g.info);
            let addr = p.addr();
            // Its own pairs' pointers; and a live Rust heap block, which no C
            // release may take whatever it pairs with (`allocator_mismatch`).
            let takes = || match crate::ledger::get(addr) {
                Some(e) => crate::pairing::soft_release_takes(self.g.info.name, &e),
                None => matches!(
                    crate::alloc::block_of(addr),
                    crate::alloc::Block::Live { .. }
                ),
            };
            if addr != 0 && takes() {
                self.g.release::<P::Pointee>(addr, param, false);
            }
        }
        /// `consume(p)`: ownership of `p` passes to C.
        #[inline(always)]
        pub fn consume<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.consume::<P::Pointee>(p.addr(), param);
        }
        /// `text(p, n)`: `n` bytes at `p`, or a C string when `n` is `None`
        /// (negative).
        #[inline(always)]
        pub fn text<P: RawPtr>(
            &mut self,
            p: P,
            n: Option<usize>,
            param: &'static str,
            len: &'static str,
        ) {
            text(&mut self.g, p.addr(), n, param, len);
        }
        /// `alloc(free = F)` inferred across blocks: the returned pointer is
        /// live, released by any guarded release, a leak only once one of
        /// `names` was called (see `pairing.rs`).
        #[inline(always)]
        pub fn returned_tentative<P: RawPtr>(&mut self, r: P, names: &'static [&'static str]) {
            let (pointee, _) = crate::guard::pointee_of::<P::Pointee>();
            tentative(&self.g, r.addr(), pointee, names);
        }
        /// `alloc_out(pp, free = F)`: `out` is what the call left in `*pp`.
        #[inline(always)]
        pub fn returned_out(&mut self, out: Written, free_with: &'static str) {
            self.g.owned(out.addr, Some(free_with), out.pointee);
        }
        /// A release that reported failure and kept its object
        /// (`sqlite3_close` returning `SQLITE_BUSY`): the pointer is live again.
        #[cold]
        pub fn release_failed(&mut self) {
            self.g.rollback();
        }
        /// `alloc_out` inferred across blocks (see [`Call::returned_tentative`]).
        #[inline(always)]
        pub fn returned_out_tentative(&mut self, out: Written, names: &'static [&'static str]) {
            tentative(&self.g, out.addr, out.pointee, names);
        }
        /// After validation: `false` means do not call (report mode, a release of
        /// memory that is not live). In panic mode a finding panics here, at the
        /// caller's line; in abort mode it aborts.
        #[inline(always)]
        #[track_caller]
        pub fn proceed(&mut self) -> bool {
            if self.g.is_trivial() {
                return true;
            }
            self.decide()
        }
        /// `alloc(free = F)`: the returned pointer is live and owned by the caller.
        #[inline(always)]
        pub fn returned<P: RawPtr>(&mut self, r: P) {
            self.g.returned::<P::Pointee>(r.addr());
        }
        /// Ends the call. Releases and consumes were committed by `proceed`,
        /// before the foreign call, so that no other thread can take the same
        /// pointer meanwhile.
        #[inline(always)]
        pub fn done(self) {}

        #[inline(never)]
        #[track_caller]
        fn decide(&mut self) -> bool {
            if self.g.lone_release() || self.g.lone_use() {
                return true;
            }
            self.g.evaluate();
            if self.g.verdict.has(Verdict::FOUND) {
                // Abort mode never gets here: recording the finding aborted.
                // A thread that is already unwinding (a guarded release in a
                // `Drop` during a panic) goes on as in report mode: a second
                // panic would abort the process.
                if mode::current() == Mode::Panic && !std::thread::panicking() {
                    self.g.rollback();
                    self.g.panic_now();
                }
                if self.g.verdict.has(Verdict::REFUSE) {
                    self.g.rollback();
                    return false;
                }
            }
            let ok = self.g.commit();
            if !ok {
                self.g.rollback();
            }
            ok
        }
    }

    /// `text(p, n)` at `addr`.
    #[inline(always)]
    fn text(g: &mut Guard, addr: usize, n: Option<usize>, param: &'static str, len: &'static str) {
        match n {
            Some(n) => g.slice::<u8>(addr, n, param, len),
            None => g.cstr::<u8>(addr, param),
        }
    }

    /// A pointer from a tentative pair: live, with no release of its own.
    #[inline]
    fn tentative(g: &Guard, addr: usize, pointee: &'static str, names: &'static [&'static str]) {
        if addr != 0 {
            crate::pairing::note_owner(g.info, names);
            g.owned(addr, None, pointee);
        }
    }

    /// The per-call state of an export wrapper. Never panics.
    #[derive(Debug)]
    pub struct Export {
        g: Guard,
    }

    impl Export {
        #[inline(always)]
        pub fn new(info: &'static FnInfo, site: &'static Location<'static>) -> Export {
            Export {
                g: Guard::new(info, site, true),
            }
        }
        #[inline(always)]
        pub fn pointer<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.pointer::<P::Pointee>(p.addr(), param);
        }
        #[inline(always)]
        pub fn nonnull<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.nonnull::<P::Pointee>(p.addr(), param);
        }
        #[inline(always)]
        pub fn slice<P: RawPtr>(&mut self, p: P, n: usize, param: &'static str, len: &'static str) {
            self.g.slice::<P::Pointee>(p.addr(), n, param, len);
        }
        #[inline(always)]
        pub fn cstr<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.cstr::<P::Pointee>(p.addr(), param);
        }
        /// `free(p)` on an export: refuses a pointer its `alloc` never returned or
        /// already took back; `free(NULL)` skips the body without a finding.
        #[inline(always)]
        pub fn release<P: RawPtr>(&mut self, p: P, param: &'static str) {
            crate::pairing::note_release(self.g.info);
            self.g.release::<P::Pointee>(p.addr(), param, true);
        }
        #[inline(always)]
        pub fn consume<P: RawPtr>(&mut self, p: P, param: &'static str) {
            self.g.consume::<P::Pointee>(p.addr(), param);
        }
        /// `text(p, n)` (see [`Call::text`]).
        #[inline(always)]
        pub fn text<P: RawPtr>(
            &mut self,
            p: P,
            n: Option<usize>,
            param: &'static str,
            len: &'static str,
        ) {
            text(&mut self.g, p.addr(), n, param, len);
        }
        /// `alloc_out(pp, free = F)` on an export: what the body left in `*pp`
        /// is C's, released with `F`.
        #[inline(always)]
        pub fn returned_out(&mut self, out: Written, free_with: &'static str) {
            self.g.owned(out.addr, Some(free_with), out.pointee);
        }
        /// `false`: skip the body and return the error value. Never panics,
        /// in any mode (abort mode aborts when the finding is recorded).
        #[inline(always)]
        pub fn proceed(&mut self) -> bool {
            if self.g.is_trivial() {
                return true;
            }
            self.decide()
        }
        /// Runs the body, catching a panic (recorded as a `panic` finding with
        /// message, location and backtrace). `None` when it panicked.
        #[inline(always)]
        pub fn run<R, F: FnOnce() -> R>(&mut self, body: F) -> Option<R> {
            crate::panic::run(self.g.info, self.g.site, body)
        }
        /// `alloc(free = F)` on an export: the pointer handed to C is live.
        #[inline(always)]
        pub fn returned<P: RawPtr>(&mut self, r: P) {
            self.g.returned::<P::Pointee>(r.addr());
        }

        #[inline(never)]
        fn decide(&mut self) -> bool {
            // Nothing below may unwind into C: the checks themselves do not
            // panic, and this catch is the last line.
            let g = &mut self.g;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                g.evaluate();
                if g.verdict
                    .has(Verdict::FOUND | Verdict::REFUSE | Verdict::SKIP)
                {
                    g.rollback();
                    return false;
                }
                let ok = g.commit();
                if !ok {
                    g.rollback();
                }
                ok
            }))
            .unwrap_or(false)
        }
    }
}

#[cfg(not(feature = "checks"))]
mod unchecked {
    use core::panic::Location;

    use super::param::Written;
    use super::{FnInfo, RawPtr};

    /// The per-call state of an import wrapper: nothing, checks are off.
    #[derive(Debug)]
    pub struct Call(());

    impl Call {
        #[inline(always)]
        pub fn new(_info: &'static FnInfo, _site: &'static Location<'static>) -> Call {
            Call(())
        }
        #[inline(always)]
        pub fn pointer<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn nonnull<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn slice<P: RawPtr>(
            &mut self,
            _p: P,
            _n: usize,
            _param: &'static str,
            _len: &'static str,
        ) {
        }
        #[inline(always)]
        pub fn cstr<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn release<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn consume<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn soft_release<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn text<P: RawPtr>(
            &mut self,
            _p: P,
            _n: Option<usize>,
            _param: &'static str,
            _len: &'static str,
        ) {
        }
        #[inline(always)]
        #[track_caller]
        pub fn proceed(&mut self) -> bool {
            true
        }
        #[inline(always)]
        pub fn returned<P: RawPtr>(&mut self, _r: P) {}
        #[inline(always)]
        pub fn returned_tentative<P: RawPtr>(&mut self, _r: P, _names: &'static [&'static str]) {}
        #[inline(always)]
        pub fn returned_out(&mut self, _out: Written, _free_with: &'static str) {}
        #[inline(always)]
        pub fn returned_out_tentative(&mut self, _out: Written, _names: &'static [&'static str]) {}
        #[inline(always)]
        pub fn release_failed(&mut self) {}
        #[inline(always)]
        pub fn done(self) {}
    }

    /// The per-call state of an export wrapper: only the panic catch.
    #[derive(Debug)]
    pub struct Export(());

    impl Export {
        #[inline(always)]
        pub fn new(_info: &'static FnInfo, _site: &'static Location<'static>) -> Export {
            Export(())
        }
        #[inline(always)]
        pub fn pointer<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn nonnull<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn slice<P: RawPtr>(
            &mut self,
            _p: P,
            _n: usize,
            _param: &'static str,
            _len: &'static str,
        ) {
        }
        #[inline(always)]
        pub fn cstr<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn release<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn consume<P: RawPtr>(&mut self, _p: P, _param: &'static str) {}
        #[inline(always)]
        pub fn text<P: RawPtr>(
            &mut self,
            _p: P,
            _n: Option<usize>,
            _param: &'static str,
            _len: &'static str,
        ) {
        }
        #[inline(always)]
        pub fn returned_out(&mut self, _out: Written, _free_with: &'static str) {}
        #[inline(always)]
        pub fn proceed(&mut self) -> bool {
            true
        }
        /// Runs the body, catching a panic so that it never unwinds into C.
        #[inline(always)]
        pub fn run<R, F: FnOnce() -> R>(&mut self, body: F) -> Option<R> {
            crate::panic::run(body)
        }
        #[inline(always)]
        pub fn returned<P: RawPtr>(&mut self, _r: P) {}
    }
}
