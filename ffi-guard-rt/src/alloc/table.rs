//! The block table behind `TrackingAllocator`: every live Rust heap block and
//! a bounded quarantine of recently freed ones. (C's blocks, where C's heap
//! is observed, are here too when large; the small ones are in `c_map.rs`.)
//!
//! # Why this shape
//!
//! The table is consulted on every allocation and every deallocation of the
//! program, so it must be cheap, and it must never allocate through the
//! global allocator it serves (that would recurse into itself). It is a fixed
//! array of shards, each an open-addressing (linear probing) table whose
//! memory comes from `mmap` directly, guarded by a spin lock that never
//! allocates and never parks through code that may allocate (`spin.rs`).
//!
//! The checks also need the block that *contains* an address (a slice that
//! starts inside a `Vec`), not only the block that starts there. A block of
//! size class `k` (its size is at most `2^k`, `k` even) that starts at `s`
//! covers only addresses `a` with `a >> k` equal to `s >> k` or
//! `(s >> k) + 1`. So an entry is placed by the hash of `(k, s >> k)`: all
//! blocks of one class that start in one granule of `2^k` bytes share a probe
//! run, and at most four of them fit in a granule (each is larger than
//! `2^(k-2)`). Finding the block around `a` is then two short probes per size
//! class in use (classes of a factor of four: half the probes that classes
//! of a factor of two need, for runs barely longer); finding a block by its
//! start (`dealloc` knows the size from the layout) is one probe.
//!
//! Freed blocks stay in the table, flagged and stamped with the shard's
//! free count at that moment, for the next `QUARANTINE` frees of their shard;
//! after that they are expired: lookups ignore them, and an insert that
//! passes one on its probe run takes its slot. When a shard's table is half
//! full it is rebuilt without the expired records (or grown), so the work of
//! forgetting is a sequential sweep now and then, not a second random probe on
//! every free. A live block always wins over a freed range that overlaps it;
//! of two freed ones, the newer (by the shard's stamp; against the C map's
//! freed blocks by the map's clock that a freed record keeps, see `free`).
//!
//! # States of a slot
//!
//! `Empty` (start 0) -> `Live` (alloc) -> `Freed` (dealloc) -> `Expired`
//! (`QUARANTINE` frees later) -> `Empty` (sweep) or `Live` (an insert reuses
//! the slot). A `Freed` slot with the same start and class as a new block is
//! reused at once: the address was handed out again. A new live record takes
//! the place of the first freed record on its way, which moves on to the
//! slot the insert found: live records come first on a run, so the lookups
//! that want a live block stop sooner.

use std::alloc::Layout;
#[cfg(not(unix))]
use std::alloc::{GlobalAlloc, System};
use std::cell::UnsafeCell;
use std::ptr::addr_of;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::spin::SpinLock;

/// The number of shards; a power of two. Threads that allocate at once meet
/// on one shard only when their heap regions map to it.
const SHARDS: usize = 64;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();
/// Slots a shard starts with (a power of two).
const INITIAL_SLOTS: usize = 256;
/// Frees of a shard after which its freed records expire. A single-threaded
/// program's heap lies in one or two shards' regions, so this is about the
/// number of recent frees it remembers; each thread's arena adds its own.
const QUARANTINE: u32 = 1024;
/// Heap regions of `2^REGION_SHIFT` bytes choose the shard.
const REGION_SHIFT: u32 = 26;
/// Marks a slot's block as freed.
const FREED: u64 = 1 << 63;
/// The free stamp of a freed slot, in the bits below `FREED`.
const STAMP_SHIFT: u32 = 48;
const STAMP_MASK: u32 = (1 << 15) - 1;
/// Marks a block that C's `malloc` family handed out (see `c_heap.rs`);
/// without it the block is the Rust allocator's.
const C_SIDE: u64 = 1 << 47;
/// The size class, stored so that a probe compares it without recomputing
/// it from the size (see `class_of`).
const CLASS_SHIFT: u32 = 40;
const CLASS_MASK: u64 = 0x7f << CLASS_SHIFT;
/// The size, in the low bits. Larger sizes are stored clamped (the class is
/// the true one): no machine gives out a block of 1 TiB, and the bound check
/// stays conservative.
const SIZE_MASK: u64 = (1 << CLASS_SHIFT) - 1;
/// A freed record in quarantine is smaller than `QUARANTINE_MAX`, so its
/// size needs the low 17 bits only; above them it keeps the C map's clock
/// at its free (see `c_map::clock`), 23 bits of it.
const FREED_SIZE_MASK: u64 = (1 << 17) - 1;
const CLOCK_SHIFT: u32 = 17;
pub(crate) const CLOCK_MASK: u32 = (1 << 23) - 1;
const _: () = assert!(QUARANTINE_MAX as u64 <= FREED_SIZE_MASK + 1);
const _: () = assert!(CLOCK_SHIFT + CLOCK_MASK.count_ones() <= CLASS_SHIFT);
const _: () = assert!(SIZE_MASK >> (CLASS_SHIFT - CLOCK_SHIFT) == FREED_SIZE_MASK);
/// Freed blocks of this size or more are forgotten at once instead of kept
/// in quarantine: `malloc` may have served them with `mmap` and given the
/// pages back, and whatever maps that range next (a thread stack, a file,
/// an allocator that bypasses `malloc`) is no freed block. 128 KiB is
/// glibc's smallest `mmap` threshold.
const QUARANTINE_MAX: usize = 128 << 10;

/// What the table holds about one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) size: usize,
    pub(crate) live: bool,
    /// C's `malloc` family handed it out (else the Rust allocator did).
    pub(crate) c: bool,
}

/// Of a freed block kept so far and one more, both with their ages, the
/// newer (the one the address was last).
#[inline(always)]
fn newer(kept: Option<(Found, u32)>, other: (Found, u32)) -> Option<(Found, u32)> {
    match kept {
        Some(k) if k.1 <= other.1 => Some(k),
        _ => Some(other),
    }
}

/// The process-wide table: one per process, like the global allocator.
pub(crate) static TABLE: Table = Table::new();

pub(crate) struct Table {
    shards: [Shard; SHARDS],
    /// Bit `k` is set once a block of class `k` was tracked, so a containing
    /// lookup probes only the classes in use.
    classes: AtomicU64,
    /// Set when the table could not grow and a block went untracked: from
    /// then on a dealloc of an unknown pointer is forwarded, since it may be
    /// that block (losing a finding beats refusing a real free).
    degraded: AtomicBool,
}

impl Table {
    const fn new() -> Table {
        Table {
            shards: [const { Shard::new() }; SHARDS],
            classes: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
        }
    }

    /// Records a live Rust block `[start, start + size)`.
    #[inline]
    pub(crate) fn insert(&self, start: usize, size: usize) {
        self.insert_side(start, size, false);
    }

    /// Records a live block `[start, start + size)` that C's `malloc` family
    /// handed out.
    #[cfg_attr(not(feature = "c-heap"), allow(dead_code))] // `alloc::c_heap` calls it
    #[inline]
    pub(crate) fn insert_c(&self, start: usize, size: usize) {
        self.insert_side(start, size, true);
    }

    #[inline(always)]
    fn insert_side(&self, start: usize, size: usize, c: bool) {
        ensure_fork_hook();
        let class = class_of(size);
        let bit = 1u64 << class;
        if self.classes.load(Ordering::Relaxed) & bit == 0 {
            self.classes.fetch_or(bit, Ordering::Relaxed);
        }
        let g = start >> class;
        let h = hash(class, g);
        let ok = self
            .shard(class, g)
            .with(|d, p| d.insert(p, h, Slot::live(start, size, class, c)));
        if !ok {
            self.degraded.store(true, Ordering::Relaxed);
        }
    }

    /// Flags the live Rust block that starts at `start` and was allocated
    /// with `size` as freed. `false` when there is no such live block.
    #[inline]
    pub(crate) fn free(&self, start: usize, size: usize) -> bool {
        let class = class_of(size);
        let g = start >> class;
        let h = hash(class, g);
        let clock = super::c_map::clock(start);
        if self
            .shard(class, g)
            .with(|d, _| d.free(h, start, class, Some(false), clock))
        {
            return true;
        }
        // The layout's size may differ from the allocation's (a `CString`
        // rebuilt with another length): look for a live block at `start` of
        // any class. Only reached on the rare path.
        self.free_any_class(start, class, Some(false), clock)
    }

    /// C's `free` of the block at `start` (`size`: what the table was told
    /// at its `insert_c`). A Rust block that C frees directly is gone too.
    #[cfg_attr(not(feature = "c-heap"), allow(dead_code))] // `alloc::c_heap` calls it
    #[inline]
    pub(crate) fn free_c(&self, start: usize, size: usize) {
        let class = class_of(size);
        let g = start >> class;
        let h = hash(class, g);
        let clock = super::c_map::clock(start);
        if !self
            .shard(class, g)
            .with(|d, _| d.free(h, start, class, Some(true), clock))
        {
            self.free_any_class(start, class, None, clock);
        }
    }

    #[cold]
    fn free_any_class(&self, start: usize, tried: u32, c: Option<bool>, clock: u32) -> bool {
        let mut classes = self.classes.load(Ordering::Relaxed) & !(1u64 << tried);
        while classes != 0 {
            let class = classes.trailing_zeros();
            classes &= classes - 1;
            let g = start >> class;
            let h = hash(class, g);
            if self
                .shard(class, g)
                .with(|d, _| d.free(h, start, class, c, clock))
            {
                return true;
            }
        }
        false
    }

    /// The shard of the blocks of class `class` that start in granule `g`:
    /// chosen by the 64 MiB region of the heap they lie in, so that threads
    /// that allocate from different malloc arenas (glibc gives each thread
    /// its own) work on different shards, and their locks and slots do not
    /// bounce between cores. Blocks too large for a region are spread by hash.
    #[inline(always)]
    fn shard(&self, class: u32, g: usize) -> &Shard {
        let region = if class >= REGION_SHIFT {
            (g as u64) ^ (u64::from(class) << 57)
        } else {
            (g >> (REGION_SHIFT - class)) as u64
        };
        let i = region.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARD_BITS);
        &self.shards[i as usize]
    }

    /// Whether any block was ever recorded.
    #[inline(always)]
    pub(crate) fn knows_blocks(&self) -> bool {
        self.classes.load(Ordering::Relaxed) != 0
    }

    /// Whether an unknown pointer may be an untracked block (see `degraded`).
    pub(crate) fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Whether a freed (quarantined) block of exactly `size` bytes starts at
    /// `start`: what a second dealloc of a Rust block looks like. (C's
    /// `malloc` may hand out the address of a freed Rust block too, but
    /// rarely with the very same size.)
    pub(crate) fn freed_at(&self, start: usize, size: usize) -> bool {
        !super::c_map::live_starts_at(start)
            && matches!(self.exact(start), Some(Found { live: false, size: s, .. }) if s == size)
    }

    /// The C map's clock that the freed block of `size` bytes at `start`
    /// kept (see `c_map::clock`); 0 when there is no such block. Asked only
    /// when a freed block of the C map holds the same address.
    pub(crate) fn freed_clock(&self, start: usize, size: usize) -> u32 {
        let class = class_of(size);
        let g = start >> class;
        let h = hash(class, g);
        self.shard(class, g)
            .with(|d, _| d.probe().freed_clock(h, class, start))
            .unwrap_or(0)
    }

    /// The block that starts exactly at `start`, live first.
    fn exact(&self, start: usize) -> Option<Found> {
        let mut freed = None;
        let mut classes = self.classes.load(Ordering::Relaxed);
        while classes != 0 {
            let class = classes.trailing_zeros();
            classes &= classes - 1;
            let g = start >> class;
            let h = hash(class, g);
            let found = self
                .shard(class, g)
                .with(|d, _| d.probe().containing(h, class, g, start))
                .map(|(f, _)| f);
            match found {
                Some(f) if f.live && f.start == start => return Some(f),
                Some(f) if f.start == start => freed = Some(f),
                _ => {}
            }
        }
        freed
    }

    /// Whether a live Rust block holds all of `[addr, addr + bytes)`, asked
    /// only of the size classes such a block most likely has: that of
    /// `bytes` and the next (a slice is usually a whole buffer). One
    /// lock-free probe in the common case (a whole buffer: the block starts
    /// in `addr`'s granule of `bytes`' class), where [`Table::containing`]
    /// probes every class in use. `false` says nothing: ask `containing`.
    #[inline]
    pub(crate) fn live_rust_holds(&self, addr: usize, bytes: usize) -> bool {
        let class = class_of(bytes);
        let classes = self.classes.load(Ordering::Relaxed);
        if class < u64::BITS && classes & (1u64 << class) != 0 {
            let g = addr >> class;
            if self
                .shard(class, g)
                .read(|p| p.holds_live_rust(hash(class, g), class, g, addr, bytes))
            {
                return true;
            }
        }
        self.live_rust_holds_elsewhere(classes, class, addr, bytes)
    }

    /// [`Table::live_rust_holds`] for a block in the granule before, or of
    /// the next class.
    #[inline(never)]
    fn live_rust_holds_elsewhere(
        &self,
        classes: u64,
        first: u32,
        addr: usize,
        bytes: usize,
    ) -> bool {
        // Blocks of this class or the next, or there is nothing more to find.
        if first >= u64::BITS || classes & (0b101u64 << first) == 0 {
            return false;
        }
        let candidates = [
            (first, (addr >> first).wrapping_sub(1)),
            (first + 2, addr >> (first + 2)),
            (first + 2, (addr >> (first + 2)).wrapping_sub(1)),
        ];
        candidates.into_iter().any(|(class, g)| {
            class < u64::BITS
                && classes & (1u64 << class) != 0
                && self
                    .shard(class, g)
                    .read(|p| p.holds_live_rust(hash(class, g), class, g, addr, bytes))
        })
    }

    /// The block that holds `addr`: a live one if any, else a freed one.
    pub(crate) fn containing(&self, addr: usize) -> Option<Found> {
        let classes = self.classes.load(Ordering::Relaxed);
        if classes == 0 {
            return None;
        }
        // Every class below a region's size keeps the blocks around `addr`
        // in the shard of `addr`'s region (but for a granule that starts in
        // the region before): one lock round trip for all of them. The
        // other probes (`away`, one bit per class and granule) follow, each
        // under its own shard's lock. (Under the lock the probes need no
        // bound, which a lock-free read of some fourteen runs would pay for
        // at every slot.)
        let home = self.shard(0, addr);
        let (live, mut freed, mut away) = home.with(|d, _| {
            let d = &d.probe();
            // The newest freed block seen, and the probes of other shards.
            let mut freed: Option<(Found, u32)> = None;
            let mut away = 0u128;
            let mut rest = classes;
            while rest != 0 {
                let class = rest.trailing_zeros();
                rest &= rest - 1;
                // The granule of `addr` and the one before.
                let top = addr >> class;
                for k in 0..2 {
                    let g = top.wrapping_sub(k);
                    if !std::ptr::eq(self.shard(class, g), home) {
                        away |= 1u128 << (2 * class as usize + k);
                        continue;
                    }
                    if let Some((f, age)) = d.containing(hash(class, g), class, g, addr) {
                        if f.live {
                            return (Some(f), None, 0);
                        }
                        freed = newer(freed, (f, age));
                    }
                }
            }
            (None, freed, away)
        });
        if live.is_some() {
            return live;
        }
        while away != 0 {
            let bit = away.trailing_zeros();
            away &= away - 1;
            let class = bit / 2;
            let g = (addr >> class).wrapping_sub(bit as usize % 2);
            match self
                .shard(class, g)
                .with(|d, _| d.probe().containing(hash(class, g), class, g, addr))
            {
                Some((f, _)) if f.live => return Some(f),
                // Ages of two shards count different frees; still the best
                // guess of which is newer.
                Some(candidate) => freed = newer(freed, candidate),
                None => {}
            }
        }
        freed.map(|(f, _)| f)
    }
}

static FORK_HOOKED: AtomicBool = AtomicBool::new(false);

/// See [`hook_fork`]; one relaxed load once registered.
#[inline(always)]
pub(crate) fn ensure_fork_hook() {
    if !FORK_HOOKED.load(Ordering::Relaxed) {
        hook_fork();
    }
}

/// Registers the fork handlers that keep every allocator lock usable in the
/// child (see `spin.rs`): on the first insert, outside any lock, since
/// registering may allocate, which comes back here and finds the flag set.
#[cold]
fn hook_fork() {
    if FORK_HOOKED.swap(true, Ordering::AcqRel) {
        return;
    }
    #[cfg(unix)]
    {
        extern "C" fn prepare() {
            for shard in &TABLE.shards {
                shard.lock.lock();
            }
            super::c_map::lock_all();
            super::spin::forking();
        }
        extern "C" fn after() {
            super::spin::fork_done();
            super::c_map::unlock_all();
            for shard in &TABLE.shards {
                shard.lock.unlock();
            }
        }
        // SAFETY: the handlers are `extern "C"`, never unwind, and touch only
        // the static table. A failed registration only loses the fork guard.
        unsafe {
            libc::pthread_atfork(Some(prepare), Some(after), Some(after));
        }
    }
}

/// The size class: the smallest even `k` with `size <= 2^k`.
#[inline(always)]
fn class_of(size: usize) -> u32 {
    if size <= 1 {
        0
    } else {
        (usize::BITS - (size - 1).leading_zeros() + 1) & !1
    }
}

/// Fibonacci hashing of `(class, granule)`: its upper bits pick the slot.
#[inline(always)]
fn hash(class: u32, granule: usize) -> u64 {
    ((granule as u64) ^ (u64::from(class) << 57)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline(always)]
fn slot_of(h: u64, mask: usize) -> usize {
    (h >> 24) as usize & mask
}

/// Zeroed memory for the table that never comes from `malloc`: the table
/// runs inside the global allocator and inside the `malloc` family, and
/// must not call back into either. Pages from `mmap` are zeroed.
#[cfg(unix)]
pub(crate) unsafe fn raw_alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: an anonymous private mapping touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            layout.size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

#[cfg(unix)]
pub(crate) unsafe fn raw_dealloc(p: *mut u8, layout: Layout) {
    // SAFETY: `p` is a mapping of `layout.size()` bytes from `raw_alloc_zeroed`.
    unsafe { libc::munmap(p.cast(), layout.size()) };
}

#[cfg(not(unix))]
pub(crate) unsafe fn raw_alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's layout is not zero-sized. `System` directly,
    // never the global allocator: this runs inside it.
    unsafe { System.alloc_zeroed(layout) }
}

#[cfg(not(unix))]
pub(crate) unsafe fn raw_dealloc(p: *mut u8, layout: Layout) {
    // SAFETY: `p` came from `raw_alloc_zeroed(layout)`.
    unsafe { System.dealloc(p, layout) }
}

/// One slot: `start == 0` is empty (no block starts at address 0).
#[derive(Clone, Copy)]
#[repr(C)]
struct Slot {
    start: usize,
    /// The block's size; with `FREED` set once it was freed, and then the
    /// shard's free stamp at that moment.
    meta: u64,
}

impl Slot {
    #[inline(always)]
    fn live(start: usize, size: usize, class: u32, c: bool) -> Slot {
        let side = if c { C_SIDE } else { 0 };
        Slot {
            start,
            meta: (size as u64).min(SIZE_MASK) | (u64::from(class) << CLASS_SHIFT) | side,
        }
    }

    #[inline(always)]
    fn is_c(self) -> bool {
        self.meta & C_SIDE != 0
    }

    /// The size of a live record.
    #[inline(always)]
    fn size(self) -> usize {
        (self.meta & SIZE_MASK) as usize
    }

    /// The size of a live or a freed record (`FREED_SIZE_MASK` for a
    /// freed one, without a branch in the probes' loops).
    #[inline(always)]
    fn any_size(self) -> usize {
        let mask = SIZE_MASK >> ((self.meta >> 63) * u64::from(CLASS_SHIFT - CLOCK_SHIFT));
        (self.meta & mask) as usize
    }

    /// A freed record's C map clock (see `CLOCK_SHIFT`).
    #[inline(always)]
    fn clock(self) -> u32 {
        (self.meta >> CLOCK_SHIFT) as u32 & CLOCK_MASK
    }

    #[inline(always)]
    fn is_live(self) -> bool {
        self.meta & FREED == 0
    }

    #[inline(always)]
    fn stamp(self) -> u32 {
        (self.meta >> STAMP_SHIFT) as u32 & STAMP_MASK
    }

    #[inline(always)]
    fn class(self) -> u32 {
        ((self.meta & CLASS_MASK) >> CLASS_SHIFT) as u32
    }

    #[inline(always)]
    fn home(self, mask: usize) -> usize {
        let class = self.class();
        slot_of(hash(class, self.start >> class), mask)
    }
}

/// A shard: a spin lock, the data it guards, and what lock-free readers
/// need to probe it. Cache-line aligned, so two threads on two shards do not
/// share a line.
///
/// The slice check's reader (`Table::live_rust_holds`, on every checked
/// slice argument) takes no lock: the lock's count is a sequence count, odd
/// while a writer changes the shard, and a reader whose probe saw it change
/// tries again under the lock. A probe can only ever read a slot array of the shard, of
/// the length its view names: arrays are never unmapped, only kept for
/// reuse (see `ShardData::rebuild`), and every slot is read and written
/// with atomic word accesses.
#[repr(align(64))]
struct Shard {
    /// Also the sequence count of the lock-free readers (see `spin.rs`).
    lock: SpinLock,
    published: Published,
    data: UnsafeCell<ShardData>,
}

/// Where lock-free readers find the slots, written by a rebuild under the
/// lock.
struct Published {
    /// `data.slots` with `log2(data.mask + 1)` in its low bits (the array is
    /// 64-byte aligned), 0 before the first insert.
    view: AtomicUsize,
}

impl Published {
    const fn new() -> Published {
        Published {
            view: AtomicUsize::new(0),
        }
    }
}

// SAFETY: `data` is only reached through `with`, which holds `lock`; the
// lock-free readers touch only the atomics and the slot arrays (atomically).
unsafe impl Sync for Shard {}

impl Shard {
    const fn new() -> Shard {
        Shard {
            lock: SpinLock::new(),
            published: Published::new(),
            data: UnsafeCell::new(ShardData::new()),
        }
    }

    /// Runs `f` with the lock held, as a write. `f` must not allocate
    /// through the global allocator and must not panic (nothing in
    /// `ShardData` does).
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut ShardData, &Published) -> R) -> R {
        // SAFETY: the lock (ours, or the fork's on this very thread) gives
        // exclusive access to `data`.
        self.lock
            .run(|| f(unsafe { &mut *self.data.get() }, &self.published))
    }

    /// Runs the read-only `f` on a snapshot of the shard's slots without the
    /// lock; under it when a writer got in the way.
    #[inline(always)]
    fn read<R>(&self, f: impl Fn(&LiveProbe) -> R) -> R {
        let seq = self.lock.sequence();
        if seq & 1 == 0 {
            let r = f(&LiveProbe::of_view(
                self.published.view.load(Ordering::Relaxed),
            ));
            if self.lock.unchanged_since(seq) {
                return r;
            }
        }
        self.read_locked(f)
    }

    #[cold]
    #[inline(never)]
    fn read_locked<R>(&self, f: impl Fn(&LiveProbe) -> R) -> R {
        self.with(|d, _| {
            f(&LiveProbe {
                slots: d.slots,
                mask: d.mask,
            })
        })
    }
}

/// What a lock-free reader sees of a shard: its slot array. It does not know
/// the free count, so it can tell live records only, which is all the slice
/// check asks ([`LiveProbe::holds_live_rust`]).
struct LiveProbe {
    slots: *const Slot,
    mask: usize,
}

impl LiveProbe {
    #[inline(always)]
    fn of_view(view: usize) -> LiveProbe {
        // A null view decodes as a null array of one slot, never read.
        LiveProbe {
            slots: (view & !63) as *const Slot,
            mask: (1usize << (view & 63)) - 1,
        }
    }

    /// Whether the live Rust block of class `class` that starts in granule
    /// `g` holds `[addr, addr + bytes)`: the slice check's probe, with the
    /// tests folded into one mask compare per slot. It gives up after a pass
    /// over the whole array (a snapshot a writer is changing may have no
    /// empty slot left to stop at).
    #[inline(always)]
    fn holds_live_rust(&self, h: u64, class: u32, g: usize, addr: usize, bytes: usize) -> bool {
        if self.slots.is_null() {
            return false;
        }
        let want = u64::from(class) << CLASS_SHIFT;
        let end = addr.saturating_add(bytes);
        let mut i = slot_of(h, self.mask);
        let mut wrapped = false;
        loop {
            // SAFETY: `i <= mask`, and `slots` is an array of `mask + 1`
            // slots that is never unmapped.
            let s = unsafe { load_slot(self.slots, i) };
            if s.start == 0 {
                return false;
            }
            if s.meta & (FREED | C_SIDE | CLASS_MASK) == want
                && s.start >> class == g
                && s.start <= addr
                && end <= s.start.saturating_add(s.size())
            {
                return true;
            }
            i = (i + 1) & self.mask;
            if i == 0 {
                if wrapped {
                    return false;
                }
                wrapped = true;
            }
        }
    }
}

/// What a lookup under the shard's lock reads: the slot array, and the free
/// count that tells which freed records have expired.
struct Probe {
    slots: *const Slot,
    mask: usize,
    frees: u32,
}

impl Probe {
    #[inline(always)]
    fn slot(&self, i: usize) -> Slot {
        // SAFETY: `i <= mask`, and `slots` is an array of `mask + 1` slots
        // that is never unmapped.
        unsafe { load_slot(self.slots, i) }
    }

    /// A freed slot whose quarantine is over. (A record that outlives
    /// `STAMP_MASK` frees of its shard without a sweep looks fresh again; it
    /// still names memory that is not a live Rust block.)
    #[inline(always)]
    fn expired(&self, s: Slot) -> bool {
        !s.is_live() && (self.frees.wrapping_sub(s.stamp()) & STAMP_MASK) >= QUARANTINE
    }

    /// The clock of the freed, unexpired record of class `class` at
    /// `start`. Under the shard's lock.
    fn freed_clock(&self, h: u64, class: u32, start: usize) -> Option<u32> {
        if self.slots.is_null() {
            return None;
        }
        let mut i = slot_of(h, self.mask);
        loop {
            let s = self.slot(i);
            if s.start == 0 {
                return None;
            }
            if s.start == start && s.class() == class && !s.is_live() && !self.expired(s) {
                return Some(s.clock());
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The block of class `class` that starts in granule `g` and holds
    /// `addr`, with its age (the shard's frees since it was freed; 0 if
    /// live); a live one before a freed one, of freed ones the newest,
    /// never an expired one. Under
    /// the shard's lock: the table is at most half full, so an empty slot
    /// always ends the probe.
    #[inline(always)]
    fn containing(&self, h: u64, class: u32, g: usize, addr: usize) -> Option<(Found, u32)> {
        if self.slots.is_null() {
            return None;
        }
        let mut freed: Option<(Found, u32)> = None;
        let mut i = slot_of(h, self.mask);
        loop {
            let s = self.slot(i);
            if s.start == 0 {
                break;
            }
            if s.class() == class
                && s.start >> class == g
                && s.start <= addr
                && addr - s.start < s.any_size().max(1)
                && !self.expired(s)
            {
                let f = Found {
                    start: s.start,
                    size: s.any_size(),
                    live: s.is_live(),
                    c: s.is_c(),
                };
                if f.live {
                    return Some((f, 0));
                }
                let age = self.frees.wrapping_sub(s.stamp()) & STAMP_MASK;
                if freed.is_none_or(|(_, a)| age < a) {
                    freed = Some((f, age));
                }
            }
            i = (i + 1) & self.mask;
        }
        freed
    }
}

/// Slot `i` of `slots`, word by word.
///
/// # Safety
///
/// `slots` holds more than `i` slots and stays mapped.
#[inline(always)]
unsafe fn load_slot(slots: *const Slot, i: usize) -> Slot {
    // SAFETY: the caller's; `Slot` is two aligned words, each read as the
    // atomic of its size.
    unsafe {
        let p = slots.add(i);
        Slot {
            start: (*addr_of!((*p).start).cast::<AtomicUsize>()).load(Ordering::Relaxed),
            meta: (*addr_of!((*p).meta).cast::<AtomicU64>()).load(Ordering::Relaxed),
        }
    }
}

/// Writes slot `i` of `slots`, word by word.
///
/// # Safety
///
/// As for [`load_slot`], and the caller holds the shard's lock.
#[inline(always)]
unsafe fn store_slot(slots: *mut Slot, i: usize, s: Slot) {
    // SAFETY: as in `load_slot`.
    unsafe {
        let p = slots.add(i);
        (*addr_of!((*p).start).cast::<AtomicUsize>()).store(s.start, Ordering::Relaxed);
        (*addr_of!((*p).meta).cast::<AtomicU64>()).store(s.meta, Ordering::Relaxed);
    }
}

struct ShardData {
    /// `mask + 1` slots (64-byte aligned, from `mmap`), or null before the
    /// first insert.
    slots: *mut Slot,
    mask: usize,
    /// Occupied slots: live, freed and expired.
    len: usize,
    /// Frees so far (wrapping, `STAMP_MASK` wide): the clock of expiry.
    frees: u32,
    /// Arrays that were the shard's slots, by `log2` of their length, kept
    /// for the next rebuild to that length: a lock-free reader may still be
    /// probing one, so none is ever unmapped.
    spares: [*mut Slot; 64],
}

impl ShardData {
    const fn new() -> ShardData {
        ShardData {
            slots: std::ptr::null_mut(),
            mask: 0,
            len: 0,
            frees: 0,
            spares: [std::ptr::null_mut(); 64],
        }
    }

    /// What [`Published::view`] holds.
    #[inline(always)]
    fn view(&self) -> usize {
        if self.slots.is_null() {
            0
        } else {
            self.slots as usize | (self.mask + 1).trailing_zeros() as usize
        }
    }

    #[inline(always)]
    fn probe(&self) -> Probe {
        Probe {
            slots: self.slots,
            mask: self.mask,
            frees: self.frees,
        }
    }

    #[inline(always)]
    fn slot(&self, i: usize) -> Slot {
        // SAFETY: `i <= mask` and `slots` holds `mask + 1` slots.
        unsafe { load_slot(self.slots, i) }
    }

    #[inline(always)]
    fn set(&mut self, i: usize, s: Slot) {
        // SAFETY: as in `slot`; `&mut self` is the shard's lock.
        unsafe { store_slot(self.slots, i, s) }
    }

    #[inline(always)]
    fn expired(&self, s: Slot) -> bool {
        self.probe().expired(s)
    }

    /// `false` when memory for the table could not be had: the block stays
    /// untracked.
    #[inline]
    fn insert(&mut self, published: &Published, h: u64, new: Slot) -> bool {
        if (self.len + 1) * 2 > self.mask + 1 && !self.rebuild(published) {
            return false;
        }
        let (start, class) = (new.start, new.class());
        let mut i = slot_of(h, self.mask);
        // The first freed record passed on the way, if any.
        let mut freed = None;
        loop {
            let s = self.slot(i);
            if s.start == 0 {
                self.len += 1;
                break;
            }
            // An expired record gives its slot up; any record of the same
            // address and class ends here, since the allocator just handed
            // the address out: a freed one, or a live one whose free was
            // not seen (a C block freed by a path the runtime misses).
            if (s.start == start && s.class() == class) || self.expired(s) {
                break;
            }
            if freed.is_none() && !s.is_live() {
                freed = Some(i);
            }
            i = (i + 1) & self.mask;
        }
        // Live records go before freed ones: the freed record passed first
        // moves to the slot found (still on its run, which is unbroken from
        // its home to here), and the new block takes its place. The slice
        // check's probe, which looks for a live block, then stops sooner.
        if let Some(f) = freed {
            let moved = self.slot(f);
            self.set(i, moved);
            self.set(f, new);
        } else {
            self.set(i, new);
        }
        true
    }

    /// `c`: the side the block must come from (`None`: either); `clock`:
    /// the C map's clock of `start` now, kept in the freed record.
    #[inline]
    fn free(&mut self, h: u64, start: usize, class: u32, c: Option<bool>, clock: u32) -> bool {
        if self.slots.is_null() {
            return false;
        }
        let mut i = slot_of(h, self.mask);
        loop {
            let s = self.slot(i);
            if s.start == 0 {
                return false;
            }
            if s.start == start
                && s.is_live()
                && s.class() == class
                && c.is_none_or(|c| c == s.is_c())
            {
                self.frees = self.frees.wrapping_add(1) & STAMP_MASK;
                // A large block is expired at once (see `QUARANTINE_MAX`);
                // a small one keeps the clock above its size.
                let (stamp, clock) = if s.size() >= QUARANTINE_MAX {
                    (self.frees.wrapping_sub(QUARANTINE) & STAMP_MASK, 0)
                } else {
                    (self.frees, u64::from(clock & CLOCK_MASK) << CLOCK_SHIFT)
                };
                let meta = s.meta | FREED | (u64::from(stamp) << STAMP_SHIFT) | clock;
                self.set(i, Slot { start, meta });
                return true;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Rebuilds the slots without expired records, at a size where the table
    /// is at most a quarter full (so the next rebuild is far off), or makes
    /// the first ones.
    #[cold]
    fn rebuild(&mut self, published: &Published) -> bool {
        let old_len = if self.slots.is_null() {
            0
        } else {
            self.mask + 1
        };
        let mut keep = 0usize;
        for i in 0..old_len {
            let s = self.slot(i);
            if s.start != 0 && !self.expired(s) {
                keep += 1;
            }
        }
        let new_len = (keep * 4).next_power_of_two().max(INITIAL_SLOTS);
        let k = new_len.trailing_zeros() as usize;
        let new = if self.spares[k].is_null() {
            let Some(layout) = slots_layout(new_len) else {
                return false;
            };
            // SAFETY: `layout` is not zero-sized.
            unsafe { raw_alloc_zeroed(layout) }.cast::<Slot>()
        } else {
            let spare = std::mem::replace(&mut self.spares[k], std::ptr::null_mut());
            for i in 0..new_len {
                // SAFETY: the spare holds `new_len` slots; `&mut self` is the
                // lock.
                unsafe { store_slot(spare, i, Slot { start: 0, meta: 0 }) };
            }
            spare
        };
        if new.is_null() {
            return false;
        }
        let old = self.slots;
        let frees = self.frees;
        self.slots = new;
        self.mask = new_len - 1;
        self.len = 0;
        for i in 0..old_len {
            // SAFETY: `i < old_len`, the old array's length.
            let s = unsafe { load_slot(old, i) };
            let expired =
                !s.is_live() && (frees.wrapping_sub(s.stamp()) & STAMP_MASK) >= QUARANTINE;
            if s.start != 0 && !expired {
                let mut j = s.home(self.mask);
                while self.slot(j).start != 0 {
                    j = (j + 1) & self.mask;
                }
                self.set(j, s);
                self.len += 1;
            }
        }
        if old_len != 0 {
            // Kept, never unmapped (a reader may be in it). A second spare of
            // one length cannot arise: a rebuild to a length takes its spare.
            let spare = &mut self.spares[old_len.trailing_zeros() as usize];
            if spare.is_null() {
                *spare = old;
            }
        }
        published.view.store(self.view(), Ordering::Relaxed);
        true
    }
}

/// The layout of a slot array of `len` slots: 64-byte aligned, so that its
/// address leaves room for the length in [`Shard::view`].
fn slots_layout(len: usize) -> Option<Layout> {
    Layout::array::<Slot>(len).ok()?.align_to(64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ShardData {
        let mut d = ShardData::new();
        assert!(d.rebuild(&Published::new()));
        d
    }

    fn put(d: &mut ShardData, start: usize, size: usize) {
        let class = class_of(size);
        assert!(d.insert(
            &Published::new(),
            hash(class, start >> class),
            Slot::live(start, size, class, false)
        ));
    }

    fn find(d: &ShardData, addr: usize) -> Option<Found> {
        let mut best = None;
        for class in 0..64 {
            let g = addr >> class;
            for g in [g, g.wrapping_sub(1)] {
                if let Some((f, _)) = d.probe().containing(hash(class, g), class, g, addr) {
                    if f.live {
                        return Some(f);
                    }
                    best = Some(f);
                }
            }
        }
        best
    }

    #[test]
    fn of_two_freed_blocks_that_hold_an_address_the_newer_wins() {
        let mut d = data();
        let c = class_of(200);
        assert_eq!(c, class_of(100), "one class, one granule: one run");
        let free = |d: &mut ShardData, a: usize| {
            assert!(d.free(hash(c, a >> c), a, c, Some(false), 0));
        };
        let newest = |d: &ShardData| {
            let (f, _) = d
                .probe()
                .containing(hash(c, 0x8000 >> c), c, 0x8000 >> c, 0x8020)
                .expect("a freed block");
            (f.start, f.size)
        };
        // A large block freed, then a smaller one inside its range.
        put(&mut d, 0x8000, 200);
        free(&mut d, 0x8000);
        put(&mut d, 0x8010, 100);
        free(&mut d, 0x8010);
        assert_eq!(newest(&d), (0x8010, 100));
        // And the other way round: the large one again, freed last.
        put(&mut d, 0x8000, 200);
        free(&mut d, 0x8000);
        assert_eq!(newest(&d), (0x8000, 200));
    }

    #[test]
    fn class_bounds_every_size() {
        assert_eq!(class_of(0), 0);
        assert_eq!(class_of(1), 0);
        assert_eq!(class_of(2), 2);
        assert_eq!(class_of(4), 2);
        assert_eq!(class_of(5), 4);
        assert_eq!(class_of(16), 4);
        assert_eq!(class_of(17), 6);
        for size in 1..5000usize {
            assert!(size <= 1usize << class_of(size));
        }
    }

    #[test]
    fn finds_interior_addresses_and_not_past_the_end() {
        let mut d = data();
        put(&mut d, 0x1000, 100);
        put(&mut d, 0x1070, 16);
        let live = |start, size| {
            Some(Found {
                start,
                size,
                live: true,
                c: false,
            })
        };
        assert_eq!(find(&d, 0x1000), live(0x1000, 100));
        assert_eq!(find(&d, 0x1063), live(0x1000, 100));
        assert_eq!(find(&d, 0x1064), None);
        assert_eq!(find(&d, 0x1075), live(0x1070, 16));
        assert_eq!(find(&d, 0xfff), None);
    }

    #[test]
    fn live_records_go_before_freed_ones_on_a_run() {
        let mut d = data();
        let c = class_of(40);
        // Two blocks of one class and granule: one probe run.
        put(&mut d, 0x8000, 40);
        assert!(d.free(hash(c, 0x8000 >> c), 0x8000, c, Some(false), 0));
        put(&mut d, 0x8030, 40);
        let home = slot_of(hash(c, 0x8000 >> c), d.mask);
        assert_eq!(
            d.slot(home).start,
            0x8030,
            "the live block took the home slot"
        );
        // Both stay reachable.
        assert!(find(&d, 0x8030 + 39).is_some_and(|f| f.live));
        assert_eq!(
            find(&d, 0x8000 + 8),
            Some(Found {
                start: 0x8000,
                size: 40,
                live: false,
                c: false,
            })
        );
    }

    #[test]
    fn four_blocks_of_one_class_share_a_granule() {
        let mut d = data();
        // 17..=64 bytes is class 6: granules of 64 bytes.
        let starts = [0x4000, 0x4011, 0x4022, 0x4033];
        for s in starts {
            put(&mut d, s, 17);
        }
        for s in starts {
            assert_eq!(
                find(&d, s + 16),
                Some(Found {
                    start: s,
                    size: 17,
                    live: true,
                    c: false,
                })
            );
        }
        // The last one runs into the next granule.
        assert_eq!(find(&d, 0x4043).map(|f| f.start), Some(0x4033));
        assert_eq!(find(&d, 0x4044), None);
    }

    #[test]
    fn a_freed_record_keeps_its_size_and_the_clock() {
        let mut d = data();
        put(&mut d, 0x6000, 100_000);
        let c = class_of(100_000);
        assert!(d.free(hash(c, 0x6000 >> c), 0x6000, c, Some(false), CLOCK_MASK));
        assert_eq!(
            find(&d, 0x6000 + 99_999),
            Some(Found {
                start: 0x6000,
                size: 100_000,
                live: false,
                c: false,
            })
        );
        assert_eq!(find(&d, 0x6000 + 100_000), None);
        let clock = d.probe().freed_clock(hash(c, 0x6000 >> c), c, 0x6000);
        assert_eq!(clock, Some(CLOCK_MASK));
    }

    #[test]
    fn freed_then_reused_then_expired() {
        let mut d = data();
        put(&mut d, 0x2000, 64);
        let c = class_of(64);
        assert!(d.free(hash(c, 0x2000 >> c), 0x2000, c, Some(false), 0));
        assert!(
            !d.free(hash(c, 0x2000 >> c), 0x2000, c, Some(false), 0),
            "already freed"
        );
        assert_eq!(
            find(&d, 0x2010),
            Some(Found {
                start: 0x2000,
                size: 64,
                live: false,
                c: false,
            })
        );
        put(&mut d, 0x2000, 60);
        assert_eq!(d.len, 1, "the freed record was reused in place");
        assert!(find(&d, 0x2010).is_some_and(|f| f.live));
        // `QUARANTINE` frees later the oldest freed record is forgotten.
        let c = class_of(32);
        for k in 0..=QUARANTINE as usize {
            let a = 0x10_0000 + k * 32;
            put(&mut d, a, 32);
            assert!(d.free(hash(c, a >> c), a, c, Some(false), 0));
        }
        assert_eq!(find(&d, 0x10_0000), None);
        assert!(find(&d, 0x10_0000 + 32 * QUARANTINE as usize).is_some());
    }

    #[test]
    fn rebuilds_keep_every_live_and_recent_entry_reachable() {
        let mut d = data();
        let n = 5000;
        for k in 0..n {
            put(&mut d, 0x40_0000 + k * 48, 40);
        }
        let c = class_of(40);
        // Free every other block, then churn: expired records are swept.
        for k in (0..n).step_by(2) {
            let a = 0x40_0000 + k * 48;
            assert!(d.free(hash(c, a >> c), a, c, Some(false), 0), "block {k}");
        }
        for k in 0..20_000 {
            let a = 0x100_0000 + k * 64;
            put(&mut d, a, 64);
            let c = class_of(64);
            assert!(d.free(hash(c, a >> c), a, c, Some(false), 0));
        }
        for k in (1..n).step_by(2) {
            let a = 0x40_0000 + k * 48;
            assert_eq!(
                find(&d, a + 39),
                Some(Found {
                    start: a,
                    size: 40,
                    live: true,
                    c: false,
                }),
                "{k}"
            );
        }
        // Without the sweeps the 20 000 records would need 65 536 slots.
        assert!(d.mask < 16_384, "swept: {} slots", d.mask + 1);
        assert!(find(&d, 0x100_0000 + 64 * 19_999).is_some_and(|f| !f.live));
    }
}
