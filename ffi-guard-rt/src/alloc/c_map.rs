//! C's small heap blocks, as bitmaps over the heap: where a live block that
//! C's `malloc` family handed out starts and ends, and where a recently
//! freed one started.
//!
//! # Why not the block table
//!
//! C allocates and frees far more often than a program passes pointers to
//! guarded functions, and every one of those calls pays the bookkeeping (see
//! `c_heap.rs`). In the block table a record is a random slot of a hash
//! table, a likely cache miss on every `malloc` and every `free`; here it is
//! a bit in a bitmap laid out like the heap itself, so the bits of the blocks
//! a program is using lie together, as the blocks do (one 16-byte granule per
//! bit: 8 KiB of bitmap per MiB of heap). Lookups, which are rarer, pay
//! instead: a scan of the bitmap back from the address to the nearest start.
//!
//! # Layout
//!
//! The address space is cut into leaves of 1 MiB, found through a two-level
//! directory; a leaf is mapped (zeroed, never from `malloc`) the first time a
//! block starts in it, and never unmapped. Each leaf holds three bitmaps and
//! a ring:
//!
//! - `start`: a live C block starts at this granule;
//! - `end`: a live C block ends in this granule (its last byte);
//! - `freed`: a block freed lately started here (a hint: the ring decides);
//! - `ring`: the last [`RING`] blocks freed in this leaf, start and size
//!   packed in one word, the newest at `head - 1`.
//!
//! Live blocks never overlap, so the block around an address is the nearest
//! `start` at or before it, up to the first `end` from there. Only blocks
//! smaller than [`SMALL`] are kept here (the scans are bounded by it); larger
//! ones, which glibc serves with `mmap` anyway, stay in the block table.
//!
//! # Concurrency
//!
//! Writers (C's `malloc` and `free`) take the leaf's lock: one lock for all
//! the bits a call changes. Readers take no lock and read each word once;
//! a reader that races with a writer of the same block may miss it or see it
//! half recorded, which reads as live or as unknown, never as freed, so a
//! race in the program never becomes a finding. The fork handlers take and
//! release every leaf's lock with the table's (see `spin.rs`), and the
//! listing lock first, under which leaves are made: so the leaves they
//! release are the ones they took.
//!
//! # What can go stale, and which way
//!
//! A block whose `free` the runtime does not see (observation switched off
//! in between) keeps its `start` bit: addresses in it read as a live C block
//! until C allocates there again. Ring entries are overwritten after [`RING`]
//! frees of their leaf, and their `freed` hint is cleared with them. Every
//! stale state answers "live" or "unknown", which the checks treat as no
//! finding.

use std::alloc::Layout;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

use super::spin::SpinLock;
use super::table::{CLOCK_MASK, Found, ensure_fork_hook, raw_alloc_zeroed, raw_dealloc};

/// Bytes per bit: glibc's chunk alignment on 64-bit targets.
const GRANULE_SHIFT: u32 = 4;
/// Bytes per leaf: 1 MiB.
const LEAF_SHIFT: u32 = 20;
const LEAF_GRANULES: usize = 1 << (LEAF_SHIFT - GRANULE_SHIFT);
const WORDS: usize = LEAF_GRANULES / 64;
/// Bytes per middle directory: 1 GiB, 1024 leaves.
const MID_SHIFT: u32 = 30;
const MID_LEAVES: usize = 1 << (MID_SHIFT - LEAF_SHIFT);
/// Addresses above this many bits are not mapped here (the table keeps
/// their blocks).
const ADDR_BITS: u32 = 48;
const TOP_MIDS: usize = 1 << (ADDR_BITS - MID_SHIFT);
/// Blocks of this many bytes or more are kept in the block table.
pub(crate) const SMALL: usize = 128 << 10;
/// The farthest a scan goes, in granules: no small block is longer.
const SCAN: usize = SMALL >> GRANULE_SHIFT;
/// Freed blocks remembered per leaf.
const RING: usize = 1024;
/// A ring entry: the start's granule above, the size (below `SMALL`) in the
/// low bits.
const SIZE_BITS: u32 = 17;
const _: () = assert!(SMALL <= 1 << SIZE_BITS);
/// Freed candidates a lookup tries before it gives up (silence).
const FREED_TRIES: usize = 2;

/// One MiB of the address space.
struct Leaf {
    lock: SpinLock,
    /// Frees so far; the next ring entry is `head % RING`. Under `lock`.
    head: AtomicU32,
    /// The leaf made before this one: every leaf, for the fork handlers.
    older: AtomicPtr<Leaf>,
    start: [AtomicU64; WORDS],
    end: [AtomicU64; WORDS],
    freed: [AtomicU64; WORDS],
    ring: [AtomicU64; RING],
}

/// One GiB of the address space.
struct Mid {
    leaves: [AtomicPtr<Leaf>; MID_LEAVES],
}

/// The directory's top level, in zeroed static memory (touched only where
/// the heap is).
static TOP: [AtomicPtr<Mid>; TOP_MIDS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; TOP_MIDS];
/// The newest leaf; each names the one made before it.
static NEWEST: AtomicPtr<Leaf> = AtomicPtr::new(std::ptr::null_mut());
/// Held while a leaf is published and listed, and across `fork`.
static LISTING: SpinLock = SpinLock::new();
/// The newest leaf when `fork`'s prepare handler locked them all.
static LOCKED_FROM: AtomicPtr<Leaf> = AtomicPtr::new(std::ptr::null_mut());

/// Which bitmap of a leaf.
#[derive(Clone, Copy)]
enum Map {
    Start,
    End,
    Freed,
}

impl Leaf {
    #[inline(always)]
    fn map(&self, m: Map) -> &[AtomicU64; WORDS] {
        match m {
            Map::Start => &self.start,
            Map::End => &self.end,
            Map::Freed => &self.freed,
        }
    }

    /// Runs `f` with the lock held.
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        self.lock.run(f)
    }
}

/// The leaf of `addr`, if one was made.
#[inline(always)]
fn leaf(addr: usize) -> Option<&'static Leaf> {
    let top = addr >> MID_SHIFT;
    if top >= TOP_MIDS {
        return None;
    }
    let mid = TOP[top].load(Ordering::Acquire);
    if mid.is_null() {
        return None;
    }
    // SAFETY: a published `Mid` is never unmapped.
    let leaf =
        unsafe { &(*mid).leaves[(addr >> LEAF_SHIFT) & (MID_LEAVES - 1)] }.load(Ordering::Acquire);
    // SAFETY: a published `Leaf` is never unmapped.
    (!leaf.is_null()).then(|| unsafe { &*leaf })
}

/// The leaf of `addr`, made if needed; `None` when the address is out of
/// the directory's range or memory for it could not be had.
#[inline(always)]
fn leaf_or_make(addr: usize) -> Option<&'static Leaf> {
    leaf(addr).or_else(|| make_leaf(addr))
}

#[cold]
fn make_leaf(addr: usize) -> Option<&'static Leaf> {
    let top = addr >> MID_SHIFT;
    if top >= TOP_MIDS {
        return None;
    }
    ensure_fork_hook();
    let (mid, _) = publish(&TOP[top])?;
    // SAFETY: published, never unmapped.
    let slot = unsafe { &(*mid).leaves[(addr >> LEAF_SHIFT) & (MID_LEAVES - 1)] };
    // Published and listed in one step, under the lock that `fork`'s
    // handlers hold: a leaf that another thread can lock is always one the
    // handlers lock too.
    let leaf = LISTING.run(|| {
        let (leaf, ours) = publish(slot)?;
        if ours {
            list(leaf);
        }
        Some(leaf)
    })?;
    // SAFETY: published, never unmapped.
    Some(unsafe { &*leaf })
}

/// Installs zeroed memory for a `T` in `slot` unless another thread did;
/// returns what is installed, and whether this call installed it.
fn publish<T>(slot: &AtomicPtr<T>) -> Option<(*mut T, bool)> {
    let now = slot.load(Ordering::Acquire);
    if !now.is_null() {
        return Some((now, false));
    }
    let layout = Layout::new::<T>();
    // SAFETY: `T` is not zero-sized; zeroed memory is a valid `Mid` or
    // `Leaf` (null pointers, zero atomics, an unlocked lock).
    let fresh = unsafe { raw_alloc_zeroed(layout) }.cast::<T>();
    if fresh.is_null() {
        return None;
    }
    match slot.compare_exchange(
        std::ptr::null_mut(),
        fresh,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => Some((fresh, true)),
        Err(winner) => {
            // SAFETY: never published; ours alone.
            unsafe { raw_dealloc(fresh.cast(), layout) };
            Some((winner, false))
        }
    }
}

/// Adds a leaf this thread installed to the list the fork handlers walk.
fn list(leaf: *mut Leaf) {
    // SAFETY: published, never unmapped.
    let l = unsafe { &*leaf };
    let mut head = NEWEST.load(Ordering::Acquire);
    loop {
        l.older.store(head, Ordering::Release);
        match NEWEST.compare_exchange_weak(head, leaf, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

/// Every leaf made before `newest`, and `newest`; newest first.
fn leaves_from(newest: *mut Leaf) -> impl Iterator<Item = &'static Leaf> {
    let mut next = newest;
    std::iter::from_fn(move || {
        if next.is_null() {
            return None;
        }
        // SAFETY: listed leaves are published and never unmapped.
        let l = unsafe { &*next };
        next = l.older.load(Ordering::Acquire);
        Some(l)
    })
}

/// For `fork`'s prepare handler: takes the listing lock, so that no other
/// thread makes a leaf until `unlock_all`, then every leaf's lock.
pub(crate) fn lock_all() {
    LISTING.lock();
    let newest = NEWEST.load(Ordering::Acquire);
    LOCKED_FROM.store(newest, Ordering::Relaxed);
    for l in leaves_from(newest) {
        l.lock.lock();
    }
}

/// For `fork`'s handlers, on both sides: releases what `lock_all` took,
/// and only that. (The forking thread itself may have made a leaf in
/// between, in a prepare handler that allocates: its lock was never taken
/// here, and releasing it would leave it held.)
pub(crate) fn unlock_all() {
    for l in leaves_from(LOCKED_FROM.load(Ordering::Relaxed)) {
        l.lock.unlock();
    }
    LISTING.unlock();
}

/// The word and bit of granule `g` in leaf-local terms.
#[inline(always)]
fn at(g: usize) -> (usize, u64) {
    let bit = g & (LEAF_GRANULES - 1);
    (bit / 64, 1u64 << (bit % 64))
}

/// Sets (`on`) or clears the bit of granule `g` in `map` of `leaf`. Under
/// the leaf's lock: a load and a store.
#[inline(always)]
fn put(leaf: &Leaf, map: Map, g: usize, on: bool) {
    let (w, bit) = at(g);
    let word = &leaf.map(map)[w];
    let old = word.load(Ordering::Relaxed);
    word.store(if on { old | bit } else { old & !bit }, Ordering::Relaxed);
}

#[inline(always)]
fn is_set(leaf: &Leaf, map: Map, g: usize) -> bool {
    let (w, bit) = at(g);
    leaf.map(map)[w].load(Ordering::Relaxed) & bit != 0
}

/// The last granule of a block of `size` bytes at `p`.
#[inline(always)]
fn last_granule(p: usize, size: usize) -> usize {
    (p + size.max(1) - 1) >> GRANULE_SHIFT
}

/// Records C's live block `[p, p + size)`, `size < SMALL`. `false` when it
/// could not be recorded here (the caller keeps it in the table).
///
/// Freed hints inside the block stay: a live block wins over them, and
/// outside it the freed block they name is still freed (or part of another
/// live block, which wins too).
#[inline]
pub(crate) fn allocated(p: usize, size: usize) -> bool {
    debug_assert!(size < SMALL);
    let (first, last) = (p >> GRANULE_SHIFT, last_granule(p, size));
    let tail_addr = last << GRANULE_SHIFT;
    let Some(head) = leaf_or_make(p) else {
        return false;
    };
    if same_leaf(p, tail_addr) {
        head.with(|| {
            put(head, Map::Start, first, true);
            put(head, Map::End, last, true);
        });
        return true;
    }
    let Some(tail) = leaf_or_make(tail_addr) else {
        return false;
    };
    // Two leaves, locked in address order.
    head.with(|| {
        tail.with(|| {
            put(head, Map::Start, first, true);
            put(tail, Map::End, last, true);
        })
    });
    true
}

#[inline(always)]
fn same_leaf(a: usize, b: usize) -> bool {
    a >> LEAF_SHIFT == b >> LEAF_SHIFT
}

/// C's `free` of the block at `p` of `size` bytes (what `allocated` was
/// told). `false` when no live small C block starts at `p` (a Rust block
/// that C frees, a large block, one allocated unseen): the caller asks the
/// table.
#[inline]
pub(crate) fn freed(p: usize, size: usize) -> bool {
    let (first, last) = (p >> GRANULE_SHIFT, last_granule(p, size));
    let tail_addr = last << GRANULE_SHIFT;
    let Some(head) = leaf(p) else {
        return false;
    };
    let forget = || {
        if !is_set(head, Map::Start, first) {
            return false;
        }
        put(head, Map::Start, first, false);
        let n = head.head.load(Ordering::Relaxed);
        head.head.store(n.wrapping_add(1), Ordering::Relaxed);
        let slot = &head.ring[n as usize % RING];
        let evicted = slot.load(Ordering::Relaxed);
        if evicted != 0 {
            put(head, Map::Freed, (evicted >> SIZE_BITS) as usize, false);
        }
        slot.store(
            ((first as u64) << SIZE_BITS) | size as u64,
            Ordering::Relaxed,
        );
        put(head, Map::Freed, first, true);
        true
    };
    if same_leaf(p, tail_addr) {
        return head.with(|| {
            forget() && {
                put(head, Map::End, last, false);
                true
            }
        });
    }
    let tail = leaf(tail_addr);
    head.with(|| match tail {
        Some(tail) => tail.with(|| {
            forget() && {
                put(tail, Map::End, last, false);
                true
            }
        }),
        None => forget(),
    })
}

/// The nearest granule at or before `g`, and not before `floor`, whose bit
/// is set in `map`.
fn scan_back(map: Map, g: usize, floor: usize) -> Option<usize> {
    let mut g = g;
    loop {
        let Some(l) = leaf(g << GRANULE_SHIFT) else {
            // No leaf: nothing set in it. Continue in the one before.
            let leaf_first = (g >> (LEAF_SHIFT - GRANULE_SHIFT)) << (LEAF_SHIFT - GRANULE_SHIFT);
            if leaf_first <= floor || leaf_first == 0 {
                return None;
            }
            g = leaf_first - 1;
            continue;
        };
        let (w, _) = at(g);
        let bit = g % 64;
        let word = l.map(map)[w].load(Ordering::Relaxed) & (u64::MAX >> (63 - bit));
        if word != 0 {
            let found = g - bit + (63 - word.leading_zeros() as usize);
            return (found >= floor).then_some(found);
        }
        let word_first = g - bit;
        if word_first <= floor || word_first == 0 {
            return None;
        }
        g = word_first - 1;
    }
}

/// The nearest granule at or after `g`, at most `SCAN` on, whose bit is set
/// in `map`.
fn scan_forward(map: Map, g: usize) -> Option<usize> {
    let ceiling = g + SCAN;
    let mut g = g;
    while g <= ceiling {
        let bit = g % 64;
        let word_end = g - bit + 64;
        if let Some(l) = leaf(g << GRANULE_SHIFT) {
            let (w, _) = at(g);
            let word = l.map(map)[w].load(Ordering::Relaxed) & (u64::MAX << bit);
            if word != 0 {
                let found = g - bit + word.trailing_zeros() as usize;
                return (found <= ceiling).then_some(found);
            }
        }
        g = word_end;
    }
    None
}

/// Whether no block was ever recorded: then every lookup is `None`.
#[inline(always)]
pub(crate) fn is_empty() -> bool {
    NEWEST.load(Ordering::Relaxed).is_null()
}

/// C's live small block that holds `addr`. Out of line: the checks' fast
/// paths that ask it stay small.
#[inline(never)]
pub(crate) fn live_containing(addr: usize) -> Option<Found> {
    if is_empty() {
        return None;
    }
    let g = addr >> GRANULE_SHIFT;
    let first = scan_back(Map::Start, g, g.saturating_sub(SCAN))?;
    let last = scan_forward(Map::End, first)?;
    let start = first << GRANULE_SHIFT;
    // glibc's usable size of a small block: its chunk (whole granules from
    // the block's start to the next chunk's) less the 8-byte size word.
    let size = ((last - first + 1) << GRANULE_SHIFT) - 8;
    (addr < start + size).then_some(Found {
        start,
        size,
        live: true,
        c: true,
    })
}

/// Whether a live small C block starts exactly at `addr`.
pub(crate) fn live_starts_at(addr: usize) -> bool {
    leaf(addr).is_some_and(|l| is_set(l, Map::Start, addr >> GRANULE_SHIFT))
}

/// A recently freed small C block that holds `addr` (ask after no live
/// block was found: a live block wins), and its place in the count of its
/// leaf's frees (see [`clock`]).
#[inline(never)]
pub(crate) fn freed_containing(addr: usize) -> Option<(Found, u32)> {
    if is_empty() {
        return None;
    }
    let mut g = addr >> GRANULE_SHIFT;
    let floor = g.saturating_sub(SCAN);
    // Of the candidates that hold `addr`, the one freed last.
    let mut best: Option<(Found, u32)> = None;
    for _ in 0..FREED_TRIES {
        let Some(first) = scan_back(Map::Freed, g, floor) else {
            break;
        };
        let start = first << GRANULE_SHIFT;
        if let Some((size, clock)) = leaf(start).and_then(|l| newest_freed(l, first))
            && addr < start + size.max(1)
        {
            let found = Found {
                start,
                size,
                live: false,
                c: true,
            };
            best = Some(match best {
                Some(b) if !same_leaf(b.0.start, start) || !is_after(clock, b.1) => b,
                _ => (found, clock),
            });
        }
        if first == 0 {
            break;
        }
        g = first - 1;
    }
    best
}

/// Whether the clock `a` is after `b`: less than half the clock's width on.
#[inline(always)]
fn is_after(a: u32, b: u32) -> bool {
    let ahead = a.wrapping_sub(b) & CLOCK_MASK;
    ahead != 0 && ahead <= CLOCK_MASK / 2
}

/// The size of the newest ring entry of `leaf` that starts at granule `g`,
/// and the leaf's clock at that free.
fn newest_freed(leaf: &Leaf, g: usize) -> Option<(usize, u32)> {
    let head = leaf.head.load(Ordering::Relaxed);
    (1..=RING as u32).find_map(|back| {
        let n = head.wrapping_sub(back);
        let e = leaf.ring[n as usize % RING].load(Ordering::Relaxed);
        (e != 0 && (e >> SIZE_BITS) as usize == g)
            .then_some(((e & ((1 << SIZE_BITS) - 1)) as usize, n & CLOCK_MASK))
    })
}

/// The clock of the leaf of `addr`: how many blocks C freed in it so far
/// (0 where no leaf is). A freed Rust block keeps the clock at its free in
/// its table record, a ring entry has its place in the count, so of two
/// freed blocks of one leaf that hold an address the newer one is known:
/// the one freed last is what the address was last (see [`newer_freed`]).
#[inline(always)]
pub(crate) fn clock(addr: usize) -> u32 {
    if is_empty() {
        return 0;
    }
    leaf(addr).map_or(0, |l| l.head.load(Ordering::Relaxed) & CLOCK_MASK)
}

/// Of a freed block of the table and one of the map that both hold an
/// address, each with its clock, the one freed last. Across leaves the
/// clocks do not compare: then the one that starts nearer the address (it
/// most likely lies in the other's range, split to make it).
pub(crate) fn newer_freed(table: (Found, u32), map: (Found, u32)) -> Found {
    let ((t, t_clock), (m, m_clock)) = (table, map);
    if !same_leaf(t.start, m.start) {
        return if m.start >= t.start { m } else { t };
    }
    // The map's free counts as after the table's when its place in the
    // count is at or past the clock the table's record kept.
    if m_clock == t_clock || is_after(m_clock, t_clock) {
        m
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test works in its own MiB-aligned stretch of addresses that no
    // real heap uses (the map is process-wide).
    const BASE: usize = 0x7a00_0000_0000;

    fn live(addr: usize) -> Option<(usize, usize)> {
        live_containing(addr).map(|f| (f.start, f.size))
    }

    #[test]
    fn finds_the_block_around_an_address() {
        let b = BASE;
        assert!(allocated(b + 0x10, 24));
        assert!(allocated(b + 0x30, 1000));
        assert_eq!(live(b + 0x10), Some((b + 0x10, 24)));
        assert_eq!(live(b + 0x27), Some((b + 0x10, 24)));
        assert_eq!(live(b + 0x28), None, "the next chunk's size word");
        assert_eq!(live(b + 0x30 + 999), Some((b + 0x30, 1000)));
        assert_eq!(live(b), None);
        assert!(live_starts_at(b + 0x30));
        assert!(!live_starts_at(b + 0x40));
    }

    #[test]
    fn freed_blocks_are_remembered_until_reused() {
        let b = BASE + (4 << LEAF_SHIFT);
        assert!(allocated(b + 0x100, 200));
        assert!(freed(b + 0x100, 200));
        assert!(!freed(b + 0x100, 200), "not live any more");
        assert_eq!(live(b + 0x150), None);
        let (f, _) = freed_containing(b + 0x150).expect("freed");
        assert_eq!(
            (f.start, f.size, f.live, f.c),
            (b + 0x100, 200, false, true)
        );
        // C allocates over part of it: live there, still freed past it.
        assert!(allocated(b + 0x100, 40));
        assert_eq!(live(b + 0x110), Some((b + 0x100, 40)));
        assert!(freed_containing(b + 0x150).is_some());
        assert!(freed(b + 0x100, 40));
        assert_eq!(freed_containing(b + 0x110).map(|(f, _)| f.size), Some(40));
    }

    #[test]
    fn blocks_across_leaves_and_far_scans() {
        let b = BASE + (8 << LEAF_SHIFT);
        let edge = b + (1 << LEAF_SHIFT);
        assert!(allocated(edge - 0x1000, 0x3000 - 8));
        assert_eq!(live(edge + 0x100), Some((edge - 0x1000, 0x3000 - 8)));
        assert!(freed(edge - 0x1000, 0x3000 - 8));
        assert_eq!(live(edge + 0x100), None);
        assert!(freed_containing(edge + 0x100).is_some());
        // A 100 KiB block: the scan reaches back to its start.
        let big = b + 0x20_0000;
        assert!(allocated(big, 100 << 10));
        assert_eq!(live(big + (99 << 10)).map(|(s, _)| s), Some(big));
    }

    #[test]
    fn the_ring_forgets_after_its_length() {
        let b = BASE + (16 << LEAF_SHIFT);
        assert!(allocated(b, 64));
        assert!(freed(b, 64));
        for k in 0..RING {
            let p = b + 0x1000 + k * 0x80;
            assert!(allocated(p, 64));
            assert!(freed(p, 64));
        }
        assert!(freed_containing(b + 8).is_none(), "evicted");
        assert!(freed_containing(b + 0x1000 + (RING - 1) * 0x80 + 8).is_some());
    }

    #[test]
    fn of_two_freed_blocks_the_one_freed_last_wins() {
        let b = BASE + (24 << LEAF_SHIFT);
        // A freed block of the table, as the Rust side records it, with the
        // leaf's clock at its free.
        let table = Found {
            start: b + 0x100,
            size: 500,
            live: false,
            c: false,
        };
        assert_eq!(clock(b), 0, "no leaf yet");
        let before_any = clock(b);
        assert!(allocated(b + 0x100, 200));
        assert!(freed(b + 0x100, 200));
        let map = freed_containing(b + 0x110).expect("freed");
        assert_eq!(
            newer_freed((table, before_any), map),
            map.0,
            "C freed it later"
        );
        let after = clock(b);
        assert_eq!(
            newer_freed((table, after), map),
            table,
            "Rust freed it later"
        );
        // The clock wraps: its order holds across the wrap.
        assert_eq!(newer_freed((table, CLOCK_MASK - 2), (map.0, 3)), map.0);
        assert_eq!(newer_freed((table, 5), (map.0, 3)), table);
        // Across leaves: the one that starts nearer the address.
        let far = Found {
            start: b - 0x40,
            ..table
        };
        assert_eq!(newer_freed((far, after), map), map.0);
    }

    #[test]
    fn a_leaf_made_across_fork_is_not_left_locked() {
        let old = BASE + (32 << LEAF_SHIFT);
        let new = BASE + (33 << LEAF_SHIFT);
        assert!(allocated(old, 64));
        // What `fork`'s handlers do around the `fork`, while another thread
        // makes a leaf.
        lock_all();
        let maker = std::thread::spawn(move || allocated(new, 64));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(leaf(new).is_none(), "no leaf is made while forking");
        unlock_all();
        assert!(maker.join().expect("the maker"));
        // Neither lock is held: none was released without being taken.
        for addr in [old, new] {
            let l = leaf(addr).expect("made");
            assert_eq!(l.lock.sequence() & 1, 0, "{addr:#x} was left held");
        }
    }

    #[test]
    fn addresses_outside_every_leaf_are_unknown() {
        assert!(live_containing(0x10).is_none());
        assert!(freed_containing(0x10).is_none());
        assert!(live_containing(usize::MAX - 64).is_none());
        assert!(!allocated(1 << 50, 64), "beyond the directory");
    }
}
