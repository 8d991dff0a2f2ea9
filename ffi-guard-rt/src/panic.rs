//! Catching panics at exports: a panic inside a guarded export or callback
//! never unwinds into C. It is caught, recorded as a `panic` finding with its
//! message, location and backtrace, and the export returns its error value.
//!
//! The location and the backtrace are only known inside the panic hook, so a
//! chained hook (installed once, on the first guarded export) stores them in
//! a thread-local while the thread runs a guarded export; for every other
//! panic it calls the hook that was installed before, unchanged.

#[cfg(feature = "checks")]
pub(crate) use imp::run;

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
    use std::sync::Once;

    use super::forget_payload;
    use crate::__private::FnInfo;
    use crate::finding::{Finding, FindingKind, Site};
    use crate::reentrancy::Ignore;
    use crate::report::{self, trace};

    thread_local! {
        /// How many guarded exports this thread is inside.
        static DEPTH: Cell<u32> = const { Cell::new(0) };
        /// What the hook saw of the last panic inside a guarded export.
        static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
    }

    struct Caught {
        location: Option<Site>,
        trace: Option<trace::Trace>,
    }

    /// Runs the body of the export `info` (defined at `site`), catching a
    /// panic and recording it. `None` when it panicked.
    #[inline]
    pub(crate) fn run<R, F: FnOnce() -> R>(
        info: &'static FnInfo,
        site: &'static Location<'static>,
        body: F,
    ) -> Option<R> {
        install_hook();
        // One load and two stores: the depth is restored, not decremented,
        // which also undoes any imbalance a nested panic could leave.
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
        let (location, trace) = match seen {
            Some(c) => (c.location, c.trace),
            None => (None, trace::capture()),
        };
        let message = match &location {
            Some(l) => format!("panicked at {l}: {text}"),
            None => format!("panicked: {text}"),
        };
        report::record_traced(
            Finding {
                kind: FindingKind::Panic,
                function: info.name.to_owned(),
                message,
                site: Site::from_location(site),
                alloc_site: None,
                free_site: None,
                free_with: None,
                count: 1,
                bytes: None,
                backtrace: None,
            },
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
                let inside = DEPTH.try_with(|d| d.get() > 0).unwrap_or(false);
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
