//! Catching panics at exports: a panic inside a guarded export or callback
//! never unwinds into C. It is caught, recorded as a `panic` finding with its
//! message, location and backtrace, and the export returns its error value.
//!
//! The location and the backtrace are only known inside the panic hook, so a
//! chained hook (installed once, on the first guarded export) stores them in
//! a thread-local when the panic happens inside a guarded export; for every
//! other panic it calls the hook that was installed before, unchanged. So a
//! panic caught at an export is reported once, as a finding, and never also
//! printed by the default hook.
//!
//! How the hook knows that the thread is inside a guarded export, without
//! costing the export anything when its body does not panic (then
//! `catch_unwind` compiles to nothing, as in `ffi_support`, and the export is
//! the plain call of its body):
//!
//! - *Framed* (the usual case): on its first call an export finds its own
//!   machine function (the caller's frame, checked by symbol name to be the
//!   export and not a function it was inlined into) and adds the function's
//!   start address to a registry. The hook walks the panicking thread's stack
//!   (unresolved, no symbolization) and looks for a registered function. The
//!   export's per-call cost is one load and a predicted branch.
//! - *Counted* (the fallback, when the export was inlined, the binary has no
//!   symbols, or the platform's unwinder cannot name a frame's function): a
//!   thread-local depth counter around the body, which the hook reads.
//!
//! An export's mode is settled once, in [`FnInfo`](crate::__private::FnInfo)'s `catch` field:
//! `UNSETTLED` → `FRAMED` or `COUNTED`, never back.

#[cfg(feature = "checks")]
pub(crate) use imp::{framed_exports, note_finding_panic, registering, run};

/// Runs `body`, catching a panic. `None` when it panicked.
#[cfg(not(feature = "checks"))]
#[inline(always)]
pub(crate) fn run<R, F: FnOnce() -> R>(body: F) -> Option<R> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    match r {
        Ok(v) => Some(v),
        Err(payload) => {
            forget_payload(payload);
            None
        }
    }
}

/// Drops a panic payload without letting a panicking `Drop` escape.
fn forget_payload(payload: Box<dyn std::any::Any + Send>) {
    if let Err(again) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
}

#[cfg(feature = "checks")]
mod imp {
    use std::any::Any;
    use std::cell::{Cell, RefCell};
    use std::panic::{AssertUnwindSafe, Location, catch_unwind};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, Once};

    use super::forget_payload;
    use crate::__private::FnInfo;
    use crate::finding::{Finding, FindingKind, Site};
    use crate::reentrancy::Ignore;
    use crate::report::{self, trace};

    /// `FnInfo::catch`: not yet called.
    const UNSETTLED: u8 = 0;
    /// `FnInfo::catch`: the hook finds the export's frame on the stack.
    const FRAMED: u8 = 1;
    /// `FnInfo::catch`: the export counts its depth in a thread-local.
    const COUNTED: u8 = 2;

    thread_local! {
        /// How many counted guarded exports this thread is inside.
        static DEPTH: Cell<u32> = const { Cell::new(0) };
        /// What the hook saw of the last panic inside a guarded export.
        static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
        /// The text of the last panic of panic mode on this thread: that
        /// panic stands for a finding already recorded.
        static FINDING_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Called by panic mode just before it panics with `text`, the text of a
    /// finding it recorded. An export that catches this panic (a guarded
    /// import called from its body found the bug) does not record it again
    /// as a `panic`: one bug is one finding. The payload stays the plain
    /// text, for `#[should_panic(expected = ...)]` and the default hook, so
    /// the export recognises it by that text; a panic of the user's code
    /// with the very same text is as good as this one.
    pub(crate) fn note_finding_panic(text: &str) {
        let _g = Ignore::new();
        let _ = FINDING_PANIC.try_with(|f| {
            if let Ok(mut f) = f.try_borrow_mut() {
                *f = Some(text.to_owned());
            }
        });
    }

    /// True when `text` is the panic of a recorded finding (then forgotten).
    fn is_finding_panic(text: &str) -> bool {
        FINDING_PANIC
            .try_with(|f| {
                let Ok(mut f) = f.try_borrow_mut() else {
                    return false;
                };
                let hit = f.as_deref() == Some(text);
                if hit {
                    *f = None;
                }
                hit
            })
            .unwrap_or(false)
    }

    struct Caught {
        location: Option<Site>,
        trace: Option<trace::Trace>,
    }

    /// Runs the body of the export `info` (defined at `site`), catching a
    /// panic and recording it. `None` when it panicked.
    #[inline(always)]
    pub(crate) fn run<R, F: FnOnce() -> R>(
        info: &'static FnInfo,
        site: &'static Location<'static>,
        body: F,
    ) -> Option<R> {
        if info.catch.load(Ordering::Relaxed) != FRAMED {
            return run_counted(info, site, body);
        }
        // Nothing before or after the body: a body that cannot panic
        // leaves the plain call.
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(v) => Some(v),
            Err(payload) => {
                caught(info, site, payload);
                None
            }
        }
    }

    // `extern "C"`: it never unwinds (its body is caught, and an unwind out
    // of it would abort), so the export needs no landing pad around this
    // call, and the framed path's call of the body can be a tail call.
    #[allow(improper_ctypes_definitions)]
    #[inline(never)]
    extern "C" fn run_counted<R, F: FnOnce() -> R>(
        info: &'static FnInfo,
        site: &'static Location<'static>,
        body: F,
    ) -> Option<R> {
        if info.catch.load(Ordering::Relaxed) == UNSETTLED {
            settle(info);
        }
        install_hook();
        // The depth is restored, not decremented, which also undoes any
        // imbalance a nested panic could leave.
        let depth = DEPTH.try_with(|d| {
            let v = d.get();
            d.set(v.wrapping_add(1));
            v
        });
        let r = catch_unwind(AssertUnwindSafe(body));
        if let Ok(v) = depth {
            let _ = DEPTH.try_with(|d| d.set(v));
        }
        match r {
            Ok(v) => Some(v),
            Err(payload) => {
                caught(info, site, payload);
                None
            }
        }
    }

    /// The registry of framed exports: the start addresses of their machine
    /// functions. Append-only; read by the hook without a lock.
    const MAX_FRAMED: usize = 1024;
    static FRAMED_FNS: [AtomicUsize; MAX_FRAMED] = [const { AtomicUsize::new(0) }; MAX_FRAMED];
    static FRAMED_LEN: AtomicUsize = AtomicUsize::new(0);
    static REGISTERING: Mutex<()> = Mutex::new(());

    /// Settles how the hook recognises the export `info`: framed when its
    /// caller's frame is the export's own machine function, else counted.
    /// Called (once per export, or again by a thread that raced) from the
    /// export itself, through `run_counted`.
    #[cold]
    #[inline(never)]
    fn settle(info: &'static FnInfo) {
        let _g = Ignore::new();
        install_hook();
        if !HOOK.is_completed() {
            // The hook could not be installed yet (a panicking thread):
            // settle on a later call.
            return;
        }
        let framed = own_function(info).is_some_and(register);
        let mode = if framed { FRAMED } else { COUNTED };
        info.catch.store(mode, Ordering::Relaxed);
    }

    /// The start address of the machine function that called `settle`
    /// through `run_counted`, if it is the export `info` itself.
    #[inline(never)]
    fn own_function(info: &'static FnInfo) -> Option<usize> {
        if !cfg!(target_os = "linux") {
            // Elsewhere the unwinder may not name a frame's function start.
            return None;
        }
        let me = settle as *const () as usize;
        let mut after_me = false;
        let mut caller: Option<backtrace::Frame> = None;
        backtrace::trace(|frame| {
            let start = frame.symbol_address() as usize;
            if after_me {
                // `run_counted` (generic, not inlined) and then the export.
                if start == run_counted_start(frame) {
                    return true;
                }
                caller = Some(frame.clone());
                return false;
            }
            if start == me {
                after_me = true;
            }
            true
        });
        let caller = caller?;
        let start = caller.symbol_address() as usize;
        // The outermost function at the call site: the machine function's
        // own name, whatever was inlined into it.
        let mut outer: Option<String> = None;
        backtrace::resolve_frame(&caller, |sym| {
            if let Some(n) = sym.name() {
                outer = Some(format!("{n:#}"));
            }
        });
        let outer = outer?;
        let own = outer == info.name
            || outer
                .strip_suffix(info.name)
                .is_some_and(|p| p.ends_with("::"));
        (own && start != 0).then_some(start)
    }

    /// `run_counted` is generic: any of its instances is recognised by the
    /// runtime's own symbol name at the frame.
    fn run_counted_start(frame: &backtrace::Frame) -> usize {
        let mut is_it = false;
        backtrace::resolve_frame(frame, |sym| {
            if let Some(n) = sym.name() {
                is_it |= format!("{n:#}").contains("panic::imp::run_counted");
            }
        });
        if is_it {
            frame.symbol_address() as usize
        } else {
            usize::MAX
        }
    }

    /// The lock of the registry's writers (also held across `fork`).
    pub(crate) fn registering() -> std::sync::MutexGuard<'static, ()> {
        REGISTERING.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `start` to the registry. False when it is full.
    fn register(start: usize) -> bool {
        let _lock = registering();
        let n = FRAMED_LEN.load(Ordering::Relaxed);
        if FRAMED_FNS[..n]
            .iter()
            .any(|f| f.load(Ordering::Relaxed) == start)
        {
            return true;
        }
        if n == MAX_FRAMED {
            return false;
        }
        FRAMED_FNS[n].store(start, Ordering::Relaxed);
        FRAMED_LEN.store(n + 1, Ordering::Release);
        true
    }

    /// How many exports the hook recognises by their frame.
    pub(crate) fn framed_exports() -> usize {
        FRAMED_LEN.load(Ordering::Acquire)
    }

    /// True when a framed export's function is on this thread's stack.
    fn inside_framed() -> bool {
        let n = FRAMED_LEN.load(Ordering::Acquire);
        if n == 0 {
            return false;
        }
        let framed = &FRAMED_FNS[..n];
        let mut found = false;
        let mut depth = 0;
        backtrace::trace(|frame| {
            let start = frame.symbol_address() as usize;
            found = framed.iter().any(|f| f.load(Ordering::Relaxed) == start);
            depth += 1;
            !found && depth < 512
        });
        found
    }

    #[cold]
    #[inline(never)]
    fn caught(
        info: &'static FnInfo,
        site: &'static Location<'static>,
        payload: Box<dyn Any + Send>,
    ) {
        let _g = Ignore::new();
        let text = message(&*payload);
        forget_payload(payload);
        let seen = CAUGHT.try_with(|c| c.borrow_mut().take()).ok().flatten();
        if is_finding_panic(&text) {
            // Recorded already, by the guarded call that panicked.
            return;
        }
        let (location, trace) = match seen {
            Some(c) => (c.location, c.trace),
            None => (None, trace::capture()),
        };
        let message = match &location {
            Some(l) => format!("panicked at {l}: {text}"),
            None => format!("panicked: {text}"),
        };
        report::record_traced(
            Finding::new(
                FindingKind::Panic,
                info.name,
                message,
                Site::from_location(site),
            ),
            trace,
        );
    }

    /// The panic's message, lossy for payloads that are not text.
    fn message(payload: &(dyn Any + Send)) -> String {
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic payload that is not a string".to_owned()
        }
    }

    static HOOK: Once = Once::new();

    #[inline(always)]
    fn install_hook() {
        if !HOOK.is_completed() {
            install_hook_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn install_hook_slow() {
        // `set_hook` must not run on a panicking thread; a later export installs it.
        if std::thread::panicking() {
            return;
        }
        HOOK.call_once(|| {
            let _g = Ignore::new();
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let counted = DEPTH.try_with(|d| d.get() > 0).unwrap_or(false);
                let inside = counted || {
                    let _g = Ignore::new();
                    inside_framed()
                };
                if !inside {
                    previous(info);
                    return;
                }
                let _g = Ignore::new();
                let c = Caught {
                    location: info.location().map(Site::from_location),
                    trace: trace::capture(),
                };
                let _ = CAUGHT.try_with(|slot| {
                    if let Ok(mut s) = slot.try_borrow_mut() {
                        *s = Some(c);
                    }
                });
            }));
        });
    }
}
