//! The whole heap: C's `malloc` family, observed.
//!
//! Rust's `System` allocator and every C library of the process share one
//! heap, and C allocates and frees internally all the time. With only the
//! Rust side known, an address that Rust freed and C's `malloc` handed out
//! again reads as a freed Rust block. So, on Linux with glibc, the runtime
//! defines the `malloc` family in the executable (as the sanitizers do) and
//! forwards each call to glibc's own allocator (`__libc_malloc` and
//! friends), recording C's blocks beside the Rust ones, each marked with the
//! side that allocated it: small blocks (below 128 KiB, nearly all of them)
//! as bits in the C map (`c_map.rs`), which costs a `malloc`/`free` pair a
//! few lines of bitmap that lie together as the blocks do, and large ones in
//! the block table (`table.rs`).
//!
//! # How it is wired
//!
//! - Each function (`malloc`, `free`, `calloc`, `realloc`, `reallocarray`,
//!   `posix_memalign`, `aligned_alloc`, `memalign`, `valloc`, `pvalloc`) is
//!   a *weak* symbol, an alias of a naked trampoline exported under a name
//!   that carries this crate's version. The exported trampoline keeps the
//!   object in the link; the weak alias lets two copies of the runtime link
//!   into one program (the linker keeps one; the other copy sees that its
//!   `malloc` is not the process's and stays passive). An executable's
//!   definition of `malloc` is exported dynamically, so shared libraries,
//!   `dlopen`ed ones too, and glibc itself call it.
//! - Recording is off until the runtime knows that `TrackingAllocator` is
//!   the program's global allocator: a constructor (`.init_array.00099`, so
//!   before the constructors of C code linked into the executable) makes one
//!   Rust allocation, and `TrackingAllocator::alloc` notes that it saw it.
//!   A program without `TrackingAllocator` therefore gets the raw glibc
//!   allocator behind one relaxed load and one jump: no finding, no record.
//! - Rust's `System` calls `malloc` itself; `TrackingAllocator` marks the
//!   thread while it calls its inner allocator ([`RustSide`]), and such a
//!   call is forwarded unrecorded: a Rust block is recorded once, as Rust's.
//! - Nothing here allocates: the map's and the table's memory comes from
//!   `mmap`, their locks spin, and the flags are `const` thread-locals
//!   without destructors, which work before `main`, on threads C creates and
//!   during thread exit. The fork handlers (see `spin.rs`) keep both usable
//!   in a forked child.
//! - C's `free` of a pointer that a guarded `consume` function gave to C
//!   ends that pointer's life in the ledger: the address may come back as
//!   anything.
//!
//! # What it cannot see
//!
//! Other platforms (musl, macOS, Windows), statically linked executables,
//! a runtime linked into a shared library rather than the executable,
//! allocators that do not go through `malloc` (jemalloc or mimalloc linked
//! into a C library, `mmap`, custom pools), and blocks allocated before the
//! executable's constructors ran (by shared libraries' constructors). Where
//! it cannot see, [`observing`] is false or the block is unknown, and the
//! checks fall back to the rule for unknown memory: silence.

#[cfg(all(
    feature = "c-heap",
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use std::cell::Cell;
    use std::ffi::{c_int, c_void};
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::alloc::c_map;
    use crate::alloc::table::TABLE;

    unsafe extern "C" {
        fn __libc_malloc(size: usize) -> *mut c_void;
        fn __libc_free(p: *mut c_void);
        fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
        fn __libc_realloc(p: *mut c_void, size: usize) -> *mut c_void;
        fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
        fn __libc_valloc(size: usize) -> *mut c_void;
        fn __libc_pvalloc(size: usize) -> *mut c_void;
        #[cfg(not(target_arch = "x86_64"))]
        fn malloc_usable_size(p: *mut c_void) -> usize;
        /// The process's `malloc`: this copy's, or another's that won.
        fn malloc(size: usize) -> *mut c_void;
    }

    /// Set once `TrackingAllocator` is known to be the global allocator and
    /// this copy's `malloc` is the process's.
    static ACTIVE: AtomicBool = AtomicBool::new(false);
    /// Set while the constructor's probe allocation runs.
    static PROBING: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// The thread is inside `TrackingAllocator`'s call of its inner
        /// allocator: a `malloc` now is a Rust block, recorded by the caller.
        static IN_RUST: Cell<bool> = const { Cell::new(false) };
    }

    /// The trampolines: `NAME` is a weak alias of an exported, versioned
    /// symbol that jumps to the handler.
    macro_rules! interpose {
        ($($c_name:literal => $entry:ident => $handler:ident;)*) => {$(
            #[unsafe(naked)]
            #[unsafe(export_name = concat!("ffi_guard_rt_", env!("CARGO_PKG_VERSION"), "_", $c_name))]
            unsafe extern "C" fn $entry() {
                #[cfg(target_arch = "x86_64")]
                core::arch::naked_asm!(
                    concat!(".weak ", $c_name),
                    concat!(".type ", $c_name, ",@function"),
                    concat!($c_name, ":"),
                    "jmp {h}",
                    h = sym $handler,
                );
                #[cfg(target_arch = "aarch64")]
                core::arch::naked_asm!(
                    concat!(".weak ", $c_name),
                    concat!(".type ", $c_name, ",@function"),
                    concat!($c_name, ":"),
                    "b {h}",
                    h = sym $handler,
                );
            }
        )*};
    }

    interpose! {
        "malloc" => entry_malloc => on_malloc;
        "free" => entry_free => on_free;
        "calloc" => entry_calloc => on_calloc;
        "realloc" => entry_realloc => on_realloc;
        "reallocarray" => entry_reallocarray => on_reallocarray;
        "posix_memalign" => entry_posix_memalign => on_posix_memalign;
        "aligned_alloc" => entry_aligned_alloc => on_memalign;
        "memalign" => entry_memalign => on_memalign;
        "valloc" => entry_valloc => on_valloc;
        "pvalloc" => entry_pvalloc => on_pvalloc;
    }

    /// Whether this call of the `malloc` family is C's, to be recorded.
    #[inline(always)]
    fn recording() -> bool {
        ACTIVE.load(Ordering::Relaxed) && !IN_RUST.with(Cell::get)
    }

    #[inline(always)]
    fn allocated(p: *mut c_void) -> *mut c_void {
        if !p.is_null() && recording() {
            record_alloc(p);
        }
        p
    }

    /// The usable size of glibc's block at `p`, the number `free` can
    /// compute again (C's `free` has no size).
    ///
    /// On x86_64 it is read from the chunk header that glibc's allocator
    /// keeps in front of every block (the size word at `p - 8`, its low three
    /// bits flags, `IS_MMAPPED` = 2), as `malloc_usable_size` does, without
    /// the call: the header is the line `free` is about to touch anyway.
    /// This layout has not changed since ptmalloc2 became glibc's allocator.
    /// On aarch64 memory tagging can make the header unreadable through `p`,
    /// so there it is glibc's own function.
    ///
    /// # Safety
    ///
    /// `p` is a live, non-null block of glibc's allocator.
    #[inline(always)]
    unsafe fn usable_size(p: *mut c_void) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: the caller's: a live glibc block has its header at `p - 8`.
            let word = unsafe { p.cast::<usize>().sub(1).read() };
            const IS_MMAPPED: usize = 2;
            let overhead = if word & IS_MMAPPED != 0 { 16 } else { 8 };
            (word & !7).saturating_sub(overhead)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            // SAFETY: the caller's.
            unsafe { malloc_usable_size(p) }
        }
    }

    #[inline(never)]
    fn record_alloc(p: *mut c_void) {
        // SAFETY: `p` is a live block of glibc's allocator.
        record_alloc_sized(p, unsafe { usable_size(p) });
    }

    /// Small blocks go to the C map, large ones (and any the map cannot
    /// hold) to the block table.
    #[inline(always)]
    fn record_alloc_sized(p: *mut c_void, size: usize) {
        if size >= c_map::SMALL || !c_map::allocated(p as usize, size) {
            TABLE.insert_c(p as usize, size);
        }
    }

    /// Forgets C's block before glibc may hand the address to another thread.
    #[inline(never)]
    fn record_free(p: *mut c_void) {
        // Read first: should the filter's line be cold, its load overlaps
        // the table's work instead of following it.
        let consumed = crate::ledger::may_be_consumed(p as usize);
        // SAFETY: `p` is a block of glibc's allocator that the caller frees.
        let size = unsafe { usable_size(p) };
        if size >= c_map::SMALL || !c_map::freed(p as usize, size) {
            TABLE.free_c(p as usize, size);
        }
        if consumed && !crate::reentrancy::is_ignoring() {
            crate::ledger::c_freed(p as usize);
        }
    }

    unsafe extern "C" fn on_malloc(size: usize) -> *mut c_void {
        // SAFETY: forwarded unchanged.
        allocated(unsafe { __libc_malloc(size) })
    }

    unsafe extern "C" fn on_free(p: *mut c_void) {
        if !p.is_null() && recording() {
            record_free(p);
        }
        // SAFETY: forwarded unchanged.
        unsafe { __libc_free(p) }
    }

    unsafe extern "C" fn on_calloc(n: usize, size: usize) -> *mut c_void {
        // SAFETY: forwarded unchanged.
        allocated(unsafe { __libc_calloc(n, size) })
    }

    unsafe extern "C" fn on_realloc(p: *mut c_void, size: usize) -> *mut c_void {
        if p.is_null() || !recording() {
            // SAFETY: forwarded unchanged.
            return allocated(unsafe { __libc_realloc(p, size) });
        }
        // SAFETY: `p` is a live block the caller hands to `realloc`.
        let old = unsafe { usable_size(p) };
        record_free(p);
        // SAFETY: forwarded unchanged.
        let q = unsafe { __libc_realloc(p, size) };
        if !q.is_null() {
            record_alloc(q);
        } else if size != 0 {
            // Failed: the old block is still there, still C's.
            record_alloc_sized(p, old);
        }
        q
    }

    unsafe extern "C" fn on_reallocarray(p: *mut c_void, n: usize, size: usize) -> *mut c_void {
        let Some(bytes) = n.checked_mul(size) else {
            // SAFETY: `errno` is this thread's.
            unsafe { *libc::__errno_location() = libc::ENOMEM };
            return std::ptr::null_mut();
        };
        // SAFETY: the caller's contract is `realloc`'s.
        unsafe { on_realloc(p, bytes) }
    }

    unsafe extern "C" fn on_posix_memalign(
        out: *mut *mut c_void,
        align: usize,
        size: usize,
    ) -> c_int {
        if !align.is_power_of_two() || !align.is_multiple_of(size_of::<*mut c_void>()) {
            return libc::EINVAL;
        }
        // SAFETY: a valid alignment, as checked.
        let p = unsafe { __libc_memalign(align, size) };
        if p.is_null() {
            return libc::ENOMEM;
        }
        // SAFETY: the caller passes a writable out-pointer.
        unsafe { *out = allocated(p) };
        0
    }

    unsafe extern "C" fn on_memalign(align: usize, size: usize) -> *mut c_void {
        // SAFETY: forwarded unchanged.
        allocated(unsafe { __libc_memalign(align, size) })
    }

    unsafe extern "C" fn on_valloc(size: usize) -> *mut c_void {
        // SAFETY: forwarded unchanged.
        allocated(unsafe { __libc_valloc(size) })
    }

    unsafe extern "C" fn on_pvalloc(size: usize) -> *mut c_void {
        // SAFETY: forwarded unchanged.
        allocated(unsafe { __libc_pvalloc(size) })
    }

    /// Runs before the constructors of C code linked into the executable
    /// (`.init_array` sections with a priority run first, lowest first; 99
    /// is where the standard library reads its arguments too).
    #[used]
    #[unsafe(link_section = ".init_array.00099")]
    static PROBE: extern "C" fn() = probe;

    extern "C" fn probe() {
        PROBING.store(true, Ordering::Relaxed);
        let layout = std::alloc::Layout::new::<u64>();
        // SAFETY: a non-zero layout, freed with the same layout.
        // `black_box`: an allocation nobody reads may be optimised away.
        unsafe {
            let p = std::hint::black_box(std::alloc::alloc(layout));
            if !p.is_null() {
                std::alloc::dealloc(p, layout);
            }
        }
        PROBING.store(false, Ordering::Relaxed);
    }

    /// Called by `TrackingAllocator::alloc` after each allocation: during the
    /// probe, it is the global allocator.
    #[inline(always)]
    pub(crate) fn note_rust_alloc() {
        if PROBING.load(Ordering::Relaxed) {
            activate();
        }
    }

    #[cold]
    fn activate() {
        // Another copy's `malloc` may have won the link: then C's calls never
        // reach this copy's table, and it must not claim to see them.
        if forwards_to_glibc() {
            ACTIVE.store(true, Ordering::Relaxed);
        }
    }

    /// Whether C's heap is observed.
    #[inline(always)]
    pub(crate) fn observing() -> bool {
        ACTIVE.load(Ordering::Relaxed)
    }

    /// Test and benchmark hook: turns the observation on or off for this
    /// process, as the probe would (on only where this copy's `malloc` won).
    pub(crate) fn set_observing(on: bool) {
        if on {
            activate();
        } else {
            ACTIVE.store(false, Ordering::Relaxed);
        }
    }

    /// The largest alignment `System` serves with plain `malloc` (std's
    /// `MIN_ALIGN` on x86_64 and aarch64).
    const MIN_ALIGN: usize = 16;

    /// Whether the process's `malloc` is this copy's, which forwards to
    /// glibc's `__libc_*`: then `System` (which calls `malloc`) is glibc's
    /// allocator plus the detour through the trampoline, and
    /// `TrackingAllocator<System>` may call glibc directly, with the same
    /// blocks and nothing for the interposer to skip.
    #[inline(always)]
    fn forwards_to_glibc() -> bool {
        let process_malloc = malloc as unsafe extern "C" fn(usize) -> *mut c_void as usize;
        process_malloc == entry_malloc as unsafe extern "C" fn() as usize
    }

    /// `System.alloc(layout)` (or `alloc_zeroed`) where it is plain
    /// `malloc` (`calloc`) and `malloc` is glibc's through this copy; `None`
    /// when the caller must go through `System`.
    #[inline(always)]
    pub(crate) fn system_alloc(layout: std::alloc::Layout, zeroed: bool) -> Option<*mut u8> {
        if layout.align() > MIN_ALIGN || layout.align() > layout.size() || !forwards_to_glibc() {
            return None;
        }
        // SAFETY: what `System` would call, with the same arguments.
        Some(
            unsafe {
                if zeroed {
                    __libc_calloc(layout.size(), 1)
                } else {
                    __libc_malloc(layout.size())
                }
            }
            .cast(),
        )
    }

    /// `System.dealloc(p, _)` where `free` is glibc's through this copy.
    /// `false` when the caller must go through `System`.
    ///
    /// # Safety
    ///
    /// `p` is a live block of `System`.
    #[inline(always)]
    pub(crate) unsafe fn system_dealloc(p: *mut u8) -> bool {
        if !forwards_to_glibc() {
            return false;
        }
        // SAFETY: `System` frees with `free`, which is `__libc_free` here.
        unsafe { __libc_free(p.cast()) };
        true
    }

    /// `System.realloc(p, layout, new_size)` where it is plain `realloc`.
    ///
    /// # Safety
    ///
    /// `GlobalAlloc::realloc`'s contract, for a block of `System`.
    #[inline(always)]
    pub(crate) unsafe fn system_realloc(
        p: *mut u8,
        layout: std::alloc::Layout,
        new_size: usize,
    ) -> Option<*mut u8> {
        if layout.align() > MIN_ALIGN || layout.align() > new_size || !forwards_to_glibc() {
            return None;
        }
        // SAFETY: what `System` would call, with the same arguments.
        Some(unsafe { __libc_realloc(p.cast(), new_size) }.cast())
    }

    /// While alive, this thread's `malloc` calls are Rust blocks.
    pub(crate) struct RustSide(bool);

    impl RustSide {
        #[inline(always)]
        pub(crate) fn enter() -> RustSide {
            RustSide(IN_RUST.with(|r| r.replace(true)))
        }
    }

    impl Drop for RustSide {
        #[inline(always)]
        fn drop(&mut self) {
            let was = self.0;
            IN_RUST.with(|r| r.set(was));
        }
    }
}

#[cfg(not(all(
    feature = "c-heap",
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    /// Whether C's heap is observed: never on this platform or build.
    #[inline(always)]
    pub(crate) fn observing() -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn note_rust_alloc() {}

    pub(crate) fn set_observing(_on: bool) {}

    #[inline(always)]
    pub(crate) fn system_alloc(_layout: std::alloc::Layout, _zeroed: bool) -> Option<*mut u8> {
        None
    }

    /// # Safety
    ///
    /// None needed: it does nothing.
    #[inline(always)]
    pub(crate) unsafe fn system_dealloc(_p: *mut u8) -> bool {
        false
    }

    /// # Safety
    ///
    /// None needed: it does nothing.
    #[inline(always)]
    pub(crate) unsafe fn system_realloc(
        _p: *mut u8,
        _layout: std::alloc::Layout,
        _new_size: usize,
    ) -> Option<*mut u8> {
        None
    }

    /// Nothing to mark where C's heap is not observed.
    pub(crate) struct RustSide;

    impl RustSide {
        #[inline(always)]
        pub(crate) fn enter() -> RustSide {
            RustSide
        }
    }

    impl Drop for RustSide {
        #[inline(always)]
        fn drop(&mut self) {}
    }
}

pub(crate) use imp::{
    RustSide, note_rust_alloc, observing, set_observing, system_alloc, system_dealloc,
    system_realloc,
};
