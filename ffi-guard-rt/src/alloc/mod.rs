//! `TrackingAllocator`: a `#[global_allocator]` that knows every live Rust
//! heap block, so the checks can bound a slice or a C string by the block that
//! holds it, and so a dealloc of a pointer it never returned is caught.

#[cfg(feature = "checks")]
mod c_heap;
#[cfg(feature = "checks")]
mod c_map;
#[cfg(feature = "checks")]
mod site;
#[cfg(feature = "checks")]
mod spin;
#[cfg(feature = "checks")]
mod table;

use std::alloc::{GlobalAlloc, Layout, System};

/// A global allocator that records every live Rust heap block.
///
/// ```
/// use ffi_guard_rt::TrackingAllocator;
///
/// #[global_allocator]
/// static A: TrackingAllocator = TrackingAllocator::new();
///
/// fn main() {
///     let name = std::ffi::CString::new("widget").unwrap();
///     assert_eq!(name.as_bytes().len(), 6);
/// }
/// ```
///
/// With it installed, the checks of guarded functions know the Rust heap:
///
/// - a `slice(p, n)` argument is checked against the block that holds `p`
///   (`out_of_bounds`), and a `cstr` argument inside a block must have its
///   NUL before the block's end (`unterminated_cstr`);
/// - a block that was freed and not handed out again is `use_after_free`
///   when it is passed to C (the allocator remembers the last 1024 frees of
///   each 64 MiB heap region: of each thread's malloc arena, in effect);
/// - a Rust block released by a guarded C release function is
///   `allocator_mismatch`;
/// - deallocating a pointer that this allocator never returned (a C pointer
///   given to `Box::from_raw` or `CString::from_raw`) is `allocator_mismatch`
///   and is *not* forwarded to the inner allocator, so the heap is never
///   corrupted: the memory is leaked instead and the program goes on. A
///   second deallocation of a Rust block is a `double_free` and is not
///   forwarded either, nor is the deallocation of a block that a guarded
///   `consume` function gave to C (a `double_free` too: C owns it now). A
///   `realloc` of such a pointer returns a new block with the old contents
///   copied.
///
/// Which of the two a refused dealloc is, is a guess when C's `malloc` gave
/// out the address of a freed Rust block: a `double_free` needs a freed
/// record at the same address with the very same size.
///
/// Allocator findings never panic (an allocator must not unwind): they are
/// recorded, with the first frame of user code as their site.
///
/// The table of blocks is process-wide, like the global allocator: install
/// one `TrackingAllocator` per program. Its own memory comes from `mmap`
/// directly, its locks never allocate, and it is safe across `fork`. On a
/// mixed 8..4096-byte workload an allocation and free cost about 1.4 times
/// glibc's (`cargo bench -p ffi-guard-tests --bench alloc`); a checked slice
/// inside a live block costs about 10 ns, and a pointer the fast paths
/// cannot judge a lookup of some 30 to 40 ns. Without
/// the `checks` feature the type is its inner allocator and nothing more.
///
/// One limit: the allocator knows the Rust heap only. When C's `malloc`
/// places a C allocation at the address of a recently freed Rust block, and
/// no guarded `alloc` function returned it (the ledger knows those), that
/// pointer reads as the freed block when passed to a guarded function.
#[derive(Debug, Default, Clone, Copy)]
pub struct TrackingAllocator<A = System> {
    inner: A,
    /// `inner` is `System`: where `System` is plain glibc `malloc` reached
    /// through the runtime's own `malloc`, the allocator calls glibc directly.
    #[cfg_attr(not(feature = "checks"), allow(dead_code))]
    system: bool,
}

impl TrackingAllocator<System> {
    /// Tracks blocks of the system allocator.
    pub const fn new() -> TrackingAllocator<System> {
        TrackingAllocator {
            inner: System,
            system: true,
        }
    }
}

impl<A> TrackingAllocator<A> {
    /// Tracks blocks of `inner`.
    pub const fn wrap(inner: A) -> Self {
        TrackingAllocator {
            inner,
            system: false,
        }
    }

    /// The allocator underneath.
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

impl TrackingAllocator {
    /// For tests of the runtime: what the allocator knows about the block
    /// that holds `addr`, as `("live" | "freed" | "unknown", start, size)`.
    #[doc(hidden)]
    pub fn __block_of(addr: usize) -> (&'static str, usize, usize) {
        match block_of(addr) {
            Block::Unknown => ("unknown", 0, 0),
            Block::Live { start, size } => ("live", start, size),
            Block::CLive { start, size } => ("c-live", start, size),
            Block::Freed { start, size, .. } => ("freed", start, size),
        }
    }

    /// Whether the runtime observes C's heap too: `TrackingAllocator` is the
    /// global allocator, and the platform and build allow it (see the
    /// README's "The whole heap").
    pub fn observes_c_heap() -> bool {
        whole_heap()
    }

    /// For benchmarks and tests of the runtime: turns the observation of
    /// C's heap on or off for the whole process, as if `TrackingAllocator`
    /// were (or were not) the global allocator. Without the observation
    /// available on this platform, turning it on does nothing.
    #[doc(hidden)]
    pub fn __set_observing_c_heap(on: bool) {
        #[cfg(feature = "checks")]
        c_heap::set_observing(on);
        #[cfg(not(feature = "checks"))]
        let _ = on;
    }

    /// For tests of the runtime: how many deallocations this process refused
    /// to forward (pointers the allocator never returned, or returned and
    /// already took back).
    #[doc(hidden)]
    pub fn __refused() -> u64 {
        #[cfg(feature = "checks")]
        {
            REFUSED.load(std::sync::atomic::Ordering::Relaxed)
        }
        #[cfg(not(feature = "checks"))]
        {
            0
        }
    }
}

/// What the allocator knows about the heap block that holds an address.
#[cfg_attr(not(feature = "checks"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// No `TrackingAllocator` is installed, or the address is in no block it
    /// handed out (C's heap, the stack, a static).
    Unknown,
    /// A live Rust block `[start, start + size)`.
    Live { start: usize, size: usize },
    /// A live block of C's `malloc` family, `size` its usable size (never
    /// checked for bounds: only its life is known for sure).
    CLive { start: usize, size: usize },
    /// A block that was freed and not handed out again; `c` when C's
    /// allocator had given it out.
    Freed { start: usize, size: usize, c: bool },
}

#[cfg_attr(not(feature = "checks"), allow(dead_code))]
impl Block {
    /// Live, on either side.
    #[inline(always)]
    pub(crate) fn is_live(self) -> bool {
        matches!(self, Block::Live { .. } | Block::CLive { .. })
    }
}

/// True when the runtime observes C's heap as well as Rust's: then a block
/// that the table does not hold live is surely not live (but for the limits
/// in `c_heap.rs`), and `Freed` is the truth, not a guess.
#[inline(always)]
pub(crate) fn whole_heap() -> bool {
    #[cfg(feature = "checks")]
    {
        c_heap::observing()
    }
    #[cfg(not(feature = "checks"))]
    {
        false
    }
}

#[cfg_attr(not(feature = "checks"), allow(dead_code))]
/// True when a live Rust block surely holds `[addr, addr + bytes)`: the
/// fast answer for a slice argument. `false` says nothing (ask [`block_of`]).
#[inline(always)]
pub(crate) fn live_rust_block_holds(addr: usize, bytes: usize) -> bool {
    #[cfg(feature = "checks")]
    {
        table::TABLE.live_rust_holds(addr, bytes)
    }
    #[cfg(not(feature = "checks"))]
    {
        let _ = (addr, bytes);
        false
    }
}

/// False while the allocator knows no block at all (no `TrackingAllocator`
/// installed, C's heap not observed): then every lookup is `Unknown`.
#[inline(always)]
pub(crate) fn knows_blocks() -> bool {
    #[cfg(feature = "checks")]
    {
        table::TABLE.knows_blocks() || !c_map::is_empty()
    }
    #[cfg(not(feature = "checks"))]
    {
        false
    }
}

/// True when a live block of C's heap surely holds `addr`: the fast answer
/// for a plain pointer (a library's handle). `false` says nothing.
#[inline(always)]
pub(crate) fn live_c_block_holds(addr: usize) -> bool {
    #[cfg(feature = "checks")]
    {
        whole_heap() && c_map::live_containing(addr).is_some()
    }
    #[cfg(not(feature = "checks"))]
    {
        let _ = addr;
        false
    }
}

/// The block that holds `addr`. A live block wins over a freed range that
/// overlaps it (the address was handed out again).
pub(crate) fn block_of(addr: usize) -> Block {
    #[cfg(feature = "checks")]
    {
        // A live block wins over a freed range that overlaps it, whichever
        // side each is on: Rust's and C's large blocks are in the table,
        // C's small ones in the C map.
        // Of two freed ones, the one freed last: the address was the other
        // before it.
        let found = match table::TABLE.containing(addr) {
            Some(f) if f.live => Some(f),
            freed => c_map::live_containing(addr).or_else(|| {
                match (freed, c_map::freed_containing(addr)) {
                    (Some(t), Some(m)) => {
                        let clock = table::TABLE.freed_clock(t.start, t.size);
                        Some(c_map::newer_freed((t, clock), m))
                    }
                    (t, m) => t.or(m.map(|(m, _)| m)),
                }
            }),
        };
        match found {
            None => Block::Unknown,
            Some(f) if f.live && f.c => Block::CLive {
                start: f.start,
                size: f.size,
            },
            Some(f) if f.live => Block::Live {
                start: f.start,
                size: f.size,
            },
            Some(f) => Block::Freed {
                start: f.start,
                size: f.size,
                c: f.c,
            },
        }
    }
    #[cfg(not(feature = "checks"))]
    {
        let _ = addr;
        Block::Unknown
    }
}

#[cfg(feature = "checks")]
static REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(feature = "checks")]
unsafe impl<A: GlobalAlloc> GlobalAlloc for TrackingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        let p = unsafe { self.inner_alloc(layout, false) };
        if !p.is_null() {
            table::TABLE.insert(p as usize, layout.size());
        }
        c_heap::note_rust_alloc();
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { self.inner_alloc(layout, true) };
        if !p.is_null() {
            table::TABLE.insert(p as usize, layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if crate::ledger::may_be_consumed_rust_block(ptr as usize)
            && consumed_by_c(ptr as usize, layout)
        {
            return;
        }
        // The table forgets the block *before* the inner allocator may hand
        // the address to another thread, which would then record it anew.
        if table::TABLE.free(ptr as usize, layout.size()) || table::TABLE.is_degraded() {
            // SAFETY: `ptr` is a live block of ours (or, degraded, may be).
            if !(self.system && unsafe { c_heap::system_dealloc(ptr) }) {
                let _side = c_heap::RustSide::enter();
                // SAFETY: as above.
                unsafe { self.inner.dealloc(ptr, layout) }
            }
        } else {
            refuse(ptr as usize, layout);
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if crate::ledger::may_be_consumed_rust_block(ptr as usize)
            && consumed_by_c(ptr as usize, layout)
        {
            // C owns the old block: the caller gets a copy, C keeps its own.
            return unsafe { self.realloc_foreign(ptr, layout, new_size) };
        }
        if !table::TABLE.free(ptr as usize, layout.size()) && !table::TABLE.is_degraded() {
            refuse(ptr as usize, layout);
            return unsafe { self.realloc_foreign(ptr, layout, new_size) };
        }
        // SAFETY: `ptr` is a live block of ours; the contract is the caller's.
        let direct = if self.system {
            unsafe { c_heap::system_realloc(ptr, layout, new_size) }
        } else {
            None
        };
        let q = direct.unwrap_or_else(|| {
            let _side = c_heap::RustSide::enter();
            // SAFETY: as above.
            unsafe { self.inner.realloc(ptr, layout, new_size) }
        });
        if q.is_null() {
            // The old block is still there and still the caller's.
            table::TABLE.insert(ptr as usize, layout.size());
        } else {
            table::TABLE.insert(q as usize, new_size);
        }
        q
    }
}

#[cfg(feature = "checks")]
impl<A: GlobalAlloc> TrackingAllocator<A> {
    /// The inner allocator's block, unrecorded by the runtime's `malloc`:
    /// glibc's directly where `inner` is `System` and that is the same.
    #[inline(always)]
    unsafe fn inner_alloc(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        if self.system
            && let Some(p) = c_heap::system_alloc(layout, zeroed)
        {
            return p;
        }
        let _side = c_heap::RustSide::enter();
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe {
            if zeroed {
                self.inner.alloc_zeroed(layout)
            } else {
                self.inner.alloc(layout)
            }
        }
    }

    /// `realloc` of memory this allocator never returned: a fresh block with
    /// the old contents, the old memory left alone (it is not ours to free).
    #[cold]
    unsafe fn realloc_foreign(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `new_size` is non-zero by `realloc`'s contract.
        let q = unsafe { self.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: the caller vouches for `layout.size()` readable bytes at
            // `ptr`; `q` has `new_size` bytes; the two do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size)) };
        }
        q
    }
}

/// Whether the Rust block at `addr` was given to C by a guarded `consume`
/// function: releasing it from Rust now is a `double_free` (recorded here),
/// and the block is not forwarded, so C never reads freed memory; it stays
/// live, C's to keep. Reached only when the ledger may have retired entries
/// at `addr` (one relaxed load said so).
#[cfg(feature = "checks")]
#[cold]
#[inline(never)]
fn consumed_by_c(addr: usize, layout: Layout) -> bool {
    // The runtime's own frees (under its ledger locks, possibly) never
    // touch a consumed user block; asking the ledger here could deadlock.
    if crate::reentrancy::is_ignoring() {
        return false;
    }
    let _ignore = crate::reentrancy::Ignore::new();
    let Some(entry) = crate::ledger::rust_dealloc_of_consumed(addr) else {
        return false;
    };
    REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::report::record(site::consumed_finding(addr, layout, &entry));
    true
}

/// Records a refused deallocation. Never panics: an allocator must not unwind.
#[cfg(feature = "checks")]
#[cold]
#[inline(never)]
fn refuse(addr: usize, layout: Layout) {
    REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The runtime's own bookkeeping freeing something strange is not the
    // user's bug, and reporting it would re-enter the runtime.
    if crate::reentrancy::is_ignoring() {
        return;
    }
    let _ignore = crate::reentrancy::Ignore::new();
    let finding = site::refused_finding(addr, layout, table::TABLE.freed_at(addr, layout.size()));
    crate::report::record(finding);
}

#[cfg(not(feature = "checks"))]
unsafe impl<A: GlobalAlloc> GlobalAlloc for TrackingAllocator<A> {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { self.inner.alloc(layout) }
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline(always)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }
}

#[cfg(all(test, feature = "checks"))]
mod tests {
    use super::*;

    // The unit tests of the runtime run under `System`; these call the
    // allocator directly, so they see only the blocks they make themselves.
    static A: TrackingAllocator = TrackingAllocator::new();

    #[test]
    fn knows_live_then_freed_blocks() {
        let layout = Layout::from_size_align(100, 8).unwrap();
        let p = unsafe { A.alloc(layout) } as usize;
        assert_eq!(
            block_of(p + 99),
            Block::Live {
                start: p,
                size: 100
            }
        );
        assert_eq!(block_of(p + 100), Block::Unknown);
        unsafe { A.dealloc(p as *mut u8, layout) };
        assert!(
            matches!(block_of(p + 10), Block::Freed { start, .. } if start == p)
                || matches!(block_of(p + 10), Block::Live { .. }),
            "freed, unless handed out again"
        );
    }

    #[test]
    fn refuses_a_foreign_pointer_and_keeps_the_heap() {
        let before = TrackingAllocator::__refused();
        // SAFETY: a plain C allocation, released below by C.
        let c = unsafe { libc::malloc(64) }.cast::<u8>();
        assert!(!c.is_null());
        let layout = Layout::from_size_align(64, 1).unwrap();
        unsafe { A.dealloc(c, layout) };
        assert!(TrackingAllocator::__refused() > before);
        // Still C's, still valid: the refused dealloc never reached free().
        unsafe {
            c.write_bytes(7, 64);
            libc::free(c.cast());
        }
    }

    #[test]
    fn realloc_moves_the_record() {
        let layout = Layout::from_size_align(16, 8).unwrap();
        let p = unsafe { A.alloc(layout) };
        unsafe { p.write_bytes(1, 16) };
        let q = unsafe { A.realloc(p, layout, 5000) };
        assert!(!q.is_null());
        assert_eq!(
            block_of(q as usize + 4999),
            Block::Live {
                start: q as usize,
                size: 5000
            }
        );
        assert_eq!(unsafe { *q.add(15) }, 1);
        unsafe { A.dealloc(q, Layout::from_size_align(5000, 8).unwrap()) };
    }
}

#[cfg(all(test, not(feature = "checks")))]
mod unchecked_tests {
    use super::*;

    static A: TrackingAllocator = TrackingAllocator::new();

    #[test]
    fn without_checks_it_is_the_inner_allocator() {
        let layout = Layout::from_size_align(64, 8).unwrap();
        let p = unsafe { A.alloc(layout) };
        assert!(!p.is_null());
        assert_eq!(block_of(p as usize), Block::Unknown);
        let q = unsafe { A.realloc(p, layout, 128) };
        unsafe { A.dealloc(q, Layout::from_size_align(128, 8).unwrap()) };
        assert_eq!(TrackingAllocator::__refused(), 0);
    }
}
