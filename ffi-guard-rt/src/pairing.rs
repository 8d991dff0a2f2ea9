//! Pairs that inference cannot see whole: an allocation whose release is
//! declared in another guarded block (bindgen emits one fn per block, and a
//! proc macro sees one block at a time).
//!
//! Such an allocation is *tentative*: its wrapper records the pointer as live
//! with no release function of its own (any guarded release may take it),
//! and registers the release names the rules give it. Its pointers are
//! reported as leaks only once one of those names has been called in the
//! process: a release that is never declared or never called proves nothing,
//! and inference never produces a finding from a pair that does not exist.
//!
//! A *soft* release (a release-shaped fn that no allocation of its block
//! names) releases only pointers whose allocation names it: for every other
//! pointer it is a plain call.
//!
//! Both registries are small (one entry per guarded fn that ran) and are
//! written once per fn, on its first call.

use std::sync::Mutex;

use crate::__private::FnInfo;
use crate::ledger::{Entry, State};
use crate::reentrancy::Ignore;

/// Allocating fns of tentative pairs, with the names that may release them.
static OWNERS: Mutex<Vec<(&'static str, &'static [&'static str])>> = Mutex::new(Vec::new());
/// Release fns that were called at least once.
static CALLED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// `FnInfo::noted` bits.
const RELEASE_NOTED: u8 = 1;
const OWNER_NOTED: u8 = 2;

/// Records that the release fn `info` was called (once per fn).
#[inline(always)]
pub(crate) fn note_release(info: &'static FnInfo) {
    if info.noted.load(std::sync::atomic::Ordering::Relaxed) & RELEASE_NOTED == 0 {
        note_release_slow(info);
    }
}

#[cold]
#[inline(never)]
fn note_release_slow(info: &'static FnInfo) {
    info.noted
        .fetch_or(RELEASE_NOTED, std::sync::atomic::Ordering::Relaxed);
    let _g = Ignore::new();
    if let Ok(mut called) = CALLED.lock()
        && !called.contains(&info.name)
    {
        called.push(info.name);
    }
}

/// Records that `info` allocates tentatively, released by one of `names`.
#[inline(always)]
pub(crate) fn note_owner(info: &'static FnInfo, names: &'static [&'static str]) {
    if info.noted.load(std::sync::atomic::Ordering::Relaxed) & OWNER_NOTED == 0 {
        note_owner_slow(info, names);
    }
}

#[cold]
#[inline(never)]
fn note_owner_slow(info: &'static FnInfo, names: &'static [&'static str]) {
    info.noted
        .fetch_or(OWNER_NOTED, std::sync::atomic::Ordering::Relaxed);
    let _g = Ignore::new();
    if let Ok(mut owners) = OWNERS.lock() {
        owners.push((info.name, names));
    }
}

/// The release names registered for the tentative allocations of `owner`.
fn may_release(owner: &str, release: &str) -> bool {
    let _g = Ignore::new();
    OWNERS.lock().is_ok_and(|owners| {
        owners
            .iter()
            .any(|(o, names)| *o == owner && names.contains(&release))
    })
}

/// Whether the soft release `release` takes `e`: a live pointer whose
/// allocation names it, or one it already released (a double free).
pub(crate) fn soft_release_takes(release: &str, e: &Entry) -> bool {
    match e.state {
        State::Live => match e.free_with {
            Some(f) => f == release,
            None => may_release(e.owner, release),
        },
        State::Released => e.freed_by == Some(release),
        State::Consumed => false,
    }
}

/// Whether a live entry may be reported as a leak: always for an explicit or
/// same-block pair; for a tentative one, once one of its release names has
/// been called.
pub(crate) fn leak_reportable(e: &Entry) -> bool {
    if e.free_with.is_some() {
        return true;
    }
    let _g = Ignore::new();
    let Ok(owners) = OWNERS.lock() else {
        return false;
    };
    let mut names = owners
        .iter()
        .filter(|(o, _)| *o == e.owner)
        .flat_map(|(_, n)| n.iter())
        .peekable();
    if names.peek().is_none() {
        return true;
    }
    let Ok(called) = CALLED.lock() else {
        return false;
    };
    names.any(|n| called.contains(n))
}
