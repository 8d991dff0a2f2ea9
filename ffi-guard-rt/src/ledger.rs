//! Who owns which pointer, and every ownership transfer.
//!
//! Every pointer that crosses the boundary through an `alloc` function gets an
//! [`Entry`], keyed by address; the entry's generation tells two lives of the
//! same address apart (a released address that C hands out again is live
//! again, with the next generation).
//!
//! An entry's state changes only along these transitions:
//!
//! ```text
//!            returned by an alloc fn
//!   (none) ──────────────────────────▶ Live ──release by its free fn──▶ Released
//!                                       │                                  │
//!                                       └──consume──▶ Consumed             │
//!   Released / Consumed ──returned again by an alloc fn──▶ Live (generation + 1)
//!   Consumed ──passed back by C to a guarded export──▶ Live (a Rust block: removed)
//! ```
//!
//! A live entry that was reported (an `allocator_mismatch`, say) keeps its
//! state but is no longer counted as a leak: one bug is one finding.
//!
//! The map is split into [`SHARDS`] shards by address hash, each a small
//! map behind a spin lock with an atomic entry count, so threads that work on
//! different pointers rarely meet, and a check of a pointer whose shard is
//! empty takes no lock at all. Every function here that may allocate runs
//! inside a [`reentrancy::Ignore`] scope.
//!
//! The hot path is one guarded alloc/free pair: one insert and one locked
//! release. Each costs one lock round trip (a compare-exchange and a plain
//! release store, where `std::sync::Mutex` needs two read-modify-writes),
//! one hash probe, and no atomic read-modify-write for the counting filter:
//! a filter slot belongs to one shard and changes only under its lock.

use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::hash::{BuildHasher, Hasher};
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::reentrancy;

/// The number of shards; a power of two.
pub(crate) const SHARDS: usize = 64;

/// Where a pointer is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Live,
    Released,
    Consumed,
}

/// What the ledger knows about one address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) generation: u64,
    pub(crate) state: State,
    /// The guarded function that returned the pointer.
    pub(crate) owner: &'static str,
    /// The release function its `alloc(free = F)` names.
    pub(crate) free_with: Option<&'static str>,
    pub(crate) alloc_site: &'static Location<'static>,
    /// The function that released or consumed it, and where.
    pub(crate) freed_by: Option<&'static str>,
    pub(crate) free_site: Option<&'static Location<'static>>,
    /// The runtime's id of the thread that allocated it (for `Checkpoint`).
    pub(crate) thread: u64,
    /// The checkpoint epoch it was allocated in (for `Checkpoint`).
    pub(crate) epoch: u64,
    /// Already part of a finding, or a consumed pointer that C handed back
    /// to a guarded export (C held it when last seen): not a leak.
    pub(crate) reported: bool,
    /// A Rust heap block that a `consume` function took (no `alloc`
    /// function returned it): Rust must not free it any more.
    pub(crate) rust_block: bool,
    /// The pointee type's name, as the alloc (or consume) saw it: where the
    /// runtime cannot see the whole heap, a retired pointer is misused only
    /// when it comes back as this same object type.
    pub(crate) pointee: &'static str,
}

/// A leak group: live pointers from one function and one allocation site.
#[derive(Clone, Debug)]
pub(crate) struct Leak {
    pub(crate) owner: &'static str,
    pub(crate) free_with: Option<&'static str>,
    pub(crate) alloc_site: &'static Location<'static>,
    pub(crate) count: u64,
    pub(crate) first_epoch: u64,
}

/// Records `addr` as live, returned by `owner` at `site`. An older entry at
/// the same address is replaced by the next generation.
pub(crate) fn insert_live(
    addr: usize,
    owner: &'static str,
    free_with: Option<&'static str>,
    site: &'static Location<'static>,
    pointee: &'static str,
) {
    let thread = thread_id();
    let epoch = epoch();
    let shard = shard(addr);
    let entry = |generation| Entry {
        generation,
        state: State::Live,
        owner,
        free_with,
        alloc_site: site,
        freed_by: None,
        free_site: None,
        thread,
        epoch,
        reported: false,
        rust_block: false,
        pointee,
    };
    let mut map = lock(shard);
    // Only a map that must grow allocates (nothing else does); it grows
    // first, out of line, with its allocations marked as the runtime's own,
    // so the common insert has no scope to open and close.
    if map.len() >= map.capacity() {
        grow(&mut map);
    }
    // One probe: the address's slot is found once and filled in place.
    match map.entry(addr) {
        Slot::Vacant(v) => {
            v.insert(entry(0));
            shard.len.fetch_add(1, Ordering::Relaxed);
        }
        Slot::Occupied(mut o) => {
            let old = o.get_mut();
            let was = old.state;
            forget_consumed_rust_block(old);
            *old = entry(old.generation + 1);
            if was != State::Live {
                unretire(addr, was);
            }
        }
    }
    drop(map);
}

/// Makes room for one more entry in a full shard map (under its lock).
#[cold]
#[inline(never)]
fn grow(map: &mut HashMap<usize, Entry, AddrHash>) {
    let _g = reentrancy::Ignore::new();
    map.reserve(1);
}

/// True when the ledger may know `addr`; false means it surely does not,
/// found without taking a lock.
#[inline(always)]
pub(crate) fn may_know(addr: usize) -> bool {
    shard(addr).len.load(Ordering::Relaxed) != 0
}

/// Runs `f` on the entry for `addr` (if any) under its shard's lock.
/// `f` must not call back into the ledger, and must not allocate: finding an
/// entry allocates nothing, so no [`reentrancy::Ignore`] scope is needed.
pub(crate) fn with_entry<R>(addr: usize, f: impl FnOnce(Option<&mut Entry>) -> R) -> R {
    let mut map = lock(shard(addr));
    f(map.get_mut(&addr))
}

/// Moves a live entry to `state` (released or consumed), by `by` at `site`.
/// Called under the shard lock, from inside [`with_entry`].
pub(crate) fn retire(
    addr: usize,
    e: &mut Entry,
    state: State,
    by: &'static str,
    site: &'static Location<'static>,
) {
    debug_assert!(e.state == State::Live && state != State::Live);
    e.state = state;
    e.freed_by = Some(by);
    e.free_site = Some(site);
    // Under the shard lock, the only writer of these slots (see
    // `retired_slot`).
    count(&RETIRED[retired_slot(addr)], 1);
    if state == State::Consumed {
        count_consumed(addr, 1);
    }
}

/// Releases the live entry of `addr` in one locked step if `by` is its
/// release function: `Some(generation)`. Otherwise nothing changes (the
/// caller judges the entry with [`get`]). Returns no entry, so the common
/// release copies nothing out of the map.
pub(crate) fn try_release(
    addr: usize,
    by: &'static str,
    site: &'static Location<'static>,
) -> Option<u64> {
    if !may_know(addr) {
        return None;
    }
    with_entry(addr, |e| match e {
        Some(e) if e.state == State::Live && e.free_with.is_none_or(|f| same_name(f, by)) => {
            retire(addr, e, State::Released, by, site);
            Some(e.generation)
        }
        _ => None,
    })
}

/// Records that the Rust heap block at `addr`, which no guarded `alloc`
/// function returned, was given to C by the `consume` function `by` at `site`.
pub(crate) fn insert_consumed_rust_block(
    addr: usize,
    by: &'static str,
    site: &'static Location<'static>,
    pointee: &'static str,
) {
    let _g = reentrancy::Ignore::new();
    let thread = thread_id();
    let epoch = epoch();
    let shard = shard(addr);
    let mut map = lock(shard);
    let generation = map.get(&addr).map_or(0, |e| e.generation + 1);
    let mut e = Entry {
        generation,
        state: State::Live,
        owner: "Rust allocation",
        free_with: None,
        alloc_site: site,
        freed_by: None,
        free_site: None,
        thread,
        epoch,
        reported: false,
        rust_block: true,
        pointee,
    };
    retire(addr, &mut e, State::Consumed, by, site);
    CONSUMED_RUST_BLOCKS.fetch_add(1, Ordering::Relaxed);
    match map.insert(addr, e) {
        None => {
            shard.len.fetch_add(1, Ordering::Relaxed);
        }
        Some(mut o) if o.state != State::Live => {
            forget_consumed_rust_block(&mut o);
            unretire(addr, o.state);
        }
        Some(_) => {}
    }
}

/// For the allocator's every deallocation: false when surely no Rust heap
/// block at `addr` was given to C by a `consume` function. One load of one
/// counter in the common program that never consumes a Rust block, instead
/// of a random line of the counting filter.
#[inline(always)]
pub(crate) fn may_be_consumed_rust_block(addr: usize) -> bool {
    CONSUMED_RUST_BLOCKS.load(Ordering::Relaxed) != 0 && may_be_consumed(addr)
}

/// Consumed Rust blocks in the ledger (entries with `rust_block` in state
/// `Consumed`); never below the true number.
static CONSUMED_RUST_BLOCKS: AtomicUsize = AtomicUsize::new(0);

/// An entry leaves the consumed-Rust-block state (released or replaced).
fn forget_consumed_rust_block(e: &mut Entry) {
    if e.rust_block && e.state == State::Consumed {
        let _ = CONSUMED_RUST_BLOCKS
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1));
    }
}

/// For the allocator, when Rust deallocates the block at `addr`: if C was
/// given that block by a `consume` function, the entry (the dealloc is then
/// a `double_free`, "released from Rust after consume"); the entry is
/// marked released, so the finding is made once. `None` otherwise.
pub(crate) fn rust_dealloc_of_consumed(addr: usize) -> Option<Entry> {
    if !may_be_consumed(addr) || !may_know(addr) {
        return None;
    }
    with_entry(addr, |e| match e {
        Some(e) if e.rust_block && e.state == State::Consumed => {
            let before = *e;
            forget_consumed_rust_block(e);
            e.state = State::Released;
            // Still retired, no longer consumed.
            count_consumed(addr, -1);
            e.freed_by = Some("dealloc");
            Some(before)
        }
        _ => None,
    })
}

/// C passed the consumed pointer `addr` (generation `generation`) back to a
/// guarded export or callback: C owns it and may hand it to Rust, which owns
/// it again from here on. A consumed Rust block leaves the ledger (Rust may
/// use and free it as any of its blocks); a consumed C pointer is live
/// again, but not a leak (C held it when last seen, as after the consume).
/// Returns what the ledger knows of `addr` afterwards.
pub(crate) fn reclaim(addr: usize, generation: u64) -> Option<Entry> {
    let shard = shard(addr);
    let mut map = lock(shard);
    let Slot::Occupied(mut o) = map.entry(addr) else {
        return None;
    };
    let e = o.get_mut();
    if e.generation != generation || e.state != State::Consumed {
        // Another thread moved it on meanwhile: judge what is there now.
        return Some(*e);
    }
    unretire(addr, State::Consumed);
    if e.rust_block {
        forget_consumed_rust_block(e);
        // Removing allocates nothing.
        o.remove();
        shard.len.fetch_sub(1, Ordering::Relaxed);
        return None;
    }
    e.state = State::Live;
    e.freed_by = None;
    e.free_site = None;
    e.reported = true;
    Some(*e)
}

/// C's `free` released the block at `addr` (seen by the `malloc` family of
/// `alloc::c_heap`): a pointer that a `consume` function gave to C ends its
/// life there, as C decided, and the address may come back as anything.
/// Allocates nothing (it runs inside `free`).
#[cfg_attr(not(feature = "c-heap"), allow(dead_code))] // `alloc::c_heap` calls it
pub(crate) fn c_freed(addr: usize) {
    if !may_know(addr) {
        return;
    }
    let shard = shard(addr);
    let mut map = lock(shard);
    let Some(e) = map.get_mut(&addr) else {
        return;
    };
    if e.state != State::Consumed {
        return;
    }
    forget_consumed_rust_block(e);
    unretire(addr, State::Consumed);
    // Removing allocates nothing.
    map.remove(&addr);
    shard.len.fetch_sub(1, Ordering::Relaxed);
}

/// Undoes a release or consume of generation `generation` by `by`: the call
/// that made it did not go ahead after all.
pub(crate) fn restore(addr: usize, generation: u64, by: &'static str) {
    with_entry(addr, |e| {
        if let Some(e) = e
            && e.generation == generation
            && e.state != State::Live
            && e.freed_by == Some(by)
        {
            let was = e.state;
            e.state = State::Live;
            e.freed_by = None;
            e.free_site = None;
            unretire(addr, was);
        }
    });
}

/// False when `addr` surely has no released or consumed entry; found
/// without a lock. A use of a pointer (the common check) needs the ledger
/// only when this is true.
#[inline(always)]
pub(crate) fn may_be_retired(addr: usize) -> bool {
    RETIRED[retired_slot(addr)].load(Ordering::Relaxed) != 0
}

/// A copy of the entry for `addr`, if the ledger knows it.
pub(crate) fn get(addr: usize) -> Option<Entry> {
    if !may_know(addr) {
        return None;
    }
    with_entry(addr, |e| e.copied())
}

/// Live, unreported entries grouped by owner and allocation site, of the
/// entries for which `keep` is true. Sorted by first allocation.
pub(crate) fn leaks(keep: impl Fn(&Entry) -> bool) -> Vec<Leak> {
    let _g = reentrancy::Ignore::new();
    let mut groups: HashMap<(&'static str, usize, u32, u32), Leak> = HashMap::new();
    for shard in SHARD_TABLE.iter() {
        if shard.len.load(Ordering::Relaxed) == 0 {
            continue;
        }
        let floor = LEAK_FLOOR.load(Ordering::Relaxed);
        let map = lock(shard);
        for e in map.values() {
            if e.state != State::Live || e.reported || e.epoch < floor || !keep(e) {
                continue;
            }
            // The file name's address identifies the file: `Location`s of
            // one file share one string.
            let key = (
                e.owner,
                e.alloc_site.file().as_ptr() as usize,
                e.alloc_site.line(),
                e.alloc_site.column(),
            );
            let g = groups.entry(key).or_insert(Leak {
                owner: e.owner,
                free_with: e.free_with,
                alloc_site: e.alloc_site,
                count: 0,
                first_epoch: e.epoch,
            });
            g.count += 1;
            g.first_epoch = g.first_epoch.min(e.epoch);
        }
    }
    let mut v: Vec<Leak> = groups.into_values().collect();
    v.sort_by_key(|l| (l.first_epoch, l.owner, l.alloc_site.line()));
    v
}

/// This thread's id in the runtime (1, 2, ...), assigned on first use.
/// Const-initialised and without a destructor: usable on threads that C
/// created, and during thread and process exit.
pub(crate) fn thread_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static ID: Cell<u64> = const { Cell::new(0) };
    }
    ID.try_with(|id| {
        let v = id.get();
        if v != 0 {
            return v;
        }
        let v = NEXT.fetch_add(1, Ordering::Relaxed);
        id.set(v);
        v
    })
    .unwrap_or(0)
}

/// The current checkpoint epoch. Ledger entries and findings carry the
/// epoch they were made in; a plain load, so the hot path shares no counter
/// that every thread would write.
#[inline]
pub(crate) fn epoch() -> u64 {
    EPOCH.load(Ordering::Relaxed)
}

/// Starts a new epoch and returns it (`Checkpoint::now`): everything this
/// thread does afterwards carries it or a later one.
pub(crate) fn new_epoch() -> u64 {
    EPOCH.fetch_add(1, Ordering::Relaxed) + 1
}

static EPOCH: AtomicU64 = AtomicU64::new(1);

/// Entries of an epoch below this are not leaks: in a forked child, the
/// first epoch of the child (the parent's outstanding pointers are the
/// parent's to report). 0 in a process that never forked.
static LEAK_FLOOR: AtomicU64 = AtomicU64::new(0);

/// The forking thread, while it holds every shard lock across `fork`, or 0.
static FORKING: AtomicU64 = AtomicU64::new(0);

/// True on the thread that holds every shard lock across `fork`.
fn forking_here() -> bool {
    let f = FORKING.load(Ordering::Acquire);
    f != 0 && f == thread_id()
}

/// `pthread_atfork` prepare: takes every shard lock, so that no other
/// thread is inside the ledger when the process is copied (a lock held by a
/// thread that does not exist in the child would be held there forever).
/// A lock attempt of the forking thread itself meanwhile (another prepare
/// handler that allocates, say) goes ahead without taking the lock.
pub(crate) fn fork_prepare() {
    for shard in SHARD_TABLE.iter() {
        // Held across `fork`: released by `fork_parent` / `fork_child`.
        std::mem::forget(shard.map.lock());
    }
    FORKING.store(thread_id(), Ordering::Release);
}

/// `pthread_atfork` parent: releases what [`fork_prepare`] took.
pub(crate) fn fork_parent() {
    FORKING.store(0, Ordering::Release);
    for shard in SHARD_TABLE.iter() {
        shard.map.held.store(false, Ordering::Release);
    }
}

/// `pthread_atfork` child: releases what [`fork_prepare`] took, and starts
/// the child's own leak accounting: what the parent had outstanding at the
/// fork is not the child's leak (the child may still release it).
pub(crate) fn fork_child() {
    LEAK_FLOOR.store(new_epoch(), Ordering::Relaxed);
    fork_parent();
}

/// Slots of the counting filter of retired (released or consumed) entries.
const RETIRED_SLOTS: usize = 1 << 16;

/// A counting filter: how many retired entries hash to each slot. A zero
/// proves that an address has no retired entry. 256 KiB of zeroed memory,
/// touched only where entries retire.
static RETIRED: [AtomicU32; RETIRED_SLOTS] = [const { AtomicU32::new(0) }; RETIRED_SLOTS];

/// Slots of the counting filter of consumed entries (those given to C).
const CONSUMED_SLOTS: usize = 1 << 12;

/// A counting filter of the entries in state `Consumed`, which C's `free`
/// ends (`c_freed`) and Rust's `dealloc` judges. Checked on every `free`
/// of the whole heap, so it is small (16 KiB) and stays in cache; and it
/// counts only consumed entries, not every released one, so a program that
/// releases much still gets its zeros.
static CONSUMED: [AtomicU32; CONSUMED_SLOTS] = [const { AtomicU32::new(0) }; CONSUMED_SLOTS];

/// The consumed filter's slot of `addr`, owned by one shard as in
/// [`retired_slot`].
#[inline(always)]
fn consumed_slot(addr: usize) -> usize {
    (addr_hash(addr) >> (64 - CONSUMED_SLOTS.trailing_zeros())) as usize
}

/// Consumed entries in the ledger: while there are none, no `free` of the
/// whole heap reads the filter.
static CONSUMED_ENTRIES: AtomicUsize = AtomicUsize::new(0);

/// False when `addr` surely has no consumed entry; found without a lock.
#[inline(always)]
pub(crate) fn may_be_consumed(addr: usize) -> bool {
    CONSUMED_ENTRIES.load(Ordering::Relaxed) != 0
        && CONSUMED[consumed_slot(addr)].load(Ordering::Relaxed) != 0
}

/// One more (`1`) or one fewer (`-1`) consumed entry at `addr`, under the
/// lock of its shard.
#[inline(always)]
fn count_consumed(addr: usize, by: i32) {
    if by > 0 {
        CONSUMED_ENTRIES.fetch_add(1, Ordering::Relaxed);
    } else {
        CONSUMED_ENTRIES.fetch_sub(1, Ordering::Relaxed);
    }
    count(&CONSUMED[consumed_slot(addr)], by);
}

/// The filter slot of `addr`. Its top bits are the shard index, so a slot
/// belongs to one shard and is written only under that shard's lock: a load
/// and a store, not a read-modify-write. Readers need no lock.
#[inline(always)]
fn retired_slot(addr: usize) -> usize {
    (addr_hash(addr) >> (64 - RETIRED_SLOTS.trailing_zeros())) as usize
}

/// The entry of `addr`, retired as `state`, is live again or gone. Called
/// under the shard lock of `addr`.
fn unretire(addr: usize, state: State) {
    count(&RETIRED[retired_slot(addr)], -1);
    if state == State::Consumed {
        count_consumed(addr, -1);
    }
}

/// Adds `by` to a filter slot, under the lock of the slot's shard: a load
/// and a store, not a read-modify-write.
#[inline(always)]
fn count(slot: &AtomicU32, by: i32) {
    slot.store(
        slot.load(Ordering::Relaxed).saturating_add_signed(by),
        Ordering::Relaxed,
    );
}

/// True when `a` and `b` name the same function. Names are string literals
/// of the expansions; one literal is often shared, so the address is tried
/// before the bytes.
#[inline(always)]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

#[repr(align(64))]
struct Shard {
    map: SpinLock<HashMap<usize, Entry, AddrHash>>,
    /// Entries in `map`, of any state; read without the lock by `may_know`.
    len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SHARD: Shard = Shard {
    map: SpinLock::new(HashMap::with_hasher(AddrHash)),
    len: AtomicUsize::new(0),
};

static SHARD_TABLE: [Shard; SHARDS] = [EMPTY_SHARD; SHARDS];

#[inline(always)]
fn shard(addr: usize) -> &'static Shard {
    &SHARD_TABLE[shard_index(addr)]
}

/// Fibonacci hashing of the address without its low (alignment) bits.
#[inline(always)]
fn addr_hash(addr: usize) -> u64 {
    ((addr as u64) >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline(always)]
fn shard_index(addr: usize) -> usize {
    (addr_hash(addr) >> (64 - SHARDS.trailing_zeros())) as usize
}

#[inline(always)]
fn lock(shard: &Shard) -> SpinGuard<'_, HashMap<usize, Entry, AddrHash>> {
    shard.map.lock()
}

/// A test-and-set lock for the shards. A shard is held for one hash probe
/// and a few field writes, never across a call out of the runtime, so a
/// waiter spins briefly and then yields its core (on a loaded machine the
/// holder may be waiting for one). Nothing panics while holding it, and it
/// never allocates.
struct SpinLock<T> {
    held: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a `SpinGuard`, and `held`
// admits one guard at a time, with acquire/release ordering.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    const fn new(value: T) -> SpinLock<T> {
        SpinLock {
            held: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    #[inline(always)]
    fn lock(&self) -> SpinGuard<'_, T> {
        let owned = self
            .held
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            || self.lock_contended();
        SpinGuard { lock: self, owned }
    }

    /// `false` when the lock is held for this very thread by `fork`'s
    /// prepare handler: then it goes ahead, and the lock stays held after.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) -> bool {
        let mut spins = 0u32;
        loop {
            if forking_here() {
                return false;
            }
            while self.held.load(Ordering::Relaxed) {
                if forking_here() {
                    return false;
                }
                if spins < 64 {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            if self
                .held
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
        }
    }
}

struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// Taken by this guard (not held for it by `fork`'s prepare handler).
    owned: bool,
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock, and is borrowed mutably.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.owned {
            self.lock.held.store(false, Ordering::Release);
        }
    }
}

/// Addresses are already well spread; a multiply is all the map needs, and
/// SipHash would cost more than the rest of a check.
#[derive(Clone, Copy, Debug, Default)]
struct AddrHash;

impl BuildHasher for AddrHash {
    type Hasher = AddrHasher;
    fn build_hasher(&self) -> AddrHasher {
        AddrHasher(0)
    }
}

#[derive(Debug, Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = ((i as u64) >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_spread_neighbouring_blocks() {
        let mut seen = [false; SHARDS];
        for i in 0..SHARDS * 4 {
            seen[shard_index(0x5555_0000 + i * 16)] = true;
        }
        assert!(seen.iter().filter(|s| **s).count() > SHARDS / 2);
    }

    #[test]
    fn reinsert_bumps_generation() {
        let site = Location::caller();
        let addr = 0x7777_0000usize;
        insert_live(addr, "t_new", Some("t_free"), site, "T");
        with_entry(addr, |e| {
            e.map(|e| retire(addr, e, State::Released, "t_free", site))
        });
        assert!(may_be_retired(addr));
        insert_live(addr, "t_new", Some("t_free"), site, "T");
        let e = get(addr).expect("known");
        assert_eq!(e.generation, 1);
        assert_eq!(e.state, State::Live);
        with_entry(addr, |e| e.map(|e| e.reported = true));
    }
}
