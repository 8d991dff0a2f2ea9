//! The per-call state shared by import and export wrappers: the pointer
//! arguments of one call, what each is for, and the findings they produced.
//!
//! Stateless checks (null, alignment, length) run as the wrapper announces
//! each argument. Checks that need the ledger or the allocator run together
//! in [`Guard::evaluate`], once every argument is known, so that one pointer
//! announced by several options (`pointer`, then `slice`, then `release`) is
//! judged once, by its strongest role: a released pointer passed to its free
//! function again is a `double_free`, not also a `use_after_free`.
//! Releases and consumes are committed to the ledger before the foreign
//! call, under the shard lock, so two threads releasing one pointer at once
//! cannot both succeed: the common release (a live pointer passed to its own
//! release function) is judged and committed in one locked step, by
//! [`Guard::lone_release`] or in `evaluate`; every other one in
//! [`Guard::commit`], against the generation seen in `evaluate`. A call that
//! does not go ahead after all undoes the former with [`Guard::rollback`].

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::panic::Location;

use crate::__private::FnInfo;
use crate::alloc::{self, Block};
use crate::check::{self, Bounds, Cstr};
use crate::finding::{Finding, FindingKind, Site};
use crate::ledger::{self, Entry, State};
use crate::reentrancy::Ignore;
use crate::report;

thread_local! {
    /// The first finding's text of the call being judged on this thread, for
    /// the panic of panic mode. Kept out of `Guard`, so that a guard has no
    /// destructor and a call without pointers compiles to almost nothing.
    static FIRST: RefCell<Option<Box<str>>> = const { RefCell::new(None) };
}

/// Pointer arguments tracked per call; further ones get only the stateless checks.
const MAX_PTRS: usize = 8;

/// What one call decided, as a set of bits. A type of its own, so that a
/// verdict bit cannot be mixed up with a pointer's [`Flags`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict(u8);

impl Verdict {
    /// A finding was recorded for this call.
    pub(crate) const FOUND: Verdict = Verdict(1);
    /// A release of memory that is not live: never forward it.
    pub(crate) const REFUSE: Verdict = Verdict(2);
    /// `free(NULL)` on an export: skip the body, no finding.
    pub(crate) const SKIP: Verdict = Verdict(4);
    /// A release or consume waits for `commit`.
    const PENDING: Verdict = Verdict(8);
    /// A release was committed while judged; `rollback` undoes it if the
    /// call does not go ahead.
    const COMMITTED: Verdict = Verdict(16);

    /// Whether any bit of `bits` is set.
    #[inline(always)]
    pub(crate) fn has(self, bits: Verdict) -> bool {
        self.0 & bits.0 != 0
    }

    #[inline(always)]
    fn set(&mut self, bits: Verdict) {
        self.0 |= bits.0;
    }

    #[inline(always)]
    fn clear(&mut self, bits: Verdict) {
        self.0 &= !bits.0;
    }

    #[inline(always)]
    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for Verdict {
    type Output = Verdict;
    #[inline(always)]
    fn bitor(self, rhs: Verdict) -> Verdict {
        Verdict(self.0 | rhs.0)
    }
}

/// What a pointer argument is for; the strongest role wins.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Use = 0,
    Release = 1,
    Consume = 2,
}

/// What is known of one pointer argument, as a set of bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags(u8);

impl Flags {
    const SLICE: Flags = Flags(1);
    const CSTR: Flags = Flags(2);
    const REPORTED: Flags = Flags(4);
    /// `generation` holds the ledger generation a release or consume applies to.
    const HAS_GEN: Flags = Flags(8);
    /// Released in the ledger already, by `evaluate` (see `Verdict::COMMITTED`).
    const DONE: Flags = Flags(16);
    /// A consumed Rust heap block the ledger does not know yet.
    const RUST_BLOCK: Flags = Flags(32);
    /// The pointee is a byte, `c_char` or `c_void`: a buffer, which any
    /// allocator may have handed out again, never "the same object".
    const BUFFER: Flags = Flags(64);

    #[inline(always)]
    fn has(self, bits: Flags) -> bool {
        self.0 & bits.0 != 0
    }

    #[inline(always)]
    fn set(&mut self, bits: Flags) {
        self.0 |= bits.0;
    }

    #[inline(always)]
    fn clear(&mut self, bits: Flags) {
        self.0 &= !bits.0;
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    #[inline(always)]
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// The pointee type's identity for the same-object rule, and whether it is
/// a buffer type (one byte: `u8`, `i8`, `c_char`, `c_void`).
#[inline(always)]
pub(crate) fn pointee_of<T>() -> (&'static str, bool) {
    (std::any::type_name::<T>(), size_of::<T>() == 1)
}

/// Whether a released or consumed ledger entry still speaks for the pointer
/// `p` passed now, or is history because the address was (or may have been)
/// allocated again since.
///
/// Where the runtime sees the whole heap, it knows: a block freed since is a
/// use after free; a live block that starts at the address is a new life of
/// it, except the block a `consume` gave to C, which C still holds. A live
/// block that only contains the address proves nothing: a C library's own
/// allocator inside it (SQLite's lookaside slots, or the 8-byte size header
/// it puts before every allocation) may or may not have handed the address
/// out again, so there, as where the runtime does not see the heap, the
/// ledger is trusted only for the same object: a pointer whose pointee type
/// is the type its alloc returned, never a byte, `c_char` or `c_void`
/// buffer, which any allocator the runtime does not see may have handed out
/// again.
fn retired_entry_holds(p: &Ptr, e: &Entry) -> bool {
    let same_object = !p.flags.has(Flags::BUFFER) && p.pointee == e.pointee;
    let block = alloc::block_of(p.addr);
    if alloc::whole_heap() {
        match block {
            Block::Freed { .. } => true,
            Block::CLive { .. } if e.state == State::Consumed => true,
            Block::Live { .. } if e.rust_block => true,
            Block::CLive { start, .. } | Block::Live { start, .. } => {
                start != p.addr && same_object
            }
            Block::Unknown => same_object,
        }
    } else {
        match block {
            Block::Live { .. } if !e.rust_block => false,
            _ => same_object,
        }
    }
}

/// Whether a second release of the retired `e` at `p` is of a new life of
/// the address. Where the whole heap is seen, a live block must start at
/// the address; one that only contains it (a C library's own allocator
/// inside a `malloc` block) leaves it to the same-object rule of
/// [`retired_entry_holds`].
fn released_address_reused(p: &Ptr, e: &Entry) -> bool {
    match alloc::block_of(p.addr) {
        Block::CLive { start, .. } | Block::Live { start, .. }
            if alloc::whole_heap() && start != p.addr =>
        {
            !retired_entry_holds(p, e)
        }
        block => block.is_live(),
    }
}

/// The fast verdict on a plain use with no retired ledger entry: true when
/// the allocator knows no block there, or a live block that holds the slice
/// (C strings and freed blocks take the full path).
#[inline(always)]
fn use_is_fine(addr: usize, flags: Flags, bytes: usize) -> bool {
    if use_is_surely_fine(addr, flags, bytes) {
        return true;
    }
    match alloc::block_of(addr) {
        Block::Unknown | Block::CLive { .. } => true,
        Block::Live { start, size } => {
            !flags.has(Flags::CSTR)
                && (!flags.has(Flags::SLICE)
                    || addr.saturating_add(bytes) <= start.saturating_add(size))
        }
        Block::Freed { .. } => false,
    }
}

/// The cheap verdicts of [`use_is_fine`], each one probe at most: any
/// pointer where the allocator knows no block at all, a slice inside a live
/// Rust block, or a plain pointer (a library's handle) inside a live block
/// of C's heap. Either way nothing else the allocator knows could make
/// the use a finding (a plain pointer in any live block is fine). `false`
/// says nothing.
#[inline(always)]
fn use_is_surely_fine(addr: usize, flags: Flags, bytes: usize) -> bool {
    let held = !flags.has(Flags::CSTR)
        && if flags.has(Flags::SLICE) {
            alloc::live_rust_block_holds(addr, bytes)
        } else {
            alloc::live_c_block_holds(addr)
        };
    // Without `TrackingAllocator` every address is unknown, which is fine.
    held || !alloc::knows_blocks()
}

#[derive(Clone, Copy, Debug)]
struct Ptr {
    addr: usize,
    param: &'static str,
    role: Role,
    flags: Flags,
    /// The pointee type's name (see [`pointee_of`]).
    pointee: &'static str,
    /// With `SLICE`: the slice's size in bytes.
    bytes: usize,
    /// With `HAS_GEN`: the ledger generation a release or consume applies to.
    generation: u64,
}

#[derive(Debug)]
pub(crate) struct Guard {
    pub(crate) info: &'static FnInfo,
    pub(crate) site: &'static Location<'static>,
    len: u8,
    pub(crate) verdict: Verdict,
    ptrs: [MaybeUninit<Ptr>; MAX_PTRS],
    found: u32,
    /// C is calling Rust: a consumed pointer among the arguments is C's to
    /// give, and comes back into Rust's ownership.
    export: bool,
}

impl Guard {
    #[inline(always)]
    pub(crate) fn new(
        info: &'static FnInfo,
        site: &'static Location<'static>,
        export: bool,
    ) -> Guard {
        Guard {
            info,
            site,
            len: 0,
            verdict: Verdict::default(),
            ptrs: [const { MaybeUninit::uninit() }; MAX_PTRS],
            found: 0,
            export,
        }
    }

    /// True when nothing needs the ledger, the allocator or the mode.
    #[inline(always)]
    pub(crate) fn is_trivial(&self) -> bool {
        self.len == 0 && self.verdict.is_empty()
    }

    /// Any raw-pointer argument: alignment now, the ledger in `evaluate`.
    #[inline(always)]
    pub(crate) fn pointer<T>(&mut self, addr: usize, param: &'static str) -> Option<usize> {
        if addr == 0 {
            return None;
        }
        if let Some(i) = self.find(addr) {
            return Some(i);
        }
        if check::misaligned(addr, align_of::<T>()) {
            self.misaligned::<T>(addr, param);
            let i = self.push::<T>(addr, param)?;
            self.ptr_mut(i).flags.set(Flags::REPORTED);
            return Some(i);
        }
        self.push::<T>(addr, param)
    }

    #[inline(always)]
    pub(crate) fn nonnull<T>(&mut self, addr: usize, param: &'static str) {
        if addr == 0 {
            self.null(param, None);
        } else {
            self.pointer::<T>(addr, param);
        }
    }

    #[inline(always)]
    pub(crate) fn slice<T>(
        &mut self,
        addr: usize,
        n: usize,
        param: &'static str,
        len: &'static str,
    ) {
        let Some(bytes) = check::slice_bytes(addr, n, size_of::<T>()) else {
            self.overflow::<T>(addr, n, param, len);
            return;
        };
        if n == 0 {
            // A null or dangling pointer with no elements is a valid empty slice.
            return;
        }
        if addr == 0 {
            self.null(param, Some((len, n)));
            return;
        }
        if let Some(i) = self.pointer::<T>(addr, param) {
            let p = self.ptr_mut(i);
            p.flags.set(Flags::SLICE);
            p.bytes = p.bytes.max(bytes);
        }
    }

    #[inline(always)]
    pub(crate) fn cstr<T>(&mut self, addr: usize, param: &'static str) {
        if let Some(i) = self.pointer::<T>(addr, param) {
            self.ptr_mut(i).flags.set(Flags::CSTR);
        }
    }

    #[inline(always)]
    pub(crate) fn release<T>(&mut self, addr: usize, param: &'static str, skip_null: bool) {
        if addr == 0 {
            if skip_null {
                self.verdict.set(Verdict::SKIP);
            }
            return;
        }
        if let Some(i) = self.pointer::<T>(addr, param) {
            self.ptr_mut(i).role = Role::Release;
        }
    }

    #[inline(always)]
    pub(crate) fn consume<T>(&mut self, addr: usize, param: &'static str) {
        if let Some(i) = self.pointer::<T>(addr, param) {
            let p = self.ptr_mut(i);
            if p.role == Role::Use {
                p.role = Role::Consume;
            }
        }
    }

    /// The common release call, before [`Guard::evaluate`]: one pointer,
    /// live and released by its own release function, judged and committed
    /// in one locked step, exactly as `evaluate` would. True when that is
    /// all there is to do; false leaves the whole call to `evaluate`.
    #[inline(always)]
    pub(crate) fn lone_release(&mut self) -> bool {
        if self.len != 1 || !self.verdict.is_empty() {
            return false;
        }
        let q = self.ptr_mut(0);
        if q.role != Role::Release || q.flags.has(Flags::REPORTED) {
            return false;
        }
        let addr = q.addr;
        self.release_now(0, addr)
    }

    /// The common checked call, before [`Guard::evaluate`]: one pointer
    /// argument with no retired ledger entry, surely fine by one probe of
    /// the allocator (see [`use_is_surely_fine`]). True when that is so
    /// (`evaluate` would find nothing and commit nothing); false leaves the
    /// whole call to `evaluate`.
    #[inline(always)]
    pub(crate) fn lone_use(&mut self) -> bool {
        if self.len != 1 || !self.verdict.is_empty() {
            return false;
        }
        let q = self.ptr_mut(0);
        let (addr, bytes, flags) = (q.addr, q.bytes, q.flags);
        q.role == Role::Use
            && !flags.has(Flags::REPORTED)
            && !ledger::may_be_retired(addr)
            && use_is_surely_fine(addr, flags, bytes)
    }

    /// Releases slot `i` (at `addr`) in the ledger in one locked step if it
    /// is live and this function is its release function, and marks it
    /// committed, so `rollback` can undo it. False changes nothing.
    #[inline(always)]
    fn release_now(&mut self, i: usize, addr: usize) -> bool {
        let Some(generation) = ledger::try_release(addr, self.info.name, self.site) else {
            return false;
        };
        let q = self.ptr_mut(i);
        q.flags.set(Flags::HAS_GEN | Flags::DONE);
        q.generation = generation;
        self.verdict.set(Verdict::COMMITTED);
        true
    }

    /// The ledger and allocator checks of every pointer argument.
    #[inline(never)]
    pub(crate) fn evaluate(&mut self) {
        for i in 0..self.len as usize {
            // Fields one by one: a whole-struct copy of a slot written a
            // moment ago by narrower stores stalls store forwarding.
            let q = self.ptr_mut(i);
            let (addr, role, flags, bytes) = (q.addr, q.role, q.flags, q.bytes);
            if flags.has(Flags::REPORTED) {
                continue;
            }
            // The common release, judged and committed under one lock,
            // without a look at the filter.
            if role == Role::Release && self.release_now(i, addr) {
                continue;
            }
            // A plain use needs the ledger only if the address may have a
            // released or consumed entry; the filter says so without a lock.
            // Then a block that is unknown, or live and large enough, is all
            // there is to see.
            let retired = ledger::may_be_retired(addr);
            if role == Role::Use && !retired && use_is_fine(addr, flags, bytes) {
                continue;
            }
            let p = *self.ptr_mut(i);
            let looked_up = p.role != Role::Use || retired;
            let mut entry = if looked_up { ledger::get(p.addr) } else { None };
            if self.export
                && let Some(e) = entry.filter(|e| e.state == State::Consumed)
            {
                // SPEC §2: a consumed pointer belongs to C, and C may pass
                // it anywhere, back to Rust too (the user data of a
                // callback, then its destructor): no finding, and Rust owns
                // it again. A released pointer stays a finding.
                entry = ledger::reclaim(p.addr, e.generation);
            }
            if let Some(e) = entry
                && e.state != State::Live
                && if p.role == Role::Release {
                    // A release judges the address: a block live since is
                    // a new life (Rust's, or C's if seen), not a double free;
                    // inside a live C block, only the same object is one.
                    !e.rust_block && released_address_reused(&p, &e)
                } else {
                    !retired_entry_holds(&p, &e)
                }
            {
                // The address was allocated again since it was released or
                // consumed, or may have been: the ledger's record is history.
                entry = None;
            }
            match p.role {
                Role::Release => self.judge_release(i, p, entry),
                Role::Consume => {
                    if !self.judge_use(p, entry, true) {
                        continue;
                    }
                    if let Some(e) = entry.filter(|e| e.state == State::Live) {
                        let q = self.ptr_mut(i);
                        q.flags.set(Flags::HAS_GEN);
                        q.generation = e.generation;
                        self.verdict.set(Verdict::PENDING);
                    } else if entry.is_none()
                        && matches!(alloc::block_of(p.addr), Block::Live { .. })
                    {
                        // A Rust block given to C: remembered, so that Rust
                        // using or freeing it later is a finding.
                        self.ptr_mut(i).flags.set(Flags::RUST_BLOCK);
                        self.verdict.set(Verdict::PENDING);
                    }
                }
                Role::Use => {
                    self.judge_use(p, entry, looked_up);
                }
            }
        }
    }

    /// Commits the releases and consumes judged fine. False when another
    /// thread released one of them in between (recorded as `double_free`).
    #[inline(always)]
    pub(crate) fn commit(&mut self) -> bool {
        if !self.verdict.has(Verdict::PENDING) {
            return true;
        }
        self.commit_pending()
    }

    #[inline(never)]
    fn commit_pending(&mut self) -> bool {
        let mut ok = true;
        for i in 0..self.len as usize {
            let p = *self.ptr_mut(i);
            if p.flags.has(Flags::RUST_BLOCK) && !p.flags.has(Flags::REPORTED) {
                ledger::insert_consumed_rust_block(p.addr, self.info.name, self.site, p.pointee);
                continue;
            }
            if !p.flags.has(Flags::HAS_GEN) || p.flags.has(Flags::REPORTED | Flags::DONE) {
                continue;
            }
            let (by, site) = (self.info.name, self.site);
            let raced = ledger::with_entry(p.addr, |e| match e {
                Some(e) if e.generation == p.generation && e.state == State::Live => {
                    let state = if p.role == Role::Release {
                        State::Released
                    } else {
                        State::Consumed
                    };
                    ledger::retire(p.addr, e, state, by, site);
                    None
                }
                Some(e) => Some(*e),
                None => None,
            });
            if let Some(e) = raced {
                self.double_free(p, &e);
                ok = false;
            }
        }
        ok
    }

    /// Undoes the releases `evaluate` committed: the call does not go ahead.
    #[inline(always)]
    pub(crate) fn rollback(&mut self) {
        if self.verdict.has(Verdict::COMMITTED) {
            self.rollback_committed();
        }
    }

    #[cold]
    #[inline(never)]
    fn rollback_committed(&mut self) {
        for i in 0..self.len as usize {
            let p = *self.ptr_mut(i);
            if p.flags.has(Flags::DONE) {
                ledger::restore(p.addr, p.generation, self.info.name);
                self.ptr_mut(i).flags.clear(Flags::DONE);
            }
        }
        self.verdict.clear(Verdict::COMMITTED);
    }

    /// The panic of panic mode, at the wrapper's caller.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(crate) fn panic_now(&mut self) -> ! {
        let text = FIRST
            .try_with(|f| f.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_default();
        let text = if self.found > 1 {
            format!(
                "{text} (and {} more finding(s) in this call)",
                self.found - 1
            )
        } else {
            text.into_string()
        };
        crate::panic::note_finding_panic(&text);
        panic!("{text}");
    }

    /// `alloc(free = F)`: the returned pointer is live and owned by the
    /// caller. `T` is its pointee type, for the same-object rule.
    #[inline]
    pub(crate) fn returned<T>(&self, addr: usize) {
        self.owned(addr, self.info.free_with, pointee_of::<T>().0);
    }

    /// A pointer this call handed to the caller (returned, or written through
    /// an out-parameter), to be released with `free_with` (`None`: a
    /// tentative pair's, see `pairing.rs`). `pointee` names its pointee
    /// type (see [`pointee_of`]).
    #[inline]
    pub(crate) fn owned(
        &self,
        addr: usize,
        free_with: Option<&'static str>,
        pointee: &'static str,
    ) {
        if addr != 0 {
            ledger::insert_live(addr, self.info.name, free_with, self.site, pointee);
            // Outstanding pointers are leaks at exit: the report must run.
            report::ensure_exit_hook();
        }
    }

    #[inline(always)]
    fn find(&self, addr: usize) -> Option<usize> {
        (0..self.len as usize).find(|&i| {
            // SAFETY: the first `len` slots are initialised.
            let p = unsafe { self.ptrs[i].assume_init_ref() };
            // By address alone: one pointer announced under two names is
            // judged once (the first name is the one in messages).
            p.addr == addr
        })
    }

    #[inline(always)]
    fn push<T>(&mut self, addr: usize, param: &'static str) -> Option<usize> {
        let i = self.len as usize;
        if i >= MAX_PTRS {
            return None;
        }
        let (pointee, buffer) = pointee_of::<T>();
        self.ptrs[i] = MaybeUninit::new(Ptr {
            addr,
            param,
            role: Role::Use,
            flags: if buffer {
                Flags::BUFFER
            } else {
                Flags::default()
            },
            pointee,
            bytes: 0,
            generation: 0,
        });
        self.len += 1;
        Some(i)
    }

    #[inline(always)]
    fn ptr_mut(&mut self, i: usize) -> &mut Ptr {
        // SAFETY: callers pass indices below `len`, whose slots are initialised.
        unsafe { self.ptrs[i].assume_init_mut() }
    }

    fn judge_release(&mut self, i: usize, p: Ptr, entry: Option<Entry>) {
        let name = self.info.name;
        match entry {
            Some(e) if e.state == State::Live => {
                if e.free_with.is_none_or(|f| ledger::same_name(f, name)) {
                    let q = self.ptr_mut(i);
                    q.flags.set(Flags::HAS_GEN);
                    q.generation = e.generation;
                    self.verdict.set(Verdict::PENDING);
                    return;
                }
                let free_with = e.free_with.unwrap_or("?");
                let message = format!(
                    "`{}` = {:#x} comes from {} and must be released with {free_with}, not {name}",
                    p.param, p.addr, e.owner
                );
                // One bug is one finding: this pointer is no longer a leak.
                ledger::with_entry(p.addr, |x| {
                    if let Some(x) = x.filter(|x| x.generation == e.generation) {
                        x.reported = true;
                    }
                });
                self.found(FindingKind::AllocatorMismatch, p, message, Some(&e), None);
                self.verdict.set(Verdict::REFUSE);
            }
            Some(e) => {
                self.double_free(p, &e);
            }
            None => match alloc::block_of(p.addr) {
                Block::Live { size, .. } => {
                    let message = format!(
                        "`{}` = {:#x} is a Rust heap block ({size} bytes); {name} must not release it",
                        p.param, p.addr
                    );
                    self.found(FindingKind::AllocatorMismatch, p, message, None, Some(size));
                    self.verdict.set(Verdict::REFUSE);
                }
                Block::Freed { .. } | Block::CLive { .. } | Block::Unknown => {
                    let message = format!(
                        "`{}` = {:#x} was never returned by a guarded allocating function",
                        p.param, p.addr
                    );
                    self.found(FindingKind::UnknownFree, p, message, None, None);
                    self.verdict.set(Verdict::REFUSE);
                }
            },
        }
    }

    fn double_free(&mut self, p: Ptr, e: &Entry) {
        let by = e.freed_by.unwrap_or("?");
        let message = match e.state {
            State::Consumed => format!(
                "`{}` = {:#x} was given to C by {by} (consume) and is released from Rust",
                p.param, p.addr
            ),
            _ => format!("`{}` = {:#x} was already released by {by}", p.param, p.addr),
        };
        self.found(FindingKind::DoubleFree, p, message, Some(e), None);
        self.verdict.set(Verdict::REFUSE);
    }

    /// A pointer used (or consumed): released or consumed in the ledger, or
    /// inside a freed, too small or unterminated Rust block. False when it
    /// produced a finding. `looked_up`: `entry` is the ledger's answer (else
    /// the ledger was skipped, and is asked only if a freed block needs it).
    #[inline]
    fn judge_use(&mut self, p: Ptr, entry: Option<Entry>, looked_up: bool) -> bool {
        if let Some(e) = entry
            && e.state != State::Live
        {
            let by = e.freed_by.unwrap_or("?");
            let how = if e.state == State::Consumed {
                "given to C by"
            } else {
                "released by"
            };
            let message = format!(
                "`{}` = {:#x} was {how} {by} and is passed to {}",
                p.param, p.addr, self.info.name
            );
            self.found(FindingKind::UseAfterFree, p, message, Some(&e), None);
            return false;
        }
        // The ledger knows a live pointer: a freed Rust block at the same
        // address is history (C's allocator handed the address out again).
        let live = || {
            if looked_up {
                entry.is_some()
            } else {
                ledger::get(p.addr).is_some_and(|e| e.state == State::Live)
            }
        };
        if p.flags.has(Flags::SLICE) {
            match check::bounds(p.addr, p.bytes) {
                Bounds::Fine => {}
                Bounds::PastEnd { start, size } => {
                    let over = p.addr + p.bytes - (start + size);
                    let message = format!(
                        "`{}` = {:#x} with {} bytes runs {over} bytes past the end of its {size}-byte heap block",
                        p.param, p.addr, p.bytes
                    );
                    self.found(
                        FindingKind::OutOfBounds,
                        p,
                        message,
                        entry.as_ref(),
                        Some(p.bytes),
                    );
                    return false;
                }
                Bounds::Freed { size, c, .. } if alloc::whole_heap() && !live() => {
                    self.freed_block(p, size, c);
                    return false;
                }
                Bounds::Freed { .. } => {}
            }
        } else if p.flags.has(Flags::CSTR) {
            match check::cstr(p.addr) {
                Cstr::Fine => {}
                Cstr::Unterminated { size, .. } => {
                    let message = format!(
                        "`{}` = {:#x} has no NUL before the end of its {size}-byte heap block",
                        p.param, p.addr
                    );
                    self.found(
                        FindingKind::UnterminatedCstr,
                        p,
                        message,
                        entry.as_ref(),
                        None,
                    );
                    return false;
                }
                Cstr::Freed { size, c, .. } if alloc::whole_heap() && !live() => {
                    self.freed_block(p, size, c);
                    return false;
                }
                Cstr::Freed { .. } => {}
            }
        } else if let Block::Freed { size, c, .. } = alloc::block_of(p.addr)
            && alloc::whole_heap()
            && !live()
        {
            self.freed_block(p, size, c);
            return false;
        }
        true
    }

    /// A pointer into a block that was freed and not allocated again: only
    /// reported where the runtime sees the whole heap (else C may have
    /// allocated it again unseen).
    fn freed_block(&mut self, p: Ptr, size: usize, c: bool) {
        let side = if c { "C" } else { "Rust" };
        let message = format!(
            "`{}` = {:#x} points into a freed {size}-byte {side} heap block",
            p.param, p.addr
        );
        self.found(FindingKind::UseAfterFree, p, message, None, Some(size));
    }

    #[cold]
    #[inline(never)]
    fn misaligned<T>(&mut self, addr: usize, param: &'static str) {
        let _g = Ignore::new();
        let message = format!(
            "`{param}` = {addr:#x} is not aligned to {} bytes, as `{}` requires",
            align_of::<T>(),
            std::any::type_name::<T>()
        );
        self.record(FindingKind::MisalignedPointer, message, None, None);
    }

    #[cold]
    #[inline(never)]
    fn null(&mut self, param: &'static str, len: Option<(&'static str, usize)>) {
        let _g = Ignore::new();
        // `nonnull(p)` and `slice(p, n)` on one null `p` are one finding: a
        // reported null is kept as a slot of address 0, already reported.
        let seen = (0..self.len as usize).any(|i| {
            // SAFETY: the first `len` slots are initialised.
            let p = unsafe { self.ptrs[i].assume_init_ref() };
            p.addr == 0 && p.param == param
        });
        if seen {
            return;
        }
        if let Some(i) = self.push::<()>(0, param) {
            self.ptr_mut(i).flags.set(Flags::REPORTED);
        }
        let message = match len {
            Some((len, n)) => format!("`{param}` is null but `{len}` is {n}"),
            None => format!("`{param}` is null"),
        };
        self.record(FindingKind::NullPointer, message, None, None);
    }

    #[cold]
    #[inline(never)]
    fn overflow<T>(&mut self, addr: usize, n: usize, param: &'static str, len: &'static str) {
        let _g = Ignore::new();
        let message = match n.checked_mul(size_of::<T>()) {
            Some(b) if b <= isize::MAX as usize => format!(
                "`{param}` = {addr:#x} with `{len}` = {n} elements of {} bytes (`{}`) wraps around the end of the address space",
                size_of::<T>(),
                std::any::type_name::<T>()
            ),
            _ => format!(
                "`{len}` = {n} elements of {} bytes (`{}`) exceed isize::MAX bytes",
                size_of::<T>(),
                std::any::type_name::<T>()
            ),
        };
        self.record(FindingKind::LengthOverflow, message, None, None);
    }

    fn found(
        &mut self,
        kind: FindingKind,
        p: Ptr,
        message: String,
        e: Option<&Entry>,
        bytes: Option<usize>,
    ) {
        if let Some(i) = self.find(p.addr) {
            self.ptr_mut(i).flags.set(Flags::REPORTED);
        }
        self.record(kind, message, e, bytes);
    }

    #[cold]
    #[inline(never)]
    fn record(
        &mut self,
        kind: FindingKind,
        message: String,
        e: Option<&Entry>,
        bytes: Option<usize>,
    ) {
        let _g = Ignore::new();
        let finding = Finding {
            kind,
            function: self.info.name.to_owned(),
            message,
            site: Site::from_location(self.site),
            // A consumed Rust block's entry starts at the consume: no alloc site.
            alloc_site: e
                .filter(|e| !e.rust_block)
                .map(|e| Site::from_location(e.alloc_site)),
            free_site: e.and_then(|e| e.free_site).map(Site::from_location),
            consumed: e.is_some_and(|e| e.state == State::Consumed),
            free_with: e.and_then(|e| e.free_with).map(str::to_owned),
            count: 1,
            bytes: bytes.map(|b| b as u64),
            backtrace: None,
        };
        if self.found == 0 {
            let text = report::human::one_line(&finding).into_boxed_str();
            let _ = FIRST.try_with(|f| *f.borrow_mut() = Some(text));
        }
        self.found += 1;
        self.verdict.set(Verdict::FOUND);
        report::record(finding);
    }
}
